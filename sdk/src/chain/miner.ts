import { Worker } from 'node:worker_threads';
import { AbortedError } from '../errors.js';
import { MINER_BATCH } from './constants.js';

// The worker's code, evaluated as is (no imports to resolve, so it runs the same from the
// TypeScript sources, the bundled CLI and the extension). A job {id, header, target, start}
// replaces any job in progress; it tries nonces from `start` up, MINER_BATCH hashes at a time,
// looking at its inbox between batches, and posts {id, nonce} for the first hash <= target.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let job = null;
parentPort.on('message', (m) => { job = m.stop ? null : m; if (job) setImmediate(run); });
function run() {
  const j = job;
  if (!j) return;
  const header = Buffer.from(j.header);
  const target = Buffer.from(j.target);
  for (let i = 0; i < ${MINER_BATCH}; i++) {
    const nonce = j.start + i;
    header.writeBigUInt64BE(BigInt(nonce), 144);
    if (Buffer.compare(createHash('sha256').update(header).digest(), target) <= 0) {
      job = null;
      parentPort.postMessage({ id: j.id, nonce });
      return;
    }
  }
  j.start += ${MINER_BATCH};
  if (j.start > Number.MAX_SAFE_INTEGER - ${MINER_BATCH}) j.start = 0;
  setImmediate(run);
}
`;

/**
 * Proof-of-work search off the main thread: one `worker_threads` worker, one job at a time.
 * `solve()` resolves with the first nonce whose header hash (SHA-256 of the 184 bytes with the
 * nonce at bytes 144..151) is at most the target; a newer `solve()` or `cancel()` rejects the
 * job in progress with AbortedError (a new tip restarts mining this way).
 */
export class MinerWorker {
  #worker: Worker | null = null;
  #job = 0;
  #pending: { id: number; resolve: (nonce: number) => void; reject: (err: Error) => void } | null = null;

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.on('message', (m: { id: number; nonce: number }) => {
      const p = this.#pending;
      if (p && p.id === m.id) {
        this.#pending = null;
        w.unref();
        p.resolve(m.nonce);
      }
    });
    w.on('error', (err) => this.#fail(err));
    w.on('exit', () => {
      if (this.#worker === w) this.#worker = null;
      this.#fail(new AbortedError('the mining worker exited'));
    });
    this.#worker = w;
    return w;
  }

  #fail(err: Error): void {
    const p = this.#pending;
    this.#pending = null;
    p?.reject(err);
  }

  /** Find a nonce for `header` (184 bytes) meeting `target` (32 bytes), trying from `start`. */
  solve(header: Buffer, target: Buffer, start: number): Promise<number> {
    this.cancel();
    const id = ++this.#job;
    const w = this.#ensure();
    w.ref();
    return new Promise((resolve, reject) => {
      this.#pending = { id, resolve, reject };
      w.postMessage({ id, header: new Uint8Array(header), target: new Uint8Array(target), start });
    });
  }

  /** Stop the job in progress (its promise rejects with AbortedError). */
  cancel(): void {
    if (!this.#pending) return;
    this.#worker?.postMessage({ stop: true });
    this.#worker?.unref();
    this.#fail(new AbortedError('mining restarted or stopped'));
  }

  /** Stop and end the worker thread. Safe to call twice. */
  async stop(): Promise<void> {
    this.cancel();
    const w = this.#worker;
    this.#worker = null;
    if (w) await w.terminate();
  }
}
