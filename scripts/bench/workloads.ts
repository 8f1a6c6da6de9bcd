/**
 * Training-step throughput of one backend, through the engine's own code path: models from
 * `buildPreset`, Hinton's loss from `hintonLoss`, the bundled digits through `buildDataset`
 * (uint8 storage, converted per batch by `makeBatch`), and `trainStage` — the loop a real run
 * uses — for the steps. samples/s comes from trainStage's own `step` events (each covers
 * `readEvery` steps, including the asynchronous loss read); the first window (kernel
 * warm-up, Adam's slot variables) is dropped and the median of the rest reported.
 *
 * Run by scripts/bench/run.ts in its own process per backend:
 *   npx tsx scripts/bench/workloads.ts --backend wasm [--steps 40] [--resnet-steps 10] [--only resnet8-cached,teacher-scratch,…] [--profile] [--profile-only cnn-live,…] [--sparse-max-density D]
 * Prints one JSON line (WorkloadReport) on stdout.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/engine/backend/select';
import { setConvGradMaxDensity } from '../../src/engine/backend/simd/convFilterGrad';
import { setSparseMaxDensity } from '../../src/engine/backend/simd/sparseMatMul';
import { winogradCachedTensors } from '../../src/engine/backend/simd/winograd';
import { buildDataset, type Dataset } from '../../src/engine/data/dataset';
import { loadSourceSync } from '../../src/engine/data/sources';
import { hintonLoss } from '../../src/engine/losses/logits';
import { logitsFn } from '../../src/engine/models/forward';
import { buildPreset } from '../../src/engine/models/presets';
import { layersModelToOnnx } from '../../src/engine/export/onnxExport';
import { loadOnnxTeacher } from '../../src/engine/models/onnxTeacher';
import { encodeOnnxModel } from '../../src/protocol/onnx/onnxModel';
import { teacherLogitsForSet } from '../../src/engine/run/teacherCache';
import { trainStage, type TeacherSource } from '../../src/engine/train/trainer';
import { ArchitectureSpec, DataSpec, TrainingSpec, type BackendName } from '../../src/protocol/config';
import type { EventInput } from '../../src/protocol/events';
import { measureScratch, type ScratchMeasurement } from './scratch';
import { threadsPerRun } from '../../src/protocol/threads';
// Where the speed work (and issue 20's notes) first found it.
export { SCRATCH_TEACHER } from './scratch';

export const BATCH = 128;
export const TEMPERATURE = 4;
export const ALPHA = 0.7;

export const WORKLOADS = {
  mlp: { teacher: { preset: 'mlp', hidden: [1200, 1200] }, student: { preset: 'mlp', hidden: [300, 300] } },
  cnn: { teacher: { preset: 'cnn', filters: [32, 64], kernelSize: 3, dense: [128] }, student: { preset: 'cnn', filters: [8, 16], kernelSize: 3, dense: [32] } },
  // The KD literature's CIFAR pair, on the digits padded to 32×32 and tiled to RGB (rgbDigits): measured with cached logits only.
  resnet8: { teacher: { preset: 'resnet', depth: 20, width: 16 }, student: { preset: 'resnet', depth: 8, width: 16 } },
} as const;
export type WorkloadName = keyof typeof WORKLOADS;

export type TeacherMode = 'live' | 'cached' | 'onnx-live';

/** Workloads on 32×32×3 inputs, and the teacher modes each is measured with. */
const RGB_WORKLOADS: readonly WorkloadName[] = ['resnet8'];
export const TEACHER_MODES: Record<WorkloadName, readonly TeacherMode[]> = {
  mlp: ['live', 'cached', 'onnx-live'],
  cnn: ['live', 'cached', 'onnx-live'],
  resnet8: ['cached'],
};

