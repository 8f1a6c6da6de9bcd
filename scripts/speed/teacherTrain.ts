/**
 * Micro-harness for issue 20: the CNN teacher conv32-conv64-dense256 trained from scratch
 * (cross-entropy, batch 128) through the engine's own trainStage, on one backend.
 * Until scripts/bench/workloads.ts has this workload (helper `bench`), this is the measurement.
 *
 *   npx tsx scripts/speed/teacherTrain.ts [--backend wasm] [--steps 40] [--read-every 5] [--profile] [--ab winograd,fma] [--off winograd,fma]
 * --off NAMES: those changes off for the whole run (a 'before' profile).
 * --ab NAMES: A/B in one process, rounds alternating everything on and the named changes off (the machine is shared
 * and its speed drifts by 2× within minutes, so only interleaved rounds compare).
 * Prints one JSON line: samples/s (median of the windows after the first), per-kernel ms per step with --profile.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/engine/backend/select';
import { setWinogradInTraining } from '../../src/engine/backend/simd/winograd';
import { fmaMatMulStats, setFmaGemm } from '../../src/engine/backend/simd/fmaGemm';
import { sparseMatMulStats } from '../../src/engine/backend/simd/sparseMatMul';
import { buildDataset, type Dataset } from '../../src/engine/data/dataset';
import { loadSourceSync } from '../../src/engine/data/sources';
import { hintonLoss } from '../../src/engine/losses/logits';
import { buildPreset } from '../../src/engine/models/presets';
import { trainStage } from '../../src/engine/train/trainer';
import { ArchitectureSpec, DataSpec, TrainingSpec, type BackendName } from '../../src/protocol/config';

const BATCH = Number(process.env.BATCH ?? 128);
export const TEACHER = { preset: 'cnn', filters: [32, 64], kernelSize: 3, dense: [256] } as const;

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function firstSamples(base: Dataset, samples: number): Dataset {
  const indices = base.train.indices.subarray(0, Math.min(samples, base.train.indices.length));
  return { ...base, train: { ...base.train, indices }, val: { ...base.val, indices: new Uint32Array(0) } };
}

async function train(base: Dataset, steps: number, readEvery: number, onWindow: (sps: number) => void): Promise<void> {
  const ds = firstSamples(base, steps * BATCH);
  const model = buildPreset(tf, ArchitectureSpec.parse(process.env.ARCH ? JSON.parse(process.env.ARCH) : TEACHER), ds.shape, ds.numClasses, 11, 'teacher');
  await trainStage(tf, {
    stage: 'teacher',
    model,
    losses: hintonLoss(0, 1),
    training: TrainingSpec.parse({ epochs: 1, batchSize: BATCH }),
    ds,
    seed: 7,
    shift: 0,
    readEvery,
    emit: (e) => {
      if (e.type === 'step') onWindow(e.samplesPerSec);
    },
    shouldStop: () => false,
    threads: Number(arg('threads') ?? 1),
  });
  model.dispose();
}

async function main(): Promise<void> {
  await selectBackend(tf, (arg('backend') ?? 'wasm') as BackendName);
  tf.enableProdMode();
  const steps = Number(arg('steps') ?? 40);
  const readEvery = Number(arg('read-every') ?? 5);
  const spec = DataSpec.parse({ source: 'mnist', validationSplit: 0, testSplit: 0.1 });
  const base = buildDataset(loadSourceSync(spec, process.cwd()), spec, 42);
  const before = tf.memory().numTensors;
  const off = arg('off')?.split(',') ?? [];
  if (off.includes('winograd')) setWinogradInTraining(false);
  if (off.includes('fma')) setFmaGemm(false);
  const ab = arg('ab')?.split(',');
  if (ab) {
    const toggle = (on: boolean) => {
      if (ab.includes('winograd')) setWinogradInTraining(on);
      if (ab.includes('fma')) setFmaGemm(on);
    };
    const rounds: Record<'on' | 'off', number[]> = { on: [], off: [] };
    for (let r = 0; r < 6; r++) {
      const on = r % 2 === 0;
      toggle(on);
      const w: number[] = [];
      await train(base, steps, readEvery, (s) => w.push(s));
      rounds[on ? 'on' : 'off'].push(Math.round(median(w.slice(1))));
    }
    toggle(true);
    process.stdout.write(JSON.stringify({ ab, rounds, ratio: +(median(rounds.on) / median(rounds.off)).toFixed(3) }) + '\n');
    return;
  }
  const windows: number[] = [];
  await train(base, steps, readEvery, (s) => windows.push(s));
  const out: Record<string, unknown> = { backend: tf.getBackend(), samplesPerSec: Math.round(median(windows.slice(1))), windows: windows.map(Math.round) };
  out.leakedTensors = tf.memory().numTensors - before;
  if (process.argv.includes('--profile')) {
    const n = 6;
    const info = await tf.profile(async () => {
      await train(base, n, n, () => {});
      return [];
    });
    const totals = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const e = totals.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.calls++;
      totals.set(k.name, e);
    }
    out.profile = [...totals.entries()]
      .map(([kernel, { ms, calls }]) => ({ kernel, ms: +(ms / n).toFixed(2), calls: Math.round(calls / n) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 16);
    // The products by shape: which path each takes is the matmul wrappers' choice (sparse, fused, XNNPACK).
    const products = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels.filter((k) => k.name === 'BatchMatMul' || k.name === '_FusedMatMul')) {
      const key = `${k.name} ${k.inputShapes.map((s) => (s ?? []).join('×')).join(' · ')}`;
      const e = products.get(key) ?? { ms: 0, calls: 0 };
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.calls++;
      products.set(key, e);
    }
    out.products = [...products.entries()]
      .map(([shape, { ms, calls }]) => ({ shape, ms: +(ms / n).toFixed(2), calls: Math.round(calls / n) }))
      .sort((a, b) => b.ms - a.ms);
    out.paths = { sparse: sparseMatMulStats.sparse, dense: sparseMatMulStats.dense, fused: fmaMatMulStats.fma };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
