import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ContractError, Sandbox } from '../../src/contracts/index';
import { CONTRACT_GAS_LIMIT, CONTRACT_MEMORY_LIMIT_BYTES } from '../../src/chain/constants';

const ctx = { caller: 'c', time: 0, address: 'a', name: 'n' };

/** Contracts that fill the heap in different ways (each ran for seconds before the heap cap was real). */
const FILLERS: Record<string, string> = {
  'a string grown by doubling': 'export function f() { let s = "x"; for (;;) s = s + s; }',
  'strings pushed into an array': 'export function f() { const a = []; for (;;) a.push("x".repeat(100000)); }',
  'objects pushed into an array': 'export function f() { const a = []; for (;;) a.push({ a: 1, b: [2] }); }',
  'an object with many keys': 'export function f() { const o = {}; for (let i = 0; ; i++) o["k" + i] = i; }',
  'typed arrays': 'export function f() { const a = []; for (;;) a.push(new Uint8Array(65536)); }',
  'filled arrays': 'export function f() { const a = []; for (;;) a.push(new Array(10000).fill(0)); }',
  'parsed JSON': 'export function f() { const a = [], s = "[" + "1,".repeat(1000) + "1]"; for (;;) a.push(JSON.parse(s)); }',
};

/** Run and return [code, gasUsed] of the failure. */
function outcome(sandbox: Sandbox, source: string): [string, number | undefined] {
  try {
    sandbox.call(source, 'f', {}, [], ctx);
  } catch (err) {
    assert.ok(err instanceof ContractError, String(err));
    return [err.code, err.gasUsed];
  }
  assert.fail('the contract did not fail');
}

describe('contract sandbox: memory under the chain limits', () => {
  // The chain's settings: no wall-clock deadline, so the heap cap and gas are the only bounds.
  const chainLimits = { gasLimit: CONTRACT_GAS_LIMIT, memoryLimitBytes: CONTRACT_MEMORY_LIMIT_BYTES, deadlineMs: Number.POSITIVE_INFINITY };
  const first = new Sandbox(chainLimits);
  const second = new Sandbox(chainLimits);
  before(async () => {
    await first.start();
    await second.start();
  });

  for (const [name, source] of Object.entries(FILLERS)) {
    it(`ends ${name} with CONTRACT_OUT_OF_MEMORY, with the same gas after any history`, () => {
      const [code, gasUsed] = outcome(first, source);
      assert.equal(code, 'CONTRACT_OUT_OF_MEMORY');
      assert.ok(typeof gasUsed === 'number' && gasUsed >= 0 && gasUsed <= CONTRACT_GAS_LIMIT);
      // Another history in between (a different filler, a normal call), then the same run again.
      outcome(second, FILLERS['objects pushed into an array']!);
      assert.deepEqual(second.call('export function f(s) { s.n = 1; return 2; }', 'f', {}, [], ctx).result, 2);
      assert.deepEqual(outcome(second, source), [code, gasUsed]);
      assert.deepEqual(outcome(first, source), [code, gasUsed]);
    });
  }

  it('still fits a state at the size limit made of as many objects as it can hold', () => {
    const state = { items: Array.from({ length: 87_000 }, () => []) };
    assert.ok(JSON.stringify(state).length > 250 * 1024);
    const out = first.call('export function f(s) { s.n = 1; return s.items.length; }', 'f', state, [], ctx);
    assert.equal(out.result, 87_000);
  });

  it('bounds what a run keeps by bytes, not by blocks: 64 strings of 1 MiB do not fit', () => {
    const keep = 'export function f(s, c, n) { const a = []; for (let i = 0; i < n; i++) a.push("x".repeat(1 << 20)); return a.length; }';
    assert.equal(first.call(keep, 'f', {}, [2], ctx).result, 2);
    assert.throws(() => first.call(keep, 'f', {}, [64], ctx), (e: ContractError) => e.code === 'CONTRACT_OUT_OF_MEMORY');
  });

  it('gives the same outcomes and gas in another process, whose instance ran nothing before', async () => {
    const here = Object.fromEntries(Object.entries(FILLERS).map(([name, source]) => [name, outcome(first, source)]));
    // A fresh Node process with its own QuickJS instance runs the same contracts.
    const script = `
      const { Sandbox } = require(${JSON.stringify(join(__dirname, '../../src/contracts/index.ts'))});
      const fillers = JSON.parse(process.argv[1]);
      const sandbox = new Sandbox(JSON.parse(process.argv[2]));
      sandbox.start().then(() => {
        const out = {};
        for (const [name, source] of Object.entries(fillers)) {
          try { sandbox.call(source, 'f', {}, [], ${JSON.stringify(ctx)}); out[name] = ['ok']; }
          catch (e) { out[name] = [e.code, e.gasUsed]; }
        }
        process.stdout.write(JSON.stringify(out));
      });`;
    // JSON has no Infinity: the child's deadline is one it cannot reach.
    const childLimits = { ...chainLimits, deadlineMs: Number.MAX_SAFE_INTEGER };
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--require', 'tsx/cjs', '-e', script, JSON.stringify(FILLERS), JSON.stringify(childLimits)],
        { timeout: 60_000 },
        (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)),
      ),
    );
    assert.deepEqual(JSON.parse(stdout), here);
  });

  it('starts every run from the same memory: a run after a filled heap behaves as on a fresh sandbox', () => {
    const source = 'export function f(s) { const a = []; for (let i = 0; i < 20000; i++) a.push({ i }); s.n = a.length; return a.length; }';
    const fresh = first.call(source, 'f', {}, [], ctx);
    outcome(first, FILLERS['typed arrays']!);
    const after = first.call(source, 'f', {}, [], ctx);
    assert.deepEqual(after, fresh);
  });
});
