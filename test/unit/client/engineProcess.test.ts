/**
 * The engine as a child process: a parent never waits forever on an engine that could not
 * even start (a distillery.nodePath that names a file that is not executable, or is gone).
 * Node reports such a fork with 'error' and never 'exit'.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineProcess } from '../../../src/client/engineProcess';

describe('EngineProcess', () => {
  for (const [what, make] of [
    [
      'a Node binary that is not executable',
      (dir: string) => {
        const f = path.join(dir, 'node');
        fs.writeFileSync(f, 'not a program');
        fs.chmodSync(f, 0o644);
        return f;
      },
    ],
    ['a Node binary that does not exist', (dir: string) => path.join(dir, 'missing-node')],
  ] as const) {
    it(`ends (does not hang) when the engine cannot be started: ${what}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-spawn-'));
      try {
        const engine = new EngineProcess({ enginePath: path.join(dir, 'engine.js'), launch: { execPath: make(dir) }, job: 'worker' });
        const exit = await Promise.race([engine.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000))]);
        assert.notEqual(exit, 'hung', 'exited never resolved');
        if (exit === 'hung') return;
        assert.equal(exit.code, null);
        assert.match(exit.stderrTail, /EACCES|ENOENT/);
        assert.match(exit.stderrTail, /could not be started/);
        assert.equal(engine.running, false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
