/**
 * Wall time of the same 4-trial sweep (2×2: T × α, plus its baseline) run one trial at a
 * time and with --parallel 2. A warm-up sweep trains the teacher and fills the logits cache
 * first, so both timed sweeps do identical work. Needs `npm run build` (dist/engine.js).
 *
 *   npx tsx scripts/bench-sweep.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Sweep } from '../src/sweep/runSweep';

const enginePath = path.resolve(__dirname, '../dist/engine.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-bench-sweep-'));
const file = path.join(dir, 'kd.json');
fs.writeFileSync(
  file,
  JSON.stringify({
    backend: 'wasm',
    seed: 3,
    data: { source: 'mnist', limit: 2000 },
    teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [256] }, training: { epochs: 2, batchSize: 64 } }],
    student: { architecture: { preset: 'mlp', hidden: [32] } },
    training: { epochs: 2, batchSize: 64 },
    evaluation: { latencySamples: 20 },
    sweep: { params: { 'distillation.temperature': [2, 8], 'distillation.alpha': [0.5, 0.9] } },
  }),
);

async function timed(parallel: number): Promise<number> {
  const t0 = performance.now();
  const out = await new Sweep({ configPath: file, enginePath, parallel }).run();
  if (!out.ok || out.sweep.status !== 'done') throw new Error(`sweep failed: ${JSON.stringify(out.ok ? out.sweep.trials.map((t) => t.error) : out.issues)}`);
  return (performance.now() - t0) / 1000;
}

async function main() {
  console.log(`${os.availableParallelism()} cores; warm-up sweep (trains the teacher, fills the cache)…`);
  await timed(2);
  const serial = await timed(1);
  const parallel = await timed(2);
  console.log(`4 trials + baseline, one at a time: ${serial.toFixed(1)} s`);
  console.log(`4 trials + baseline, --parallel 2:  ${parallel.toFixed(1)} s  (${(serial / parallel).toFixed(2)}× faster)`);
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
