/**
 * A run's identity for the dashboard header, read from its folder alone (the dashboard has no
 * Runs tree at hand): meta.json and config.json through the one run-folder reader, and its
 * automatic label among the run folders beside it (protocol/runLabels.ts: the same siblings and
 * the same rule as the tree's). No vscode, so it is unit-tested.
 */
import * as path from 'node:path';
import { listRunDirs } from '../../protocol/runFolder';
import { autoLabel } from '../../protocol/runLabels';
import { readConfigFacts, readRunFiles } from '../../protocol/runReader';
import { gitText } from '../../protocol/runMeta';
import type { RunIdentity } from '../../protocol/webviewMessages';

/** Sibling folders read for the label at most (a runs folder of thousands is read no further). */
const MAX_SIBLINGS = 500;

export function readRunIdentity(runDir: string): RunIdentity {
  const files = readRunFiles(runDir);
  const runId = path.basename(runDir);
  const self = { runId, params: files.config?.params ?? {} };
  const siblings = files.config
    ? listRunDirs(path.dirname(path.resolve(runDir)))
        .filter((d) => path.resolve(d) !== path.resolve(runDir))
        .slice(0, MAX_SIBLINGS)
        .flatMap((d) => {
          const facts = readConfigFacts(d);
          return facts ? [{ params: facts.params }] : [];
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
