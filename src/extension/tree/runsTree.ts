/**
 * The Runs view: every run folder in `.distillery/runs/` beside every kd.json, newest first,
 * plus runs this window has queued that have no folder yet. It reads disk on every refresh
 * (so it survives reloads and shows CLI runs), refreshed by a FileSystemWatcher on the run
 * folders and by RunManager events, debounced; while a run without a summary is shown, a
 * slow timer re-reads so that a dead engine turns "crashed" without any file event. Each
 * events.jsonl is read incrementally (protocol/runReader.ts), from where the last read ended.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import { FILES, listRunDirs, runsRootFor } from '../../protocol/runFolder';
import { RunFolderReader } from '../../protocol/runReader';
import { readSweep, SWEEP_FILES, sweepsRootFor, type SweepFile } from '../../protocol/sweep';
import { COMMANDS } from '../commands/ids';
import { KD_EXCLUDE, KD_GLOB } from '../kdjson/kdFiles';
import type { RunManager } from '../runs/runManager';
import { isRenamed, labelRecords } from './runIdentity';
import { deriveRunRecord, runItemModel, sweepItemModel, timeFromRunId, trialLabel, type RunRecord } from './runInfo';

/** How often the runs folders are scanned, in case a file watcher missed an event. */
const SCAN_MS = 4000;

/** A run node carries runId/runDir on top, so other commands (dashboards) resolve it too. */
export type RunNode =
  | { kind: 'run'; record: RunRecord; runId: string; runDir: string; label?: string }
  | { kind: 'sweep'; sweep: SweepFile; sweepDir: string; trials: RunNode[] }
  | { kind: 'empty'; message: string };

