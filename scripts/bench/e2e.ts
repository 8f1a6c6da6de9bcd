/**
 * The end-to-end phase (issue 20): the seed's recipe as a user runs it, `distill run` against a
 * PyTorch script doing the same work on the same samples (scripts/bench/torch_e2e.py), each one
 * process on one thread, wall time of the whole process. The recipe: CNN teacher
 * conv32-conv64-dense256 trained from scratch for 4 epochs, MLP-32 student distilled for 8 epochs
 * (T = 4, α = 0.7), and the same student from scratch (the baseline Distillery always trains),
 * batch 128, Adam 1e-3. Data: Fashion-MNIST when Debian's `dataset-fashion-mnist` is installed
 * (gzipped IDX, read as it is), else the bundled digits tiled to 60 000. --quick: 1/2 epochs on a
 * 20 000-sample subset. Our time is also broken down by phase from the run's events.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDataset } from '../../src/engine/data/dataset';
import { encodeIdx } from '../../src/engine/data/idx';
import { loadSourceSync } from '../../src/engine/data/sources';
import { DataSpec } from '../../src/protocol/config';
import { ROOT, runProcess, torchEnv } from './common';
import { threadsPerRun } from '../../src/protocol/threads';
import { SCRATCH_TEACHER } from './scratch';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const CLI = path.join(ROOT, 'bin', 'distill.js');

export interface E2eResult {
  data: string;
  trainSamples: number;
  teacherEpochs: number;
  studentEpochs: number;
  seconds: number;
  /** Our wall time split by the run's events: setup (process, data, models), teacher, cache, distill, baseline, finish (evaluation, files). */
  phases: Record<string, number>;
  accuracies: { teacher: number; student: number; baseline: number };
  peakRssMb: number;
  /** Threads our run used (protocol/threads.ts: the machine's cores), and PyTorch's in `torch`. */
  threads: number;
  /** PyTorch's loop on as many threads as our run. */
  torch?: TorchE2e;
  /** PyTorch's loop on one thread (the seed's loop as the bench first ran it). */
  torch1?: TorchE2e;
  besides?: BaselineBeside | { error: string };
}

/**
 * What training the baseline in a second engine process beside the distilled student would buy (issue 20's
 * cheapest "both cores in one run" option), measured with the teacher already saved and its logits cached
 * (both reused from the e2e run): one `distill run` doing distill then baseline, against two `distill run`s
 * started together, one distilling (baseline off), one training the same student with α = 0 (the baseline's
 * work), each process's own start, data loading and evaluation included.
 */
interface TorchE2e {
  seconds: number;
  threads: number;
  phases: Record<string, number>;
  accuracies: { teacher: number; student: number; baseline: number };
}

export interface BaselineBeside {
  sequentialSeconds: number;
  parallelSeconds: number;
  /** The distilling process and the baseline's, alone in the parallel pair. */
  parallelEach: [number, number];
}

async function baselineBeside(dir: string, kd: Record<string, unknown>): Promise<BaselineBeside> {
  const write = (name: string, o: Record<string, unknown>) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, JSON.stringify({ ...kd, ...o }, null, 2));
    return f;
  };
  const run = async (file: string) => {
    const r = await runProcess(process.execPath, [CLI, 'run', file, '--json'], { cwd: dir });
    if (r.code !== 0) throw new Error(`${path.basename(file)}: distill run failed (${r.code}):\n${r.stderr.slice(-2000)}`);
    return r.seconds;
  };
  const sequentialSeconds = await run(write('kd-seq.json', {}));
  const distillOnly = write('kd-distill.json', { baseline: false });
  const baselineOnly = write('kd-base.json', { baseline: false, distillation: { temperature: 4, alpha: 0 } });
  const t0 = performance.now();
  const each = await Promise.all([run(distillOnly), run(baselineOnly)]);
  return {
    sequentialSeconds: +sequentialSeconds.toFixed(1),
    parallelSeconds: +((performance.now() - t0) / 1000).toFixed(1),
    parallelEach: [+each[0].toFixed(1), +each[1].toFixed(1)],
  };
}

