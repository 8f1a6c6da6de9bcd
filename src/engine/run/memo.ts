/**
 * What a worker engine (dist/engine.js --worker) keeps from one run for the next: the loaded
 * data set, the teachers loaded from disk, their cached logits and their test-split
 * evaluation. Trials of a sweep share all of these, and a fresh engine would load or compute
 * them again, identically, for every trial.
 *
 * Every entry is keyed by exactly what determines its value (file contents or identities,
 * specs, seeds, the backend), never by a name alone, so a run whose teacher or data differ
 * misses instead of getting a stale value. After each run the entries it did not use are
 * dropped and their tensors disposed: a worker holds at most what its last run needed, and
 * tensors do not pile up from run to run. A value found here leaves the seeded Math.random
 * where making it would have (loading a model draws from it), so what the run draws after is
 * what a fresh engine would draw.
 */
import { createHash } from 'node:crypto';
import { advanceMathRandom, mathRandomState } from '../util/rng';

interface Entry {
  value: object;
  dispose?: () => void;
  used: boolean;
  /** The seeded Math.random's state before and after making the value (see advanceMathRandom). */
  random?: [number, number];
}

export class RunMemo {
  private readonly entries = new Map<string, Entry>();
  private readonly keys = new WeakMap<object, string>();
  private run = { hits: [] as string[], made: [] as string[] };
  /** What the last finished run found here and what it had to make (for tests and logs). */
  lastRun = { hits: [] as string[], made: [] as string[] };

  /** The value under `key`, made (and kept) on a miss. */
  async get<T extends object>(key: string, make: () => Promise<T> | T, dispose?: (value: T) => void): Promise<T> {
    let entry = this.entries.get(key);
    if (entry) {
      this.run.hits.push(key);
      // Making it drew from the seeded Math.random; a fresh engine would have, so the draws are skipped.
      if (entry.random) advanceMathRandom(...entry.random);
    } else {
      this.run.made.push(key);
      const before = mathRandomState();
      const value = await make();
      const after = mathRandomState();
      entry = {
        value,
        dispose: dispose && (() => dispose(value)),
        used: false,
        random: before !== undefined && after !== undefined && after !== before ? [before, after] : undefined,
      };
      this.entries.set(key, entry);
      this.keys.set(value, key);
    }
    entry.used = true;
    return entry.value as T;
  }

  /** The key a value is kept under; undefined for anything the memo did not make. */
  keyOf(value: object): string | undefined {
    const key = this.keys.get(value);
    return key !== undefined && this.entries.get(key)?.value === value ? key : undefined;
  }

  owns(value: object): boolean {
    return this.keyOf(value) !== undefined;
  }

  /** After a run: drops, and disposes, what the run did not use. */
  endRun(): void {
    for (const [key, entry] of this.entries) {
      if (entry.used) entry.used = false;
      else this.drop(key, entry);
    }
    this.lastRun = this.run;
    this.run = { hits: [], made: [] };
  }

  clear(): void {
    for (const [key, entry] of this.entries) this.drop(key, entry);
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    entry.dispose?.();
  }
}

/** A short digest of the given parts (strings and bytes), for memo keys. */
export function digest(...parts: (string | Uint8Array | ArrayBuffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(typeof p === 'string' ? `${p.length}:${p}` : new Uint8Array(p as ArrayBuffer));
    h.update('|');
  }
  return h.digest('hex').slice(0, 24);
}
