import assert from 'node:assert/strict';
import { backoffDelay, parseAddress } from '../../src/peers/index';

describe('backoff and addresses', () => {
  it('doubles per failure, caps at the maximum, and jitters within [d/2, d]', () => {
    assert.equal(backoffDelay(1, 1000, 60_000, () => 0), 500);
    assert.equal(backoffDelay(1, 1000, 60_000, () => 1), 1000);
    assert.equal(backoffDelay(3, 1000, 60_000, () => 1), 4000);
    assert.equal(backoffDelay(20, 1000, 60_000, () => 1), 60_000);
    assert.equal(backoffDelay(20, 1000, 60_000, () => 0), 30_000);
    const samples = Array.from({ length: 200 }, () => backoffDelay(4, 100, 10_000));
    assert.ok(samples.every((d) => d >= 400 && d <= 800));
    assert.ok(new Set(samples).size > 50, 'jitter spreads the delays');
  });

  it('parses HOST:PORT and rejects anything else with INVALID_ADDRESS', () => {
    assert.deepEqual(parseAddress('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000, address: '127.0.0.1:5000' });
    assert.equal(parseAddress('[::1]:80').address, '[::1]:80');
    for (const bad of ['127.0.0.1', '127.0.0.1:0', 'host:70000', ':80', 'a b:1', '']) {
      assert.throws(() => parseAddress(bad), (e: Error & { code?: string }) => e.code === 'INVALID_ADDRESS', bad);
    }
  });
});
