import assert from 'node:assert/strict';
import { Codec, PING_SCHEMA } from '../../src/transport/index';

/** A codec with Ping/Pong registered, as the heartbeat capability registers them. */
function codecWithPing(): Codec {
  const c = new Codec();
  c.register('Ping', PING_SCHEMA, 'request');
  c.register('Pong', PING_SCHEMA, 'reply');
  return c;
}
import { truncateUtf8 } from '../../src/transport/connection';

describe('codec', () => {
  const codec = codecWithPing();
  const nonce11 = 'AAAAAAAAAAA';

  it('accepts a valid request and a valid reply', () => {
    const ping = codec.decode(JSON.stringify({ v: 1, type: 'Ping', id: 3, body: { nonce: nonce11 } }));
    assert.equal(ping.ok, true);
    const pong = codec.decode(JSON.stringify({ v: 1, type: 'Pong', re: 3, body: { nonce: nonce11 } }));
    assert.equal(pong.ok, true);
  });

  const cases: Array<[string, string, string, number | undefined]> = [
    ['not JSON', '{"v":1,', 'MALFORMED_FRAME', undefined],
    ['a lone high surrogate', '{"v":1,"type":"Ping","id":4,"body":{"nonce":"AAAAAAAAAA\\ud800"}}', 'MALFORMED_FRAME', 4],
    ['a lone low surrogate in a member name', '{"v":1,"type":"Ping","id":4,"body":{"\\udc00":1}}', 'MALFORMED_FRAME', 4],
    ['a JSON array', '[1,2]', 'INVALID_ENVELOPE', undefined],
    ['missing body', '{"v":1,"type":"Ping","id":4}', 'INVALID_ENVELOPE', 4],
    ['extra envelope field', '{"v":1,"type":"Ping","id":4,"body":{"nonce":"AAAAAAAAAAA"},"x":1}', 'INVALID_ENVELOPE', 4],
    ['lower-case type', '{"v":1,"type":"ping","id":4,"body":{}}', 'INVALID_ENVELOPE', 4],
    ['negative id', '{"v":1,"type":"Ping","id":-1,"body":{}}', 'INVALID_ENVELOPE', undefined],
    ['other version', '{"v":2,"type":"Ping","id":4,"body":{"nonce":"AAAAAAAAAAA"}}', 'UNSUPPORTED_VERSION', 4],
    ['unknown type', '{"v":1,"type":"Gimme","id":5,"body":{}}', 'UNKNOWN_TYPE', 5],
    ['request without id', '{"v":1,"type":"Ping","body":{"nonce":"AAAAAAAAAAA"}}', 'INVALID_ENVELOPE', undefined],
    ['reply without re', '{"v":1,"type":"Pong","body":{"nonce":"AAAAAAAAAAA"}}', 'INVALID_ENVELOPE', undefined],
    ['a null id', '{"v":1,"type":"Ping","id":null,"body":{"nonce":"AAAAAAAAAAA"}}', 'INVALID_ENVELOPE', undefined],
    ['a request carrying re', '{"v":1,"type":"Ping","id":3,"re":2,"body":{"nonce":"AAAAAAAAAAA"}}', 'INVALID_ENVELOPE', 3],
    ['a reply carrying an id', '{"v":1,"type":"Pong","id":3,"re":2,"body":{"nonce":"AAAAAAAAAAA"}}', 'INVALID_ENVELOPE', 3],
    ['a notice carrying re', '{"v":1,"type":"Ready","re":2,"body":{}}', 'INVALID_ENVELOPE', undefined],
    ['bad body field', '{"v":1,"type":"Ping","id":6,"body":{"nonce":42}}', 'INVALID_MESSAGE', 6],
    ['extra body field', '{"v":1,"type":"Ping","id":7,"body":{"nonce":"AAAAAAAAAAA","evil":true}}', 'INVALID_MESSAGE', 7],
  ];
  for (const [label, text, code, re] of cases) {
    it(`rejects ${label} with ${code}`, () => {
      const result = codec.decode(text);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.code, code);
        assert.equal(result.re, re);
        assert.ok(result.message.length > 0);
      }
    });
  }

  it('cuts close reasons to 123 bytes without splitting a UTF-8 character', () => {
    const cut = truncateUtf8('é'.repeat(100), 123);
    assert.ok(Buffer.byteLength(cut) <= 123);
    assert.equal(cut, 'é'.repeat(61));
    assert.equal(truncateUtf8('short', 123), 'short');
  });

  it('accepts a surrogate pair and an escaped backslash before u', () => {
    const pair = codec.decode('{"v":1,"type":"Error","body":{"code":"X","message":"\\ud83d\\ude00 \\\\ud800"}}');
    assert.equal(pair.ok, true);
  });

  it('refuses to register a type twice', () => {
    const c = codecWithPing();
    assert.throws(() => c.register('Ping', { type: 'object' }, 'request'));
    assert.throws(() => c.register('Hello', { type: 'object' }, 'notice'), 'the handshake types are built in');
  });
});
