/** The memory phase: peak RSS of a real `distill run` on 60 000 images (issue 20: ≤ 800 MB). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, runProcess } from './common';
import { rssWatcher, tiledDigits } from './e2e';

const CLI = path.join(ROOT, 'bin', 'distill.js');

/** Peak RSS (VmHWM) of the engine of a real `distill run` on 60 000 images. */
export async function memory60k(dir: string, o: { log: (s: string) => void }): Promise<{ peakRssMb: number; seconds: number }> {
  tiledDigits(dir);
  const kdFile = path.join(dir, 'kd.json');
  fs.writeFileSync(
    kdFile,
    JSON.stringify({
      name: 'bench-60k',
      backend: 'wasm',
      data: { source: { train: { images: 'train-images.idx3-ubyte', labels: 'train-labels.idx1-ubyte' } }, validationSplit: 0.05, testSplit: 0.05 },
      teachers: [{ id: 'teacher', architecture: { preset: 'mlp', hidden: [128] }, training: { epochs: 1, batchSize: 256 } }],
      student: { architecture: { preset: 'mlp', hidden: [32] } },
      training: { epochs: 1, batchSize: 256 },
      baseline: false,
      evaluation: { latencySamples: 10, logitsSamples: 0 },
    }),
  );
  o.log('memory: distill run on 60 000 images (1 epoch, small MLPs)…');
  const rss = rssWatcher();
  const r = await runProcess(process.execPath, [CLI, 'run', kdFile, '--json'], { onLine: rss.onLine });
  const peakRssMb = rss.stop();
  if (r.code !== 0) throw new Error(`distill run on 60k images failed (${r.code}):\n${r.stderr.slice(-2000)}`);
  if (!peakRssMb) throw new Error("never read the engine's VmHWM (no run_started event with a pid?)");
  return { peakRssMb, seconds: r.seconds };
}
