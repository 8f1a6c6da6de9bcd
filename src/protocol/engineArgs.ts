/**
 * What an engine is asked to do, as one typed request, and its command line, written by its
 * parents (client/engineProcess.ts) and read by the engine (engine/main.ts) from this one
 * table, so the two sides cannot disagree:
 *
 *   dist/engine.js --config kd.json --run-dir DIR [--backend NAME] [--workspace DIR] [--threads N]
 *   dist/engine.js --resume RUN_DIR [--backend NAME] [--workspace DIR]
 *   dist/engine.js --config kd.json --validate [--backend NAME] [--workspace DIR]   (checks only: no training, no run folder)
 *   dist/engine.js --worker     (runs come over IPC: protocol/worker.ts, each an EngineRequest)
 *
 * A new run's folder is decided by the parent (newRunDir in runId.ts) and passed as --run-dir:
 * the engine creates exactly that folder (and refuses one that exists), so what the parent
 * announces and tracks is where the run is written. How engines start (the Node binary, the
 * backend, the workspace root) is an EngineLaunch, decided once per launch: by the
 * extension's launch policy (extension/runs/launchPolicy.ts) or by the CLI's options.
 *
 * A new flag is one line in ENGINE_FLAGS (a value flag) or SWITCHES (a flag without a value).
 */
import { parseThreads } from './threads';
import { WORKER_FLAG } from './worker';

/** The flags every engine job takes, from its launch. */
export interface EngineFlags {
  backend?: string;
  /** The engine refuses kd.json paths outside this folder. */
  workspaceRoot?: string;
  /** Threads the run may use (protocol/threads.ts); absent: the engine's cores. */
  threads?: number;
}

/** How an engine starts, whatever it is asked: the launch policy's decision, or the CLI's options. */
export interface EngineLaunch extends EngineFlags {
  /** The Node binary; undefined: the parent's own (in VS Code's extension host, Electron run as Node). */
  execPath?: string;
}

/** A new run of kd.json, written to `runDir` (chosen by the parent with runId.ts's newRunDir; the engine creates it). */
export interface NewRunJob {
  kind: 'run';
  configPath: string;
  runDir: string;
}

/** Continue the run folder `runDir` from its last checkpoint (its config is the folder's config.json). */
export interface ResumeJob {
  kind: 'resume';
  runDir: string;
}

/** Every check a run makes before training (config, files, data, models, layer pairs), then exit: 0 ok, 2 bad config; no run folder. */
export interface ValidateJob {
  kind: 'validate';
  configPath: string;
}

export type EngineJob = NewRunJob | ResumeJob | ValidateJob;

/** One engine job with its launch's flags: what a single engine's argv and a worker's run message carry, and what runEngine does. */
export type EngineRequest = EngineJob & EngineFlags;

/** The one place a launch's flags join a job (EngineProcess's argv, EngineWorker's run messages). */
export function engineRequest<J extends EngineJob>(launch: EngineLaunch, job: J): J & EngineFlags {
  const { backend, workspaceRoot, threads } = launch;
  return { ...job, ...(backend ? { backend } : {}), ...(workspaceRoot ? { workspaceRoot } : {}), ...(threads ? { threads } : {}) };
}

/** The argv's values, flat, as the table names them. */
interface ArgvValues {
  configPath?: string;
  runDir?: string;
  resumeDir?: string;
  backend?: string;
  workspaceRoot?: string;
  threads?: string;
  validate?: boolean;
}

type ValueKey = Exclude<keyof ArgvValues, 'validate'>;
type SwitchKey = 'validate';

export const ENGINE_FLAGS: readonly { key: ValueKey; flag: string }[] = [
  { key: 'configPath', flag: '--config' },
  { key: 'runDir', flag: '--run-dir' },
  { key: 'resumeDir', flag: '--resume' },
  { key: 'backend', flag: '--backend' },
  { key: 'workspaceRoot', flag: '--workspace' },
  { key: 'threads', flag: '--threads' },
];

export const SWITCHES: readonly { key: SwitchKey; flag: string }[] = [{ key: 'validate', flag: '--validate' }];

export const ENGINE_USAGE =
  'usage: engine --config kd.json --run-dir DIR | --resume RUN_DIR | --config kd.json --validate, each [--backend NAME] [--workspace DIR] [--threads N]; or --worker';

function valuesOf(r: EngineRequest): ArgvValues {
  const flags = { backend: r.backend, workspaceRoot: r.workspaceRoot, threads: r.threads === undefined ? undefined : String(r.threads) };
  if (r.kind === 'run') return { configPath: r.configPath, runDir: r.runDir, ...flags };
  if (r.kind === 'resume') return { resumeDir: r.runDir, ...flags };
  return { configPath: r.configPath, validate: true, ...flags };
}

/** The argv for `request`. */
export function engineArgv(request: EngineRequest): string[] {
  const values = valuesOf(request);
  const out: string[] = [];
  for (const { key, flag } of ENGINE_FLAGS) {
    const v = values[key];
    if (v !== undefined && v !== '') out.push(flag, v);
  }
  for (const { key, flag } of SWITCHES) if (values[key]) out.push(flag);
  return out;
}

/** What the engine's argv asks: a worker, one request, or nothing it can do (then it prints ENGINE_USAGE). */
export type ParsedEngineArgv = { worker: true } | { worker: false; request: EngineRequest } | { worker: false; request?: undefined };

/** Reads what engineArgv wrote. */
export function parseEngineArgv(argv: readonly string[]): ParsedEngineArgv {
  if (argv.includes(WORKER_FLAG)) return { worker: true };
  const v: ArgvValues = {};
  for (const { key, flag } of ENGINE_FLAGS) {
    const i = argv.indexOf(flag);
    if (i >= 0 && i + 1 < argv.length) v[key] = argv[i + 1];
  }
  for (const { key, flag } of SWITCHES) if (argv.includes(flag)) v[key] = true;
  const threads = parseThreads(v.threads);
  const flags: EngineFlags = {
    ...(v.backend ? { backend: v.backend } : {}),
    ...(v.workspaceRoot ? { workspaceRoot: v.workspaceRoot } : {}),
    ...(threads ? { threads } : {}),
  };
  // Exactly one job: a resume names no kd.json; a validation or a new run names one, and only a new run a folder.
  if (v.resumeDir && !v.configPath && !v.runDir && !v.validate) return { worker: false, request: { kind: 'resume', runDir: v.resumeDir, ...flags } };
  if (v.configPath && v.validate && !v.runDir && !v.resumeDir) return { worker: false, request: { kind: 'validate', configPath: v.configPath, ...flags } };
  if (v.configPath && v.runDir && !v.validate && !v.resumeDir)
    return { worker: false, request: { kind: 'run', configPath: v.configPath, runDir: v.runDir, ...flags } };
  return { worker: false };
}
