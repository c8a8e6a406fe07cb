#!/usr/bin/env node
/**
 * A reference data source for bench/transfer.mjs, run as its own process (one per source, like
 * the Plexus seeders it is compared with). Not a benchmark itself (it lives in bench/lib/, which bench/run.mjs does not look into).
 *
 * Usage: node bench/lib/transfer-source.mjs tcp|http FILE
 *   tcp   raw TCP on 127.0.0.1: a client sends 16 bytes (offset and length, two unsigned 64-bit
 *         big-endian integers) and gets that range of FILE back, written to the socket in
 *         16 KiB writes (read from the file 1 MiB at a time), then the socket ends. A client
 *         may send another request after that on a new connection.
 *   http  a static HTTP/1.1 server on 127.0.0.1 serving FILE at every path, with HEAD and
 *         single Range requests (`bytes=a-b`, `bytes=a-`, `bytes=-n`: 206 + Content-Range,
 *         416 when unsatisfiable), streamed with fs.createReadStream (64 KiB reads).
 * Prints one JSON line {"port": N, "pid": P} once listening. Exits (closing every socket) when
 * its stdin closes (so it never outlives the benchmark), on SIGTERM or on SIGINT.
 */
import { createReadStream, promises as fs, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';

const WRITE_BYTES = 16 * 1024;
const READ_BYTES = 1024 * 1024;
const REQUEST_BYTES = 16;

const [mode, file] = process.argv.slice(2);
if (!['tcp', 'http'].includes(mode) || !file) {
  console.error('usage: node bench/lib/transfer-source.mjs tcp|http FILE');
  process.exitCode = 2;
} else {
  const size = statSync(file).size;
  const sockets = new Set();
  const server = mode === 'tcp' ? createTcpServer(serveTcp) : createHttpServer(serveHttp);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.address().port, pid: process.pid }) + '\n');
  });
  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    server.close();
    for (const socket of sockets) socket.destroy();
    process.stdin.destroy();
  };
  process.stdin.on('end', close).on('error', close).resume();
  process.once('SIGTERM', close);
  process.once('SIGINT', close);

  /** Raw TCP: read the 16-byte request, then send the range in 16 KiB writes, honouring backpressure. */
  function serveTcp(socket) {
    socket.setNoDelay(true);
    let header = Buffer.alloc(0);
    const onData = (chunk) => {
      header = Buffer.concat([header, chunk]);
      if (header.length < REQUEST_BYTES) return;
      socket.off('data', onData);
      socket.pause();
      const offset = Number(header.readBigUInt64BE(0));
      const length = Number(header.readBigUInt64BE(8));
      sendRange(socket, offset, length).catch(() => socket.destroy());
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  }

  async function sendRange(socket, offset, length) {
    if (offset + length > size) throw new Error('range outside the file');
    const handle = await fs.open(file, 'r');
    try {
      let sent = 0;
      while (sent < length && !socket.destroyed) {
        // A fresh buffer per read: the socket may still hold the previous one's slices.
        const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, length - sent));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset + sent);
        if (bytesRead !== buffer.length) throw new Error('short read');
        let ok = true;
        for (let i = 0; i < bytesRead; i += WRITE_BYTES) ok = socket.write(buffer.subarray(i, Math.min(i + WRITE_BYTES, bytesRead)));
        sent += bytesRead;
        if (!ok) await drained(socket);
      }
      socket.end();
    } finally {
      await handle.close();
    }
  }

  /** Resolves when the socket's buffer drained or it closed; leaves no listener behind. */
  function drained(socket) {
    return new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  /** HTTP: GET / HEAD of the whole file or one byte range. */
  function serveHttp(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (m && (m[1] !== '' || m[2] !== '')) {
        if (m[1] === '') {
          start = Math.max(0, size - Number(m[2]));
        } else {
          start = Number(m[1]);
          if (m[2] !== '') end = Math.min(end, Number(m[2]));
        }
        if (start > end || start >= size) {
          res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
          return;
        }
        status = 206;
      }
    }
    const headers = { 'accept-ranges': 'bytes', 'content-length': String(end - start + 1), 'content-type': 'application/octet-stream' };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || end < start) {
      res.end();
      return;
    }
    const stream = createReadStream(file, { start, end });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  }
}
