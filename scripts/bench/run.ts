/**
 * `npm run bench [-- --json] [-- --quick] [-- --no-torch] [-- --save FILE] [-- --torch-blas DIR|system]`: how fast Distillery trains, on this
 * machine, against PyTorch (one thread, on OpenBLAS where found: common.ts torchEnv) when it is importable. A benchmark, not a test: it prints figures and
 * the targets beside them, and exits 0 unless something failed to run.
 *
 *  1. samples/s of one KD step (teacher forward live or cached logits gathered, student
 *     forward/backward, Adam; batch 128) for the MLP (784-1200-1200-10 → 784-300-300-10) and the
 *     CNN (conv32-conv64-dense128 → conv8-conv16-dense32) workloads, and a CIFAR ResNet-8 student
 *     of a ResNet-20 teacher (cached logits) on the digits padded to 32×32×3, through trainStage
 *     (scripts/bench/workloads.ts), on wasm and, for a few steps, the pure-JS cpu backend;
 *     tensors leaked per step; the training process's peak RSS; a per-kernel profile on wasm.
 *  2. A whole temperature sweep (7 temperatures + its baseline, 1 epoch, 8 000 training digits,
 *     CNN pair, teacher pre-trained and saved before the clock starts, logits cached) through
 *     the real `distill sweep`, one engine worker per core (each runs trials one after another).
 *  3. Peak RSS of a real `distill run` on 60 000 28×28 images (the bundled digits tiled, as IDX).
 *  4. The seed's recipe end to end (scripts/bench/e2e.ts): `distill run` against torch_e2e.py, our
 *     time by phase, and the baseline beside the student in a second process against one doing both.
 *  5. PyTorch (scripts/bench/torch_bench.py, one thread) on the same workloads and sweep, and the
 *     sweep split over one process per core (torchParallel.ts).
 *  6. The ceiling: GFLOP/s of the teacher's kernels on its shapes, wasm against PyTorch (ceiling.ts).
 * Needs `npm run build` (dist/) for the CLI parts. Timings on a shared machine are noisy: the
 * step figures are medians of several windows, and the sweep is one wall-clock measurement.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDataset } from '../../src/engine/data/dataset';
import { loadSourceSync } from '../../src/engine/data/sources';
import { DataSpec } from '../../src/protocol/config';
import { ROOT, runProcess, SWEEP_ALPHA, SWEEP_DATA, SWEEP_SEED, SWEEP_TEMPERATURES, SWEEP_WORKLOAD, torchBlas, torchEnv, tsxArgs } from './common';
import { ceiling } from './ceiling';
import { endToEnd } from './e2e';
import { memory60k } from './memory';
import { printTable } from './table';
import { torchSweepParallel } from './torchParallel';
import { WORKLOADS, type WorkloadReport } from './workloads';

const JSON_OUT = process.argv.includes('--json');
const QUICK = process.argv.includes('--quick');
const NO_TORCH = process.argv.includes('--no-torch');
const log = (line: string) => process.stderr.write(line + '\n');
const CLI = path.join(ROOT, 'bin', 'distill.js');

/** What happened when we tried the threaded (multi-core) wasm build in Node; see README "Performance". */
const THREADED_WASM =
  "threaded wasm: initialises in Node, but cannot help here. tfjs-backend-wasm 4.22 starts its pthread workers from blob: URLs, which Node refuses; serving the worker script from a file (URL.createObjectURL polyfilled to write it) and its main script from wasm-out/tfjs-backend-wasm-threaded-simd.js (the blob's function source references the bundle's require$$0) gets the threaded SIMD build running. It still uses one thread: its pthreadpool is sized at logical cores / 2 (1 on this 2-vCPU machine), it reported 1 thread with setThreadsCount(2), and its matmul calls XNNPACK with no thread pool at all, so the MLP's matmuls could not go parallel anyway. Measured: CPU time equal to wall time, and no faster than the single-threaded build. Parallelism is one engine process per core (distill sweep), not threads.";

