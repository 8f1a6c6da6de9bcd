/** The bench's human-readable table (scripts/bench/run.ts prints it unless --json). */
import { SWEEP_TEMPERATURES } from './common';
import type { E2eResult } from './e2e';
import type { WorkloadReport } from './workloads';

// Issue 20's targets, as ratios to PyTorch measured in the same run (samples/s: ≥; seconds: ≤).
const TARGETS = { cnn_live_sps: 1, cnn_cached_sps: 1, mlp_live_sps: 1, mlp_cached_sps: 1, teacher_scratch_sps: 1 };
const verdict = (ratio: number | undefined, target: number, atMost: boolean) =>
  ratio === undefined || !Number.isFinite(ratio) ? '' : (atMost ? ratio <= target : ratio >= target) ? 'met' : 'MISSED';

const fmt = (v: number | undefined, digits = 0) =>
  v === undefined || !Number.isFinite(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function printTable(o: Record<string, unknown>, wasm: WorkloadReport): void {
  const n = (k: string) => o[k] as number | undefined;
  const cpu = o.cpu as Record<string, number>;
  const p = (s: string) => process.stdout.write(s + '\n');
  p(`\nDistillery bench — backend ${o.backend}, ${o.cores} cores (shared machines make these noisy: step figures are medians of windows)`);
  if (o.torch_blas)
    p(`PyTorch ${o.torch_version}, one thread, BLAS: ${o.torch_blas === 'system' ? "the system's libblas.so.3" : `OpenBLAS from ${o.torch_blas}`}`);
  p('\nKD step, batch 128 (samples/s)   wasm      cpu   PyTorch(1 thr)  wasm/PyTorch  target');
  for (const w of ['mlp', 'cnn', 'resnet8']) {
    for (const t of w === 'resnet8' ? ['cached'] : ['live', 'cached']) {
      const k = `${w}_${t}_sps`;
      const target = (TARGETS as Record<string, number>)[k];
      p(
        `  ${(w === 'resnet8' ? `ResNet-8 32×32×3, ResNet-20 ${t}` : `${w.toUpperCase()} teacher ${t}`).padEnd(30)} ${fmt(n(k)).padStart(6)} ${fmt(cpu[k]).padStart(8)} ${fmt(n(`torch_${k}`)).padStart(15)} ${fmt(n(`ratio_${k}`), 2).padStart(13)}  ${target ? `≥ ${target}× ${verdict(n(`ratio_${k}`), target, false)}` : ''}`,
      );
    }
  }
  p(
    `  ${'CNN teacher from scratch (CE)'.padEnd(30)} ${fmt(n('teacher_scratch_sps')).padStart(6)} ${'—'.padStart(8)} ${fmt(n('torch_teacher_scratch_sps')).padStart(15)} ${fmt(n('ratio_teacher_scratch_sps'), 2).padStart(13)}  ≥ 1× ${verdict(n('ratio_teacher_scratch_sps'), 1, false)}`,
  );
  if (n('teacher_scratch_mt_sps') !== undefined && Number.isFinite(n('teacher_scratch_mt_sps')))
    p(
      `  ${`  same, ${o.teacher_scratch_threads} threads (PyTorch too)`.padEnd(30)} ${fmt(n('teacher_scratch_mt_sps')).padStart(6)} ${'—'.padStart(8)} ${fmt(n('torch_teacher_scratch_mt_sps')).padStart(15)} ${fmt(n('ratio_teacher_scratch_mt_sps'), 2).padStart(13)}  ≥ 1× ${verdict(n('ratio_teacher_scratch_mt_sps'), 1, false)}`,
    );
  for (const w of ['mlp', 'cnn']) {
    const k = `${w}_onnx_live_sps`;
    p(
      `  ${`${w.toUpperCase()} teacher ONNX (ORT) live`.padEnd(30)} ${fmt(n(k)).padStart(6)} ${'—'.padStart(8)} ${fmt(n(`torch_${w}_live_sps`)).padStart(15)} ${fmt(n(`ratio_${k}`), 2).padStart(13)}`,
    );
  }
  const cache = (o.teacher_cache_sps ?? {}) as Record<string, number>;
  p('\nteacher forward for the logits cache (samples/s)   tfjs wasm   ONNX Runtime (1 thr)   PyTorch (1 thr)   ORT/PyTorch');
  for (const w of ['mlp', 'cnn'])
    p(
      `  ${`${w.toUpperCase()} teacher`.padEnd(48)} ${fmt(cache[`${w}_tfjs`]).padStart(9)} ${fmt(cache[`${w}_onnx`]).padStart(22)} ${fmt(cache[`${w}_torch`]).padStart(17)} ${fmt(cache[`${w}_torch`] ? cache[`${w}_onnx`] / cache[`${w}_torch`] : undefined, 2).padStart(13)}`,
    );
  p(`\nsweep: ${o.sweep_trials} trials (${SWEEP_TEMPERATURES.length} temperatures + baseline, CNN, 1 epoch on 8 000 digits), ${o.sweep_parallel} at once`);
  p(
    `  distill sweep ${fmt(n('sweep_seconds'), 1)} s (of which training epochs ${fmt(n('sweep_train_seconds'), 1)} s summed over trials; mean trial ${fmt(n('sweep_mean_trial_seconds'), 1)} s)`,
  );
  if (n('torch_sweep_seconds') !== undefined)
    p(`  PyTorch, sequential in one process: ${fmt(n('torch_sweep_seconds'), 1)} s → ours/PyTorch ${fmt(n('ratio_sweep_seconds'), 2)}×`);
  if (n('torch_sweep_parallel_seconds') !== undefined)
    p(
      `  PyTorch split over ${o.torch_sweep_parallel_processes} processes (1 thread each): ${fmt(n('torch_sweep_parallel_seconds'), 1)} s → ours/PyTorch ${fmt(n('ratio_sweep_parallel_seconds'), 2)}× (target ≤ 0.7: ${verdict(n('ratio_sweep_parallel_seconds'), 0.7, true)})`,
    );
  const e2e = o.e2e as E2eResult;
  p(`
end to end, the seed's recipe (${e2e.data}; ${e2e.trainSamples} training samples; teacher ${e2e.teacherEpochs} epochs, student and baseline ${e2e.studentEpochs})`);
  const ph = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${fmt(v, 1)}`)
      .join(', ');
  const acc = (a: E2eResult['accuracies']) =>
    `teacher ${fmt(a.teacher * 100, 1)} %, student ${fmt(a.student * 100, 1)} %, baseline ${fmt(a.baseline * 100, 1)} %`;
  p(
    `  distill run (${e2e.threads} threads) ${fmt(e2e.seconds, 1)} s (${ph(e2e.phases)}); test accuracy ${acc(e2e.accuracies)}; engine peak RSS ${e2e.peakRssMb} MB`,
  );
  if (e2e.torch) {
    const threads = (t: number) => `${t} thread${t > 1 ? 's' : ''}`;
    p(
      `  PyTorch (guide's loop, teacher live in KD, ${threads(e2e.torch.threads)}) ${fmt(e2e.torch.seconds, 1)} s (${ph(e2e.torch.phases)}); test accuracy ${acc(e2e.torch.accuracies)}`,
    );
    p(`  ours/PyTorch ${fmt(n('ratio_e2e_seconds'), 2)}× (target ≤ 0.7: ${verdict(n('ratio_e2e_seconds'), 0.7, true)})`);
    if (e2e.torch1) p(`  PyTorch on 1 thread ${fmt(e2e.torch1.seconds, 1)} s (${ph(e2e.torch1.phases)}) → ours/PyTorch ${fmt(n('ratio_e2e_1t_seconds'), 2)}×`);
  }
  const b = e2e.besides;
  if (b && 'error' in b) p(`  baseline beside the student: failed to measure (${b.error})`);
  else if (b)
    p(
      `  baseline beside the student in a 2nd engine process (teacher and logits reused): ${fmt(b.parallelSeconds, 1)} s (distill ${fmt(b.parallelEach[0], 1)} s ∥ baseline ${fmt(b.parallelEach[1], 1)} s) against ${fmt(b.sequentialSeconds, 1)} s in one process → saves ${fmt(b.sequentialSeconds - b.parallelSeconds, 1)} s of the run's ${fmt(e2e.seconds, 1)} s`,
    );
  const g = (o.gflops ?? {}) as Record<string, { wasm: number; torch?: number }>;
  p("\nceiling: GFLOP/s on the teacher's shapes, batch 128, one thread        wasm (XNNPACK)   PyTorch   wasm/PyTorch");
  for (const [name, v] of Object.entries(g))
    p(`  ${name.padEnd(66)} ${fmt(v.wasm, 1).padStart(9)} ${fmt(v.torch, 1).padStart(9)} ${fmt(v.torch ? v.wasm / v.torch : undefined, 2).padStart(14)}`);
  p(
    `\ntensors leaked per step: ${o.leaked_tensors_per_step}    peak RSS of the training process: ${o.peak_rss_mb} MB    60 000-image run: ${o.peak_rss_60k_mb} MB (target < 800)`,
  );
  p(`${o.threaded_wasm}`);
  for (const [name, rows] of Object.entries(wasm.profiles ?? {})) {
    p(`\nwasm profile, ${name} (ms per step; "__op" rows wrap the kernels below them):`);
    for (const r of rows) p(`  ${r.kernel.padEnd(26)} ${r.ms.toFixed(2).padStart(7)}  ×${r.calls}`);
  }
  p(
    `\nbench took ${o.bench_seconds} s (${Object.entries(o.phase_seconds as Record<string, number>)
      .map(([k, v]) => `${k} ${v} s`)
      .join(', ')})`,
  );
}
