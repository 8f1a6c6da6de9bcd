/**
 * Which files are kd.json files, decided once: `kd.json` or `<name>.kd.json`, found by KD_GLOB
 * outside node_modules and Distillery's own folders (a sweep's trial configs are not
 * experiments of their own). No vscode import.
 */
import * as path from 'node:path';

export const KD_GLOB = '**/{kd.json,*.kd.json}';
export const KD_EXCLUDE = '**/{node_modules,.distillery}/**';

export function isKdJsonPath(fsPath: string): boolean {
  const base = path.basename(fsPath);
  return base === 'kd.json' || base.endsWith('.kd.json');
}

/** An open document the kd.json features apply to (JSON or JSONC, named as a kd.json). */
export function isKdJsonDocument(doc: { languageId: string; uri: { fsPath: string } }): boolean {
  return (doc.languageId === 'json' || doc.languageId === 'jsonc') && isKdJsonPath(doc.uri.fsPath);
}
