/**
 * The extension's small pure helpers, run in the same host as the integration tests: how
 * typed arguments, addresses and links are read, and how errors are put into words.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parseArgs } from '../../src/commands/contracts';
import { paramsOf } from '../../src/contract-source';
import { nameFromLink } from '../../src/commands/files';
import { validateAddress } from '../../src/commands/network';
import { explain, threwLine } from '../../src/node/errors';

const repo = (): string => vscode.extensions.getExtension('plexus.plexus')!.extensionPath;

describe('extension helpers', () => {
  it('reads a function’s parameters after (state, ctx) from the source', () => {
    const token = readFileSync(join(repo(), 'examples', 'contracts', 'token.js'), 'utf8');
    const counter = readFileSync(join(repo(), 'examples', 'contracts', 'counter.js'), 'utf8');
    assert.equal(paramsOf(counter, 'increment'), 'by = 1');
    assert.equal(paramsOf(counter, 'get'), '');
    assert.equal(paramsOf(counter, 'nope'), '');
    assert.ok(paramsOf(token, 'init').length > 0, 'token.init takes arguments');
  });

  it('parses typed arguments: an array is the list, another value one argument, empty none', () => {
    assert.deepEqual(parseArgs('[1, "a", {"b": 2}]'), [1, 'a', { b: 2 }]);
    assert.deepEqual(parseArgs(' 5 '), [5]);
    assert.deepEqual(parseArgs('"x"'), ['x']);
    assert.deepEqual(parseArgs(''), []);
    assert.throws(() => parseArgs('[1,'), SyntaxError);
  });

  it('validates peer addresses as HOST:PORT', () => {
    assert.equal(validateAddress('127.0.0.1:5000'), undefined);
    assert.equal(validateAddress(' example.org:1 '), undefined);
    assert.equal(validateAddress('[::1]:65535'), undefined);
    assert.match(validateAddress('127.0.0.1')!, /HOST:PORT/);
    assert.match(validateAddress('127.0.0.1:70000')!, /1 to 65535/);
  });

  it('takes the file name from a plexus: link', () => {
    assert.equal(nameFromLink('plexus:?xt=urn:plexus:' + 'a'.repeat(64) + '&dn=my%20notes.txt&xl=5'), 'my notes.txt');
    assert.equal(nameFromLink('a'.repeat(64)), null);
  });

  it('finds the line a contract threw on, preferring a line with throw', () => {
    const source = "// by must be a whole number\nexport function f(state, ctx, by) {\n  if (!by) throw new Error('by must be a whole number');\n}\n";
    assert.equal(threwLine(source, 'the contract threw Error: by must be a whole number'), 3);
    assert.equal(threwLine(source, 'the contract threw Error: something else'), null);
  });

  it('puts every start failure into words with the buttons that help', () => {
    assert.deepEqual(explain({ code: 'NODE_START_FAILED', message: 'The Plexus node failed to start: boom' }).actions.map((a) => a.title), ['Show Log', 'Retry']);
    assert.deepEqual(explain({ code: 'NODE_UNREACHABLE', message: 'x' }).actions.map((a) => a.command), ['plexus.startNode', 'plexus.showLog']);
    assert.match(explain({ code: 'SELF_CONNECTION', message: 'x' }, { address: '127.0.0.1:9' }).message, /this node's own address/);
  });
});
