/**
 * The window's owner of its sweeps: disposing it disposes every live sweep (and the
 * promise waits for them), and once disposed it starts none (no sweep folder of stopped
 * trials appears after the window began to close).
 */
import { strict as assert } from 'node:assert';
import { EditorSweeps } from '../../../src/extension/sweeps/editorSweeps';
import type { Sweep, SweepOutcome } from '../../../src/sweep/runSweep';

function fakeSweep() {
  const calls: string[] = [];
  let finish: (o: SweepOutcome) => void = () => undefined;
  const sweep = {
    run: () => {
      calls.push('run');
      return new Promise<SweepOutcome>((r) => (finish = r));
    },
    dispose: async () => {
      calls.push('dispose');
      finish({ ok: false, issues: [] });
    },
  };
  return { sweep: sweep as unknown as Sweep, calls };
}

describe('EditorSweeps (the window owns its sweeps)', () => {
  it('disposing it disposes a running sweep, and the promise waits for it', async () => {
    const owner = new EditorSweeps('/engine.js');
    const { sweep, calls } = fakeSweep();
    const running = owner.run(sweep);
    await owner.dispose();
    assert.deepEqual(calls, ['run', 'dispose']);
    await running;
  });

  it('a disposed owner starts no sweep', async () => {
    const owner = new EditorSweeps('/engine.js');
    await owner.dispose();
    const { sweep, calls } = fakeSweep();
    const out = await owner.run(sweep);
    assert.equal(out.ok, false);
    assert.deepEqual(calls, [], 'the sweep was neither run nor given a folder');
  });
});
