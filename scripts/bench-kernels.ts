/**
 * Training-step throughput of the wasm backend with and without Distillery's
 * training kernels (src/engine/backend/wasmGradients.ts), and of the cpu
 * backend for the CNN.
 *
 *   npx tsx scripts/bench-kernels.ts [--steps 20] [--profile]
 *
 * One step = teacher forward (live, or its logits cached beforehand) +
 * student forward/backward on a Hinton KD loss + an Adam update, batch 128,
 * models built with tf.layers. Reports the median step as samples/s, both
 * per second of this process's CPU time (wasm runs on one thread, so this is
 * the speed on a free core, robust to other processes on a shared machine) and
 * per wall-clock second.
 * --profile also prints where a step's time goes, per kernel (wall time; the
 * kernels inside Distillery's composite kernels are listed too, so times nest:
 * e.g. MaxPoolGrad's total includes its Transpose and BatchMatMul calls).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installWasmTrainingKernels } from '../src/engine/backend/wasmGradients';

const BATCH = 128;
const TEMPERATURE = 4;
const ALPHA = 0.9;

const args = process.argv.slice(2);
const STEPS = Number(args[args.indexOf('--steps') + 1]) || 20;
const PROFILE = args.includes('--profile');

type Kind = 'mlp' | 'cnn';

function mlp(hidden: number[]): tf.LayersModel {
  const m = tf.sequential();
  hidden.forEach((units, i) => m.add(tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [784] } : {}) })));
  m.add(tf.layers.dense({ units: 10 }));
  return m;
}

function cnn(f1: number, f2: number, dense: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: f1, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: f2, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: dense, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

function kdLoss(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const soft = tf.softmax(tf.div(teacherLogits, TEMPERATURE));
  const logQ = tf.logSoftmax(tf.div(studentLogits, TEMPERATURE));
  const distill = tf.mul(tf.neg(tf.mean(tf.sum(tf.mul(soft, logQ), -1))), TEMPERATURE * TEMPERATURE);
  const hard = tf.losses.softmaxCrossEntropy(labels, studentLogits);
  return tf.add(tf.mul(distill, ALPHA), tf.mul(hard, 1 - ALPHA)) as tf.Scalar;
}

interface Result {
  /** From the median step's process CPU time: what one free core gives. */
  samplesPerCpuSecond: number;
  /** From the median step's wall time: lower when other processes share the cores. */
  samplesPerWallSecond: number;
  profile?: string;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

async function benchmark(kind: Kind, cachedTeacher: boolean, steps: number): Promise<Result> {
  const teacher = kind === 'mlp' ? mlp([1200, 1200]) : cnn(32, 64, 128);
  const student = kind === 'mlp' ? mlp([300, 300]) : cnn(8, 16, 32);
  const shape = kind === 'mlp' ? [BATCH, 784] : [BATCH, 28, 28, 1];
  const x = tf.randomUniform(shape);
  const labels = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32') as tf.Tensor1D, 10);
  const cached = cachedTeacher ? (teacher.predict(x, { batchSize: BATCH }) as tf.Tensor) : undefined;
  const optimizer = tf.train.adam(1e-3);
  const step = () => {
    const teacherLogits = cached ?? tf.tidy(() => teacher.predict(x, { batchSize: BATCH }) as tf.Tensor);
    const loss = optimizer.minimize(() => kdLoss(student.apply(x, { training: true }) as tf.Tensor, teacherLogits, labels), true) as tf.Scalar;
    loss.dataSync();
    loss.dispose();
    if (!cached) teacherLogits.dispose();
  };
  try {
    for (let i = 0; i < 3; i++) step();
    const wallMs: number[] = [];
    const cpuMs: number[] = [];
    for (let i = 0; i < steps; i++) {
      const wall0 = performance.now();
      const cpu0 = process.cpuUsage();
      step();
      const cpu = process.cpuUsage(cpu0);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      wallMs.push(performance.now() - wall0);
    }
    const result: Result = { samplesPerCpuSecond: BATCH / (median(cpuMs) / 1000), samplesPerWallSecond: BATCH / (median(wallMs) / 1000) };
    if (PROFILE) result.profile = await profileStep(step);
    return result;
  } finally {
    tf.dispose([x, labels, ...(cached ? [cached] : [])]);
    teacher.dispose();
    student.dispose();
    optimizer.dispose();
  }
}

/** Per-kernel milliseconds of a step (median over 5 profiled steps), largest first. */
async function profileStep(step: () => void): Promise<string> {
  const perStep: Map<string, { ms: number; calls: number }>[] = [];
  for (let run = 0; run < 5; run++) {
    const info = await tf.profile(step);
    const totals = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const entry = totals.get(k.name) ?? { ms: 0, calls: 0 };
      entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      entry.calls += 1;
      totals.set(k.name, entry);
    }
    perStep.push(totals);
  }
  return [...perStep[0].entries()]
    .map(([name, { calls }]) => ({ name, calls, ms: median(perStep.map((t) => t.get(name)?.ms ?? 0)) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 14)
    .map(({ name, ms, calls }) => `      ${name.padEnd(38)} ${ms.toFixed(2).padStart(8)} ms  (${calls} calls)`)
    .join('\n');
}

async function report(label: string, kind: Kind, cachedTeacher: boolean, steps: number): Promise<void> {
  try {
    const r = await benchmark(kind, cachedTeacher, steps);
    const fmt = (v: number) => Math.round(v).toString().padStart(7);
    console.log(`${label.padEnd(40)} ${fmt(r.samplesPerCpuSecond)} samples/cpu-s ${fmt(r.samplesPerWallSecond)} samples/wall-s`);
    if (r.profile) console.log(r.profile);
  } catch (e) {
    console.log(`${label.padEnd(40)}  fails: ${(e as Error).message.split('\n')[0]}`);
  }
}

async function main(): Promise<void> {
  setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(`tfjs ${tf.version.tfjs}, batch ${BATCH}, median of ${STEPS} steps`);

  // Before installing: tfjs's own wasm kernels.
  await report('wasm, stock      MLP teacher live', 'mlp', false, STEPS);
  await report('wasm, stock      MLP teacher cached', 'mlp', true, STEPS);
  await report('wasm, stock      CNN teacher live', 'cnn', false, STEPS);

  installWasmTrainingKernels(tf);
  await report('wasm, installed  MLP teacher live', 'mlp', false, STEPS);
  await report('wasm, installed  MLP teacher cached', 'mlp', true, STEPS);
  await report('wasm, installed  CNN teacher live', 'cnn', false, STEPS);
  await report('wasm, installed  CNN teacher cached', 'cnn', true, STEPS);

  await tf.setBackend('cpu');
  await report('cpu              CNN teacher live', 'cnn', false, 3);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
