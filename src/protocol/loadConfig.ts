/**
 * Reading kd.json: JSON with comments, then the schema, then the files it names. Every
 * problem is collected (not just the first) and carries its JSON path and, where the text
 * is known, the line and column, so the CLI, the run log and the editor can point at it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { DEFAULT_INPUT_SHAPE, presetInputIssues } from './architecture';
import { isBuiltinTarget, KdConfig } from './config';

export type JsonPath = (string | number)[];

export interface ConfigIssue {
  path: JsonPath;
  message: string;
  /** 1-based, when the kd.json text is known. */
  line?: number;
  column?: number;
  offset?: number;
  length?: number;
}

export type LoadResult = { ok: true; config: KdConfig; path: string } | { ok: false; issues: ConfigIssue[]; path: string };

export function formatPath(p: JsonPath): string {
  let out = '';
  for (const part of p) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out || '(root)';
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line ? `${file}:${issue.line}:${issue.column}` : file;
  return `${where}: ${formatPath(issue.path)}: ${issue.message}`;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** Attaches the source position of the deepest node that exists along the issue's path. */
function locate(text: string, root: Node | undefined, issue: ConfigIssue): ConfigIssue {
  if (!root) return issue;
  for (let n = issue.path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, issue.path.slice(0, n));
    if (!node) continue;
    // For a property, point at its key when the value itself is missing.
    const target = n === issue.path.length ? node : (node.parent?.type === 'property' ? node.parent : node);
    return { ...issue, ...lineColumn(text, target.offset), offset: target.offset, length: target.length };
  }
  return issue;
}

type ZodIssue = z.core.$ZodIssue;

/**
 * A failed union reports every branch's errors. The branch with the fewest problems is the
 * one the author meant (a teacher with `architecture` is not a model-file teacher), so only
 * its problems are reported, with their paths made absolute.
 */
