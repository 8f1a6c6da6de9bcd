/**
 * A process for test/faults/concurrency.test.ts: at a shared start time, creates run folders
 * with the same preferred id and the same timestamp as every other process, and prints them.
 *
 *   node --import tsx createRunDirs.ts <runsRoot> <count> <startAtMs>
 */
import { createRunDir, newRunId } from '../../../src/protocol/runId';

const [root, count, startAt] = process.argv.slice(2);
const now = new Date(Number(startAt));
while (Date.now() < Number(startAt)) {
  /* spin: every process starts in the same millisecond */
}
const made: string[] = [];
for (let i = 0; i < Number(count); i++) {
  made.push(createRunDir(root, 'same', 'same-preferred-id').id);
  made.push(createRunDir(root, 'same', newRunId('same', now)).id);
}
process.stdout.write(JSON.stringify(made));
