/**
 * Reading kd.json: JSON with comments, then the schema, then the files it names. Every
 * problem is collected (not just the first) and carries its JSON path and, where the text
 * is known, the line and column, so the CLI, the run log and the editor can point at it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createScanner, findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, SyntaxKind, type Node, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { FormatSource, KdConfig } from './config';
import { configPaths, fileOfPath, type JsonPath } from './configPaths';
import { readIdxHeaderFile } from './idxHeader';
import { modelFolderRefusal } from './modelFolder';
import { DEFAULT_INPUT_SHAPE, presetInputIssues } from './architecture';

export type { JsonPath };

export interface ConfigIssue {
  path: JsonPath;
  message: string;
  /** 1-based, when the kd.json text is known. */
  line?: number;
  column?: number;
  offset?: number;
  length?: number;
  /** A number out of the schema's range: the bound it broke (the editor's quick fix moves the value inside). */
  bound?: NumericBound;
}

/** One side of a number's allowed range: `value` itself allowed when `inclusive`. */
export interface NumericBound {
  side: 'min' | 'max';
  value: number;
  inclusive: boolean;
}

export type LoadResult = { ok: true; config: KdConfig; path: string } | { ok: false; issues: ConfigIssue[]; path: string };

export function formatPath(p: JsonPath): string {
  let out = '';
  for (const part of p) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out || '(root)';
}

/** An issue as a person reads it, without its file: `teachers[0].model: …` (the one way, everywhere). */
export function issueText(issue: Pick<ConfigIssue, 'path' | 'message'>): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line ? `${file}:${issue.line}:${issue.column}` : file;
  return `${where}: ${issueText(issue)}`;
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

/** Issues about a key itself (an unknown key): they point at the key, not at its value. */
const aboutTheKey = new WeakSet<ConfigIssue>();

/** Attaches the source position of the deepest node that exists along the issue's path. */
function locate(text: string, root: Node | undefined, issue: ConfigIssue): ConfigIssue {
  if (!root) return issue;
  for (let n = issue.path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, issue.path.slice(0, n));
    if (!node) continue;
    const property = node.parent?.type === 'property' ? node.parent : undefined;
    // For a property, point at its key when the value itself is missing, or the key is the problem.
    const target = n < issue.path.length ? (property ?? node) : aboutTheKey.has(issue) && property?.children?.[0] ? property.children[0] : node;
    return { ...issue, ...lineColumn(text, target.offset), offset: target.offset, length: target.length };
  }
  return issue;
}

/** A kd.json's text as it is parsed: without a UTF-8 byte-order mark, which editors do not show either. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Attaches line, column, offset and length to issues found without the text (by the engine:
 * data, model files, batch size), at their JSON paths in kd.json's text. The CLI, the engine's
 * config_error and the editor place issues with this one function.
 */
export function locateIssues(text: string, issues: ConfigIssue[]): ConfigIssue[] {
  const clean = withoutBom(text);
  if (nestingProblem(clean)) return issues;
  const root = parseTree(clean, [], { allowTrailingComma: true, disallowComments: false });
  return issues.map((i) => (i.line ? i : locate(clean, root, i)));
}

/** The same, reading the kd.json; issues stay as they are when it cannot be read. */
export function locateIssuesInFile(file: string, issues: ConfigIssue[]): ConfigIssue[] {
  if (issues.every((i) => i.line)) return issues;
  try {
    return locateIssues(fs.readFileSync(file, 'utf8'), issues);
  } catch {
    return issues;
  }
}

/**
 * kd.json is a few levels deep; the JSON reader and the schema recurse once per level, so a
 * file nested thousands deep would overflow the stack. Deeper than this is refused first.
 */
export const MAX_NESTING = 64;

/** Where the text opens its (MAX_NESTING + 1)th level, found by scanning tokens (no recursion). */
function nestingProblem(text: string): ConfigIssue | undefined {
  const scanner = createScanner(text, false);
  let depth = 0;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      if (++depth > MAX_NESTING) {
        const offset = scanner.getTokenOffset();
        return { path: [], message: `nested more than ${MAX_NESTING} levels deep (a kd.json needs a handful)`, ...lineColumn(text, offset), offset, length: 1 };
      }
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

type ZodIssue = z.core.$ZodIssue;

/** A branch that failed at its root for the value's kind (data.source "mnist" against an object): the author meant another branch. */
function wrongKind(errors: ZodIssue[]): boolean {
  return errors.length === 1 && errors[0].path.length === 0 && (errors[0].code === 'invalid_type' || errors[0].code === 'invalid_value');
}

/**
 * A failed union reports every branch's errors. The branch with the fewest problems is the
 * one the author meant (a teacher with `architecture` is not a model-file teacher), so only
 * its problems are reported, with their paths made absolute; a branch of another kind of
 * value altogether comes last.
 */
function flattenIssue(issue: ZodIssue, prefix: JsonPath): ConfigIssue[] {
  const at = [...prefix, ...(issue.path as JsonPath)];
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const rank = (e: ZodIssue[]) => (wrongKind(e) ? 1000 : 0) + e.length;
    const best = [...issue.errors].sort((a, b) => rank(a) - rank(b))[0];
    if (best.length) return best.flatMap((i) => flattenIssue(i, at));
  }
  if (issue.code === 'invalid_union' && issue.discriminator === 'format') {
    return [{ path: at, message: `unknown format: expected one of ${FormatSource.options.map((o) => o.shape.format.value).join(', ')}` }];
  }
  if (issue.code === 'invalid_union' && issue.discriminator) {
    // zod lists the discriminator's values (the presets, the executors): the message never goes stale.
    const options = (issue as { options?: unknown[] }).options?.map(String) ?? [];
    return [{ path: at, message: `unknown ${issue.discriminator}${options.length ? `: expected one of ${options.join(', ')}` : ''}` }];
  }
  // A record's key failed its own schema (e.g. an `outputs` name): say why, not just "Invalid key".
  if (issue.code === 'invalid_key' && issue.issues.length) {
    return [{ path: at, message: `name "${String(at[at.length - 1])}": ${issue.issues.map((i) => i.message).join('; ')}` }];
  }
  // One issue per unknown key, at the key: the editor underlines it, the CLI gives its line.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => {
      const one: ConfigIssue = { path: [...at, k], message: `unknown key "${k}"` };
      aboutTheKey.add(one);
      return one;
    });
  }
  if ((issue.code === 'too_big' || issue.code === 'too_small') && issue.origin === 'number') return [numberOutOfRange(issue, at)];
  return [{ path: at, message: issue.message }];
}

