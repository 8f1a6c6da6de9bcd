/** `distill sweep kd.json`: runs the sweep, one status line per trial, then the table. */
import * as path from 'node:path';
import type { ConfigIssue } from '../protocol/loadConfig';
import { paramsKey } from '../protocol/sweep';
import { Sweep } from './runSweep';
import { sweepTable } from './table';

export async function runSweepCli(
  kdJson: string,
  o: { parallel?: number; backend?: string; sweepsRoot?: string; json?: boolean; enginePath: string; printIssues: (file: string, issues: ConfigIssue[]) => void },
): Promise<number> {
  const file = path.resolve(kdJson);
  if (o.parallel !== undefined && !(o.parallel >= 1)) {
    process.stderr.write('--parallel must be a whole number ≥ 1\n');
    return 2;
  }
  const err = (line: string) => process.stderr.write(line + '\n');
  const sweep = new Sweep({
    configPath: file,
    enginePath: o.enginePath,
    parallel: o.parallel,
    backend: o.backend,
    sweepsRoot: o.sweepsRoot && path.resolve(o.sweepsRoot),
    onUpdate: (s, c) => {
      const done = s.trials.filter((t) => t.status !== 'queued' && t.status !== 'running').length;
      if (c.type === 'started') err(`sweep ${s.sweepId}: ${s.trials.length} trials (${s.trials.filter((t) => t.kind === 'baseline').length} baseline), ${s.parallel} at once, ${s.epochs} epochs each\n  folder: ${path.join(path.dirname(s.configPath), '.distillery', 'sweeps', s.sweepId)}`);
      else if (c.type === 'trial_started') err(`  ▶ ${c.trial.id}`);
      else if (c.type === 'trial_finished') {
        const t = c.trial;
        const what = t.status === 'done' ? `${s.metricLabel} ${((t.metric ?? NaN) * 100).toFixed(2)}%, test ${((t.testAccuracy ?? NaN) * 100).toFixed(2)}%${t.teacherLogits === 'cache-hit' ? ', teacher logits from cache' : ''}` : `${t.status}${t.error ? `: ${t.error}` : ''}`;
        err(`  ${t.status === 'done' ? '✓' : '✗'} ${t.id} ${t.kind === 'distill' ? `(${paramsKey(t.params)}) ` : ''}— ${what} [${done}/${s.trials.length}]`);
      } else if (c.type === 'note') err(c.message);
    },
  });
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    err(interrupts === 1 ? '\nstopping the running trials (Ctrl+C again to quit)…' : '\nquit');
    if (interrupts === 1) sweep.stop();
    else {
      sweep.dispose();
      process.exit(130);
    }
  });
  const out = await sweep.run();
  if (!out.ok) {
    o.printIssues(file, out.issues);
    return 2;
  }
  if (o.json) process.stdout.write(JSON.stringify(out.sweep, null, 2) + '\n');
  else process.stdout.write(`\n${sweepTable(out.sweep)}\n\nsweep ${out.sweep.status} in ${out.sweep.durationSec!.toFixed(1)} s; ${path.join(out.dir, 'sweep.json')}\n`);
  return out.sweep.status === 'done' ? 0 : 1;
}
