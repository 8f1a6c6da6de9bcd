/**
 * When an engine dies without writing its summary (killed, crashed, out of memory), its
 * parent writes one for it, so the run folder tells the truth: when, at which step, and the
 * last words on stderr. Nothing already in the folder is touched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { RunSummary, StepEvent } from '../protocol/events';
import { FILES, readEvents } from '../protocol/runFolder';
import type { EngineExit } from './engineProcess';

const OOM_PATTERNS = [/heap out of memory/i, /Array buffer allocation failed/i, /Aborted\(OOM\)/i, /out of memory/i, /Cannot allocate memory/i];

export function describeExit(exit: EngineExit, where = ''): { status: 'crashed' | 'failed'; error: string } {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  if (OOM_PATTERNS.some((p) => p.test(exit.stderrTail))) return { status: 'failed', error: `the engine ran out of memory and ${how}${where}` };
  return { status: 'crashed', error: `the engine ${how}${where}, without a result` };
}

/** Writes a crashed/failed summary.json unless the engine wrote one. Returns it, if written. */
export function recordAbnormalExit(runDir: string, exit: EngineExit, now = new Date()): RunSummary | undefined {
  if (!fs.existsSync(path.join(runDir, FILES.events)) || fs.existsSync(path.join(runDir, FILES.summary))) return undefined;
  const { events } = readEvents(runDir);
  const started = events.find((e) => e.type === 'run_started');
  const lastStep = [...events].reverse().find((e) => e.type === 'step') as StepEvent | undefined;
  const where = lastStep ? ` at ${lastStep.stage} epoch ${lastStep.epoch}, step ${lastStep.step}/${lastStep.totalSteps}` : ' before its first step';
  const { status, error } = describeExit(exit, where);
  const startedAt = started?.time ?? now.toISOString();
  const summary: RunSummary & { lastStep?: StepEvent; stderrTail: string } = {
    runId: path.basename(runDir),
    name: started && started.type === 'run_started' ? started.name : path.basename(runDir),
    status,
    backend: started && started.type === 'run_started' ? started.backend : 'unknown',
    startedAt,
    endedAt: now.toISOString(),
    durationSec: (now.getTime() - Date.parse(startedAt)) / 1000,
    error,
    configPath: started && started.type === 'run_started' ? started.configPath : '',
    numClasses: 0,
    testSamples: 0,
    lastStep,
    stderrTail: exit.stderrTail,
  };
  writeFileAtomic.sync(path.join(runDir, FILES.summary), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
