/**
 * A run's identity on the host: the Runs tree's records get their automatic labels among their
 * siblings (labelRecords), and the dashboard header its identity read from the folder alone (it
 * has no Runs tree at hand): meta.json and config.json through the one run-folder reader, and the
 * label among the run folders beside it (protocol/runLabels.ts: the same siblings and the same
 * rule as the tree's). No vscode, so it is unit-tested.
 */
import * as path from 'node:path';
import { listRunDirs } from '../../protocol/runFolder';
import { autoLabel, autoLabels, shortRunId, siblingKey } from '../../protocol/runLabels';
import { readConfigFacts, readRunFiles } from '../../protocol/runReader';
import { gitText } from '../../protocol/runMeta';
import type { RunIdentity } from '../../protocol/webviewMessages';
import type { RunRecord } from './runInfo';

/** Gives each record its automatic label among its siblings (the runs in the same folder; protocol/runLabels.ts). */
export function labelRecords(records: readonly RunRecord[]): void {
  // A run without config.json yet (queued) differs in nothing known: its short id alone.
  const known = records.filter((r) => r.params);
  const labels = autoLabels(known.map((r) => ({ runId: r.runId, runDir: r.runDir, configPath: r.configPath, params: r.params! })));
  for (const r of records) r.autoLabel = labels.get(r.runId) ?? shortRunId(r.runId);
}

/** Whether a person renamed the run (meta.json's name), so its own name wins over a sweep trial's label. */
export const isRenamed = (r: RunRecord): boolean => r.kdName !== undefined && r.name !== r.kdName;

/** Sibling folders read for the label at most (a runs folder of thousands is read no further). */
const MAX_SIBLINGS = 500;

export function readRunIdentity(runDir: string): RunIdentity {
  const files = readRunFiles(runDir, readConfigFacts(runDir));
  const runId = path.basename(runDir);
  const self = { runId, params: files.config?.params ?? {} };
  const siblings = files.config
    ? listRunDirs(path.dirname(path.resolve(runDir)))
        .filter((d) => path.resolve(d) !== path.resolve(runDir))
        .slice(0, MAX_SIBLINGS)
        .flatMap((d) => {
          const facts = readConfigFacts(d);
          // The same siblings as the tree's (labelRecords): the runs of this kd.json, or this sweep's trials.
          return facts && siblingKey(d, facts.configPath) === siblingKey(runDir, files.config?.configPath) ? [{ params: facts.params }] : [];
        })
    : [];
  return {
    name: files.meta?.name,
    autoLabel: autoLabel(self, siblings),
    tags: files.meta?.tags ?? [],
    note: files.meta?.note,
    git: gitText(files.config?.git),
    problem: files.metaProblem,
  };
}
