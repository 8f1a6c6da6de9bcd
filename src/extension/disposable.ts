/**
 * Ownership in the extension host: whatever creates a disposable (a listener, a watcher, a
 * timer, a child process, a panel) tracks it, and disposing the owner disposes what it owns,
 * newest first (a listener goes before the emitter it listens to). One disposal is enough:
 * the second call does nothing, and what is tracked after disposal is disposed at once, so a
 * late listener cannot outlive its owner. No vscode import (the shape is structural), so pure
 * modules and unit tests use it as is.
 */
export interface DisposableLike {
  dispose(): unknown;
}

export class Disposable implements DisposableLike {
  private readonly owned: DisposableLike[] = [];
  private disposedAlready = false;

  get isDisposed(): boolean {
    return this.disposedAlready;
  }

  /** Owns `d` from now on; returns it, so a creation and its tracking stay one expression. */
  track<T extends DisposableLike>(d: T): T {
    if (this.disposedAlready) d.dispose();
    else this.owned.push(d);
    return d;
  }

  /** Owns a cleanup that is not an object (a timer to clear, an entry to forget). */
  onDispose(cleanup: () => void): void {
    this.track({ dispose: cleanup });
  }

  /** Disposes everything owned, newest first; one failing dispose does not keep the others alive. */
  dispose(): void {
    if (this.disposedAlready) return;
    this.disposedAlready = true;
    let first: unknown;
    for (const d of this.owned.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}
