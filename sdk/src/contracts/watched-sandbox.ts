import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker, isMainThread, workerData } from 'node:worker_threads';
import { PlexusError } from '../errors.js';
import { CALL_DEADLINE_MS } from './constants.js';
import { ContractError, contractError } from './errors.js';
import { type CallOutput, type ContractContext, Sandbox, type SandboxLimits } from './sandbox.js';

/**
 * A run stopped by the wall-clock bound of WatchedSandbox: the contract kept QuickJS busy
 * between two gas polls for longer than any run within the gas limit takes (docs/protocol.md
 * §21.14). Not a contract outcome: the caller decides (a block is refused, a transaction left out).
 */
export class ContractTooExpensiveError extends PlexusError {
  constructor(boundMs: number) {
    super('CONTRACT_TOO_EXPENSIVE', `the contract ran for more than ${boundMs} ms of wall-clock time without reaching a gas poll (an allocation loop?)`);
  }
}

type Request = { op: 'exports'; source: string } | { op: 'call'; source: string; fn: string; state: unknown; args: unknown[]; ctx: ContractContext };
type Reply = { ok: unknown } | { error: { contract: boolean; code: string; message: string; gasUsed?: number } };

/** Int32 slots of the shared flag: the reply is ready; the worker has loaded QuickJS. */
const REPLY = 0;
const READY = 1;
/** How long a new worker may take to load QuickJS (ms). */
const LOAD_WAIT_MS = 30_000;
/** How long after a replicated call's deadline its thread is stopped, when the sandbox could not stop it itself (ms). */
const DEADLINE_GRACE_MS = 250;

interface WorkerInit {
  plexusContractWorker: true;
  limits: SandboxLimits;
  port: MessagePort;
  flag: Int32Array;
}

/** One worker thread running a Sandbox, shared by every WatchedSandbox of this process with the same limits (calls are synchronous, so one at a time). */
class SharedWorker {
  readonly key: string;
  readonly limits: SandboxLimits;
  users = 0;
  #worker: Worker | null = null;
  #port: MessagePort | null = null;
  #flag: Int32Array | null = null;

  constructor(key: string, limits: SandboxLimits) {
    this.key = key;
    this.limits = limits;
  }

