/**
 * A process for test/faults/concurrency.test.ts: at a shared start time, creates folders as
 * every other process does at the same moment, and prints which it got: sweep folders
 * (createRunDir: a fresh id on a clash), run folders as a parent picks them and an engine
 * creates them (newRunDir, then createRunFolder: exclusive, refused when taken), and one folder
 * every process is told to create (exactly one gets it).
 *
 *   node --import tsx createRunDirs.ts <runsRoot> <count> <startAtMs>
 */
import * as path from 'node:path';
import { createRunDir, createRunFolder, newRunDir } from '../../../src/protocol/runId';

const [root, count, startAt] = process.argv.slice(2);
while (Date.now() < Number(startAt)) {
  /* spin: every process starts in the same millisecond */
}
const made: string[] = [];
let refused = 0;
for (let i = 0; i < Number(count); i++) {
  made.push(createRunDir(root, 'same').id);
  for (const dir of [newRunDir(root, 'same'), path.join(root, 'same-chosen-folder')]) {
    if (createRunFolder(dir)) made.push(path.basename(dir));
    else refused++;
  }
}
process.stdout.write(JSON.stringify({ made, refused }));