/** The bundled digits tiled to 60 000, as IDX files in `dir` (the fallback when Fashion-MNIST is not installed). */
export function tiledDigits(dir: string, n = 60_000): { images: string; labels: string } {
  const digits = loadSourceSync(DataSpec.parse({ source: 'mnist' }), ROOT).train;
  const px = digits.height * digits.width;
  const images = new Uint8Array(n * px);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = i % digits.count;
    images.set(digits.images.subarray(j * px, (j + 1) * px), i * px);
    labels[i] = digits.labels[j];
  }
  fs.writeFileSync(path.join(dir, 'train-images.idx3-ubyte'), encodeIdx([n, digits.height, digits.width], images));
  fs.writeFileSync(path.join(dir, 'train-labels.idx1-ubyte'), encodeIdx([n], labels));
  return { images: path.join(dir, 'train-images.idx3-ubyte'), labels: path.join(dir, 'train-labels.idx1-ubyte') };
}

function dataSource(dir: string): { name: string; source: Record<string, unknown> } {
  const f = (name: string) => path.join(FASHION_DIR, name);
  if (fs.existsSync(f('train-images-idx3-ubyte.gz')))
    return {
      name: `Fashion-MNIST (${FASHION_DIR})`,
      source: {
        train: { images: f('train-images-idx3-ubyte.gz'), labels: f('train-labels-idx1-ubyte.gz') },
        test: { images: f('t10k-images-idx3-ubyte.gz'), labels: f('t10k-labels-idx1-ubyte.gz') },
      },
    };
  return { name: 'bundled digits tiled to 60 000', source: { train: tiledDigits(dir) } };
}

/** The same samples, split as the run splits them (buildDataset, same spec and seed), as raw files for PyTorch. */
function exportSplits(spec: DataSpec, seed: number, dir: string): number {
  const ds = buildDataset(loadSourceSync(spec, dir), spec, seed);
  const out = path.join(dir, 'torch');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'images.u8'), ds.train.set.images as Uint8Array);
  fs.writeFileSync(path.join(out, 'labels.u8'), ds.train.set.labels);
  fs.writeFileSync(path.join(out, 'test_images.u8'), ds.test.set.images as Uint8Array);
  fs.writeFileSync(path.join(out, 'test_labels.u8'), ds.test.set.labels);
  for (const [name, split] of [
    ['train', ds.train],
    ['val', ds.val],
    ['test', ds.test],
  ] as const)
    fs.writeFileSync(path.join(out, `${name}.u32`), Buffer.from(Uint32Array.from(split.indices).buffer));
  return ds.train.indices.length;
}

interface Ev {
  type: string;
  time: string;
  stage?: string;
  testAccuracy?: number;
  summary?: { models?: Record<string, { testAccuracy?: number }> };
}

/** Seconds between the run's events: where our wall time went. */
export function phasesOf(events: Ev[], wallSeconds: number, startMs: number): Record<string, number> {
  const at = (pred: (e: Ev) => boolean) => {
    const e = events.find(pred);
    return e ? Date.parse(e.time) : NaN;
  };
  const started = (s: string) => at((e) => e.type === 'stage_started' && e.stage === s);
  // The teacher's stage ends with stage_done; the student's and the baseline's with their last epoch event.
  const teacherDone = at((e) => e.type === 'stage_done' && e.stage === 'teacher');
  const lastEpoch = (s: string) => Math.max(...events.filter((e) => e.type === 'epoch' && e.stage === s).map((e) => Date.parse(e.time)));
  const logits = at((e) => e.type === 'teacher_logits');
  const end = at((e) => e.type === 'run_finished');
  const s = (a: number, b: number) => +((b - a) / 1000).toFixed(1);
  return {
    setup: s(startMs, started('teacher')),
    teacher: s(started('teacher'), teacherDone),
    cache: s(teacherDone, logits),
    distill: s(logits, lastEpoch('distill')),
    baseline: s(lastEpoch('distill'), lastEpoch('baseline')),
    finish: s(lastEpoch('baseline'), end),
    exit: s(end, startMs + wallSeconds * 1000),
  };
}

/** Reads the engine's peak RSS (VmHWM) every 100 ms from its run_started pid. */
export function rssWatcher() {
  let peakKb = 0;
  let timer: NodeJS.Timeout | undefined;
  return {
    onLine(line: string) {
      if (!line.includes('"run_started"')) return;
      const pid = (JSON.parse(line) as { pid: number }).pid;
      timer = setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (m) peakKb = Math.max(peakKb, Number(m[1]));
        } catch {
          /* the engine has exited: the last reading stands */
        }
      }, 100);
    },
    stop: () => {
      if (timer) clearInterval(timer);
      return peakKb / 1024;
    },
  };
}

