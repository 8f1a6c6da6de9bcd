/**
 * The one list of the kd.json keys that hold a path (relative to the kd.json's folder). Every
 * reader of paths goes through it: the file checks and the workspace-containment check
 * (loadConfig.ts), and a sweep's derived trial configs, which live in the sweep folder and so
 * need every path made absolute (sweep/derive.ts). A new path-bearing key added to the schema
 * is added here, once, and all of them follow.
 */
import { isBuiltinTarget, type KdConfig } from './config';
import type { IdxAllowed } from './idxHeader';

export type JsonPath = (string | number)[];

export interface PathKey {
  /** The key's place; `*` is every array index or record key there. */
  pattern: readonly string[];
  /** Words for messages: "teacher model not found: …". */
  kind: string;
  /** A file to read, a folder a run writes (a teacher's save folder), or a folder to read (an image folder). */
  role: 'file' | 'folder' | 'inputFolder';
  /** The key holds a path only for this data.source format (a CIFAR list and an IDX pair are both under data.source.train). */
  format?: string;
  /** The value may name an array inside an .npz archive: "file.npz#key" (the file is the part before "#"). */
  npzKey?: boolean;
  /** Values that name no file (built-in targets). */
  notAPath?: (value: string) => boolean;
  /** Said when the file is missing, after `kind`. */
  missingHint?: string;
  /** An IDX file, whose header the file checks read: `uint8` for labels, `pixels` (bytes or float32) for images, `any` for float targets. */
  idx?: IdxAllowed;
}

export const PATH_KEYS: readonly PathKey[] = [
  { pattern: ['teachers', '*', 'model'], kind: 'teacher model', role: 'file' },
  { pattern: ['teachers', '*', 'save'], kind: 'teacher save folder', role: 'folder' },
  { pattern: ['student', 'model'], kind: 'student model', role: 'file' },
  { pattern: ['data', 'source', 'train', 'images'], kind: 'IDX image file', role: 'file', idx: 'pixels' },
  { pattern: ['data', 'source', 'train', 'labels'], kind: 'IDX label file', role: 'file', idx: 'uint8' },
  { pattern: ['data', 'source', 'test', 'images'], kind: 'IDX image file', role: 'file', idx: 'pixels' },
  { pattern: ['data', 'source', 'test', 'labels'], kind: 'IDX label file', role: 'file', idx: 'uint8' },
  { pattern: ['data', 'unlabeledImages'], kind: 'IDX image file', role: 'file', idx: 'uint8' },
  // data.source formats (issue 15).
  ...(['train', 'validation', 'test'] as const).map((split): PathKey => ({
    pattern: ['data', 'source', split],
    kind: 'image folder',
    role: 'inputFolder',
    format: 'imageFolder',
  })),
  ...(['train', 'test'] as const).map((split): PathKey => ({ pattern: ['data', 'source', split], kind: 'CSV file', role: 'file', format: 'csv' })),
  { pattern: ['data', 'source', 'train'], kind: 'CIFAR batch file', role: 'file', format: 'cifar' },
  { pattern: ['data', 'source', 'train', '*'], kind: 'CIFAR batch file', role: 'file', format: 'cifar' },
  { pattern: ['data', 'source', 'test'], kind: 'CIFAR batch file', role: 'file', format: 'cifar' },
  ...(['train', 'test'] as const).flatMap((split) =>
    (['x', 'y'] as const).map((k): PathKey => ({ pattern: ['data', 'source', split, k], kind: 'NumPy file', role: 'file', format: 'npy', npzKey: true })),
  ),
  {
    pattern: ['outputs', '*', 'target'],
    kind: 'IDX target file',
    role: 'file',
    notAPath: isBuiltinTarget,
    missingHint: ' (not a built-in target: inkBox, inkCentre)',
    idx: 'any',
  },
  { pattern: ['outputs', '*', 'testTarget'], kind: 'IDX target file', role: 'file', idx: 'any' },
];

export interface ConfigPath {
  at: JsonPath;
  rel: string;
  key: PathKey;
}

function walk(value: unknown, pattern: readonly string[], at: JsonPath, out: { at: JsonPath; value: string }[]): void {
  if (!pattern.length) {
    if (typeof value === 'string') out.push({ at, value });
    return;
  }
  if (!value || typeof value !== 'object') return;
  const [head, ...rest] = pattern;
  if (head !== '*') return walk((value as Record<string, unknown>)[head], rest, [...at, head], out);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, rest, [...at, i], out));
  else for (const [k, v] of Object.entries(value)) walk(v, rest, [...at, k], out);
}

/** Every path a config names, in PATH_KEYS order, with its JSON path. */
export function configPaths(config: KdConfig | Record<string, unknown>): ConfigPath[] {
  const format = sourceFormat(config);
  return PATH_KEYS.filter((key) => key.format === undefined || key.format === format).flatMap((key) => {
    const found: { at: JsonPath; value: string }[] = [];
    walk(config, key.pattern, [], found);
    return found.filter((f) => !key.notAPath?.(f.value)).map((f) => ({ at: f.at, rel: f.value, key }));
  });
}

/** Sets every path of `config` (in place) to `map(rel)`. */
export function mapConfigPaths(config: Record<string, unknown>, map: (rel: string, p: ConfigPath) => string): void {
  for (const p of configPaths(config)) {
    let node = config as Record<string | number, unknown>;
    for (const part of p.at.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
    node[p.at[p.at.length - 1]] = map(p.rel, p);
  }
}

function sourceFormat(config: KdConfig | Record<string, unknown>): unknown {
  const source = (config as { data?: { source?: unknown } }).data?.source;
  return source && typeof source === 'object' ? (source as { format?: unknown }).format : undefined;
}

/** "file.npz#key" as the file and the key; any other value is a file without a key. */
export function splitNpzRef(value: string): { file: string; key?: string } {
  const at = value.lastIndexOf('#');
  if (at > 0 && value.slice(0, at).toLowerCase().endsWith('.npz')) return { file: value.slice(0, at), key: value.slice(at + 1) };
  return { file: value };
}

/** The file (or folder) on disk a config path names: without an .npz key. */
export function fileOfPath(p: Pick<ConfigPath, 'rel' | 'key'>): string {
  return p.key.npzKey ? splitNpzRef(p.rel).file : p.rel;
}
