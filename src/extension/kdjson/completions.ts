/**
 * What to complete where in a kd.json: model file paths, IDX data files, layer names of
 * feature/attention pairs, and teacher ids. The position logic (jsonc-parser's getLocation,
 * as VS Code's own npm/package.json completions do) and the candidate lists are pure and
 * unit-tested; kdjsonFeatures.ts turns them into vscode.CompletionItems.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findNodeAtLocation, getLocation, parseTree } from 'jsonc-parser';
import { modelsOfKdJson } from '../tree/modelInfo';

export type CompletionKind = 'modelFile' | 'idxFile' | 'teacherLayer' | 'studentLayer' | 'teacherId';

export interface CompletionSite {
  kind: CompletionKind;
  /** The span to replace: the whole string token (quotes included) or an empty span. */
  offset: number;
  length: number;
  /** For teacherLayer: the pair's `teacher` id, when it names one. */
  teacherId?: string;
  /** For modelFile: a teacher's model (which may also be an ONNX file). */
  teacherModel?: boolean;
}

export interface Candidate {
  /** The value, without quotes. */
  value: string;
  detail?: string;
  kind: 'file' | 'layer' | 'id';
}

/** Which completion applies at `offset`, if any. */
export function completionSite(text: string, offset: number): CompletionSite | undefined {
  const loc = getLocation(text, offset);
  if (loc.isAtPropertyKey) return undefined;
  const p = loc.path;
  let kind: CompletionKind | undefined;
  if ((p.length === 3 && p[0] === 'teachers' && typeof p[1] === 'number' && p[2] === 'model') || (p.length === 2 && p[0] === 'student' && p[1] === 'model'))
    kind = 'modelFile';
  else if (p.length === 4 && p[0] === 'data' && p[1] === 'source' && (p[2] === 'train' || p[2] === 'test') && (p[3] === 'images' || p[3] === 'labels'))
    kind = 'idxFile';
  else if (p.length === 3 && p[0] === 'outputs' && (p[2] === 'target' || p[2] === 'testTarget')) kind = 'idxFile';
  else if (p.length === 4 && p[0] === 'distillation' && (p[1] === 'features' || p[1] === 'attention') && typeof p[2] === 'number') {
    kind = p[3] === 'teacherLayer' ? 'teacherLayer' : p[3] === 'studentLayer' ? 'studentLayer' : p[3] === 'teacher' ? 'teacherId' : undefined;
  }
  if (!kind) return undefined;
  const prev = loc.previousNode;
  const site: CompletionSite =
    prev && prev.type === 'string' && offset >= prev.offset && offset <= prev.offset + prev.length
      ? { kind, offset: prev.offset, length: prev.length }
      : { kind, offset, length: 0 };
  if (kind === 'modelFile' && p[0] === 'teachers') site.teacherModel = true;
  if (kind === 'teacherLayer') {
    const root = parseTree(text, [], { allowTrailingComma: true });
    const id = root && findNodeAtLocation(root, [...p.slice(0, 3), 'teacher']);
    if (id?.type === 'string') site.teacherId = id.value;
  }
  return site;
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.cache', 'dist', 'out']);

/** Files under `dir` (depth-limited, bounded), as paths relative to `dir` with forward slashes. */
export function walkFiles(dir: string, accept: (abs: string, name: string) => boolean, maxDepth = 5, max = 200): string[] {
  const found: string[] = [];
  const visit = (d: string, depth: number) => {
    if (depth > maxDepth || found.length >= max) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (found.length >= max) return;
      const abs = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) visit(abs, depth + 1);
      } else if (e.isFile() && accept(abs, e.name)) {
        found.push(path.relative(dir, abs).split(path.sep).join('/'));
      }
    }
  };
  visit(dir, 0);
  return found;
}

/** A tfjs LayersModel model.json: a .json file with a modelTopology (small files only). */
export function isModelJson(abs: string, name: string): boolean {
  if (!name.endsWith('.json') || name === 'kd.json' || name.endsWith('.kd.json') || name === 'package.json') return false;
  try {
    if (fs.statSync(abs).size > 20 * 1024 * 1024) return false;
    return fs.readFileSync(abs, 'utf8').includes('"modelTopology"');
  } catch {
    return false;
  }
}

export const IDX_NAME = /(-ubyte|\.idx\d?(-ubyte)?)(\.gz)?$|\.gz$/i;

export function candidates(site: CompletionSite, text: string, file: string): Candidate[] {
  const baseDir = path.dirname(file);
  switch (site.kind) {
    case 'modelFile':
      return [
        ...walkFiles(baseDir, isModelJson).map((value) => ({ value, kind: 'file' as const, detail: 'tfjs model.json' })),
        ...(site.teacherModel
          ? walkFiles(baseDir, (_abs, name) => name.toLowerCase().endsWith('.onnx')).map((value) => ({
              value,
              kind: 'file' as const,
              detail: 'ONNX (teachers only)',
            }))
          : []),
      ];
    case 'idxFile':
      return walkFiles(baseDir, (_abs, name) => IDX_NAME.test(name)).map((value) => ({ value, kind: 'file', detail: 'IDX file' }));
    case 'teacherId':
      return modelsOfKdJson(text, file).teachers.map((t) => ({ value: t.id, kind: 'id', detail: t.source }));
    case 'teacherLayer':
    case 'studentLayer': {
      const models = modelsOfKdJson(text, file);
      const entry = site.kind === 'studentLayer' ? models.student : site.teacherId ? models.teachers.find((t) => t.id === site.teacherId) : models.teachers[0];
      return (entry?.info?.layers ?? []).map((l) => ({ value: l.name, kind: 'layer', detail: `${l.className} [${l.outputShape.join(', ')}]` }));
    }
  }
}
