/**
 * The engine's watchdog (src/engine/lifecycle.ts): a process whose parent dies is killed even
 * while its main thread is blocked, where no 'disconnect' handler or timer of its own can run.
 * Three real processes: this test, a parent, and the watched child that spins forever.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAlive, killTree, waitFor } from '../../faults/helpers';

const lifecycle = path.resolve(__dirname, '../../../src/engine/lifecycle.ts');

describe('engine lifecycle: the orphan watchdog', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-watchdog-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("kills a child whose parent was SIGKILLed while the child's main thread is blocked, within the grace period", async () => {
    const child = path.join(dir, 'child.ts');
    fs.writeFileSync(
      child,
      `import { watchParent } from ${JSON.stringify(lifecycle)};\nwatchParent(() => undefined, 500, 100);\nprocess.send!('ready', () => { for (;;) {} });\n`,
    );
    const parent = path.join(dir, 'parent.cjs');
    fs.writeFileSync(
      parent,
      `const { fork } = require('node:child_process');\nconst c = fork(${JSON.stringify(child)}, { execArgv: ['--import', 'tsx'] });\nc.on('message', () => console.log(c.pid));\n`,
    );
    const p = spawn(process.execPath, [parent], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(__dirname, '../../..') });
    let out = '';
    p.stdout!.setEncoding('utf8').on('data', (t) => (out += t));
    let childPid = 0;
    try {
      childPid = await waitFor('the child to be ready', 30_000, () => (/^\d+\n/.test(out) ? Number(out.trim()) : undefined));
      // The child spins now: give it a moment to be well inside its loop, then orphan it.
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(isAlive(childPid));
      process.kill(p.pid!, 'SIGKILL');
      const t0 = Date.now();
      await waitFor('the orphan to be killed', 5000, () => (isAlive(childPid) ? undefined : true));
      // Detected within a poll or two (100 ms), killed after the 500 ms grace.
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    } finally {
      killTree(p.pid!);
      if (childPid) killTree(childPid);
    }
  });
});
