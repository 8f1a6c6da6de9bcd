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
  reset(): void {
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
  },
  workspace: {
    get isTrusted() {
      return recorded.trusted;
    },
    onDidGrantWorkspaceTrust: (l: Listener<void>, thisArg?: unknown, bucket?: { dispose(): unknown }[]) => recorded.grantTrust.event(l, thisArg, bucket),
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