/** The digits as CIFAR-shaped images: 28×28 centred in 32×32 (zero border), the grey value in all three channels. */
export function rgbDigits(ds: Dataset): Dataset {
  const src = ds.train.set;
  const side = 32;
  const pad = (side - src.height) / 2;
  const images = new Uint8Array(src.count * side * side * 3);
  for (let n = 0; n < src.count; n++)
    for (let y = 0; y < src.height; y++)
      for (let x = 0; x < src.width; x++) {
        const v = src.images[(n * src.height + y) * src.width + x];
        const at = ((n * side + y + pad) * side + x + pad) * 3;
        images[at] = images[at + 1] = images[at + 2] = v;
      }
  const set = { ...src, images, height: side, width: side, channels: 3 };
  return { ...ds, shape: [side, side, 3], train: { ...ds.train, set }, val: { ...ds.val, set } };
}

const inputsFor = (workload: WorkloadName, ds: Dataset) => (RGB_WORKLOADS.includes(workload) ? rgbDigits(ds) : ds);

export interface Measurement {
  workload: WorkloadName;
  /** onnx-live: the same teacher exported to ONNX (our exporter) and run by ONNX Runtime, one thread, on every step. */
  teacher: TeacherMode;
  samplesPerSec: number;
  /** Every window's samples/s (the first, warm-up window excluded). */
  windows: number[];
  steps: number;
  /** Change of tf.memory().numTensors per step while training (between flushes, same pending depth). */
  leakedPerStep: number;
  /** Tensors left over after the whole stage (optimizer disposed, models kept). */
  leakedAfterStage: number;
}

export interface WorkloadReport {
  backend: string;
  measurements: Measurement[];
  /** Per-kernel ms per step, largest first (with --profile). */
  profiles?: Record<string, { kernel: string; ms: number; calls: number }[]>;
  peakRssMb: number;
  /** Computing the teacher-logits cache (teacherLogitsForSet) over the same samples: tfjs's forward against ONNX Runtime's (one thread). */
  cache?: { workload: WorkloadName; samples: number; tfjsSps: number; onnxSps: number }[];
  /** The teacher trained from scratch (SCRATCH_TEACHER, cross-entropy), samples/s of its trainStage. */
  scratch?: ScratchMeasurement;
  /** The same on every core (data-parallel gradient threads, as `distill run` trains it alone on a machine). */
  scratchThreads?: ScratchMeasurement & { threads: number };
}

/** The teacher as ONNX, run by ONNX Runtime on one thread (as the KD step's PyTorch runs), through the engine's ONNX teacher. */
function onnxTeacherOf(teacher: tf.LayersModel, shape: [number, number, number]): tf.LayersModel {
  const bytes = encodeOnnxModel(layersModelToOnnx(tf, teacher));
  return loadOnnxTeacher(tf, 'bench-teacher.onnx', { shape, taps: [], threads: 1, name: 'onnx_teacher' }, bytes);
}

