/**
 * Batches items and flushes them at most once per interval, however fast they arrive: the
 * engine may report hundreds of steps a second, the dashboard needs ten updates. The first
 * item after a quiet spell goes out at once (the view feels live); later ones wait for the
 * interval to pass. No vscode import, so it is unit-tested with a fake clock.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Coalescer<T> {
  private pending: T[] = [];
  private lastFlush = -Infinity;
  private timer: unknown;

  constructor(
    private readonly flushTo: (items: T[]) => void,
    private readonly intervalMs = 100,
    private readonly timers: Timers = realTimers,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.timer !== undefined) return;
    const wait = this.lastFlush + this.intervalMs - this.timers.now();
    if (wait <= 0) this.flush();
    else this.timer = this.timers.setTimeout(() => this.flush(), wait);
  }

  /** Sends what is pending now (also used before a final message, so order is kept). */
  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const items = this.pending;
    this.pending = [];
    this.lastFlush = this.timers.now();
    this.flushTo(items);
  }

  /** Drops what is pending (the view will re-read the run folder instead). */
  clear(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }

  dispose(): void {
    this.clear();
  }
}
