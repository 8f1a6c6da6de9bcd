/**
 * "Apply best to kd.json" (the sweep view) and `distill sweep --apply`: the edits that set each
 * swept path to the best setting's value, computed with jsonc-parser so comments and
 * formatting survive. One implementation for the extension and the CLI: no vscode, no tfjs.
 */
import { applyEdits, modify, type Edit, type FormattingOptions } from 'jsonc-parser';

/** `distillation.temperature` → ['distillation', 'temperature']; `teachers.0.id` → ['teachers', 0, 'id']. */
export function jsonPath(dotted: string): (string | number)[] {
  return dotted.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
}

/** The edits against `text`, each computed on the text after the previous ones. */
export function bestParamEdits(
  text: string,
  params: Record<string, number | string>,
  formattingOptions: FormattingOptions = { insertSpaces: true, tabSize: 2 },
): { edits: Edit[]; text: string } {
  let current = text;
  const all: Edit[] = [];
  for (const [key, value] of Object.entries(params)) {
    const edits = modify(current, jsonPath(key), value, { formattingOptions });
    all.push(...edits);
    current = applyEdits(current, edits);
  }
  return { edits: all, text: current };
}

/**
 * The smallest single replacement turning `before` into `after` (common prefix and suffix
 * kept): one WorkspaceEdit, one undo step, and the rest of the file untouched.
 */
export function minimalReplace(before: string, after: string): Edit {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before[endB - 1] === after[endA - 1]) {
    endB--;
    endA--;
  }
  return { offset: start, length: endB - start, content: after.slice(start, endA) };
}
