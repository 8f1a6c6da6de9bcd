/**
 * A run's identity beyond its kd.json: what a person says about it (meta.json: a name, tags and
 * a note, edited from the Runs tree, written atomically so a reader never sees half a file), and
 * what the engine recorded about the workspace at the start (config.json's `$git`: the commit and
 * whether the work tree had changes). The one place for both files' shapes; the run-folder
 * reader (runReader.ts) reads them for every view.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { FILES } from './runFolder';

export interface RunMeta {
  /** Shown instead of the kd.json's name; absent: the kd.json's. */
  name?: string;
  tags: string[];
  note?: string;
}

/** Bounds that keep a hand-edited meta.json from flooding a tree row. */
export const META_LIMITS = { name: 200, tag: 40, tags: 20, note: 4000 } as const;

/** "a, b  c,, a" → ["a", "b", "c"]: tags are words, split at commas or spaces, no duplicates, no empty ones. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter(Boolean);
  return [...new Set(tags)];
}

/** Why a value is not a meta.json a reader can show, or undefined. */
export function runMetaProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const m = value as Record<string, unknown>;
  if (m.name !== undefined && (typeof m.name !== 'string' || m.name.length > META_LIMITS.name))
    return `"name" is not a string of at most ${META_LIMITS.name} characters`;
  if (m.note !== undefined && (typeof m.note !== 'string' || m.note.length > META_LIMITS.note))
    return `"note" is not a string of at most ${META_LIMITS.note} characters`;
  if (m.tags !== undefined) {
    if (!Array.isArray(m.tags) || m.tags.length > META_LIMITS.tags) return `"tags" is not a list of at most ${META_LIMITS.tags} tags`;
    const bad = m.tags.findIndex((t) => typeof t !== 'string' || !t || t.length > META_LIMITS.tag || /[,\s]/.test(t));
    if (bad >= 0) return `"tags[${bad}]" is not a word of at most ${META_LIMITS.tag} characters`;
  }
  return undefined;
}

/** A meta as it is stored: empty name and note dropped, tags as parseTags makes them. */
export function normaliseMeta(m: Partial<RunMeta>): RunMeta {
  const name = m.name?.trim();
  const note = m.note?.trim();
  return { ...(name ? { name } : {}), tags: parseTags((m.tags ?? []).join(' ')), ...(note ? { note } : {}) };
}

export type MetaRead = { meta?: RunMeta; problem?: string };

/** meta.json: nothing when there is none (never edited), or why it cannot be read, naming the file. */
export function readRunMeta(runDir: string): MetaRead {
  const file = path.join(runDir, FILES.meta);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? {} : { problem: `unreadable ${file}: ${(e as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: `unreadable ${file}: ${(e as Error).message}` };
  }
  const problem = runMetaProblem(value);
  return problem ? { problem: `unreadable ${file}: ${problem}` } : { meta: normaliseMeta(value as Partial<RunMeta>) };
}

/**
 * Changes meta.json by `patch` (atomically: a reader sees the old file or the new one). A torn
 * or foreign meta.json is refused, naming the file, rather than overwritten: nothing written is lost.
 */
export function updateRunMeta(runDir: string, patch: Partial<RunMeta>): RunMeta {
  if (!fs.existsSync(path.join(runDir, FILES.events)) && !fs.existsSync(path.join(runDir, FILES.config)))
    throw new Error(`${runDir} is not a run folder (no events.jsonl or config.json): no meta.json written`);
  const { meta, problem } = readRunMeta(runDir);
  if (problem) throw new Error(`${problem}; fix or delete it first (it was left as it is)`);
  const next = normaliseMeta({ ...(meta ?? { tags: [] }), ...patch });
  const invalid = runMetaProblem(next);
  if (invalid) throw new Error(`not saved: ${invalid}`);
  writeFileAtomic.sync(path.join(runDir, FILES.meta), JSON.stringify(next, null, 2) + '\n');
  return next;
}

/** The workspace's git state when the run started (config.json `$git`): its commit and whether it had changes, or why there is none. */
/** The commit and whether the work tree differed from it; `dirty: null` when the commit is known but `git status` failed or timed out (reason says why). */
export type GitState = { commit: string; dirty: boolean; changes: number } | { commit: string; dirty: null; reason: string } | { commit: null; reason: string };

/** config.json's `$git`, checked; undefined for runs from before it was recorded (or a foreign value). */
export function gitStateOf(config: Record<string, unknown> | undefined): GitState | undefined {
  const g = config?.$git as Record<string, unknown> | undefined;
  if (!g || typeof g !== 'object') return undefined;
  if (typeof g.commit === 'string' && /^[0-9a-f]{7,64}$/.test(g.commit) && typeof g.dirty === 'boolean')
    return { commit: g.commit, dirty: g.dirty, changes: typeof g.changes === 'number' ? g.changes : 0 };
  if (typeof g.commit === 'string' && /^[0-9a-f]{7,64}$/.test(g.commit) && g.dirty === null && typeof g.reason === 'string')
    return { commit: g.commit, dirty: null, reason: g.reason };
  if (g.commit === null && typeof g.reason === 'string') return { commit: null, reason: g.reason };
  return undefined;
}

/** "a1b2c3d · dirty", "a1b2c3d", "a1b2c3d · dirty state unknown", "no git (not a git repository)"; undefined for runs that did not record it. */
export function gitText(g: GitState | undefined): string | undefined {
  if (!g) return undefined;
  if (g.commit === null) return `no git (${g.reason})`;
  if (g.dirty === null) return `${g.commit.slice(0, 7)} · dirty state unknown`;
  return g.dirty ? `${g.commit.slice(0, 7)} · dirty` : g.commit.slice(0, 7);
}

/** config.json without its bookkeeping (`$configPath`, `$git`, any `$…` key): the kd.json settings a resume or an export validates. */
export function configWithoutBookkeeping(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('$')));
}