  /** Start the thread if needed and wait, without blocking the event loop, until it has loaded QuickJS. */
  async start(): Promise<void> {
    if (!this.#worker) this.#spawn();
    const deadline = Date.now() + LOAD_WAIT_MS;
    while (this.#flag && Atomics.load(this.#flag, READY) === 0) {
      if (Date.now() > deadline) throw new Error('the contract worker did not load QuickJS in time');
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!this.#worker) throw new Error('the contract worker exited while loading');
  }

  async terminate(): Promise<void> {
    const w = this.#worker;
    this.#drop();
    await w?.terminate();
  }

  /** Run one request, waiting (blocking) at most `boundMs`; null when the bound passed (the thread is then terminated). */
  run(request: Request, boundMs: number): Reply | null {
    if (!this.#worker) this.#spawn();
    const flag = this.#flag!;
    const port = this.#port!;
    if (Atomics.load(flag, READY) === 0 && Atomics.wait(flag, READY, 0, LOAD_WAIT_MS) === 'timed-out' && Atomics.load(flag, READY) === 0) {
      void this.terminate();
      throw new Error('the contract worker did not load QuickJS in time');
    }
    Atomics.store(flag, REPLY, 0);
    port.postMessage(request);
    if (Atomics.wait(flag, REPLY, 0, boundMs) === 'timed-out' && Atomics.load(flag, REPLY) === 0) {
      // Stuck inside QuickJS: only terminating the thread stops it. The next run starts a new one.
      void this.terminate();
      return null;
    }
    const got = receiveMessageOnPort(port);
    if (!got) throw new Error('the contract worker signalled a reply but sent none');
    return got.message as Reply;
  }

  #spawn(): void {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const init: WorkerInit = { plexusContractWorker: true, limits: this.limits, port: port2, flag };
    const fromSource = __filename.endsWith('.ts');
    const worker = new Worker(__filename, { workerData: init, transferList: [port2], execArgv: fromSource ? ['--require', 'tsx/cjs'] : [] });
    worker.unref();
    const gone = (): void => {
      if (this.#worker === worker) this.#drop();
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    this.#worker = worker;
    this.#port = port1;
    this.#flag = flag;
  }

  #drop(): void {
    this.#port?.close();
    this.#worker = null;
    this.#port = null;
    this.#flag = null;
  }
}

const shared = new Map<string, SharedWorker>();

/**
 * The contract sandbox (sandbox.ts) run in a worker thread that the calling thread waits for
 * synchronously (Atomics.wait), with a wall-clock bound per run. A run past the bound is
 * stopped by terminating the thread (a new one starts for the next run). This is the only way
 * to stop QuickJS inside long built-in operations, such as `"x".repeat(3e6)` in a loop, where
 * gas (and the sandbox's own deadline) is checked only every ~10,000 bytecode operations,
 * minutes apart. Everything else (gas, memory, errors) is the sandbox's. Sandboxes with the
 * same limits share one thread per process.
 *
 * Past the bound: with an explicit `boundMs` (the chain), ContractTooExpensiveError; without
 * (replicated contracts), ContractError CONTRACT_TIMEOUT after the limits' deadline.
 *
 * The thread runs this same file (the bundle that holds it, or the TypeScript source under
 * tsx), which starts the worker loop at load when it finds its workerData.
 */
export class WatchedSandbox {
  readonly limits: SandboxLimits;
  readonly #key: string;
  #worker: SharedWorker | null = null;

  constructor(limits: SandboxLimits = {}) {
    this.limits = { ...limits };
    this.#key = JSON.stringify([limits.gasLimit, limits.memoryLimitBytes, limits.stackLimitBytes, limits.deadlineMs]);
  }

  get ready(): boolean {
    return this.#worker !== null;
  }

  /** Start (or join) the worker and wait until it has loaded QuickJS. @throws Error when it cannot */
  async start(): Promise<void> {
    if (this.#worker) return;
    let w = shared.get(this.#key);
    if (!w) shared.set(this.#key, (w = new SharedWorker(this.#key, this.limits)));
    w.users++;
    this.#worker = w;
    await w.start();
  }

  /** Leave the worker; the last user terminates it. */
  async stop(): Promise<void> {
    const w = this.#worker;
    if (!w) return;
    this.#worker = null;
    if (--w.users > 0) return;
    shared.delete(w.key);
    await w.terminate();
  }

  /** Sandbox.exports in the worker. @throws ContractError, ContractTooExpensiveError */
  exports(source: string, boundMs?: number): string[] {
    return this.#run({ op: 'exports', source }, boundMs) as string[];
  }

  /** Sandbox.call in the worker. @throws ContractError, ContractTooExpensiveError */
  call(source: string, fn: string, state: unknown, args: unknown[], ctx: ContractContext, boundMs?: number): CallOutput {
    return this.#run({ op: 'call', source, fn, state, args, ctx }, boundMs) as CallOutput;
  }

  #run(request: Request, boundMs: number | undefined): unknown {
    const w = this.#worker;
    if (!w) throw new ContractError('NOT_STARTED', 'the contract sandbox is not started');
    const deadline = this.limits.deadlineMs ?? CALL_DEADLINE_MS;
    // Without an explicit bound the sandbox's own deadline applies; the thread is stopped a
    // little after it, when the deadline could not be checked (no gas poll).
    const bound = boundMs ?? (Number.isFinite(deadline) ? deadline + DEADLINE_GRACE_MS : CALL_DEADLINE_MS);
    const reply = w.run(request, bound);
    if (reply === null) throw boundMs === undefined ? contractError.timeout(deadline) : new ContractTooExpensiveError(boundMs);
    if ('ok' in reply) return reply.ok;
    const e = reply.error;
    if (!e.contract) throw new Error(e.message);
    const err = new ContractError(e.code, e.message);
    if (e.gasUsed !== undefined) err.gasUsed = e.gasUsed;
    throw err;
  }
}

/** The worker side: load QuickJS, then answer each request and wake the waiting thread. */
async function serve(init: WorkerInit): Promise<void> {
  const sandbox = new Sandbox(init.limits);
  await sandbox.start();
  const { port, flag } = init;
  Atomics.store(flag, READY, 1);
  Atomics.notify(flag, READY);
  port.on('message', (request: Request) => {
    let reply: Reply;
    try {
      reply = { ok: request.op === 'exports' ? sandbox.exports(request.source) : sandbox.call(request.source, request.fn, request.state, request.args, request.ctx) };
    } catch (err) {
      const contract = err instanceof ContractError;
      reply = { error: { contract, code: contract ? err.code : 'INTERNAL', message: (err as Error).message, gasUsed: contract ? err.gasUsed : undefined } };
    }
    port.postMessage(reply);
    Atomics.store(flag, REPLY, 1);
    Atomics.notify(flag, REPLY);
  });
}

if (!isMainThread && (workerData as Partial<WorkerInit> | null)?.plexusContractWorker === true) void serve(workerData as WorkerInit);
