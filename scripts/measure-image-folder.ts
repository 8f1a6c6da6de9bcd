// Measures what the README states about image folders: 50 000 32×32 RGB PNGs (written once
// with sharp into DIR, default /tmp/distillery-50k) decoded and cached, and the cached reload,
// in seconds; then writes DIR/kd.json for a run on them, whose peak RSS is measured with
//   /usr/bin/time -v node dist/engine.js --config DIR/kd.json --run-dir DIR/run-N
// Run under the shared lock: flock /work/locks/heavy.lock npx tsx scripts/measure-image-folder.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSource } from '../src/engine/data/sources';
import { DataSpec } from '../src/protocol/config';

const dir = process.argv[2] ?? '/tmp/distillery-50k';
const COUNT = 50_000;
const CLASSES = 10;

async function writePngs(): Promise<void> {
  const sharp = (await import('sharp')).default;
  const marker = path.join(dir, 'written');
  if (fs.existsSync(marker)) return;
  const t0 = performance.now();
  for (let c = 0; c < CLASSES; c++) fs.mkdirSync(path.join(dir, 'train', `class${c}`), { recursive: true });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < COUNT; i = next++) {
      const c = i % CLASSES;
      // A coloured gradient per class with noise: PNGs of a realistic size (~2–3 KB), not flat blocks.
      const px = Buffer.alloc(32 * 32 * 3);
      let s = i * 2654435761;
      for (let p = 0; p < 1024; p++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const n = s >>> 26;
        px[3 * p] = ((p >> 5) * 8 + c * 20 + n) & 255;
        px[3 * p + 1] = ((p & 31) * 8 + n) & 255;
        px[3 * p + 2] = (c * 25 + n * 2) & 255;
      }
      await sharp(px, { raw: { width: 32, height: 32, channels: 3 } })
        .png()
        .toFile(path.join(dir, 'train', `class${c}`, `${String(i).padStart(5, '0')}.png`));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  fs.writeFileSync(marker, '');
  console.log(`wrote ${COUNT} PNGs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  await writePngs();
  const cacheDir = path.join(dir, '.distillery', 'cache');
  fs.rmSync(cacheDir, { recursive: true, force: true });
  const spec = DataSpec.parse({ source: { format: 'imageFolder', train: 'train' } });
  let t0 = performance.now();
  const first = await loadSource(spec, dir, { cacheDir });
  const decode = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const again = await loadSource(spec, dir, { cacheDir });
  const reload = (performance.now() - t0) / 1000;
  const bytes = fs.readdirSync(cacheDir).reduce((n, f) => n + fs.statSync(path.join(cacheDir, f)).size, 0);
  console.log(
    `decode + cache: ${decode.toFixed(1)} s for ${first.train.count} images (${(bytes / 2 ** 20).toFixed(0)} MB cache); cached reload: ${reload.toFixed(2)} s (${again.notes?.at(-1)})`,
  );
  fs.writeFileSync(
    path.join(dir, 'kd.json'),
    JSON.stringify({
      backend: 'wasm',
      data: { source: { format: 'imageFolder', train: 'train' }, augment: { crop: 4, flip: true } },
      teachers: [{ id: 't', architecture: { preset: 'cnn', filters: [8], dense: [] }, training: { epochs: 1, batchSize: 256 } }],
      student: { architecture: { preset: 'mlp', hidden: [16] } },
      training: { epochs: 1, batchSize: 256 },
      evaluation: { latencySamples: 5, logitsSamples: 20 },
    }),
  );
}

void main();
