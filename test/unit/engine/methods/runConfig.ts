/** Runs a kd.json object through the engine in-process, as the methods tests do. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runEngine } from '../../../../src/engine/run/engineRun';
import { newRunJob } from '../../../../src/protocol/runId';
import type { EngineMessage, RunSummary } from '../../../../src/protocol/events';

/** A run small enough for a unit test: 300 digits, one epoch, few timing samples. */
export const tiny = {
  backend: 'wasm',
  seed: 5,
  data: { source: 'mnist', limit: 300 },
  training: { epochs: 1, batchSize: 50 },
  evaluation: { latencySamples: 2, logitsSamples: 5 },
};

export interface RunResult {
  code: number;
  messages: EngineMessage[];
  dir: string;
  runDir?: string;
  summary?: RunSummary;
}

/** Writes `cfg` as dir/kd.json (a fresh temp folder by default) and runs it; every message the engine sent comes back. */
export async function runConfig(cfg: object, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-methods-'))): Promise<RunResult> {
  const file = path.join(dir, 'kd.json');
  fs.writeFileSync(file, JSON.stringify(cfg));
  const messages: EngineMessage[] = [];
  const code = await runEngine({ request: newRunJob(file), send: (m) => messages.push(m), shouldStop: () => false });
  const started = messages.find((m) => m.type === 'run_started');
  const finished = messages.find((m) => m.type === 'run_finished');
  return {
    code,
    messages,
    dir,
    runDir: started?.type === 'run_started' ? started.runDir : undefined,
    summary: finished?.type === 'run_finished' ? finished.summary : undefined,
  };
}