export async function endToEnd(dir: string, o: { quick: boolean; torchPython?: string; log: (s: string) => void }): Promise<E2eResult> {
  const { name, source } = dataSource(dir);
  const [teacherEpochs, studentEpochs] = o.quick ? [1, 2] : [4, 8];
  const seed = 1;
  const data = { source, validationSplit: 0.1, testSplit: 0.2, ...(o.quick ? { limit: 20_000 } : {}) };
  const kd = {
    name: 'bench-e2e',
    seed,
    backend: 'wasm',
    data,
    teachers: [{ id: 'teacher', architecture: SCRATCH_TEACHER, training: { epochs: teacherEpochs, batchSize: 128 } }],
    student: { architecture: { preset: 'mlp', hidden: [32] } },
    distillation: { temperature: 4, alpha: 0.7 },
    training: { epochs: studentEpochs, batchSize: 128 },
    evaluation: { latencySamples: 10, logitsSamples: 0 },
  };
  const kdFile = path.join(dir, 'kd.json');
  fs.writeFileSync(kdFile, JSON.stringify(kd, null, 2));
  const trainSamples = exportSplits(DataSpec.parse(data), seed, dir);
  o.log(`e2e: distill run, ${name}, ${trainSamples} training samples, teacher ${teacherEpochs} epochs, student and baseline ${studentEpochs}…`);
  const rss = rssWatcher();
  const startMs = Date.now();
  const r = await runProcess(process.execPath, [CLI, 'run', kdFile, '--json'], { cwd: dir, onLine: rss.onLine });
  const peakRssMb = rss.stop();
  // With --json a config error is a line on stdout, not stderr.
  if (r.code !== 0) throw new Error(`e2e distill run failed (${r.code}):\n${r.stderr.slice(-2000)}${r.stdout.slice(-2000)}`);
  const runDir = fs.readdirSync(path.join(dir, '.distillery', 'runs')).map((d) => path.join(dir, '.distillery', 'runs', d))[0];
  const events = fs
    .readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);
  const testOf = (stage: string) => events.filter((e) => e.type === 'stage_done' && e.stage === stage).pop()?.testAccuracy ?? NaN;
  const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as Record<string, { testAccuracy?: number } | undefined>;
  const result: E2eResult = {
    data: name + (o.quick ? ', --quick: 20 000-sample subset, 1/2 epochs' : ''),
    trainSamples,
    teacherEpochs,
    studentEpochs,
    seconds: +r.seconds.toFixed(1),
    phases: phasesOf(events, r.seconds, startMs),
    accuracies: {
      teacher: summary.teacher?.testAccuracy ?? testOf('teacher'),
      student: summary.student?.testAccuracy ?? testOf('distill'),
      baseline: summary.baseline?.testAccuracy ?? testOf('baseline'),
    },
    peakRssMb: Math.round(peakRssMb),
    threads: threadsPerRun(1),
  };
  o.log('e2e: the baseline beside the student in a second process, against one process doing both (teacher and logits reused)…');
  // A measurement beside the main one: its failure is reported, not the bench's end.
  result.besides = await baselineBeside(dir, kd).catch((e: Error) => ({ error: e.message.slice(0, 500) }));
  if (o.torchPython) {
    const torchRun = async (threads: number): Promise<TorchE2e> => {
      o.log(`e2e: the same in PyTorch, ${threads} thread${threads > 1 ? 's' : ''}…`);
      const args = [path.join(__dirname, 'torch_e2e.py'), path.join(dir, 'torch'), String(teacherEpochs), String(studentEpochs), String(threads)];
      const t = await runProcess(o.torchPython!, args, { env: torchEnv() });
      if (t.code !== 0) throw new Error(`torch_e2e.py failed:\n${t.stderr.slice(-2000)}`);
      const out = JSON.parse(t.stdout.trim().split('\n').pop()!) as { phases: Record<string, number>; accuracies: E2eResult['accuracies'] };
      return { seconds: +t.seconds.toFixed(1), threads, phases: out.phases, accuracies: out.accuracies };
    };
    result.torch = await torchRun(result.threads);
    if (result.threads > 1) result.torch1 = await torchRun(1);
  }
  return result;
}

// Alone: npx tsx scripts/bench/e2e.ts [--quick] [--no-torch] (after npm run build); prints the E2eResult.
if (require.main === module) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-e2e-'));
  endToEnd(dir, {
    quick: process.argv.includes('--quick'),
    torchPython: process.argv.includes('--no-torch') ? undefined : '/usr/bin/python3',
    log: (s) => process.stderr.write(s + '\n'),
  })
    .then((r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'))
    .finally(() => fs.rmSync(dir, { recursive: true, force: true }))
    .catch((e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    });
}
