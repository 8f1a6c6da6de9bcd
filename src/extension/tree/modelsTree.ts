/**
 * The Teachers and Students view: per kd.json, its teachers and its student, each with its
 * source (model file or preset), parameter count and last measured test accuracy, and its
 * layers as children. Reads the open document when there is one (unsaved edits count).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codeColumn } from '../webviews/columns';
import type { RunSummary } from '../../protocol/events';
import { humanCount } from '../../protocol/format';
import { listRunDirs, readSummary, runsRootFor } from '../../protocol/runFolder';
import { COMMANDS } from '../commands/ids';
import { Disposable } from '../disposable';
import { isKdJsonPath, KD_EXCLUDE, KD_GLOB } from '../kdjson/kdFiles';
import { lastAccuracy, modelDescription, modelMarkdown, modelsOfKdJson, type KdJsonModels, type ModelEntry } from './modelInfo';

export type ModelNode =
  | { kind: 'kdjson'; uri: vscode.Uri; models: KdJsonModels; summaries: RunSummary[] }
  | { kind: 'model'; uri: vscode.Uri; entry: ModelEntry; accuracy?: number }
  | { kind: 'layer'; name: string; detail: string };

export function kdJsonText(uri: vscode.Uri): string {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc) return doc.getText();
  try {
    return fs.readFileSync(uri.fsPath, 'utf8');
  } catch {
    return '';
  }
}

/** Finished runs of one kd.json, newest first (a runs folder is shared by kd.jsons in one folder). */
function summariesOf(kdJson: string): RunSummary[] {
  return listRunDirs(runsRootFor(kdJson))
    .map(readSummary)
    .filter((s): s is RunSummary => !!s && path.resolve(s.configPath) === path.resolve(kdJson));
}

export class ModelsTreeProvider extends Disposable implements vscode.TreeDataProvider<ModelNode> {
  private readonly changed = this.track(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.changed.event;
  private timer: NodeJS.Timeout | undefined;
  roots: ModelNode[] = [];

  constructor() {
    super();
    this.onDispose(() => this.timer && clearTimeout(this.timer));
    const kd = this.track(vscode.workspace.createFileSystemWatcher(KD_GLOB));
    const summaries = this.track(vscode.workspace.createFileSystemWatcher('**/.distillery/runs/*/summary.json'));
    const refresh = () => this.refreshSoon();
    for (const d of [kd.onDidCreate(refresh), kd.onDidChange(refresh), kd.onDidDelete(refresh), summaries.onDidCreate(refresh), summaries.onDidDelete(refresh)])
      this.track(d);
    this.track(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (isKdJsonPath(e.document.uri.fsPath)) refresh();
      }),
    );
  }

  refreshSoon(ms = 400): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire();
    }, ms);
  }

  async getChildren(node?: ModelNode): Promise<ModelNode[]> {
    if (!node) {
      const uris = (await vscode.workspace.findFiles(KD_GLOB, KD_EXCLUDE, 500)).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
      this.roots = uris.map((uri) => ({ kind: 'kdjson', uri, models: modelsOfKdJson(kdJsonText(uri), uri.fsPath), summaries: summariesOf(uri.fsPath) }));
      return this.roots;
    }
    if (node.kind === 'kdjson') {
      const entries = [...node.models.teachers, ...(node.models.student ? [node.models.student] : [])];
      return entries.map((entry) => ({ kind: 'model', uri: node.uri, entry, accuracy: lastAccuracy(entry, node.summaries) }));
    }
    if (node.kind === 'model') {
      return (node.entry.info?.layers ?? []).map((l) => ({
        kind: 'layer',
        name: l.name,
        detail: `${l.className} [${l.outputShape.join(', ')}]${l.params ? ` · ${humanCount(l.params)}` : ''}`,
      }));
    }
    return [];
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    if (node.kind === 'kdjson') {
      const item = new vscode.TreeItem(node.models.name ?? vscode.workspace.asRelativePath(node.uri), vscode.TreeItemCollapsibleState.Expanded);
      item.description = node.models.name ? vscode.workspace.asRelativePath(node.uri) : undefined;
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.resourceUri = node.uri;
      item.contextValue = 'kdjson';
      item.id = node.uri.toString();
      item.command = { command: 'vscode.open', title: 'Open kd.json', arguments: [node.uri] };
      return item;
    }
    if (node.kind === 'model') {
      const e = node.entry;
      const item = new vscode.TreeItem(
        e.role === 'student' ? 'student' : e.id,
        e.info?.layers.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
      );
      item.id = `${node.uri.toString()}#${e.role}/${e.index}`;
      item.description = modelDescription(e, node.accuracy);
      item.tooltip = new vscode.MarkdownString(modelMarkdown(e, node.accuracy));
      item.iconPath = new vscode.ThemeIcon(
        e.role === 'student' ? 'mortar-board' : 'library',
        e.problem ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined,
      );
      item.contextValue = `model.${e.role}`;
      item.command = { command: COMMANDS.openModelDefinition, title: 'Open Definition', arguments: [node] };
      return item;
    }
    const item = new vscode.TreeItem(node.name);
    item.description = node.detail;
    item.iconPath = new vscode.ThemeIcon('symbol-field');
    return item;
  }
}

/** Opens a model's definition: its model.json when it is a file, else its kd.json entry. */
export async function openModelDefinition(node: ModelNode): Promise<vscode.TextEditor | undefined> {
  if (node.kind !== 'model') return undefined;
  const e = node.entry;
  if (e.modelFile && fs.existsSync(e.modelFile)) return vscode.window.showTextDocument(vscode.Uri.file(e.modelFile), { viewColumn: codeColumn() });
  const doc = await vscode.workspace.openTextDocument(node.uri);
  const range = new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length));
  // In the code's group, not the dashboard's (the tree's click would otherwise open it wherever the focus is).
  return vscode.window.showTextDocument(doc, { selection: range, viewColumn: codeColumn() });
}
