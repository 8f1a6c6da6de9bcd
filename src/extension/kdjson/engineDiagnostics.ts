/**
 * The engine's verdict on a saved kd.json (`engine --validate`: data, model files, shapes,
 * layer names, batch size) as editor diagnostics. Pure: no vscode, no tfjs. The engine placed
 * its issues against the file on disk; the text may have changed since, so each issue is
 * placed again by its JSON path in the current text, with the same locateIssues the CLI uses.
 */
import { locateIssues, type ConfigIssue } from '../../protocol/loadConfig';
import { CODES, type KdDiagnostic } from './diagnostics';

/**
 * Diagnostics for the engine's issues. `known` are the diagnostics found from the text alone:
 * an engine issue at a path an error there already covers says the same thing again, and is
 * left out. An issue about the whole file (path []) points at its first character.
 */
export function engineIssuesToDiagnostics(text: string, issues: ConfigIssue[], known: Pick<KdDiagnostic, 'path' | 'severity'>[] = []): KdDiagnostic[] {
  const covered = new Set(known.filter((d) => d.severity === 'error').map((d) => JSON.stringify(d.path)));
  const fresh = issues.filter((i) => !covered.has(JSON.stringify(i.path))).map(({ path, message }): ConfigIssue => ({ path, message }));
  return locateIssues(text, fresh).map((i) => ({
    offset: i.path.length ? (i.offset ?? 0) : 0,
    length: i.path.length ? Math.max(1, i.length ?? 1) : 1,
    message: i.message,
    severity: 'error',
    code: CODES.engineCheck,
    path: i.path,
  }));
}
