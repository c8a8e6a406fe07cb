import variant from '@jitl/quickjs-singlefile-cjs-release-sync';
import {
  DefaultIntrinsics,
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import {
  CALL_DEADLINE_MS,
  GAS_LIMIT,
  MAX_ARGS_BYTES,
  MAX_RESULT_BYTES,
  MAX_SOURCE_BYTES,
  MAX_STATE_BYTES,
  MEMORY_LIMIT_BYTES,
  STACK_LIMIT_BYTES,
} from './constants.js';
import { ContractError, contractError } from './errors.js';

/** What a contract function receives as its second argument (frozen). */
export interface ContractContext {
  /** Node ID of the node that made the call (a chain call: the transaction's sender). */
  caller: string;
  /** Deterministic time (ms since epoch): a replicated update's hybrid-clock wall part; a chain call's block time. */
  time: number;
  /** Address of the contract. */
  address: string;
  /** Name of the contract. */
  name: string;
}

export interface SandboxLimits {
  /** Instruction budget in gas units (interrupt polls, about 10,000 operations each). */
  gasLimit?: number;
  /** Wall-clock deadline per call (ms). */
  deadlineMs?: number;
  /** Heap limit per call (bytes). */
  memoryLimitBytes?: number;
  /** Stack limit per call (bytes). */
  stackLimitBytes?: number;
}

export interface CallOutput {
  /** The function's return value (undefined becomes null). */
  result: unknown;
  /** The state after the call. */
  state: Record<string, unknown>;
  /** Gas units used. */
  gasUsed: number;
}

/** Bytes of one WebAssembly page. */
const WASM_PAGE_BYTES = 65_536;
/** Pages of the memory the QuickJS build starts with (its declared minimum: 16 MiB). */
const WASM_INITIAL_PAGES = 256;

/**
 * One QuickJS WebAssembly instance with its own memory, capped at the build's 16 MiB plus the
 * heap limit, and the image of that memory taken right after loading. Every run starts from that
 * image (restored after each run), so the allocator's state at the start of a run is the same on
 * every node whatever ran before: a run's memory use, and whether it exceeds the cap, depend only
 * on the build and the run's source, state and arguments.
 */
interface Engine {
  module: QuickJSWASMModule;
  memory: WebAssembly.Memory;
  /** The image below the reserved range, which no run can reach (it is zero and stays so). */
  low: Uint8Array;
  /** The image from the end of the reserved range; everything above it is zero. */
  high: Uint8Array;
  /** Where `high` starts, and where the image ends (bytes). */
  highStart: number;
  imageEnd: number;
}

// Instances are shared by every sandbox with the same heap limit (runs are synchronous, one at a
// time); each run still gets its own runtime, on the pristine image.
const engines = new Map<number, Promise<Engine>>();
function loadEngine(memoryLimitBytes: number): Promise<Engine> {
  const maxPages = WASM_INITIAL_PAGES + Math.ceil(memoryLimitBytes / WASM_PAGE_BYTES);
  let engine = engines.get(maxPages);
  if (!engine) {
    engine = (async () => {
      const memory = new WebAssembly.Memory({ initial: WASM_INITIAL_PAGES, maximum: maxPages });
      const base = unwrapDefault(variant) as QuickJSSyncVariant;
      type Loader = Awaited<ReturnType<QuickJSSyncVariant['importModuleLoader']>>;
      type LoadModule = Extract<Loader, (...a: never[]) => unknown>;
      let loader: unknown = await base.importModuleLoader();
      for (let depth = 0; typeof loader !== 'function' && depth < 3; depth++) loader = unwrapDefault(loader as { default: unknown });
      if (typeof loader !== 'function') throw new Error('the QuickJS variant has no module loader');
      const load = loader as LoadModule;
      const capped: QuickJSSyncVariant = {
        ...base,
        importModuleLoader: async () => ((arg) => load({ ...arg, wasmMemory: memory } as Parameters<LoadModule>[0])) as LoadModule,
      };
      const module = await newQuickJSWASMModuleFromVariant(capped);
      const reserved = reserveInitialMemory(module, memory);
      const imageEnd = usedEnd(memory);
      const bytes = new Uint8Array(memory.buffer);
      const highStart = Math.min(reserved.end, imageEnd);
      return { module, memory, low: bytes.slice(0, reserved.start), high: bytes.slice(highStart, imageEnd), highStart, imageEnd };
    })();
    engine.catch(() => engines.delete(maxPages));
    engines.set(maxPages, engine);
  }
  return engine;
}

/** An ES module namespace imported from CommonJS, or the value itself. */
function unwrapDefault<T>(value: T | { default: T }): T {
  return value !== null && typeof value === 'object' && 'default' in value && value.default ? value.default : (value as T);
}

/** Bytes of the initial memory left unreserved, for the allocator's own bookkeeping. */
const RESERVE_MARGIN_BYTES = WASM_PAGE_BYTES;

/**
 * Fill the part of the initial 16 MiB that the loaded build leaves free (above its data and
 * stack, which end at the last non-zero page) with one block of the C allocator that is never
 * freed, so that what a run can allocate is about the growth allowed beyond the initial memory
 * (the heap limit), not that plus the build's spare megabytes. (`_malloc` of the Emscripten
 * module: quickjs-emscripten-core keeps that module in the `module` field, not a public API.)
 * @returns the reserved byte range (no run can reach it, so a restore skips it)
 */
function reserveInitialMemory(module: QuickJSWASMModule, memory: WebAssembly.Memory): { start: number; end: number } {
  const malloc = (module as unknown as { module?: { _malloc?: (bytes: number) => number } }).module?._malloc;
  if (typeof malloc !== 'function') throw new Error('the QuickJS module does not expose its allocator');
  const spare = WASM_INITIAL_PAGES * WASM_PAGE_BYTES - usedEnd(memory) - RESERVE_MARGIN_BYTES;
  if (spare <= 0) return { start: 0, end: 0 };
  const start = malloc(spare);
  if (start === 0) throw new Error('could not reserve the initial WebAssembly memory');
  return { start, end: start + spare };
}

/** A page of zeros, to find the pages a run left dirty above the image. */
const ZERO_PAGE = new Uint8Array(WASM_PAGE_BYTES);

/** The end of the memory's last page holding a non-zero byte, not below `floor` (bytes). */
function usedEnd(memory: WebAssembly.Memory, floor = 0): number {
  const bytes = new Uint8Array(memory.buffer);
  let end = bytes.length;
  while (end > floor && Buffer.compare(bytes.subarray(end - WASM_PAGE_BYTES, end), ZERO_PAGE) === 0) end -= WASM_PAGE_BYTES;
  return end;
}

/**
 * Put the engine's memory back, byte for byte, as it was right after loading: the image below
 * (except the reserved range, which no run can reach), zeros above (only up to the highest page
 * the run left non-zero, found from the top, so a run that used little memory costs little).
 */
function restore(engine: Engine): void {
  const bytes = new Uint8Array(engine.memory.buffer);
  const dirtyEnd = usedEnd(engine.memory, engine.imageEnd);
  if (dirtyEnd > engine.imageEnd) bytes.fill(0, engine.imageEnd, dirtyEnd);
  bytes.set(engine.low);
  bytes.set(engine.high, engine.highStart);
}

/** Globals removed before a contract runs: sources of time, randomness and GC timing. */
const HARDEN = `
  delete Math.random;
  delete globalThis.WeakRef;
  delete globalThis.FinalizationRegistry;
`;

/**
 * Runs contract code in QuickJS (WebAssembly): a fresh runtime and context per call,
 * an instruction budget enforced by the interrupt handler plus a wall-clock deadline,
 * a heap limit and a stack limit. No Date, no Math.random, no I/O of any kind: the
 * only way in is the arguments and the state, the only way out is the result and the
 * new state, both JSON. Every failure becomes a ContractError with a code; the caller's
 * state object is never touched.
 */
export class Sandbox {
  readonly gasLimit: number;
  readonly deadlineMs: number;
  readonly memoryLimitBytes: number;
  readonly stackLimitBytes: number;
  #engine: Engine | undefined;

  constructor(limits: SandboxLimits = {}) {
    this.gasLimit = limits.gasLimit ?? GAS_LIMIT;
    this.deadlineMs = limits.deadlineMs ?? CALL_DEADLINE_MS;
    this.memoryLimitBytes = limits.memoryLimitBytes ?? MEMORY_LIMIT_BYTES;
    this.stackLimitBytes = limits.stackLimitBytes ?? STACK_LIMIT_BYTES;
  }

  /** Whether the WebAssembly instance is loaded (false before start()). */
  get ready(): boolean {
    return this.#engine !== undefined;
  }

  /** Load the QuickJS WebAssembly instance (once per process and heap limit). */
  async start(): Promise<void> {
    this.#engine ??= await loadEngine(this.memoryLimitBytes);
  }

  /**
   * Names of the functions a contract source exports.
   * @throws ContractError CONTRACT_INVALID_SOURCE, CONTRACT_TOO_LARGE, or a limit error
   */
  exports(source: string): string[] {
    checkSize('the source', Buffer.byteLength(source), MAX_SOURCE_BYTES);
    const out = this.#run(source, `JSON.stringify(Object.keys(__exports).filter((k) => typeof __exports[k] === 'function').sort())`);
    return JSON.parse(out.text) as string[];
  }

  /**
   * Call `fn(state, ctx, ...args)` of the contract in `source`.
   * @throws ContractError with the reason as its code
   */
  call(source: string, fn: string, state: unknown, args: unknown[], ctx: ContractContext): CallOutput {
    checkSize('the source', Buffer.byteLength(source), MAX_SOURCE_BYTES);
    const argsJson = JSON.stringify(args);
    if (argsJson === undefined || !Array.isArray(args)) throw contractError.invalidArgs('arguments must be a JSON array');
    checkSize('the arguments', Buffer.byteLength(argsJson), MAX_ARGS_BYTES);
    const stateJson = JSON.stringify(state);
    checkSize('the state', Buffer.byteLength(stateJson), MAX_STATE_BYTES);
    const script = `(() => {
      'use strict';
      const fn = __exports[${JSON.stringify(fn)}];
      if (typeof fn !== 'function') {
        return JSON.stringify({ missing: Object.keys(__exports).filter((k) => typeof __exports[k] === 'function') });
      }
      const state = JSON.parse(${JSON.stringify(stateJson)});
      const ctx = Object.freeze(JSON.parse(${JSON.stringify(JSON.stringify(ctx))}));
      const args = JSON.parse(${JSON.stringify(argsJson)});
      let result;
      try {
        result = fn(state, ctx, ...args);
      } catch (e) {
        // Engine limits (and the null QuickJS throws when it cannot even allocate an error) go to the host.
        if (e === null || e instanceof InternalError || e instanceof RangeError && /call stack/.test(e.message)) throw e;
        const name = e instanceof Error ? e.name : typeof e;
        const message = e instanceof Error ? String(e.message) : String(e);
        return JSON.stringify({ threw: { name, message } });
      }
      const kind = typeof result;
      if (kind === 'function' || kind === 'symbol' || kind === 'bigint' || (result !== null && kind === 'object' && typeof result.then === 'function')) {
        return JSON.stringify({ badResult: 'the function returned a ' + (kind === 'object' ? 'promise' : kind) + ', which is not JSON' });
      }
      if (state === null || typeof state !== 'object' || Array.isArray(state)) {
        return JSON.stringify({ badResult: 'the state must stay a JSON object' });
      }
      try {
        return JSON.stringify({ ok: true, result: result === undefined ? null : result, state });
      } catch (e) {
        if (e instanceof InternalError) throw e;
        return JSON.stringify({ badResult: 'the result or state is not JSON: ' + e.message });
      }
    })()`;
    const { text, gasUsed } = this.#run(source, script);
    try {
      return this.#output(text, fn, gasUsed);
    } catch (err) {
      if (err instanceof ContractError) err.gasUsed = gasUsed;
      throw err;
    }
  }

  /** Read the call script's JSON answer. @throws ContractError */
  #output(text: string, fn: string, gasUsed: number): CallOutput {
    checkSize('the call output', Buffer.byteLength(text), MAX_STATE_BYTES + MAX_RESULT_BYTES + 64);
    const out = JSON.parse(text) as {
      ok?: true;
      result?: unknown;
      state?: Record<string, unknown>;
      missing?: string[];
      threw?: { name: string; message: string };
      badResult?: string;
    };
    if (out.missing) throw contractError.functionNotFound(fn, out.missing);
    if (out.threw) throw contractError.threw(out.threw.name, out.threw.message);
    if (out.badResult) throw contractError.invalidResult(out.badResult);
    checkSize('the result', Buffer.byteLength(JSON.stringify(out.result)), MAX_RESULT_BYTES);
    checkSize('the new state', Buffer.byteLength(JSON.stringify(out.state)), MAX_STATE_BYTES);
    return { result: out.result, state: out.state!, gasUsed };
  }

  /** Evaluate the module, bind its exports to `__exports`, run `script` (global code returning a string). */
  #run(source: string, script: string): { text: string; gasUsed: number } {
    const engine = this.#engine;
    if (!engine) throw new ContractError('NOT_STARTED', 'the contract sandbox is not started');
    const runtime = engine.module.newRuntime();
    let gasUsed = 0;
    let stop: 'gas' | 'time' | null = null;
    const deadline = performance.now() + this.deadlineMs;
    runtime.setMemoryLimit(this.memoryLimitBytes);
    runtime.setMaxStackSize(this.stackLimitBytes);
    runtime.setInterruptHandler(() => {
      gasUsed++;
      if (gasUsed > this.gasLimit) stop = 'gas';
      else if (performance.now() > deadline) stop = 'time';
      return stop !== null;
    });
    let context: QuickJSContext | undefined;
    const handles: QuickJSHandle[] = [];
    try {
      context = runtime.newContext({ intrinsics: { ...DefaultIntrinsics, Date: false } });
      const hardened = context.evalCode(HARDEN, 'harden.js', { type: 'global' });
      if (hardened.error) handles.push(hardened.error);
      else handles.push(hardened.value);
      const loaded = context.evalCode(source, 'contract.js', { type: 'module' });
      if (loaded.error) throw this.#failure(context, loaded.error, stop, 'source');
      handles.push(loaded.value);
      let exportsHandle = loaded.value;
      // A module evaluates to its namespace, or to a promise of it.
      const promiseState = context.getPromiseState(exportsHandle);
      if (promiseState.type === 'fulfilled') {
        if (!promiseState.notAPromise) handles.push(promiseState.value);
        exportsHandle = promiseState.value;
      } else if (promiseState.type === 'rejected') {
        throw this.#failure(context, promiseState.error, stop, 'source');
      } else {
        throw contractError.invalidSource('the module did not finish loading (top-level await is not supported)');
      }
      context.setProp(context.global, '__exports', exportsHandle);
      const ran = context.evalCode(script, 'call.js', { type: 'global' });
      if (ran.error) throw this.#failure(context, ran.error, stop, 'call');
      handles.push(ran.value);
      const text = context.getString(ran.value);
      return { text, gasUsed };
    } catch (err) {
      // A failure of the host side (allocation inside the module, disposal): classify by what stopped the run.
      const e = err instanceof ContractError ? err : this.#classify(stop, String((err as Error)?.message ?? err), 'call');
      e.gasUsed = Math.min(gasUsed, this.gasLimit);
      throw e;
    } finally {
      for (const h of handles) if (h.alive) h.dispose();
      try {
        context?.dispose();
        runtime.dispose();
      } catch {
        // A runtime that ran out of memory may fail its own teardown: the restore below
        // puts the instance back as it was loaded all the same.
      }
      restore(engine);
    }
  }

  #failure(context: QuickJSContext, errorHandle: QuickJSHandle, stop: 'gas' | 'time' | null, phase: 'source' | 'call'): ContractError {
    let text = '';
    try {
      const dumped = context.dump(errorHandle) as { name?: string; message?: string } | string | null;
      // QuickJS throws null when it cannot even allocate the error object: the heap is full.
      // (A contract that throws null itself is reported the same way.)
      text =
        dumped === null
          ? 'out of memory (or the contract threw null)'
          : typeof dumped === 'object'
            ? `${dumped.name ?? 'Error'}: ${dumped.message ?? ''}`
            : String(dumped);
    } catch {
      text = 'unreadable error';
    } finally {
      errorHandle.dispose();
    }
    return this.#classify(stop, text, phase);
  }

  #classify(stop: 'gas' | 'time' | null, text: string, phase: 'source' | 'call'): ContractError {
    // What the engine says wins over which timer fired: a heap near its limit is slow.
    // "string too long": rope concatenation reached QuickJS's 2^30 string cap.
    if (/out of memory|string too long|allocation failed/i.test(text)) return contractError.outOfMemory(this.memoryLimitBytes, text);
    if (/stack overflow|call stack size/i.test(text)) return contractError.stackOverflow();
    if (stop === 'gas') return contractError.outOfGas(this.gasLimit);
    if (stop === 'time') return contractError.timeout(this.deadlineMs);
    if (phase === 'source') return contractError.invalidSource(`the contract does not load: ${text}`);
    const match = /^(\w+): ([\s\S]*)$/.exec(text);
    return contractError.threw(match?.[1] ?? 'Error', match?.[2] ?? text);
  }
}

function checkSize(what: string, bytes: number, limit: number): void {
  if (bytes > limit) throw contractError.tooLarge(what, bytes, limit);
}
