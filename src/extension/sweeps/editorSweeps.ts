/**
 * The owner of every sweep this window started (Start Sweep, Start Run on a kd.json with
 * several seeds). The extension disposes it when the window closes or the extension
 * deactivates: each sweep's sweep.json then says "stopped" at once, its workers are asked to
 * stop and killed after a grace period (Sweep.dispose). Without an owner a sweep ran on
 * unowned, and its sweep.json said "running" for good. No vscode import: it is unit-tested.
 */
import type { Sweep, SweepOutcome } from '../../sweep/runSweep';

export class EditorSweeps {
  private readonly live = new Set<Sweep>();
  private disposed = false;

  /** `enginePath`: dist/engine.js, which the sweeps' workers run. */
  constructor(readonly enginePath: string) {}

  /** Runs `sweep` to its end, owned: disposing the owner disposes it. */
  async run(sweep: Sweep): Promise<SweepOutcome> {
    // A closing window starts nothing: no folder of stopped trials is left behind.
    if (this.disposed) return { ok: false, issues: [{ path: [], message: 'the window is closing: the sweep was not started' }] };
    this.live.add(sweep);
    try {
      return await sweep.run();
    } finally {
      this.live.delete(sweep);
    }
  }

  /** Stops every sweep (sweep.json "stopped" at once); resolves when their workers are gone. */
  dispose(): Promise<void> {
    this.disposed = true;
    return Promise.all([...this.live].map((s) => s.dispose())).then(() => undefined);
  }
}
