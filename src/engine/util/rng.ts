/**
 * Seeded randomness. The engine runs alone in its own process, so it also seeds
 * `Math.random`: tfjs draws dropout masks and unseeded initialisers from it, and a run must
 * be reproducible from its seed.
 */
export type Rng = () => number;

/** mulberry32: small, fast, and good enough for shuffles, shifts and masks. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives independent streams (data order, augmentation, init) from one seed. */
export function deriveSeed(seed: number, stream: string): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function shuffleInPlace<T>(items: T[] | Uint32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t as never;
  }
}

/** mulberry32 with its state in the open, so a checkpoint can save and restore it. */
export class StatefulRng {
  constructor(public state: number) {}
  next = (): number => {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let mathRandom: StatefulRng | undefined;

export function seedMathRandom(seed: number): void {
  mathRandom = new StatefulRng(deriveSeed(seed, 'math.random') >>> 0);
  Math.random = mathRandom.next;
}

/** The seeded Math.random's state (for checkpoints); undefined when it was never seeded. */
export function mathRandomState(): number | undefined {
  return mathRandom?.state;
}

export function restoreMathRandom(state: number): void {
  mathRandom = new StatefulRng(state >>> 0);
  Math.random = mathRandom.next;
}

/**
 * Moves the seeded Math.random as far as it moved from state `from` to state `to`. mulberry32
 * steps its state by a constant, so the difference of two states counts the draws between
 * them. A worker engine uses it to draw what a single engine draws: tfjs draws from
 * Math.random as its modules load, and can as it builds models, and a worker that reuses
 * what a single engine would make again (memo.ts, loadTf) skips those draws.
 */
export function advanceMathRandom(from: number, to: number): void {
  if (mathRandom) mathRandom.state = (mathRandom.state + to - from) >>> 0;
}
