import type { Command } from 'commander';
import { resolve } from 'node:path';
import { PlexusError } from '../errors.js';
import type { DownloadProgress } from './download.js';
import type { ShareInfo } from './service.js';
import { clientFor, type ClientOptions, withClientOptions } from '../terminal/client.js';
import { formatBytes, formatDuration, paint, shortId, table } from '../terminal/format.js';

const out = (text: string): void => void process.stdout.write(text + '\n');

/** One line: bar, percent, bytes, rate, peers, pieces, ETA. */
export function progressLine(p: DownloadProgress, width = 30): string {
  const fraction = p.total === 0 ? 1 : p.bytes / p.total;
  const filled = Math.round(fraction * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const eta = p.etaMs === null ? '--' : formatDuration(p.etaMs);
  return (
    `${bar} ${(fraction * 100).toFixed(1).padStart(5)}%  ${formatBytes(p.bytes)}/${formatBytes(p.total)}  ` +
    `${formatBytes(p.rate)}/s  ${p.activePeers}/${p.peers} peers  ${p.pieces}/${p.piecesTotal} pieces  ETA ${eta}` +
    (p.endgame ? '  endgame' : '')
  );
}

export function registerTransferCommands(program: Command): void {
  withClientOptions(
    program
      .command('share')
      .argument('<file>', 'the file to share')
      .description('share a file from the running node; prints the link others fetch it with'),
  ).action(async (file: string, opts: ClientOptions) => {
    const { file: info } = await (await clientFor(opts)).post<{ file: ShareInfo }>('/files', { path: resolve(file) });
    if (opts.json) return out(JSON.stringify(info, null, 2));
    out(info.link);
    process.stderr.write(paint.dim(`shared ${info.name}: ${formatBytes(info.size)} in ${info.pieces} pieces of ${formatBytes(info.pieceLength)}\n`));
  });

  withClientOptions(
    program
      .command('fetch')
      .argument('<link>', 'a plexus:? link (or a 64-hex file ID)')
      .requiredOption('-o, --out <path>', 'where to write the file')
      .description('download a file from every peer that has it, with a progress bar; exits 0 once it is complete and verified'),
  ).action(async (link: string, opts: ClientOptions & { out: string }) => {
    const client = await clientFor(opts);
    const { download } = await client.post<{ download: DownloadProgress }>('/downloads', { link, out: resolve(opts.out) });
    const tty = process.stderr.isTTY === true;
    const abort = new AbortController();
    let last = download;
    let lastPrinted = 0;
    const show = (p: DownloadProgress, force = false): void => {
      last = p;
      if (opts.json) return;
      if (tty) process.stderr.write(`\r\x1b[2K${progressLine(p)}`);
      else if (force || Date.now() - lastPrinted >= 1000) {
        lastPrinted = Date.now();
        process.stderr.write(progressLine(p) + '\n');
      }
    };
    if (!opts.json) process.stderr.write(`${paint.bold(download.name)} -> ${download.outPath}\n`);
    if (download.status !== 'complete') show(download, true);
    let result = 'gone' as 'complete' | 'gone' | 'interrupted';
    const onSignal = (): void => {
      result = 'interrupted';
      abort.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const stream = client.events(
      (name, payload) => {
        const p = payload as DownloadProgress;
        if (p.id !== download.id) return;
        if (name === 'transfer:complete') {
          show(p, true);
          result = 'complete';
          abort.abort();
        } else show(p);
      },
      abort.signal,
      ['transfer:progress', 'transfer:complete'],
    );
    // It may have completed before the stream opened (a small file, or a resumed one).
    const now = await client.get<{ download: DownloadProgress }>(`/downloads/${download.id}`);
    if (now.download.status === 'complete') {
      show(now.download, true);
      result = 'complete';
      abort.abort();
    }
    await stream;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (tty && !opts.json) process.stderr.write('\n');
    if (result === 'complete') {
      if (opts.json) return out(JSON.stringify(last, null, 2));
      const from = last.perPeer.filter((p) => p.bytes > 0).map((p) => `${shortId(p.nodeId)} ${formatBytes(p.bytes)}`);
      out(`${paint.green('complete and verified')}: ${last.outPath}`);
      process.stderr.write(paint.dim(from.length ? `from ${from.length} peer(s): ${from.join(', ')}\n` : 'every piece was already there\n'));
      return;
    }
    if (result === 'interrupted') {
      process.stderr.write(paint.yellow(`stopped watching; the node keeps downloading (plexus downloads --data-dir ...)\n`));
      throw new PlexusError('INTERRUPTED', 'interrupted before the download completed');
    }
    throw new PlexusError('NODE_UNREACHABLE', 'the node stopped before the download completed; it resumes when the node restarts');
  });

  withClientOptions(program.command('downloads').description('list downloads with their progress')).action(async (opts: ClientOptions) => {
    const { downloads } = await (await clientFor(opts)).get<{ downloads: DownloadProgress[] }>('/downloads');
    if (opts.json) return out(JSON.stringify(downloads, null, 2));
    if (downloads.length === 0) return out(paint.dim('(no downloads)'));
    out(
      table(
        ['ID', 'NAME', 'STATUS', 'DONE', 'SIZE', 'PEERS', 'OUT'],
        downloads.map((d) => [d.id, d.name, d.status, `${((d.bytes / Math.max(1, d.total)) * 100).toFixed(1)}%`, formatBytes(d.total), String(d.peers), d.outPath]),
      ),
    );
  });

  withClientOptions(program.command('files').description('list files the running node shares')).action(async (opts: ClientOptions) => {
    const { files } = await (await clientFor(opts)).get<{ files: ShareInfo[] }>('/files');
    if (opts.json) return out(JSON.stringify(files, null, 2));
    if (files.length === 0) return out(paint.dim('(no shared files; share one with: plexus share FILE)'));
    out(table(['FILE ID', 'NAME', 'SIZE', 'PIECES', 'PATH'], files.map((f) => [shortId(f.fileId), f.name, formatBytes(f.size), String(f.pieces), f.path])));
  });
}

export function registerTransferRemovalCommands(program: Command): void {
  withClientOptions(program.command('cancel').argument('<downloadId>', 'the ID from plexus downloads').description('stop a download and forget it (the partial file stays)')).action(
    async (id: string, opts: ClientOptions) => {
      const answer = await (await clientFor(opts)).delete(`/downloads/${id}`);
      out(opts.json ? JSON.stringify(answer, null, 2) : `removed download ${id}`);
    },
  );
  withClientOptions(program.command('unshare').argument('<fileId>', 'the file ID from plexus files (64 hex)').description('stop sharing a file')).action(
    async (fileId: string, opts: ClientOptions) => {
      const answer = await (await clientFor(opts)).delete(`/files/${fileId}`);
      out(opts.json ? JSON.stringify(answer, null, 2) : `stopped sharing ${shortId(fileId)}`);
    },
  );
}
