/**
 * The owner of every sweep this window started (Start Sweep, Start Run on a kd.json with
 * several seeds). The extension disposes it when the window closes or the extension
 * deactivates: each sweep's sweep.json then says "stopped" at once, its workers are asked to
 * stop and killed after a grace period (Sweep.dispose). Without an owner a sweep ran on
 * unowned, and its sweep.json said "running" for good. It also knows each live sweep's folder
 * (Stop in the Runs tree stops only a sweep this window runs) and says when one started or
 * changed (the Runs tree shows it at once, file events or not). No vscode import: it is unit-tested.
 */
import * as path from 'node:path';
import type { Sweep, SweepOutcome } from '../../sweep/runSweep';

export class EditorSweeps {
  private readonly live = new Set<Sweep>();
  private readonly folders = new Map<Sweep, string>();
  private readonly listeners = new Set<(sweepDir: string) => void>();
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
      const dir = this.folders.get(sweep);
      this.folders.delete(sweep);
      if (dir) this.emit(dir);
    }
  }

  /** `sweep` (run by this owner) wrote `sweepDir`: its folder is known from now on, and listeners hear of it. */
  changed(sweep: Sweep, sweepDir: string): void {
    if (this.live.has(sweep)) this.folders.set(sweep, path.resolve(sweepDir));
    this.emit(sweepDir);
  }

  /** The live sweep writing `sweepDir`, when this window runs it. */
  sweepIn(sweepDir: string): Sweep | undefined {
    const dir = path.resolve(sweepDir);
    for (const [sweep, d] of this.folders) if (d === dir && this.live.has(sweep)) return sweep;
    return undefined;
  }

  /** Calls `listener` with a sweep's folder whenever a sweep of this window starts, changes or ends. */
  onDidChange(listener: (sweepDir: string) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private emit(sweepDir: string): void {
    for (const l of [...this.listeners]) l(sweepDir);
  }

  /** Stops every sweep (sweep.json "stopped" at once); resolves when their workers are gone. */
  dispose(): Promise<void> {
    this.disposed = true;
    this.listeners.clear();
    return Promise.all([...this.live].map((s) => s.dispose())).then(() => undefined);
  }
}
