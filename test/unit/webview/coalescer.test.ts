import * as assert from 'node:assert/strict';
import { Coalescer, type Timers } from '../../../src/extension/dashboard/coalescer';

/** A fake clock: timers fire when `advance` passes their time. */
function fakeTimers() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  const t: Timers & { advance(ms: number): void } = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => (timers = timers.filter((x) => x.id !== id)),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = due.at;
        timers = timers.filter((x) => x !== due);
        due.fn();
      }
      now = end;
    },
  };
  return t;
}

describe('host-side coalescing of live events', () => {
  it('sends at most 10 messages a second however fast events come, losing none', () => {
    const timers = fakeTimers();
    const sent: number[][] = [];
    const c = new Coalescer<number>((items) => sent.push(items), 100, timers);
    // 1 000 events a second for 3 seconds.
    let n = 0;
    for (let ms = 0; ms < 3000; ms++) {
      c.push(n++);
      timers.advance(1);
    }
    timers.advance(200);
    assert.ok(sent.length <= 31, `${sent.length} messages in 3 s`);
    assert.ok(sent.length >= 29, 'yet it keeps flowing');
    assert.deepEqual(
      sent.flat(),
      Array.from({ length: 3000 }, (_, i) => i),
      'every event, in order',
    );
  });

  it('the first event after a quiet spell goes out at once', () => {
    const timers = fakeTimers();
    const sent: string[][] = [];
    const c = new Coalescer<string>((items) => sent.push(items), 100, timers);
    timers.advance(1000);
    c.push('a');
    assert.deepEqual(sent, [['a']]);
    c.push('b');
    assert.equal(sent.length, 1);
    timers.advance(100);
    assert.deepEqual(sent, [['a'], ['b']]);
  });

  it('flush sends now; clear drops what is pending', () => {
    const timers = fakeTimers();
    const sent: number[][] = [];
    const c = new Coalescer<number>((items) => sent.push(items), 100, timers);
    c.push(1);
    c.push(2);
    c.flush();
    assert.deepEqual(sent, [[1], [2]]);
    c.push(3);
    c.clear();
    timers.advance(500);
    assert.deepEqual(sent, [[1], [2]]);
  });
});
