/**
 * The engine process. Started by the CLI or the extension host (never imported by them):
 *
 *   node dist/engine.js --config kd.json [--runs-root DIR] [--run-id ID] [--backend NAME] [--workspace DIR]
 *   node dist/engine.js --resume RUN_DIR [--backend NAME]
 *   node dist/engine.js --worker     (several runs in turn, requested over IPC: worker.ts)
 *
 * It reports over the IPC channel when it has one, and as JSON lines on stdout otherwise.
 * Exit codes: 0 done, 1 failed, 2 bad config, 3 stopped.
 */
import { WORKER_FLAG } from '../protocol/worker';
import { catchStrayFailures, endProcess, failAndExit, watchParent } from './lifecycle';
import { runEngine } from './run/engineRun';
import { startWorker } from './worker';

if (process.argv.includes(WORKER_FLAG)) startWorker();
else runOne();

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** One run, from the command line's arguments; the process ends with it. */
function runOne(): void {
  const resumeDir = arg('resume');
  const configPath = arg('config') ?? resumeDir;
  if (!configPath) {
    process.stderr.write('usage: engine --config kd.json [--runs-root DIR] [--run-id ID] [--backend NAME] | --resume RUN_DIR\n');
    return process.exit(2);
  }

  let stopRequested = false;
  const requestStop = () => {
    stopRequested = true;
  };
  process.on('message', (m: { type?: string }) => m?.type === 'stop' && requestStop());
  process.on('SIGTERM', requestStop);
  process.on('SIGINT', requestStop);
  // A parent that dies takes its IPC channel with it: an orphan finishes its step and stops,
  // or is killed by the watchdog when it cannot (lifecycle.ts).
  watchParent(requestStop);

  const send = (m: unknown) => {
    if (process.send && process.connected) process.send(m);
    else if (!process.send) process.stdout.write(JSON.stringify(m) + '\n');
  };
  catchStrayFailures(send);

  runEngine({ configPath, resumeDir, runsRoot: arg('runs-root'), runId: arg('run-id'), backend: arg('backend'), workspaceRoot: arg('workspace'), send, shouldStop: () => stopRequested })
    .then(endProcess)
    .catch((e) => failAndExit(e, send));
}
