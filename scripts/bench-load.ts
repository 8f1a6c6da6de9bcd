/**
 * Load benchmark (not a test): 8 runs queued at once, started at most one per core — the
 * policy of the extension's RunManager — through the same EngineProcess. It reports whether
 * every run completed with a complete folder, the wall time, and the parent's memory over
 * time (the parent stands in for the extension host: it holds the queue, the IPC streams
 * and every event). Usage: npx tsx scripts/bench-load.ts [runs=8]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineProcess } from '../src/client/engineProcess';
import type { EngineMessage } from '../src/protocol/events';
import { FILES, readEvents, readSummary } from '../src/protocol/runFolder';
import { newRunJob } from '../src/protocol/runId';

const runs = Number(process.argv[2] ?? 8);
const cores = os.availableParallelism();
const enginePath = path.resolve(__dirname, '../dist/engine.js');
if (!fs.existsSync(enginePath)) throw new Error(`${enginePath} is missing: npm run build first`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-load-'));
const kd = path.join(dir, 'kd.json');
fs.writeFileSync(
  kd,
  JSON.stringify({
    name: 'load',
    backend: 'wasm',
    data: { source: 'mnist', limit: 2000 },
    teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [128] }, training: { epochs: 2, batchSize: 64 } }],
    student: { architecture: { preset: 'mlp', hidden: [32] } },
    training: { epochs: 3, batchSize: 64 },
    evaluation: { latencySamples: 20, logitsSamples: 20 },
  }),
);

async function main() {
  const rss: number[] = [];
  const sample = setInterval(() => rss.push(process.memoryUsage().rss / 2 ** 20), 250);
  const queue = Array.from({ length: runs }, (_, i) => i);
  const results: { runDir?: string; code: number | null; events: number }[] = [];
  let maxRunning = 0;
  let running = 0;
  const t0 = performance.now();
  // The first run trains and saves the teacher; the rest load it.
  const one = async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    const engine = new EngineProcess({ enginePath, job: newRunJob(kd) });
    let runDir: string | undefined;
    let events = 0;
    engine.onMessage((m: EngineMessage) => {
      events++;
      if (m.type === 'run_started') runDir = m.runDir;
    });
    const exit = await engine.exited;
    running--;
    results.push({ runDir, code: exit.code, events });
  };
  await one();
  queue.shift();
  await Promise.all(
    Array.from({ length: cores }, async () => {
      while (queue.length) {
        queue.shift();
        await one();
      }
    }),
  );
  clearInterval(sample);
  const seconds = (performance.now() - t0) / 1000;
  const complete = results.filter((r) => {
    if (!r.runDir || r.code !== 0) return false;
    const s = readSummary(r.runDir);
    return (
      s?.status === 'done' &&
      [FILES.config, FILES.events, FILES.summary, FILES.predictions, `${FILES.student}/model.json`].every((f) => fs.existsSync(path.join(r.runDir!, f))) &&
      readEvents(r.runDir).skipped === 0
    );
  }).length;
  const third = Math.max(1, Math.floor(rss.length / 3));
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
  const report = {
    runs,
    cores,
    max_running_at_once: maxRunning,
    completed_with_complete_folders: complete,
    wall_seconds: Math.round(seconds * 10) / 10,
    parent_rss_mb: {
      first_third_mean: Math.round(mean(rss.slice(0, third))),
      last_third_mean: Math.round(mean(rss.slice(-third))),
      peak: Math.round(Math.max(...rss)),
    },
    events_received: results.reduce((n, r) => n + r.events, 0),
  };
  console.log(JSON.stringify(report, null, 2));
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = complete === runs && maxRunning <= cores ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
