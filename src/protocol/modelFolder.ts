/**
 * Which folders Distillery may replace with a model it saves: only its own. Saving replaces
 * the whole folder (modelFiles.ts saveLayersModel), so a kd.json `save` that named the user's
 * data folder, or ".", would delete what was in it. A folder Distillery saved carries a marker
 * file; one saved by an older version (before the marker) is recognised by its model.json's
 * `generatedBy: "distillery"` and holding nothing but model.json and weights.bin. Anything
 * else (a file, a link, a foreign or non-empty folder) is refused, with the reason.
 * Used by `validate`/`run` (loadConfig.ts), the engine's teacher plan and the saver itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Written into every folder saveLayersModel writes. */
export const MODEL_MARKER = '.distillery-model';
export const MODEL_MARKER_TEXT = '{"savedBy":"distillery"}\n';
const OWN_FILES = new Set(['model.json', 'weights.bin', MODEL_MARKER]);

function savedByOldDistillery(dir: string, names: string[]): boolean {
  if (names.length !== 2 || !names.includes('model.json') || !names.includes('weights.bin')) return false;
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'))?.generatedBy === 'distillery';
  } catch {
    return false;
  }
}

/**
 * Why `dir` must not be replaced by a saved model, or undefined when it may be: it does not
 * exist, is an empty folder, or holds a model Distillery saved and nothing else.
 */
export function modelFolderRefusal(dir: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) return `${dir} is a symbolic link, not a model folder Distillery saved; it is never replaced. Choose a new folder`;
  if (!st.isDirectory()) return `${dir} is not a folder; a model is saved into a folder of its own. Choose a new folder`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    // Gone since (another saver moved it aside): nothing of anyone's is there to lose.
    return fs.existsSync(dir) ? `${dir} cannot be read; it is never replaced` : undefined;
  }
  if (!names.length) return undefined;
  const foreign = names.filter((n) => !OWN_FILES.has(n));
  if (!foreign.length && (names.includes(MODEL_MARKER) || savedByOldDistillery(dir, names))) return undefined;
  if (!fs.existsSync(dir)) return undefined;
  const list = foreign.length ? foreign : names;
  const shown = list.slice(0, 3).join(', ') + (list.length > 3 ? ', …' : '');
  return `${dir} is not a model Distillery saved (it holds ${shown}); saving would replace the whole folder, so it is refused. Choose a new or empty folder`;
}