/** Samples/s of the teacher-logits cache computation, tfjs teacher and the same teacher under ONNX Runtime. */
async function cacheSpeed(base: Dataset, workload: WorkloadName, samples: number) {
  const ds = datasetOf(base, samples);
  const teacher = buildPreset(tf, ArchitectureSpec.parse(WORKLOADS[workload].teacher), ds.shape, ds.numClasses, 1, 'teacher');
  const onnx = onnxTeacherOf(teacher, ds.shape);
  const time = async (m: tf.LayersModel) => {
    const forward = logitsFn(tf, m, false);
    await teacherLogitsForSet(tf, forward, datasetOf(ds, 256), undefined, undefined); // warm-up
    const t0 = performance.now();
    await teacherLogitsForSet(tf, forward, ds, undefined, undefined);
    return (ds.train.indices.length / (performance.now() - t0)) * 1000;
  };
  const tfjsSps = await time(teacher);
  const onnxSps = await time(onnx);
  teacher.dispose();
  onnx.dispose();
  return { workload, samples: ds.train.indices.length, tfjsSps, onnxSps };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * The first `samples` training digits as a set of their own (so that the cached teacher's
 * logits, computed over the whole set as a run does, cost only those samples), no validation.
 */
function datasetOf(base: Dataset, samples: number): Dataset {
  const src = base.train.set;
  const px = src.height * src.width * src.channels;
  const pick = base.train.indices.subarray(0, Math.min(samples, base.train.indices.length));
  const images = new Uint8Array(pick.length * px);
  const labels = new Uint8Array(pick.length);
  pick.forEach((j, i) => {
    images.set(src.images.subarray(j * px, (j + 1) * px), i * px);
    labels[i] = src.labels[j];
  });
  const set = { ...src, images, labels, count: pick.length };
  return { ...base, train: { set, indices: Uint32Array.from(pick, (_, i) => i) }, val: { set, indices: new Uint32Array(0) } };
}

async function measure(base: Dataset, workload: WorkloadName, teacherMode: TeacherMode, steps: number, readEvery: number): Promise<Measurement> {
  const spec = WORKLOADS[workload];
  const ds = inputsFor(workload, datasetOf(base, steps * BATCH));
  const built = buildPreset(tf, ArchitectureSpec.parse(spec.teacher), ds.shape, ds.numClasses, 1, 'teacher');
  const teacher = teacherMode === 'onnx-live' ? onnxTeacherOf(built, ds.shape) : built;
  if (teacher !== built) built.dispose();
  const student = buildPreset(tf, ArchitectureSpec.parse(spec.student), ds.shape, ds.numClasses, 2, 'student');
  const forward = logitsFn(tf, teacher, false);
  // The cached source is exactly what a run builds: the teacher's logits over the whole set.
  const source: TeacherSource =
    teacherMode !== 'cached'
      ? { kind: 'live', forward }
      : { kind: 'cached', logits: (await teacherLogitsForSet(tf, forward, ds, undefined, undefined)).logits };
  const windows: number[] = [];
  const atWindowStart: number[] = [];
  const before = tf.memory().numTensors - winogradCachedTensors();
  await trainStage(tf, {
    stage: 'distill',
    model: student,
    losses: hintonLoss(ALPHA, TEMPERATURE),
    teacher: source,
    training: TrainingSpec.parse({ epochs: 1, batchSize: BATCH }),
    ds,
    seed: 7,
    shift: 0,
    readEvery,
    emit: (e: EventInput) => {
      if (e.type === 'step') windows.push(e.samplesPerSec);
    },
    // Right after a flush exactly one step's row is pending: equal footing for every sample.
    onStep: (step) => {
      if (step % readEvery === 1 % readEvery) atWindowStart.push(tf.memory().numTensors);
    },
    shouldStop: () => false,
  });
  // The transformed filters Winograd keeps for a live teacher belong to the teacher, like its weights.
  const leakedAfterStage = tf.memory().numTensors - winogradCachedTensors() - before;
  teacher.dispose();
  student.dispose();
  const kept = windows.slice(1);
  const span = (atWindowStart.length - 2) * readEvery; // from the second sample (after warm-up) to the last
  const leakedPerStep = atWindowStart.length >= 3 ? (atWindowStart[atWindowStart.length - 1] - atWindowStart[1]) / span : NaN;
  return { workload, teacher: teacherMode, samplesPerSec: median(kept), windows: kept.map(Math.round), steps, leakedPerStep, leakedAfterStage };
}

/** Per-kernel wall ms of a few steps of trainStage (tf.profile), per step. */
async function profile(base: Dataset, workload: WorkloadName, teacherMode: 'live' | 'cached', steps: number) {
  const spec = WORKLOADS[workload];
  const ds = inputsFor(workload, datasetOf(base, (steps + 1) * BATCH));
  const teacher = buildPreset(tf, ArchitectureSpec.parse(spec.teacher), ds.shape, ds.numClasses, 1, 'teacher');
  const student = buildPreset(tf, ArchitectureSpec.parse(spec.student), ds.shape, ds.numClasses, 2, 'student');
  const forward = logitsFn(tf, teacher, false);
  const source: TeacherSource =
    teacherMode === 'live' ? { kind: 'live', forward } : { kind: 'cached', logits: (await teacherLogitsForSet(tf, forward, ds, undefined, undefined)).logits };
  const run = (n: number) =>
    trainStage(tf, {
      stage: 'distill',
      model: student,
      losses: hintonLoss(ALPHA, TEMPERATURE),
      teacher: source,
      training: TrainingSpec.parse({ epochs: 1, batchSize: BATCH }),
      ds: datasetOf(ds, n * BATCH),
      seed: 7,
      shift: 0,
      readEvery: n,
      emit: () => {},
      shouldStop: () => false,
    });
  await run(1); // warm-up: kernels compiled, slots created
  const info = await tf.profile(async () => {
    await run(steps);
    return [];
  });
  const totals = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = totals.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls++;
    totals.set(k.name, e);
  }
  teacher.dispose();
  student.dispose();
  return [...totals.entries()]
    .map(([kernel, { ms, calls }]) => ({ kernel, ms: +(ms / steps).toFixed(2), calls: Math.round(calls / steps) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10);
}

async function main(): Promise<void> {
  const backend = (arg('backend') ?? 'wasm') as BackendName;
  const steps = Number(arg('steps') ?? 40);
  const readEvery = Number(arg('read-every') ?? 5);
  const only = arg('only')?.split(',');
  await selectBackend(tf, backend);
  tf.enableProdMode();
  // --sparse-max-density 0 runs dense layers and filter gradients on XNNPACK alone, for A/B against the sparse kernels.
  if (arg('sparse-max-density') != null) {
    setSparseMaxDensity(Number(arg('sparse-max-density')));
    setConvGradMaxDensity(Number(arg('sparse-max-density')));
  }
  const source = loadSourceSync(DataSpec.parse({ source: 'mnist' }), process.cwd());
  const base = buildDataset(source, DataSpec.parse({ source: 'mnist', validationSplit: 0, testSplit: 0.1 }), 42);
  const measurements: Measurement[] = [];
  // A resnet8 step is ~100× an MLP step's work: fewer steps, read every 2 (the first window is still warm-up).
  const resnetSteps = Number(arg('resnet-steps') ?? Math.max(6, Math.round(steps / 4)));
  for (const workload of Object.keys(WORKLOADS) as WorkloadName[]) {
    // The ONNX teacher's rows on wasm only (the cpu backend's two steps say nothing of ONNX Runtime).
    for (const teacher of TEACHER_MODES[workload].filter((t) => t !== 'onnx-live' || backend === 'wasm')) {
      if (only && !only.includes(`${workload}-${teacher}`)) continue;
      const big = RGB_WORKLOADS.includes(workload);
      measurements.push(await measure(base, workload, teacher, big ? resnetSteps : steps, big ? 2 : readEvery));
      process.stderr.write(
        `  ${tf.getBackend()} ${workload} teacher ${teacher}: ${Math.round(measurements[measurements.length - 1].samplesPerSec)} samples/s\n`,
      );
    }
  }
  const report: WorkloadReport = { backend: tf.getBackend(), measurements, peakRssMb: 0 };
  // The teacher from scratch: `--only teacher-scratch` measures it alone (the command speed work iterates with).
  if (!only || only.includes('teacher-scratch')) {
    report.scratch = await measureScratch(datasetOf(base, steps * BATCH), steps, readEvery, BATCH);
    process.stderr.write(
      `  ${tf.getBackend()} teacher from scratch (conv32-conv64-dense256, cross-entropy): ${Math.round(report.scratch.samplesPerSec)} samples/s\n`,
    );
    const threads = threadsPerRun(1);
    if (threads > 1) {
      report.scratchThreads = { ...(await measureScratch(datasetOf(base, steps * BATCH), steps, readEvery, BATCH, threads)), threads };
      process.stderr.write(`  ${tf.getBackend()} teacher from scratch on ${threads} threads: ${Math.round(report.scratchThreads.samplesPerSec)} samples/s\n`);
    }
  }
  if (backend === 'wasm' && !only) report.cache = [await cacheSpeed(base, 'mlp', 4096), await cacheSpeed(base, 'cnn', 2048)];
  if (process.argv.includes('--profile')) {
    report.profiles = {};
    for (const w of arg('profile-only')?.split(',') ?? ['cnn-live', 'mlp-live', 'cnn-cached', 'resnet8-cached']) {
      const [workload, teacher] = w.split('-') as [WorkloadName, 'live' | 'cached'];
      report.profiles[w] = await profile(base, workload, teacher, 4);
    }
  }
  report.peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(report) + '\n');
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
