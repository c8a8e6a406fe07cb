import assert from 'node:assert/strict';
import { ClockDriftError, compareHlc, HybridClock } from '../../src/clock/index';

describe('hybrid logical clock', () => {
  it('ticks monotonically even when the physical clock stalls or goes back', () => {
    let now = 1000;
    const clock = new HybridClock('a', { now: () => now });
    const t1 = clock.tick();
    const t2 = clock.tick();
    now = 500; // clock stepped back
    const t3 = clock.tick();
    assert.ok(compareHlc(t1, t2) < 0 && compareHlc(t2, t3) < 0);
    assert.equal(t3.time, 1000);
    assert.equal(t3.counter, 2);
  });

  it('orders events after a received timestamp from a node whose clock runs minutes ahead', () => {
    const ahead = new HybridClock('b', { now: () => 1_000_000 + 5 * 60_000 });
    const behind = new HybridClock('a', { now: () => 1_000_000 });
    const remote = ahead.tick();
    behind.receive(remote);
    const local = behind.tick();
    assert.ok(compareHlc(local, remote) > 0, 'the later update wins although its wall clock is 5 minutes behind');
    assert.equal(local.time, remote.time);
  });

  it('breaks ties by node ID', () => {
    assert.ok(compareHlc({ time: 5, counter: 1, nodeId: 'a' }, { time: 5, counter: 1, nodeId: 'b' }) < 0);
    assert.equal(compareHlc({ time: 5, counter: 1, nodeId: 'a' }, { time: 5, counter: 1, nodeId: 'a' }), 0);
  });

  it('refuses a timestamp too far in the future with CLOCK_DRIFT', () => {
    const clock = new HybridClock('a', { now: () => 0, maxDriftMs: 1000 });
    assert.throws(() => clock.receive({ time: 5000, counter: 0, nodeId: 'b' }), (e: unknown) => e instanceof ClockDriftError && e.code === 'CLOCK_DRIFT');
  });
});