async function workloads(backend: 'wasm' | 'cpu'): Promise<WorkloadReport> {
  const args =
    backend === 'wasm'
      ? ['--backend', 'wasm', '--steps', QUICK ? '15' : '40', '--read-every', '5', '--profile']
      : // resnet8 on pure JS would take minutes a step.
        ['--backend', 'cpu', '--steps', '2', '--read-every', '1', '--only', 'mlp-live,mlp-cached,cnn-live,cnn-cached'];
  const r = await runProcess(process.execPath, tsxArgs('workloads.ts', args), { echoStderr: !JSON_OUT });
  if (r.code !== 0) throw new Error(`workloads on ${backend} failed:\n${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as WorkloadReport;
}

/** The bundled digits and the sweep's exact splits as raw files, for PyTorch. */
function exportDigits(dir: string): void {
  const spec = DataSpec.parse(SWEEP_DATA);
  const source = loadSourceSync(spec, ROOT);
  const ds = buildDataset(source, spec, SWEEP_SEED);
  fs.writeFileSync(path.join(dir, 'images.u8'), source.train.images);
  fs.writeFileSync(path.join(dir, 'labels.u8'), source.train.labels);
  for (const [name, split] of [
    ['train', ds.train],
    ['val', ds.val],
    ['test', ds.test],
  ] as const)
    fs.writeFileSync(path.join(dir, `${name}.u32`), Buffer.from(Uint32Array.from(split.indices).buffer));
  fs.writeFileSync(
    path.join(dir, 'sweep.json'),
    JSON.stringify({ temperatures: SWEEP_TEMPERATURES, alpha: SWEEP_ALPHA, epochs: 1, teacherEpochs: 1, workload: SWEEP_WORKLOAD }),
  );
}

interface SweepResult {
  seconds: number;
  trials: number;
  parallel: number;
  /** Seconds spent in training epochs (sum over trials), the rest being process start, data, teacher logits, evaluation. */
  trainSeconds: number;
  meanTrialSeconds: number;
  teacherCache: { hits: number; computed: number };
  best?: { temperature: number; valAccuracy: number };
}

async function sweep(dir: string): Promise<SweepResult> {
  const teacherDir = path.join(dir, 'teacher');
  log(`sweep: pre-training the ${SWEEP_WORKLOAD} teacher (1 epoch, not timed)…`);
  const t = await runProcess(process.execPath, tsxArgs('teacher.ts', ['--workload', SWEEP_WORKLOAD, '--out', teacherDir]));
  if (t.code !== 0) throw new Error(`teacher training failed:\n${t.stderr.slice(-2000)}`);
  const parallel = os.availableParallelism();
  const kd = {
    name: 'bench-sweep',
    seed: SWEEP_SEED,
    backend: 'wasm',
    data: SWEEP_DATA,
    teachers: [{ id: 'teacher', model: 'teacher/model.json' }],
    student: { architecture: WORKLOADS[SWEEP_WORKLOAD].student },
    distillation: { alpha: SWEEP_ALPHA },
    training: { epochs: 1, batchSize: 128 },
    evaluation: { latencySamples: 10, logitsSamples: 0 },
    sweep: { params: { 'distillation.temperature': SWEEP_TEMPERATURES }, parallel },
  };
  const kdFile = path.join(dir, 'kd.json');
  fs.writeFileSync(kdFile, JSON.stringify(kd, null, 2));
  log(`sweep: ${SWEEP_TEMPERATURES.length} temperatures + baseline, ${parallel} engine workers at once…`);
  const r = await runProcess(process.execPath, [CLI, 'sweep', kdFile, '--json']);
  if (r.code !== 0) throw new Error(`distill sweep failed (${r.code}):\n${r.stderr.slice(-2000)}`);
  const s = JSON.parse(r.stdout) as {
    trials: { kind: string; params: Record<string, number>; runDir: string; durationSec?: number; valAccuracy?: number }[];
    teacherCache: { hits: number; computed: number };
    durationSec: number;
  };
  const sweepDir = path.join(dir, '.distillery', 'sweeps', fs.readdirSync(path.join(dir, '.distillery', 'sweeps'))[0]);
  let trainSeconds = 0;
  for (const trial of s.trials) {
    const events = path.join(sweepDir, trial.runDir, 'events.jsonl');
    if (!fs.existsSync(events)) continue;
    for (const line of fs.readFileSync(events, 'utf8').split('\n')) {
      if (!line.includes('"epoch"')) continue;
      const e = JSON.parse(line) as { type: string; seconds?: number };
      if (e.type === 'epoch') trainSeconds += e.seconds ?? 0;
    }
  }
  const distilled = s.trials.filter((x) => x.kind === 'distill' && x.valAccuracy !== undefined);
  const best = distilled.sort((a, b) => b.valAccuracy! - a.valAccuracy!)[0];
  return {
    seconds: r.seconds,
    trials: s.trials.length,
    parallel,
    trainSeconds,
    meanTrialSeconds: s.trials.reduce((n, x) => n + (x.durationSec ?? 0), 0) / s.trials.length,
    teacherCache: s.teacherCache,
    best: best && { temperature: best.params['distillation.temperature'], valAccuracy: best.valAccuracy! },
  };
}

async function findTorchPython(): Promise<string | undefined> {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      const r = await runProcess(py, ['-c', 'import torch']);
      if (r.code === 0) return py;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

type Torch = Record<string, number> & { torch?: string };

async function torchBench(dir: string, py: string | undefined): Promise<Torch | undefined> {
  if (!py) return undefined;
  log(`PyTorch: ${py}, one thread…`);
  const r = await runProcess(py, [path.join(__dirname, 'torch_bench.py'), dir, '--steps', QUICK ? '10' : '30'], {
    env: torchEnv(),
  });
  if (r.code !== 0) throw new Error(`torch_bench.py failed:\n${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Torch;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'engine.js')) || !fs.existsSync(path.join(ROOT, 'dist', 'cli.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-bench-'));
  const t0 = performance.now();
  try {
    const dirs = { data: path.join(tmp, 'data'), sweep: path.join(tmp, 'sweep'), mem: path.join(tmp, 'mem'), e2e: path.join(tmp, 'e2e') };
    Object.values(dirs).forEach((d) => fs.mkdirSync(d));
    exportDigits(dirs.data);
    const phases: Record<string, number> = {};
    const phase = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      try {
        return await f();
      } finally {
        phases[name] = Math.round((performance.now() - start) / 1000);
      }
    };
    log(`wasm: ${QUICK ? 15 : 40} steps per workload through trainStage…`);
    const wasm = await phase('wasm', () => workloads('wasm'));
    log('cpu (pure JS): 2 steps per workload (the first is warm-up)…');
    const cpu = await phase('cpu', () => workloads('cpu'));
    const sw = await phase('sweep', () => sweep(dirs.sweep));
    const mem = await phase('memory_60k', () => memory60k(dirs.mem, { log }));
    const py = NO_TORCH ? undefined : await findTorchPython();
    if (!NO_TORCH && !py) log('PyTorch: not importable (python3 -c "import torch"); skipping the comparison');
    const e2e = await phase('e2e', () => endToEnd(dirs.e2e, { quick: QUICK, torchPython: py, log }));
    const torch = await phase('torch', () => torchBench(dirs.data, py));
    // After the main PyTorch run, which saved the sweep's teacher: the same sweep split over one process per core.
    if (py) log(`PyTorch: the sweep split over ${os.availableParallelism()} processes, one thread each…`);
    const torch2 = py && (await phase('torch_sweep_parallel', () => torchSweepParallel(py, dirs.data, os.availableParallelism())));
    log("ceiling: GFLOP/s of the teacher's kernels on its shapes, wasm and PyTorch…");
    const gflops = await phase('ceiling', () => ceiling(py).catch((e: Error) => ({ error: { wasm: NaN, message: e.message.slice(0, 500) } })));

    const sps = (rep: WorkloadReport, w: string, t: string) => rep.measurements.find((m) => m.workload === w && m.teacher === t)?.samplesPerSec ?? NaN;
    // In-loop growth where enough windows ran (wasm), and what each whole stage left behind (both backends).
    const leaked = Math.max(
      ...[...wasm.measurements, ...cpu.measurements].flatMap((m) => [m.leakedPerStep, m.leakedAfterStage / m.steps].filter(Number.isFinite).map(Math.abs)),
      ...[wasm.scratch?.leakedPerStep ?? NaN, wasm.scratchThreads?.leakedPerStep ?? NaN].filter(Number.isFinite).map(Math.abs),
    );
    const out: Record<string, unknown> = {
      backend: wasm.backend,
      cnn_live_sps: Math.round(sps(wasm, 'cnn', 'live')),
      cnn_cached_sps: Math.round(sps(wasm, 'cnn', 'cached')),
      mlp_live_sps: Math.round(sps(wasm, 'mlp', 'live')),
      mlp_cached_sps: Math.round(sps(wasm, 'mlp', 'cached')),
      resnet8_cached_sps: Math.round(sps(wasm, 'resnet8', 'cached')),
      teacher_scratch_sps: Math.round(wasm.scratch?.samplesPerSec ?? NaN),
      teacher_scratch_mt_sps: Math.round(wasm.scratchThreads?.samplesPerSec ?? NaN),
      teacher_scratch_threads: wasm.scratchThreads?.threads ?? 1,
      mlp_onnx_live_sps: Math.round(sps(wasm, 'mlp', 'onnx-live')),
      cnn_onnx_live_sps: Math.round(sps(wasm, 'cnn', 'onnx-live')),
      teacher_cache_sps: Object.fromEntries(
        (wasm.cache ?? []).flatMap((c) => [
          [`${c.workload}_tfjs`, Math.round(c.tfjsSps)],
          [`${c.workload}_onnx`, Math.round(c.onnxSps)],
        ]),
      ),
      cpu: Object.fromEntries(cpu.measurements.map((m) => [`${m.workload}_${m.teacher}_sps`, Math.round(m.samplesPerSec)])),
      sweep_seconds: +sw.seconds.toFixed(1),
      sweep_trials: sw.trials,
      sweep_parallel: sw.parallel,
      sweep_train_seconds: +sw.trainSeconds.toFixed(1),
      sweep_mean_trial_seconds: +sw.meanTrialSeconds.toFixed(1),
      sweep_best: sw.best,
      sweep_teacher_cache: sw.teacherCache,
      leaked_tensors_per_step: leaked,
      peak_rss_mb: Math.round(Math.max(wasm.peakRssMb, cpu.peakRssMb)),
      peak_rss_60k_mb: Math.round(mem.peakRssMb),
      e2e_seconds: e2e.seconds,
      gflops,
      e2e,
      profile_ms_per_step: wasm.profiles,
      threaded_wasm: THREADED_WASM,
      cores: os.availableParallelism(),
      bench_seconds: 0,
      phase_seconds: phases,
    };
    if (torch) {
      for (const k of [
        'cnn_live_sps',
        'cnn_cached_sps',
        'mlp_live_sps',
        'mlp_cached_sps',
        'resnet8_cached_sps',
        'teacher_scratch_sps',
        'teacher_scratch_mt_sps',
      ] as const) {
        out[`torch_${k}`] = Math.round(torch[k]);
        out[`ratio_${k}`] = +((out[k] as number) / torch[k]).toFixed(2);
      }
      for (const w of ['mlp', 'cnn']) {
        const cache = out.teacher_cache_sps as Record<string, number>;
        if (torch[`${w}_forward_sps`]) cache[`${w}_torch`] = Math.round(torch[`${w}_forward_sps`]);
        // The ONNX teacher's KD step against PyTorch's live-teacher step.
        out[`ratio_${w}_onnx_live_sps`] = +((out[`${w}_onnx_live_sps`] as number) / torch[`${w}_live_sps`]).toFixed(2);
      }
      out.torch_sweep_seconds = +torch.sweep_seconds.toFixed(1);
      out.ratio_sweep_seconds = +(sw.seconds / torch.sweep_seconds).toFixed(2);
      out.torch_version = torch.torch;
      out.torch_blas = torchBlas();
      if (e2e.torch) {
        // Against PyTorch given the run's threads (the headline), and against its one-thread loop (the earlier figure).
        out.e2e_threads = e2e.threads;
        out.torch_e2e_seconds = e2e.torch.seconds;
        out.ratio_e2e_seconds = +(e2e.seconds / e2e.torch.seconds).toFixed(2);
        if (e2e.torch1) {
          out.torch_e2e_1t_seconds = e2e.torch1.seconds;
          out.ratio_e2e_1t_seconds = +(e2e.seconds / e2e.torch1.seconds).toFixed(2);
        }
      }
      if (torch2) {
        out.torch_sweep_parallel_seconds = +torch2.seconds.toFixed(1);
        out.torch_sweep_parallel_processes = torch2.processes;
        out.ratio_sweep_parallel_seconds = +(sw.seconds / torch2.seconds).toFixed(2);
      }
      out.torch_sweep_trials = (torch as unknown as { sweep_trials: unknown }).sweep_trials;
    }
    out.bench_seconds = Math.round((performance.now() - t0) / 1000);
    const saveTo = process.argv.indexOf('--save');
    if (saveTo > 0) fs.writeFileSync(process.argv[saveTo + 1], JSON.stringify(out, null, 2) + '\n');
    if (JSON_OUT) process.stdout.write(JSON.stringify(out) + '\n');
    else printTable(out, wasm);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