/**
 * A number out of range, in the words people write (`must be ≤ 1`, `must be > 0`) instead of
 * zod's "Too big: expected number to be <=1"; a message the schema chose itself is kept.
 */
function numberOutOfRange(issue: Extract<ZodIssue, { code: 'too_big' | 'too_small' }>, at: JsonPath): ConfigIssue {
  const side = issue.code === 'too_big' ? 'max' : 'min';
  const value = Number(side === 'max' ? (issue as { maximum: number | bigint }).maximum : (issue as { minimum: number | bigint }).minimum);
  const inclusive = issue.inclusive !== false;
  const op = side === 'max' ? (inclusive ? '≤' : '<') : inclusive ? '≥' : '>';
  const message = /^Too (big|small)\b/.test(issue.message) ? `must be ${op} ${value}` : issue.message;
  return { path: at, message, bound: { side, value, inclusive } };
}

/** A schema error as config issues: absolute paths, a union reduced to the branch the author meant. */
export function zodIssues(error: z.ZodError): ConfigIssue[] {
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

/** Paths of the config outside `workspaceRoot`, each an issue at its JSON path. */
export function checkWorkspacePaths(config: KdConfig, baseDir: string, workspaceRoot: string): ConfigIssue[] {
  return configPaths(config)
    .filter(({ rel }) => !isInside(workspaceRoot, path.resolve(baseDir, rel)))
    .map(({ at, rel, key }) => ({
      path: at,
      message: `${key.kind} ${path.resolve(baseDir, rel)} is outside the workspace ${workspaceRoot}; move it in, or allow it with the user setting "distillery.allowPathsOutsideWorkspace" (CLI: leave out --workspace)`,
    }));
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

/**
 * Files named by the config must exist; paths resolve against the kd.json's folder. A folder
 * a run writes (a teacher's `save`) must be absent, empty, or a model Distillery saved: saving
 * the trained teacher replaces it.
 */
export function checkFiles(config: KdConfig, baseDir: string, options: Pick<LoadOptions, 'workspaceRoot'> = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = options.workspaceRoot ? checkWorkspacePaths(config, baseDir, options.workspaceRoot) : [];
  const outside = new Set(issues.map((i) => formatPath(i.path)));
  for (const p of configPaths(config)) {
    const { at, key } = p;
    const abs = path.resolve(baseDir, fileOfPath(p));
    if (outside.has(formatPath(at))) continue;
    if (key.role === 'folder') {
      const refusal = modelFolderRefusal(abs);
      if (refusal) issues.push({ path: at, message: `${key.kind} ${refusal}` });
    } else if (key.role === 'inputFolder') {
      if (!fs.existsSync(abs)) issues.push({ path: at, message: `${key.kind} not found: ${abs}` });
      else if (!fs.statSync(abs).isDirectory()) issues.push({ path: at, message: `${key.kind} is not a folder: ${abs}` });
    } else if (!fs.existsSync(abs)) issues.push({ path: at, message: `${key.kind}${key.missingHint ?? ''} not found: ${abs}` });
    else if (fs.statSync(abs).isDirectory()) issues.push({ path: at, message: `${key.kind} is a folder, expected a file: ${abs}` });
    else if (nonRegularKind(abs)) issues.push({ path: at, message: `${key.kind} is not a regular file (${nonRegularKind(abs)}): ${abs}` });
    else if (key.idx) {
      // The header only (a few bytes): a float images file is refused here, not after loading.
      try {
        readIdxHeaderFile(abs, key.idx);
      } catch (e) {
        issues.push({ path: at, message: (e as Error).message });
      }
    }
  }
  return issues;
}

/** Parses kd.json text (comments and trailing commas allowed) and validates it fully. */
export function loadConfigText(original: string, file: string, options: LoadOptions = {}): LoadResult {
  const text = withoutBom(original);
  const tooDeep = nestingProblem(text);
  if (tooDeep) return { ok: false, path: file, issues: [tooDeep] };
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length || !root) {
    const issues = errors.map((e): ConfigIssue => ({
      path: [],
      message: `invalid JSON: ${printParseErrorCode(e.error)}`,
      ...lineColumn(text, e.offset),
      offset: e.offset,
      length: e.length,
    }));
    return { ok: false, path: file, issues: issues.length ? issues : [{ path: [], message: 'empty file' }] };
  }
  const value: unknown = getNodeValue(root);
  const validated = validateConfigValue(value);
  if (!validated.ok) return { ok: false, path: file, issues: validated.issues.map((i) => locate(text, root, i)) };
  // The bundled digits are 28×28: presets too deep for them are known now (for IDX files, the engine finds out).
  const tooDeepPreset = validated.config.data.source === 'mnist' ? presetInputIssues(validated.config, DEFAULT_INPUT_SHAPE) : [];
  if (tooDeepPreset.length) return { ok: false, path: file, issues: tooDeepPreset.map((i) => locate(text, root, i)) };
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
