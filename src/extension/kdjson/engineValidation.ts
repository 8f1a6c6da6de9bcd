/**
 * The editor's share of `distill validate`: when a kd.json is opened or saved in a trusted
 * workspace, the engine's validate mode (`engine --validate`) checks the saved file as a run
 * would before training — data headers and sizes, model files, shapes, layer names — in a
 * child process, so the extension host never loads tfjs. Per file: debounced, one check at a
 * time, a newer request kills the older check, and disposing kills them all. The issues are
 * kept per file; kdjsonFeatures.ts places them in the current text (engineDiagnostics.ts).
 */
import * as vscode from 'vscode';
import { describeExit } from '../../client/abnormalExit';
import { EngineProcess } from '../../client/engineProcess';
import type { ConfigIssue } from '../../protocol/loadConfig';
import { launchDecisionFor } from '../runs/launch';

export class EngineValidation implements vscode.Disposable {
  private readonly checks = new Map<string, EngineProcess>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly issues = new Map<string, ConfigIssue[]>();

  /** `onResult` is called with a file's uri whenever its engine issues change. */
  constructor(
    private readonly enginePath: string,
    private readonly onResult: (uri: vscode.Uri) => void,
  ) {}

  /** The engine's issues from the last finished check of this file (none before one finished). */
  issuesOf(uri: vscode.Uri): ConfigIssue[] {
    return this.issues.get(uri.toString()) ?? [];
  }

  /** Checks the saved file after `ms`, replacing any check of it pending or running. */
  request(uri: vscode.Uri, ms = 300): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.start(uri);
      }, ms),
    );
  }

  /** Drops what is known and running for this file (closed, or its text has errors of its own). */
  forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.checks.get(key)?.kill();
    this.checks.delete(key);
    if (this.issues.delete(key)) this.onResult(uri);
  }

  private start(uri: vscode.Uri): void {
    const key = uri.toString();
    this.checks.get(key)?.kill();
    this.checks.delete(key);
    // A check loads the workspace's model files in a process: the launch policy of runs applies.
    if (uri.scheme !== 'file') return;
    const decision = launchDecisionFor(uri);
    // Untrusted: no check at all (restricted mode); a bad nodePath: say why there is none.
    if (!decision.ok)
      return vscode.workspace.isTrusted
        ? this.settle(key, uri, [{ path: [], message: `${decision.problem}; kd.json was not checked by the engine.` }])
        : undefined;
    const engine = new EngineProcess({ enginePath: this.enginePath, launch: decision.request, job: { kind: 'validate', configPath: uri.fsPath } });
    this.checks.set(key, engine);
    let found: ConfigIssue[] | undefined;
    let failure: string | undefined;
    engine.onMessage((m) => {
      if (m.type === 'config_error') found = m.issues;
      else if (m.type === 'engine_failed') failure = m.message;
    });
    void engine.exited.then((exit) => {
      // A newer check (or forget, or dispose) replaced this one: its answer is stale.
      if (this.checks.get(key) !== engine) return;
      this.checks.delete(key);
      if (found) return this.settle(key, uri, found);
      if (exit.code === 0) return this.settle(key, uri, []);
      // The engine's own words (sent over IPC) before its stderr's last line.
      const last = failure ?? exit.stderrTail.trim().split('\n').pop() ?? '';
      this.settle(key, uri, [{ path: [], message: `the engine failed while checking this file: ${describeExit(exit).error}${last ? ` (${last})` : ''}` }]);
    });
  }

  private settle(key: string, uri: vscode.Uri, issues: ConfigIssue[]): void {
    this.issues.set(key, issues);
    this.onResult(uri);
  }

  dispose(): void {
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
    this.checks.forEach((c) => c.kill());
    this.checks.clear();
  }
}
