import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractError, Sandbox } from '../../src/contracts/index';

const ctx = { caller: 'a'.repeat(64), time: 1_700_000_000_000, address: 'b'.repeat(64), name: 'test' };
const example = (file: string): string => readFileSync(join(__dirname, '../../../examples/contracts', file), 'utf8');

describe('contract sandbox', () => {
  // A long deadline: gas and memory limits must end these calls even on a busy machine (the deadline has its own test).
  const sandbox = new Sandbox({ gasLimit: 500, deadlineMs: 30_000, memoryLimitBytes: 8 * 1024 * 1024 });
  before(() => sandbox.start());

  function fails(source: string, code: string, fn = 'f', args: unknown[] = [], state: Record<string, unknown> = { keep: 1 }, box = sandbox): void {
    const before = JSON.stringify(state);
    assert.throws(
      () => box.call(source, fn, state, args, ctx),
      (err: unknown) => err instanceof ContractError && err.code === code,
      `expected ${code}`,
    );
    assert.equal(JSON.stringify(state), before, 'the state passed in is untouched');
    // And the sandbox still works afterwards.
    assert.equal(box.call('export function ok(s) { return 42 }', 'ok', {}, [], ctx).result, 42);
  }

  it('runs the example token: init, mint, transfer, view', () => {
    const src = example('token.js');
    assert.deepEqual(sandbox.exports(src), ['addMinter', 'balanceOf', 'init', 'mint', 'totalSupply', 'transfer']);
    let state = sandbox.call(src, 'init', {}, ['T', 'TKN'], ctx).state;
    state = sandbox.call(src, 'mint', state, ['bob', 100], ctx).state;
    const out = sandbox.call(src, 'transfer', state, ['carol', 30], { ...ctx, caller: 'bob' });
    assert.equal(out.result, 70);
    assert.deepEqual(out.state.balances, { bob: 70, carol: 30 });
    assert.equal(sandbox.call(src, 'balanceOf', out.state, ['carol'], ctx).result, 30);
  });

  it('passes the context frozen, with caller, time, address and name', () => {
    const out = sandbox.call('export function f(s, ctx) { try { ctx.caller = "x" } catch (e) {} return ctx }', 'f', {}, [], ctx);
    assert.deepEqual(out.result, ctx);
  });

  it('ends an infinite loop with CONTRACT_OUT_OF_GAS', () => fails('export function f() { for (;;) {} }', 'CONTRACT_OUT_OF_GAS'));
  it('ends a loop that catches everything with CONTRACT_OUT_OF_GAS', () =>
    fails('export function f() { for (;;) { try { for (;;) {} } catch (e) {} } }', 'CONTRACT_OUT_OF_GAS'));
  it('ends a slow call at the wall-clock deadline with CONTRACT_TIMEOUT', () => {
    const slow = new Sandbox({ gasLimit: 1e9, deadlineMs: 50 });
    return slow.start().then(() => fails('export function f() { for (;;) {} }', 'CONTRACT_TIMEOUT', 'f', [], {}, slow));
  });
  it('ends a memory bomb with CONTRACT_OUT_OF_MEMORY', () =>
    fails('export function f() { const a = []; for (;;) a.push({ x: [1, 2, 3] }); }', 'CONTRACT_OUT_OF_MEMORY'));
  it('ends a string bomb with CONTRACT_OUT_OF_MEMORY', () => fails('export function f() { let s = "x"; for (;;) s = s + s; }', 'CONTRACT_OUT_OF_MEMORY'));
  it('ends deep recursion with CONTRACT_STACK_OVERFLOW', () => fails('export function f() { return f() + 1 }', 'CONTRACT_STACK_OVERFLOW'));
  it('reports a throw with CONTRACT_THREW and its message', () => {
    assert.throws(
      () => sandbox.call('export function f() { throw new TypeError("nope") }', 'f', {}, [], ctx),
      (err: ContractError) => err.code === 'CONTRACT_THREW' && /TypeError: nope/.test(err.message),
    );
    fails('export function f() { throw "plain string" }', 'CONTRACT_THREW');
  });
  it('rejects results that are not JSON with CONTRACT_INVALID_RESULT', () => {
    fails('export function f() { return () => 1 }', 'CONTRACT_INVALID_RESULT');
    fails('export async function f() { return 1 }', 'CONTRACT_INVALID_RESULT');
    fails('export function f() { return 10n }', 'CONTRACT_INVALID_RESULT');
    fails('export function f() { const a = {}; a.a = a; return a }', 'CONTRACT_INVALID_RESULT');
  });
  it('has no clock and no randomness', () => {
    fails('export function f() { return Date.now() }', 'CONTRACT_THREW');
    fails('export function f() { return new Date().getTime() }', 'CONTRACT_THREW');
    fails('export function f() { return Math.random() }', 'CONTRACT_THREW');
  });
  it('has no I/O: no require, no fetch, no process, no imports', () => {
    for (const expr of ['require("fs")', 'fetch("http://x")', 'process.exit(1)', 'std.open("/etc/passwd")', 'os.exec(["ls"])']) {
      fails(`export function f() { return ${expr} }`, 'CONTRACT_THREW');
    }
    fails('import fs from "fs"; export function f() { return 1 }', 'CONTRACT_INVALID_SOURCE');
  });
  it('rejects broken source with CONTRACT_INVALID_SOURCE and unknown functions with CONTRACT_FUNCTION_NOT_FOUND', () => {
    assert.throws(() => sandbox.exports('export function f( {'), (e: ContractError) => e.code === 'CONTRACT_INVALID_SOURCE');
    fails('export function g() {}', 'CONTRACT_FUNCTION_NOT_FOUND');
  });
  it('enforces size limits on source, arguments and state with CONTRACT_TOO_LARGE', () => {
    fails(`export function f() { return 1 } // ${'x'.repeat(70 * 1024)}`, 'CONTRACT_TOO_LARGE');
    fails('export function f() { return 1 }', 'CONTRACT_TOO_LARGE', 'f', ['x'.repeat(20 * 1024)]);
    fails('export function f(s) { s.big = "x".repeat(300 * 1024) }', 'CONTRACT_TOO_LARGE');
    fails('export function f() { return "x".repeat(100 * 1024) }', 'CONTRACT_TOO_LARGE');
  });
});
