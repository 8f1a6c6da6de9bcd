/**
 * `distill validate`: everything `distill run` would refuse, found without training. The
 * schema and file checks run here (no tfjs); then the engine itself, in its validate mode,
 * makes every check a run makes before training (data headers and sizes, model files and
 * topology, shapes, layer names, the backend) and exits without creating a run folder.
 *
 * Exit codes: 0 ok, 1 the engine itself failed, 2 bad config.
 */
import * as path from 'node:path';
import { describeExit } from '../client/abnormalExit';
import { EngineProcess } from '../client/engineProcess';
import type { ConfigValidMessage } from '../protocol/events';
import { loadConfigFile, type ConfigIssue } from '../protocol/loadConfig';
import { ProgressView } from './progress';

export interface ValidateOptions {
  workspace?: string;
  backend?: string;
  enginePath: string;
  printIssues: (file: string, issues: ConfigIssue[]) => void;
}

export async function validateCli(kdJson: string, o: ValidateOptions): Promise<number> {
  const file = path.resolve(kdJson);
  const workspaceRoot = o.workspace && path.resolve(o.workspace);
  const loaded = loadConfigFile(file, { workspaceRoot });
  if (!loaded.ok) {
    o.printIssues(file, loaded.issues);
    return 2;
  }
  const engine = new EngineProcess({ enginePath: o.enginePath, launch: { backend: o.backend, workspaceRoot }, job: { kind: 'validate', configPath: file } });
  let issues: ConfigIssue[] | undefined;
  let valid: ConfigValidMessage | undefined;
  let failure: string | undefined;
  // Validation decodes an image folder as a run would (then the run reads the cache): the same bar.
  const progress = new ProgressView(process.stderr, !!process.stderr.isTTY);
  engine.onMessage((m) => {
    if (m.type === 'config_error') issues = m.issues;
    else if (m.type === 'config_valid') valid = m;
    else if (m.type === 'engine_failed') failure = m.message;
    else if (m.type === 'data_progress') progress.handle(m);
  });
  const interrupted = () => engine.kill();
  process.once('SIGINT', interrupted);
  const exit = await engine.exited;
  process.off('SIGINT', interrupted);
  if (issues) {
    o.printIssues(file, issues);
    return 2;
  }
  if (valid && exit.code === 0) {
    process.stdout.write(`${file}: ok (backend ${valid.backend}; data: ${valid.data})\n`);
    for (const note of valid.notes) process.stdout.write(`  ${note}\n`);
    return 0;
  }
  // The engine's own words first (it sends them over IPC, not on stderr), then how it ended.
  const said = [exit.stderrTail.trimEnd(), failure && `engine failed: ${failure}`].filter(Boolean).join('\n');
  process.stderr.write(`${said ? `${said}\n` : ''}${describeExit(exit, ' while validating').error}\n`);
  return 1;
}
