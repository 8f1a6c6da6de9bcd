/**
 * The engine's command line, written by its parents (client/engineProcess.ts) and read by the
 * engine (engine/main.ts) from this one table, so the two sides cannot disagree:
 *
 *   dist/engine.js --config kd.json [--runs-root DIR] [--run-id ID] [--backend NAME] [--workspace DIR]
 *   dist/engine.js --resume RUN_DIR [--backend NAME] [--workspace DIR]
 *   dist/engine.js --config kd.json --validate [--backend NAME] [--workspace DIR]   (checks only: no training, no run folder)
 *   dist/engine.js --worker     (runs come over IPC: protocol/worker.ts)
 *
 * A new flag is one line in ENGINE_FLAGS (a value flag) or SWITCHES (a flag without a value).
 */
import { WORKER_FLAG } from './worker';

export interface EngineArgs {
  configPath?: string;
  /** Continue this run folder from its last checkpoint. */
  resumeDir?: string;
  runsRoot?: string;
  runId?: string;
  backend?: string;
  /** The engine refuses kd.json paths outside this folder. */
  workspaceRoot?: string;
  /** Run every check a run makes before training (config, files, data, models, layer pairs), then exit: 0 ok, 2 bad config. */
  validate?: boolean;
}

type ValueKey = Exclude<keyof EngineArgs, 'validate'>;
type SwitchKey = 'validate';

export const ENGINE_FLAGS: readonly { key: ValueKey; flag: string }[] = [
  { key: 'configPath', flag: '--config' },
  { key: 'resumeDir', flag: '--resume' },
  { key: 'runsRoot', flag: '--runs-root' },
  { key: 'runId', flag: '--run-id' },
  { key: 'backend', flag: '--backend' },
  { key: 'workspaceRoot', flag: '--workspace' },
];

export const SWITCHES: readonly { key: SwitchKey; flag: string }[] = [{ key: 'validate', flag: '--validate' }];

export const ENGINE_USAGE = 'usage: engine --config kd.json [--runs-root DIR] [--run-id ID] [--backend NAME] [--workspace DIR] [--validate] | --resume RUN_DIR | --worker';

/** The argv for `args` (a resumed run takes its config from the run folder: --config is left out). */
export function engineArgv(args: EngineArgs): string[] {
  const out: string[] = [];
  for (const { key, flag } of ENGINE_FLAGS) {
    if (key === 'configPath' && args.resumeDir) continue;
    const v = args[key];
    if (v !== undefined && v !== '') out.push(flag, v);
  }
  for (const { key, flag } of SWITCHES) if (args[key]) out.push(flag);
  return out;
}

export type ParsedEngineArgv = { worker: true } | ({ worker: false } & EngineArgs);

/** Reads what engineArgv wrote. */
export function parseEngineArgv(argv: readonly string[]): ParsedEngineArgv {
  if (argv.includes(WORKER_FLAG)) return { worker: true };
  const args: EngineArgs = {};
  for (const { key, flag } of ENGINE_FLAGS) {
    const i = argv.indexOf(flag);
    if (i >= 0 && i + 1 < argv.length) args[key] = argv[i + 1];
  }
  for (const { key, flag } of SWITCHES) if (argv.includes(flag)) args[key] = true;
  return { worker: false, ...args };
}