export class RunsTreeProvider implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  /** The records of the latest getChildren, for commands and tests. */
  records: RunRecord[] = [];
  /** Runs folders seen by the last load, and what they held, for the safety-net scan. */
  private knownRoots: string[] = [];
  /** Sweeps folders beside every kd.json, for the same scan: a sweep started elsewhere (the CLI) appears without a watcher event. */
  private knownSweepRoots: string[] = [];
  private lastSignature = '';
  /** Reads only what the engines appended to each events.jsonl since the last refresh. */
  private readonly reader = new RunFolderReader();

  constructor(
    private readonly runs: RunManager,
    debounceMs = 300,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.distillery/{runs,sweeps}/**');
    const kdWatcher = vscode.workspace.createFileSystemWatcher(KD_GLOB);
    const refresh = () => this.refreshSoon(debounceMs);
    this.disposables.push(
      watcher,
      kdWatcher,
      watcher.onDidCreate(refresh),
      watcher.onDidChange(refresh),
      watcher.onDidDelete(refresh),
      kdWatcher.onDidCreate(refresh),
      kdWatcher.onDidDelete(refresh),
      runs.onDidChange(refresh),
      runs.onMessage(({ message }) => {
        if (message.type !== 'log') refresh();
      }),
    );
    // File watchers can miss events (seen in CI under load, and common on network or WSL
    // folders); a cheap scan of the known runs folders every few seconds catches up.
    const scan = setInterval(() => {
      const signature = this.signature();
      if (signature !== this.lastSignature) {
        this.lastSignature = signature;
        refresh();
      }
    }, SCAN_MS);
    this.disposables.push({ dispose: () => clearInterval(scan) });
  }

  /** Run folder names and which have a summary, under every known runs root; sweep folders and when their sweep.json changed. */
  private signature(): string {
    const names = (root: string) => {
      try {
        return fs.readdirSync(root);
      } catch {
        return []; // Not created yet.
      }
    };
    const runs = this.knownRoots.map(
      (root) =>
        `${root}:${names(root)
          .map((n) => (fs.existsSync(path.join(root, n, FILES.summary)) ? `${n}+` : n))
          .join(',')}`,
    );
    const sweeps = this.knownSweepRoots.map(
      (root) =>
        `${root}:${names(root)
          .map((n) => `${n}@${fs.statSync(path.join(root, n, SWEEP_FILES.sweep), { throwIfNoEntry: false })?.mtimeMs ?? ''}`)
          .join(',')}`,
    );
    return [...runs, ...sweeps].join('|');
  }

  refreshSoon(ms = 300): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire();
    }, ms);
  }

  refresh(): void {
    this.changed.fire();
  }

  /** Every run on disk and in this window's queue, newest first. */
  async loadRecords(): Promise<RunRecord[]> {
    const kdJsons = await vscode.workspace.findFiles(KD_GLOB, KD_EXCLUDE, 500);
    const now = Date.now();
    const roots = new Map<string, string>();
    for (const uri of kdJsons) roots.set(runsRootFor(uri.fsPath), uri.fsPath);
    const records: RunRecord[] = [];
    const seen = new Set<string>();
    for (const root of roots.keys()) {
      for (const dir of listRunDirs(root)) {
        const folder = this.reader.read(dir);
        const managed = this.runs.get(folder.runId)?.state;
        records.push(deriveRunRecord(folder, managed, now, this.runs.get(folder.runId)?.configPath));
        seen.add(folder.runId);
      }
    }
    for (const run of this.runs.all) {
      if (seen.has(run.runId) || run.state === 'finished') continue;
      // Queued, or started but the engine has not written its first event yet.
      records.push({
        runId: run.runId,
        runDir: run.runDir,
        configPath: run.configPath,
        name: run.name,
        status: run.state === 'queued' ? 'queued' : 'running',
        startedAt: timeFromRunId(run.runId),
      });
    }
    records.sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
    labelRecords(records);
    this.knownRoots = [...roots.keys()];
    this.lastSignature = this.signature();
    return records;
  }

  /** Sweeps beside every kd.json, each with its trials' run records. */
  async loadSweeps(): Promise<Extract<RunNode, { kind: 'sweep' }>[]> {
    const kdJsons = await vscode.workspace.findFiles(KD_GLOB, KD_EXCLUDE, 500);
    const roots = new Set(kdJsons.map((u) => sweepsRootFor(u.fsPath)));
    this.knownSweepRoots = [...roots];
    const now = Date.now();
    const out: Extract<RunNode, { kind: 'sweep' }>[] = [];
    for (const root of roots) {
      let names: string[];
      try {
        names = fs.readdirSync(root).filter((n) => fs.existsSync(path.join(root, n, SWEEP_FILES.sweep)));
      } catch {
        continue;
      }
      for (const name of names) {
        const sweepDir = path.join(root, name);
        const sweep = readSweep(sweepDir);
        if (!sweep) continue;
        const trials: RunNode[] = sweep.trials.map((t) => {
          const runDir = path.resolve(sweepDir, t.runDir);
          const record = fs.existsSync(runDir)
            ? deriveRunRecord(this.reader.read(runDir), this.runs.get(path.basename(runDir))?.state, now, sweep.configPath)
            : ({
                runId: path.basename(runDir),
                runDir,
                configPath: sweep.configPath,
                name: t.id,
                status: t.status === 'running' ? 'crashed' : t.status,
              } as RunRecord);
          return { kind: 'run', record, runId: record.runId, runDir, label: trialLabel(t, sweep.baselineStart) };
        });
        // Siblings are the sweep's own trials (their folders share the sweep's runs folder).
        labelRecords(trials.flatMap((n) => (n.kind === 'run' ? [n.record] : [])));
        out.push({ kind: 'sweep', sweep, sweepDir, trials });
      }
    }
    return out;
  }

  async getChildren(node?: RunNode): Promise<RunNode[]> {
    if (node) return node.kind === 'sweep' ? node.trials : [];
    const [records, sweeps] = await Promise.all([this.loadRecords(), this.loadSweeps()]);
    const trialRecords = sweeps.flatMap((s) => s.trials.flatMap((t) => (t.kind === 'run' ? [t.record] : [])));
    this.records = [...records, ...trialRecords];
    this.reader.prune();
    this.schedulePoll();
    const runs: RunNode[] = records.map((record) => ({ kind: 'run', record, runId: record.runId, runDir: record.runDir }));
    const key = (n: RunNode) => (n.kind === 'run' ? (n.record.startedAt ?? n.runId) : n.kind === 'sweep' ? n.sweep.startedAt : '');
    return [...runs, ...sweeps].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
  }

  private schedulePoll(): void {
    if (this.poll) clearTimeout(this.poll);
    // Runs without a summary may turn crashed as time passes, with no file event to say so.
    if (this.records.some((r) => r.status === 'running' || r.status === 'queued')) {
      this.poll = setTimeout(() => this.changed.fire(), 15_000);
    }
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    if (node.kind === 'empty') return new vscode.TreeItem(node.message);
    if (node.kind === 'sweep') {
      const m = sweepItemModel(node.sweep, Date.now());
      const item = new vscode.TreeItem(m.label, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `sweep:${node.sweepDir}`;
      item.description = m.description;
      item.tooltip = m.tooltip;
      item.iconPath = new vscode.ThemeIcon(m.icon === 'pass' ? 'graph-scatter' : m.icon, m.color ? new vscode.ThemeColor(m.color) : undefined);
      item.contextValue = m.contextValue;
      item.resourceUri = vscode.Uri.file(node.sweepDir);
      item.command = { command: COMMANDS.openSweep, title: 'Open Sweep', arguments: [{ sweepDir: node.sweepDir }] };
      return item;
    }
    const m = runItemModel(node.record, Date.now());
    // A sweep trial reads as its setting and seed, unless a person named it.
    const item = new vscode.TreeItem(isRenamed(node.record) ? m.label : (node.label ?? m.label), vscode.TreeItemCollapsibleState.None);
    item.id = node.record.runId;
    item.description = m.description;
    item.tooltip = new vscode.MarkdownString(m.tooltip.split('\n').join('  \n'));
    item.iconPath = new vscode.ThemeIcon(m.icon, m.color ? new vscode.ThemeColor(m.color) : undefined);
    item.contextValue = m.contextValue;
    item.resourceUri = vscode.Uri.file(node.record.runDir);
    item.command = { command: COMMANDS.openRun, title: 'Open Run', arguments: [node] };
    return item;
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearTimeout(this.poll);
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
