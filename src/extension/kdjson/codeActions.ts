/**
 * Quick fixes on kd.json diagnostics, as a vscode CodeActionProvider over the pure fixes
 * (quickFixes.ts). A vscode.Diagnostic carries only its range, code and message, so each of ours
 * is matched to the KdDiagnostic it was made from (the same range and code) in `diagnosticsOf`:
 * the provider's (kdjsonFeatures.ts) latest for the document.
 */
import * as vscode from 'vscode';
import type { KdDiagnostic } from './diagnostics';
import { quickFixesFor } from './quickFixes';

export function kdCodeActions(diagnosticsOf: (doc: vscode.TextDocument) => KdDiagnostic[], source: string): vscode.CodeActionProvider {
  return {
    provideCodeActions(doc, _range, ctx) {
      const ours = ctx.diagnostics.filter((d) => d.source === source);
      if (!ours.length) return [];
      const found = diagnosticsOf(doc);
      const actions: vscode.CodeAction[] = [];
      for (const d of ours) {
        const offset = doc.offsetAt(d.range.start);
        const length = doc.offsetAt(d.range.end) - offset;
        const kd = found.find((k) => k.offset === offset && k.length === length && k.code === d.code);
        if (!kd) continue;
        for (const fix of quickFixesFor(kd, doc.getText(d.range))) {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          action.edit = new vscode.WorkspaceEdit();
          action.edit.replace(doc.uri, d.range, fix.newText);
          action.diagnostics = [d];
          action.isPreferred = fix.preferred;
          actions.push(action);
        }
      }
      return actions;
    },
  };
}