function flattenIssue(issue: ZodIssue, prefix: JsonPath): ConfigIssue[] {
  const at = [...prefix, ...(issue.path as JsonPath)];
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
    if (best.length) return best.flatMap((i) => flattenIssue(i, at));
  }
  if (issue.code === 'invalid_union' && issue.discriminator) {
    return [{ path: at, message: `unknown ${issue.discriminator}: expected one of mlp, cnn` }];
  }
  // A record's key failed its own schema (e.g. an `outputs` name): say why, not just "Invalid key".
  if (issue.code === 'invalid_key' && issue.issues.length) {
    return [{ path: at, message: `name "${String(at[at.length - 1])}": ${issue.issues.map((i) => i.message).join('; ')}` }];
  }
  if (issue.code === 'unrecognized_keys') {
    return [{ path: at, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` }];
  }
  return [{ path: at, message: issue.message }];
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((i) => flattenIssue(i as ZodIssue, []));
}

/** Validates parsed JSON against the schema; no file checks. */
export function validateConfigValue(value: unknown): { ok: true; config: KdConfig } | { ok: false; issues: ConfigIssue[] } {
  const parsed = KdConfig.safeParse(value);
  return parsed.success ? { ok: true, config: parsed.data } : { ok: false, issues: zodIssues(parsed.error) };
}

export interface LoadOptions {
  checkFiles?: boolean;
  /**
   * When set, every path in the kd.json must resolve (symbolic links followed) inside this
   * folder: a kd.json from a stranger cannot make a run read or write elsewhere. The extension
   * passes the workspace folder unless "distillery.allowPathsOutsideWorkspace" is on; the CLI
   * only with --workspace.
   */
  workspaceRoot?: string;
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest. */
function realPathOf(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return path.resolve(p);
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
}

export function isInside(root: string, p: string): boolean {
  const rel = path.relative(realPathOf(root), realPathOf(p));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Paths in a kd.json that must stay inside the workspace, with their JSON paths. */
function namedPaths(config: KdConfig): { at: JsonPath; rel: string; kind: string }[] {
  const out: { at: JsonPath; rel: string; kind: string }[] = [];
  config.teachers.forEach((t, i) => {
    if ('model' in t) out.push({ at: ['teachers', i, 'model'], rel: t.model, kind: 'teacher model' });
    else if (t.save) out.push({ at: ['teachers', i, 'save'], rel: t.save, kind: 'teacher save folder' });
  });
  if ('model' in config.student) out.push({ at: ['student', 'model'], rel: config.student.model, kind: 'student model' });
  const src = config.data.source;
  if (typeof src === 'object') {
    for (const part of ['train', 'test'] as const) {
      const pair = src[part];
      if (!pair) continue;
      out.push({ at: ['data', 'source', part, 'images'], rel: pair.images, kind: 'IDX image file' });
      out.push({ at: ['data', 'source', part, 'labels'], rel: pair.labels, kind: 'IDX label file' });
    }
  }
  if (config.data.unlabeledImages) out.push({ at: ['data', 'unlabeledImages'], rel: config.data.unlabeledImages, kind: 'IDX image file' });
  out.push(...targetFiles(config));
  return out;
}

/** The IDX files of file targets in kd.json `outputs` (built-in targets name no file). */
function targetFiles(config: KdConfig): { at: JsonPath; rel: string; kind: string }[] {
  return Object.entries(config.outputs ?? {}).flatMap(([name, o]) => [
    ...(isBuiltinTarget(o.target) ? [] : [{ at: ['outputs', name, 'target'], rel: o.target, kind: 'IDX target file' }]),
    ...(o.testTarget ? [{ at: ['outputs', name, 'testTarget'], rel: o.testTarget, kind: 'IDX target file' }] : []),
  ]);
}

/** Paths of the config outside `workspaceRoot`, each an issue at its JSON path. */
export function checkWorkspacePaths(config: KdConfig, baseDir: string, workspaceRoot: string): ConfigIssue[] {
  return namedPaths(config)
    .filter(({ rel }) => !isInside(workspaceRoot, path.resolve(baseDir, rel)))
    .map(({ at, rel, kind }) => ({ path: at, message: `${kind} ${path.resolve(baseDir, rel)} is outside the workspace ${workspaceRoot}; move it in, or allow it with the user setting "distillery.allowPathsOutsideWorkspace" (CLI: leave out --workspace)` }));
}

/** What `file` is when it is not a regular file (symbolic links followed): a FIFO, a device, ... */
export function nonRegularKind(file: string): string | undefined {
  const st = fs.statSync(file);
  if (st.isFile()) return undefined;
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'not a file';
}

/** Files named by the config must exist; paths resolve against the kd.json's folder. */
export function checkFiles(config: KdConfig, baseDir: string, options: Pick<LoadOptions, 'workspaceRoot'> = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = options.workspaceRoot ? checkWorkspacePaths(config, baseDir, options.workspaceRoot) : [];
  const outside = new Set(issues.map((i) => formatPath(i.path)));
  const need = (p: JsonPath, rel: string, kind: string) => {
    const abs = path.resolve(baseDir, rel);
    if (outside.has(formatPath(p))) return;
    if (!fs.existsSync(abs)) issues.push({ path: p, message: `${kind} not found: ${abs}` });
    else if (fs.statSync(abs).isDirectory()) issues.push({ path: p, message: `${kind} is a folder, expected a file: ${abs}` });
    else if (nonRegularKind(abs)) issues.push({ path: p, message: `${kind} is not a regular file (${nonRegularKind(abs)}): ${abs}` });
  };
  config.teachers.forEach((t, i) => {
    if ('model' in t) need(['teachers', i, 'model'], t.model, 'teacher model');
  });
  if ('model' in config.student) need(['student', 'model'], config.student.model, 'student model');
  const src = config.data.source;
  if (typeof src === 'object') {
    need(['data', 'source', 'train', 'images'], src.train.images, 'IDX image file');
    need(['data', 'source', 'train', 'labels'], src.train.labels, 'IDX label file');
    if (src.test) {
      need(['data', 'source', 'test', 'images'], src.test.images, 'IDX image file');
      need(['data', 'source', 'test', 'labels'], src.test.labels, 'IDX label file');
    }
  }
  if (config.data.unlabeledImages) need(['data', 'unlabeledImages'], config.data.unlabeledImages, 'IDX image file');
  for (const t of targetFiles(config)) need(t.at, t.rel, t.at[2] === 'target' ? `IDX target file (not a built-in target: inkBox, inkCentre)` : t.kind);
  return issues;
}

/** Parses kd.json text (comments and trailing commas allowed) and validates it fully. */
export function loadConfigText(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length || !root) {
    const issues = errors.map((e): ConfigIssue => ({ path: [], message: `invalid JSON: ${printParseErrorCode(e.error)}`, ...lineColumn(text, e.offset), offset: e.offset, length: e.length }));
    return { ok: false, path: file, issues: issues.length ? issues : [{ path: [], message: 'empty file' }] };
  }
  const value: unknown = getNodeValue(root);
  const validated = validateConfigValue(value);
  if (!validated.ok) return { ok: false, path: file, issues: validated.issues.map((i) => locate(text, root, i)) };
  // The bundled digits are 28×28: presets too deep for them are known now (for IDX files, the engine finds out).
  const tooDeep = validated.config.data.source === 'mnist' ? presetInputIssues(validated.config, DEFAULT_INPUT_SHAPE) : [];
  if (tooDeep.length) return { ok: false, path: file, issues: tooDeep.map((i) => locate(text, root, i)) };
  if (options.checkFiles !== false) {
    const missing = checkFiles(validated.config, path.dirname(file), options);
    if (missing.length) return { ok: false, path: file, issues: missing.map((i) => locate(text, root, i)) };
  }
  return { ok: true, config: validated.config, path: file };
}

export function loadConfigFile(file: string, options: LoadOptions = {}): LoadResult {
  const abs = path.resolve(file);
  let text: string;
  try {
    const kind = nonRegularKind(abs);
    if (kind) throw new Error(`not a regular file (${kind})`);
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    return { ok: false, path: abs, issues: [{ path: [], message: `cannot read ${abs}: ${(e as Error).message}` }] };
  }
  return loadConfigText(text, abs, options);
}
