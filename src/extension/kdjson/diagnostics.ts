/**
 * kd.json problems and advice, computed from the text alone (plus the files it names), with
 * exact offsets, so the editor can underline the right token. Pure: no vscode. The thin
 * provider (kdjsonFeatures.ts) maps these onto vscode.Diagnostics.
 *
 * Errors: the zod schema (with its cross-field rules), missing files, layer names that do not
 * exist, shapes no adapter can bridge. Advice (the guide): α = 1, a temperature outside 1–10,
 * a student far smaller than its teacher.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { adapterProblem } from '../../protocol/architecture';
import { isBuiltinTarget } from '../../protocol/config';
import { issueText, loadConfigText, type JsonPath, type NumericBound } from '../../protocol/loadConfig';
import { modelsOfKdJson, type ModelEntry } from '../tree/modelInfo';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export const CODES = {
  schema: 'schema',
  missingFile: 'missing-file',
  notAModel: 'not-a-model',
  unknownLayer: 'unknown-layer',
  shape: 'adapter-shape',
  alphaOne: 'alpha-one',
  temperature: 'temperature-range',
  studentSize: 'student-size',
  /** Found by the engine's pre-training checks on the saved file (engineDiagnostics.ts). */
  engineCheck: 'engine-check',
} as const;

export interface KdDiagnostic {
  offset: number;
  length: number;
  message: string;
  severity: Severity;
  code: (typeof CODES)[keyof typeof CODES];
  path: JsonPath;
  /** A schema error on a number out of range: the bound it broke (quickFixes.ts moves the value inside). */
  bound?: NumericBound;
}

export interface DiagnosticOptions {
  /** Hint when student params / teacher params is below this (setting distillery.studentSizeHintRatio). */
  studentSizeHintRatio: number;
}

export const DEFAULT_OPTIONS: DiagnosticOptions = { studentSizeHintRatio: 0.05 };

/** The value node at a path (or the deepest existing ancestor). */
function nodeAt(root: Node, p: JsonPath): Node | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, p.slice(0, n));
    if (node) return node;
  }
  return undefined;
}

