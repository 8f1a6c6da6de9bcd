/**
 * The editor's help on kd.json, as thin vscode adapters over the pure modules: completions
 * (completions.ts), diagnostics as you type (diagnostics.ts) and, on open and save, from the
 * engine's pre-training checks (engineValidation.ts, engineDiagnostics.ts), quick fixes for the guide's
 * advice, hovers on teachers and students (tree/modelInfo.ts), and a CodeLens to run it.
 */
import * as vscode from 'vscode';
import { getLocation } from 'jsonc-parser';
import { candidates, completionSite } from './completions';
import { computeDiagnostics, type KdDiagnostic } from './diagnostics';
import { kdCodeActions } from './codeActions';
import { engineIssuesToDiagnostics } from './engineDiagnostics';
import { EngineValidation } from './engineValidation';
import { modelMarkdown, modelsOfKdJson } from '../tree/modelInfo';
import { affectsSetting, studentSizeHintRatio } from '../settings';
import type { Disposable } from '../disposable';
import { KdCodeLens } from './codeLens';
import { isKdJsonDocument, KD_GLOB } from './kdFiles';

export const KD_SELECTOR: vscode.DocumentSelector = [
  { language: 'json', pattern: KD_GLOB },
  { language: 'jsonc', pattern: KD_GLOB },
];

const SEVERITY: Record<KdDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export const DIAGNOSTIC_SOURCE = 'distillery';

function toDiagnostic(doc: vscode.TextDocument, d: KdDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(doc.positionAt(d.offset), doc.positionAt(d.offset + d.length));
  const diag = new vscode.Diagnostic(range, d.message, SEVERITY[d.severity]);
  diag.source = DIAGNOSTIC_SOURCE;
  diag.code = d.code;
  return diag;
}

export function registerKdJsonFeatures(owner: Disposable, enginePath: string): vscode.DiagnosticCollection {
  const collection = vscode.languages.createDiagnosticCollection('distillery');
  const timers = new Map<string, NodeJS.Timeout>();

  const documentOf = (uri: vscode.Uri) => vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const engine = new EngineValidation(enginePath, (uri) => {
    const doc = documentOf(uri);
    if (doc) validate(doc);
  });
  /** The diagnostics of each document's text, as last computed, with the version they were computed for. */
  const latest = new Map<string, { version: number; found: KdDiagnostic[] }>();
  const textDiagnostics = (doc: vscode.TextDocument): KdDiagnostic[] => {
    const found = computeDiagnostics(doc.getText(), doc.uri.fsPath, { studentSizeHintRatio: studentSizeHintRatio() });
    latest.set(doc.uri.toString(), { version: doc.version, found });
    return found;
  };
  /** The quick fixes' view: the latest diagnostics when they are of this text, else computed afresh. */
  const diagnosticsOf = (doc: vscode.TextDocument): KdDiagnostic[] => {
    const known = latest.get(doc.uri.toString());
    return known && known.version === doc.version ? known.found : textDiagnostics(doc);
  };
  /** The text's own diagnostics, then the last engine check's issues placed in the current text. */
  const validate = (doc: vscode.TextDocument): KdDiagnostic[] => {
    if (!isKdJsonDocument(doc) || doc.uri.scheme !== 'file') return [];
    const text = doc.getText();
    const found = textDiagnostics(doc);
    const all = [...found, ...engineIssuesToDiagnostics(text, engine.issuesOf(doc.uri), found)];
    collection.set(
      doc.uri,
      all.map((d) => toDiagnostic(doc, d)),
    );
    return found;
  };
  /** On open and save: the engine checks the saved file, unless the text has errors of its own to fix first. */
  const validateSaved = (doc: vscode.TextDocument) => {
    const found = validate(doc);
    if (!isKdJsonDocument(doc) || doc.uri.scheme !== 'file') return;
    if (found.some((d) => d.severity === 'error') || doc.isDirty) engine.forget(doc.uri);
    else engine.request(doc.uri);
  };
  const validateSoon = (doc: vscode.TextDocument, ms = 250) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        validate(doc);
      }, ms),
    );
  };
  vscode.workspace.textDocuments.forEach((d) => validateSaved(d));
  const codeLens = new KdCodeLens();

  const owned: vscode.Disposable[] = [
    collection,
    engine,
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
    vscode.workspace.onDidOpenTextDocument((d) => validateSaved(d)),
    vscode.workspace.onDidSaveTextDocument((d) => validateSaved(d)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => vscode.workspace.textDocuments.forEach((d) => validateSaved(d))),
    vscode.workspace.onDidChangeTextDocument((e) => validateSoon(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => {
      engine.forget(d.uri);
      collection.delete(d.uri);
      latest.delete(d.uri.toString());
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsSetting(e, 'studentSizeHintRatio')) vscode.workspace.textDocuments.forEach((d) => validate(d));
    }),
    // A model or data file appearing or vanishing changes what is missing.
    (() => {
      const w = vscode.workspace.createFileSystemWatcher('**/*.{json,gz}');
      const again = () => vscode.workspace.textDocuments.filter(isKdJsonDocument).forEach((d) => validateSoon(d, 500));
      return vscode.Disposable.from(w, w.onDidCreate(again), w.onDidDelete(again));
    })(),

    vscode.languages.registerCompletionItemProvider(
      KD_SELECTOR,
      {
        provideCompletionItems(doc, position) {
          const offset = doc.offsetAt(position);
          const site = completionSite(doc.getText(), offset);
          if (!site) return undefined;
          const range = new vscode.Range(doc.positionAt(site.offset), doc.positionAt(site.offset + site.length));
          return candidates(site, doc.getText(), doc.uri.fsPath).map((c, i) => {
            const item = new vscode.CompletionItem(
              c.value,
              c.kind === 'file' ? vscode.CompletionItemKind.File : c.kind === 'layer' ? vscode.CompletionItemKind.Field : vscode.CompletionItemKind.Reference,
            );
            item.insertText = JSON.stringify(c.value);
            item.filterText = JSON.stringify(c.value);
            item.range = range;
            item.detail = c.detail;
            item.sortText = String(i).padStart(4, '0');
            return item;
          });
        },
      },
      '"',
      '/',
    ),

    // Quick fixes (codeActions.ts), from the diagnostics of the document's current text.
    vscode.languages.registerCodeActionsProvider(KD_SELECTOR, kdCodeActions(diagnosticsOf, DIAGNOSTIC_SOURCE), {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),

    vscode.languages.registerHoverProvider(KD_SELECTOR, {
      provideHover(doc, position) {
        const loc = getLocation(doc.getText(), doc.offsetAt(position));
        const p = loc.path;
        const models = () => modelsOfKdJson(doc.getText(), doc.uri.fsPath);
        let md: string | undefined;
        if (p[0] === 'teachers' && typeof p[1] === 'number' && p.length <= 3) {
          const entry = models().teachers.find((t) => t.index === p[1]);
          if (entry) md = modelMarkdown(entry);
        } else if (p[0] === 'student' && p.length <= 2) {
          const entry = models().student;
          if (entry) md = modelMarkdown(entry);
        }
        return md ? new vscode.Hover(new vscode.MarkdownString(md)) : undefined;
      },
    }),

    // Disposed in this order: the registration, then the lens with its listeners.
    vscode.languages.registerCodeLensProvider(KD_SELECTOR, codeLens),
    codeLens,
  ];
  for (const d of owned) owner.track(d);
  return collection;
}
