/**
 * What every Distillery webview panel shares on the host side: the HTML shell, the `ready`
 * handshake (nothing is posted before the webview says it listens, and a fresh `init` goes
 * out after every `ready`: a hidden webview is torn down and loads again), message checking,
 * and counters that the integration tests read through the extension's API.
 */
import * as vscode from 'vscode';
import { parseWebviewMessage } from '../../protocol/webviewMessageSchema';
import { type HostMessage, type ViewKind, type WebviewMessage, type WebviewUiState } from '../../protocol/webviewMessages';
import { Disposable } from '../disposable';
import { webviewHtml, webviewOptions } from './html';

export interface PanelStats {
  viewType: string;
  title: string;
  visible: boolean;
  ready: boolean;
  /** `ready` messages received: 1 on open, one more each time the webview loads again. */
  readyCount: number;
  /** Messages posted to the webview, by type. */
  posted: number;
  postedByType: Record<string, number>;
  /** Live engine events forwarded (inside `events` messages). */
  eventsPosted: number;
  /** What the webview last said it drew. */
  lastRendered?: Extract<WebviewMessage, { type: 'rendered' }>;
}

export abstract class PanelHost extends Disposable {
  protected ready = false;
  readonly stats: PanelStats;

  constructor(
    readonly panel: vscode.WebviewPanel,
    protected readonly extensionUri: vscode.Uri,
    readonly view: ViewKind,
  ) {
    super();
    this.stats = {
      viewType: panel.viewType,
      title: panel.title,
      visible: panel.visible,
      ready: false,
      readyCount: 0,
      posted: 0,
      postedByType: {},
      eventsPosted: 0,
    };
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, view, panel.title);
    // Disposed last (tracked first): the panel itself, after every listener on it.
    this.track(panel);
    this.track(panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)));
    this.track(
      panel.onDidChangeViewState(() => {
        this.stats.visible = panel.visible;
        // A hidden webview's document is gone; it posts `ready` again when shown.
        if (!panel.visible) this.setReady(false);
      }),
    );
    this.track(panel.onDidDispose(() => this.dispose()));
  }

  private setReady(ready: boolean) {
    this.ready = ready;
    this.stats.ready = ready;
    if (!ready) this.onNotReady();
  }

  private receive(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) return;
    if (message.type === 'ready') {
      this.setReady(true);
      this.stats.readyCount++;
      void Promise.resolve(this.onReady(message.state)).catch((err) =>
        this.post({ type: 'notice', level: 'error', text: `Could not load the view: ${(err as Error).message}` }),
      );
      return;
    }
    if (message.type === 'rendered') {
      this.stats.lastRendered = message;
      return;
    }
    void Promise.resolve(this.onMessage(message)).catch((err) => this.post({ type: 'notice', level: 'error', text: (err as Error).message }));
  }

  /** Posts when the webview listens; returns whether it did. */
  post(message: HostMessage): boolean {
    if (!this.ready || this.isDisposed) return false;
    this.stats.posted++;
    this.stats.postedByType[message.type] = (this.stats.postedByType[message.type] ?? 0) + 1;
    if (message.type === 'events') this.stats.eventsPosted += message.events.length;
    void this.panel.webview.postMessage(message);
    return true;
  }

  /** The webview (re)loaded: send it everything it shows. */
  protected abstract onReady(state: WebviewUiState | undefined): void | Promise<void>;
  protected abstract onMessage(message: WebviewMessage): void | Promise<void>;
  /** The webview stopped listening (hidden); drop anything queued for it. */
  protected onNotReady(): void {}

  dispose(): void {
    if (this.isDisposed) return;
    this.ready = false;
    super.dispose();
    this.onDisposed();
  }

  protected onDisposed(): void {}

  private soonTimer: ReturnType<typeof setTimeout> | undefined;
  private soonTimerCleared = false;

  /**
   * Runs `refresh` once, `ms` after the first of a burst of calls (events, file changes), and
   * never after the panel is gone: the one debounce of every panel that redraws on change.
   */
  protected refreshSoon(ms: number, refresh: () => void): void {
    if (this.soonTimer || this.isDisposed) return;
    if (!this.soonTimerCleared) {
      this.soonTimerCleared = true;
      this.onDispose(() => this.soonTimer && clearTimeout(this.soonTimer));
    }
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      refresh();
    }, ms);
  }
}
