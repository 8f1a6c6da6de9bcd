/**
 * A small stand-in for the `vscode` module, so the host's own classes (the command registry,
 * the CodeLens, RunManager) run in a unit test: import this file first, then the module under
 * test. It holds only what those classes use, and records what they did (registered
 * commands, messages shown, listeners attached) for the tests to assert on. Everything else
 * of the host's UI is covered by the integration suites in a real VS Code.
 */
import Module = require('node:module');
import * as path from 'node:path';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  readonly listeners = new Set<Listener<T>>();
  disposed = false;
  readonly event = (listener: Listener<T>, thisArg?: unknown, bucket?: { dispose(): unknown }[]) => {
    const bound: Listener<T> = (e) => listener.call(thisArg, e);
    this.listeners.add(bound);
    const d = { dispose: () => void this.listeners.delete(bound) };
    bucket?.push(d);
    return d;
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}

export class Uri {
  private constructor(readonly fsPath: string) {}
  static file(p: string): Uri {
    return new Uri(path.resolve(p));
  }
  toString(): string {
    return `file://${this.fsPath}`;
  }
}

export class Range {
  constructor(
    readonly startLine: number,
    readonly startCharacter: number,
    readonly endLine: number,
    readonly endCharacter: number,
  ) {}
}

export class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; arguments?: unknown[]; tooltip?: string },
  ) {}
}

/** What the fake recorded, and the answers it gives; reset() between tests. */
export const recorded = {
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  errors: [] as { message: string; items: string[] }[],
  /** The button the next error message "clicks". */
  errorAnswer: undefined as string | undefined,
  trusted: true,
  grantTrust: new EventEmitter<void>(),
  /** Fire with a key under "distillery." to say that setting changed (workspace.onDidChangeConfiguration). */
  configChange: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),
  /** Information and warning messages shown, and progress notifications (their title, reports). */
  infos: [] as string[],
  warnings: [] as string[],
  progress: [] as { title?: string; messages: string[] }[],
  /** Quick picks shown (their items' labels) and the answer the next one gives: an index into its items. */
  quickPicks: [] as { title?: string; labels: string[] }[],
  quickPickAnswer: undefined as number | undefined,
  /** Settings under "distillery." (workspace.getConfiguration). */
  settings: new Map<string, unknown>(),
  reset(): void {
    this.infos.length = 0;
    this.warnings.length = 0;
    this.progress.length = 0;
    this.quickPicks.length = 0;
    this.quickPickAnswer = undefined;
    this.settings.clear();
    this.commands.clear();
    this.errors.length = 0;
    this.errorAnswer = undefined;
    this.trusted = true;
    this.grantTrust = new EventEmitter<void>();
  },
};

const fakeVscode = {
  EventEmitter,
  Uri,
  Range,
  CodeLens,
  commands: {
    registerCommand(id: string, handler: (...args: unknown[]) => unknown) {
      if (recorded.commands.has(id)) throw new Error(`command '${id}' already exists`);
      recorded.commands.set(id, handler);
      return { dispose: () => void recorded.commands.delete(id) };
    },
    async executeCommand(id: string, ...args: unknown[]) {
      const handler = recorded.commands.get(id);
      if (!handler) throw new Error(`command '${id}' not found`);
      return handler(...args);
    },
  },
  window: {
    async showErrorMessage(message: string, ...items: string[]) {
      recorded.errors.push({ message, items });
      return recorded.errorAnswer;
    },
    async showInformationMessage(message: string) {
      recorded.infos.push(message);
      return undefined;
    },
    async showWarningMessage(message: string) {
      recorded.warnings.push(message);
      return undefined;
    },
    async showQuickPick<T extends { label: string }>(items: T[], options?: { title?: string }) {
      recorded.quickPicks.push({ title: options?.title, labels: items.map((i) => i.label) });
      return recorded.quickPickAnswer === undefined ? undefined : items[recorded.quickPickAnswer];
    },
    withProgress<R>(
      options: { title?: string },
      task: (p: { report(v: { message?: string }): void }, token: { onCancellationRequested(l: () => void): { dispose(): void } }) => Promise<R>,
    ) {
      const shown = { title: options.title, messages: [] as string[] };
      recorded.progress.push(shown);
      return task({ report: (v) => void (v.message && shown.messages.push(v.message)) }, { onCancellationRequested: () => ({ dispose() {} }) });
    },
  },
  ProgressLocation: { Notification: 15 },
  workspace: {
    get isTrusted() {
      return recorded.trusted;
    },
    getConfiguration() {
      return { get: <T>(key: string, fallback?: T) => (recorded.settings.has(key) ? (recorded.settings.get(key) as T) : fallback) };
    },
    onDidGrantWorkspaceTrust: (l: Listener<void>, thisArg?: unknown, bucket?: { dispose(): unknown }[]) => recorded.grantTrust.event(l, thisArg, bucket),

    onDidChangeConfiguration: (l: Listener<{ affectsConfiguration(section: string): boolean }>, thisArg?: unknown, bucket?: { dispose(): unknown }[]) =>
      recorded.configChange.event(l, thisArg, bucket),
  },
};

// Resolve `vscode` to the fake for every module loaded after this one.
const FAKE_PATH = path.join(__dirname, '__fake_vscode__.js');
const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolve = M._resolveFilename;
M._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? FAKE_PATH : resolve.call(this, request, ...rest);
};
require.cache[FAKE_PATH] = { id: FAKE_PATH, filename: FAKE_PATH, loaded: true, exports: fakeVscode } as unknown as NodeJS.Module;