export function computeDiagnostics(text: string, file: string, options: DiagnosticOptions = DEFAULT_OPTIONS): KdDiagnostic[] {
  const out: KdDiagnostic[] = [];
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  // Syntax errors are the JSON language service's to report; nothing more can be said here.
  if (!root) return out;
  const baseDir = path.dirname(file);
  const add = (p: JsonPath, severity: Severity, code: KdDiagnostic['code'], message: string) => {
    const node = nodeAt(root, p);
    if (node) out.push({ offset: node.offset, length: node.length, message, severity, code, path: p });
  };

  const loaded = loadConfigText(text, file, { checkFiles: false });
  if (!loaded.ok) {
    for (const i of loaded.issues) {
      if (i.message.startsWith('invalid JSON')) continue;
      // Named by its key path, in the CLI's words (issueText): `distillation.alpha: must be ≤ 1`.
      if (i.offset !== undefined)
        out.push({ offset: i.offset, length: i.length ?? 1, message: issueText(i), severity: 'error', code: CODES.schema, path: i.path, bound: i.bound });
    }
  }

  // Files, read from the raw text so they are checked even while other parts are invalid.
  const models = modelsOfKdJson(text, file);
  for (const e of [...models.teachers, ...(models.student ? [models.student] : [])]) {
    if (!e.modelFile || !e.problem) continue;
    const p: JsonPath = e.role === 'student' ? ['student', 'model'] : ['teachers', e.index, 'model'];
    add(p, 'error', /not found/.test(e.problem) ? CODES.missingFile : CODES.notAModel, e.problem);
  }
  for (const split of ['train', 'test']) {
    for (const key of ['images', 'labels']) {
      const p: JsonPath = ['data', 'source', split, key];
      const node = findNodeAtLocation(root, p);
      if (node?.type !== 'string' || !node.value) continue;
      const abs = path.resolve(baseDir, node.value);
      if (!fs.existsSync(abs)) add(p, 'error', CODES.missingFile, `IDX ${key === 'images' ? 'image' : 'label'} file not found: ${abs}`);
      else if (fs.statSync(abs).isDirectory()) add(p, 'error', CODES.missingFile, `${abs} is a folder, expected an IDX file`);
    }
  }

  // File targets of extra outputs (a string that is not a built-in target names an IDX file).
  findNodeAtLocation(root, ['outputs'])?.children?.forEach((prop) => {
    const name = prop.children?.[0]?.value;
    if (typeof name !== 'string') return;
    for (const key of ['target', 'testTarget']) {
      const p: JsonPath = ['outputs', name, key];
      const node = findNodeAtLocation(root, p);
      if (node?.type !== 'string' || !node.value || isBuiltinTarget(node.value)) continue;
      const abs = path.resolve(baseDir, node.value);
      if (!fs.existsSync(abs))
        add(
          p,
          'error',
          CODES.missingFile,
          `IDX target file not found: ${abs}${key === 'target' ? ' (the built-in targets are "inkBox" and "inkCentre")' : ''}`,
        );
      else if (fs.statSync(abs).isDirectory()) add(p, 'error', CODES.missingFile, `${abs} is a folder, expected an IDX file`);
    }
  });

  // Feature and attention pairs: layer names must exist, and an adapter must bridge the shapes.
  const teacherById = (id: unknown) => (typeof id === 'string' ? models.teachers.find((t) => t.id === id) : models.teachers[0]);
  for (const kind of ['features', 'attention'] as const) {
    const pairs = findNodeAtLocation(root, ['distillation', kind]);
    pairs?.children?.forEach((pairNode, i) => {
      if (pairNode.type !== 'object') return;
      const get = (k: string) => findNodeAtLocation(pairNode, [k])?.value;
      const teacher = teacherById(get('teacher'));
      const layerOf = (entry: ModelEntry | undefined, key: 'teacherLayer' | 'studentLayer') => {
        const name = get(key);
        // An empty name is the schema's to report (and is being typed).
        if (typeof name !== 'string' || !name || !entry?.info) return undefined;
        const layer = entry.info.layers.find((l) => l.name === name);
        if (!layer) {
          const names = entry.info.layers.map((l) => l.name).join(', ');
          add(
            ['distillation', kind, i, key],
            'error',
            CODES.unknownLayer,
            `no layer "${name}" in ${entry.role === 'student' ? 'the student' : `teacher "${entry.id}"`} (its layers: ${names})`,
          );
        }
        return layer;
      };
      const t = layerOf(teacher, 'teacherLayer');
      const s = layerOf(models.student, 'studentLayer');
      // ONNX and GraphModel teachers often declare no shapes: then the engine's check says it.
      if (t && s && t.outputShape.length && s.outputShape.length) {
        const problem = adapterProblem(s.outputShape, t.outputShape, kind);
        if (problem) add(['distillation', kind, i], 'error', CODES.shape, `${s.name} → ${t.name}: ${problem}`);
      }
    });
  }

  // The guide's advice.
  const alpha = findNodeAtLocation(root, ['distillation', 'alpha']);
  if (alpha?.type === 'number' && alpha.value === 1) {
    add(
      ['distillation', 'alpha'],
      'information',
      CODES.alphaOne,
      'α = 1 is pure distillation, which often underperforms: keep some weight on the true labels (α ≈ 0.7).',
    );
  }
  const temperature = findNodeAtLocation(root, ['distillation', 'temperature']);
  if (temperature?.type === 'number' && temperature.value > 0 && (temperature.value < 1 || temperature.value > 10)) {
    add(
      ['distillation', 'temperature'],
      'hint',
      CODES.temperature,
      `T = ${temperature.value} is outside the usual 1–10: ${temperature.value < 1 ? 'below 1 the soft targets are sharper than the labels carry' : 'very high T flattens the soft targets towards uniform'}; T ≈ 4 is a good start.`,
    );
  }
  const student = models.student?.info;
  const biggest = Math.max(0, ...models.teachers.map((t) => t.info?.params ?? 0));
  if (student && biggest > 0 && student.params / biggest < options.studentSizeHintRatio) {
    const ratio = student.params / biggest;
    add(
      ['student'],
      'hint',
      CODES.studentSize,
      `The student has ${(ratio * 100).toFixed(1)}% of the teacher's parameters. Students of about 20–30% of the teacher distil best; one far smaller may lack the capacity to mimic it (a teacher assistant can bridge the gap).`,
    );
  }
  return out;
}
