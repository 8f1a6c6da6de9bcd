/**
 * Which run a command means, decided here for every command (the dashboards, Compare, Stop,
 * Re-run, Resume, Delete, Export…). The argument may be a run id, `{ runId, runDir }`, a run
 * folder or a file inside one (a Uri or an absolute path), or a Runs-tree node; with no
 * argument, the user picks from the runs on disk (the Runs tree's records, so the picker and
 * the tree agree on names and statuses).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FILES } from '../../protocol/runFolder';
import type { RunManager } from '../runs/runManager';
import { keyResult, type RunRecord } from '../tree/runInfo';
import type { RunsTreeProvider } from '../tree/runsTree';

export interface RunRef {
  runId: string;
  runDir: string;
}

/** Where runs are known: this window's engines, and the runs on disk as the Runs tree lists them. */
export interface RunSources {
  runs: RunManager;
  tree: RunsTreeProvider;
}

/** The run an argument names, or undefined when it names none. */
export async function resolveRun(arg: unknown, src: RunSources): Promise<RunRef | undefined> {
  if (arg instanceof vscode.Uri) return fromDir(arg.fsPath);
  if (typeof arg === 'string') return path.isAbsolute(arg) ? fromDir(arg) : byId(arg, src);
  if (arg && typeof arg === 'object') {
    const o = arg as { runId?: unknown; runDir?: unknown; resourceUri?: unknown; run?: unknown; record?: unknown };
    if (typeof o.runDir === 'string') return { runId: typeof o.runId === 'string' ? o.runId : path.basename(o.runDir), runDir: o.runDir };
    if (o.resourceUri instanceof vscode.Uri) return fromDir(o.resourceUri.fsPath);
    if (o.run) return resolveRun(o.run, src);
    if (typeof o.runId === 'string') return byId(o.runId, src);
  }
  return undefined;
}

/** By id: a run of this window (queued ones have no folder yet), one the tree lists, or a folder found in the workspace. */
async function byId(runId: string, { runs, tree }: RunSources): Promise<RunRef | undefined> {
  const live = runs.get(runId);
  if (live) return { runId: live.runId, runDir: live.runDir };
  const listed = tree.records.find((r) => r.runId === runId) ?? (await tree.loadRecords()).find((r) => r.runId === runId);
  if (listed) return { runId: listed.runId, runDir: listed.runDir };
  const found = await vscode.workspace.findFiles(`**/.distillery/runs/${runId}/${FILES.events}`, '**/node_modules/**', 1);
  return found[0] ? fromDir(path.dirname(found[0].fsPath)) : undefined;
}

function fromDir(p: string): RunRef | undefined {
  let dir = p;
  if (fs.existsSync(dir) && fs.statSync(dir).isFile()) dir = path.dirname(dir);
  // A file deeper inside the run folder (student/model.json): walk up to the folder with events.jsonl.
  for (let d = dir, i = 0; i < 3; i++, d = path.dirname(d))
    if (fs.existsSync(path.join(d, FILES.events)) || fs.existsSync(path.join(d, FILES.config))) return { runId: path.basename(d), runDir: d };
  return fs.existsSync(dir) ? { runId: path.basename(dir), runDir: dir } : undefined;
}

/** What an unresolvable argument is called in a message. */
export function describeArg(arg: unknown): string {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (arg && typeof arg === 'object' && typeof (arg as { runId?: unknown }).runId === 'string') return (arg as { runId: string }).runId;
  return JSON.stringify(arg);
}

type RecordFilter = (r: RunRecord) => boolean;

function pickItems(records: RunRecord[]) {
  return records.map((r) => ({
    label: r.name,
    // What differs from its sibling runs ("T4 α0.7 · #68c7") says which of a kd.json's runs it is.
    description: [r.autoLabel, ...(r.tags ?? []).map((t) => `#${t}`), r.status, r.runId].filter(Boolean).join(' · '),
    detail: [vscode.workspace.asRelativePath(r.runDir), keyResult(r)].filter(Boolean).join(' · '),
    record: r,
  }));
}

async function listed(tree: RunsTreeProvider, filter: RecordFilter): Promise<RunRecord[] | undefined> {
  const records = (await tree.loadRecords()).filter(filter);
  if (records.length) return records;
  void vscode.window.showInformationMessage('No Distillery runs here yet. Start one with "Distill: Start Run".');
  return undefined;
}

/** The quick pick of one run on disk (the Runs tree's records, newest first). */
export async function pickRun(tree: RunsTreeProvider, title: string, filter: RecordFilter = () => true): Promise<RunRecord | undefined> {
  const records = await listed(tree, filter);
  return records && (await vscode.window.showQuickPick(pickItems(records), { title }))?.record;
}

/** The quick pick of several runs (Compare). */
export async function pickRuns(tree: RunsTreeProvider, title: string): Promise<RunRecord[] | undefined> {
  const records = await listed(tree, () => true);
  return (
    records && (await vscode.window.showQuickPick(pickItems(records), { title, canPickMany: true, placeHolder: 'Pick two or more runs' }))?.map((p) => p.record)
  );
}

/** The run a command acts on: its argument's, or a pick; undefined (with a message) when there is none. */
export async function whichRun(arg: unknown, src: RunSources, title: string): Promise<RunRef | undefined> {
  if (arg === undefined) return pickRun(src.tree, title);
  const ref = await resolveRun(arg, src);
  if (!ref) void vscode.window.showErrorMessage(`No Distillery run folder for ${describeArg(arg)}.`);
  return ref;
}

/**
 * The run's record (status, kd.json, summary) for the commands that need more than its folder:
 * the argument's run as the Runs tree lists it, or a pick among those `filter` accepts.
 */
export async function whichRecord(arg: unknown, src: RunSources, title: string, filter: RecordFilter = () => true): Promise<RunRecord | undefined> {
  if (arg === undefined) return pickRun(src.tree, title, filter);
  // A Runs-tree node carries its record (a sweep's trials too, which the runs list leaves out).
  const node = arg as { kind?: unknown; record?: RunRecord };
  if (node && node.kind === 'run' && node.record) return node.record;
  const ref = await resolveRun(arg, src);
  const find = (records: RunRecord[]) => ref && (records.find((r) => r.runDir === ref.runDir) ?? records.find((r) => r.runId === ref.runId));
  const record = find(src.tree.records) ?? find(await src.tree.loadRecords());
  if (!record) void vscode.window.showErrorMessage(`No Distillery run ${describeArg(arg)}.`);
  return record;
}
