/**
 * The JSON Schema the editor validates kd.json with, generated from the zod schema (the one
 * source of truth) by `scripts/gen-schema.ts` at build time. VS Code's JSON service reads
 * draft-07 best; on top of zod's output come the editor-only keys: `defaultSnippets` for
 * whole blocks (a teacher, a student, a feature pair, a sweep) and `markdownDescription`.
 * Pure: no vscode, so the unit tests check the result.
 */
import { z } from 'zod';
import { KdConfig } from '../../protocol/config';

// A JSON Schema is an open object whose keywords this module reads and writes freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonSchema = { [key: string]: any };

const TEACHER_SNIPPETS = [
  {
    label: 'Teacher: MLP preset (trained first)',
    description: 'A teacher built from a preset and trained before distillation.',
    body: { id: '${1:big}', architecture: { preset: 'mlp', hidden: ['^${2:1200}', '^${3:1200}'], dropout: '^${4:0.2}' }, training: { epochs: '^${5:10}' } },
  },
  {
    label: 'Teacher: CNN preset (trained first)',
    description: 'A convnet teacher built from a preset and trained before distillation.',
    body: { id: '${1:cnn}', architecture: { preset: 'cnn', filters: ['^32', '^64'], dense: ['^128'] }, training: { epochs: '^${2:5}' } },
  },
  {
    label: 'Teacher: ResNet preset (trained first)',
    description: 'A CIFAR-style ResNet-20 teacher (batch norm, residual blocks), trained before distillation.',
    body: { id: '${1:resnet}', architecture: { preset: 'resnet', depth: '^${2:20}', width: '^${3:16}' }, training: { epochs: '^${4:10}' } },
  },
  {
    label: 'Teacher: saved model file',
    description: 'A tfjs LayersModel model.json, relative to this kd.json.',
    body: { id: '${1:teacher}', model: '${2:models/teacher/model.json}' },
  },
];

const STUDENT_SNIPPETS = [
  {
    label: 'Student: small MLP preset',
    body: { architecture: { preset: 'mlp', hidden: ['^${1:32}'] } },
  },
  {
    label: 'Student: small CNN preset',
    body: { architecture: { preset: 'cnn', filters: ['^${1:8}', '^${2:16}'], dense: ['^${3:32}'] } },
  },
  {
    label: 'Student: ResNet-8 preset',
    body: { architecture: { preset: 'resnet', depth: '^${1:8}', width: '^${2:16}' } },
  },
  {
    label: 'Student: MobileNet preset',
    body: { architecture: { preset: 'mobilenet', filters: ['^${1:32}', '^${2:64}', '^${3:128}'], widthMultiplier: '^${4:0.5}' } },
  },
  {
    label: 'Student: saved model file',
    body: { model: '${1:models/student/model.json}' },
  },
];

const FEATURE_PAIR_SNIPPETS = [
  {
    label: 'Feature-distillation pair',
    description: 'Match a student layer to a teacher layer (an adapter bridges their channels).',
    body: { teacherLayer: '${1:teacher_0_relu2}', studentLayer: '${2:student_relu2}', weight: '^${3:1}' },
  },
];

const SWEEP_SNIPPETS = [
  {
    label: 'Temperature sweep',
    body: { params: { 'distillation.temperature': ['^1', '^2', '^4', '^8'] }, seeds: '^${1:1}' },
  },
];

const DATA_SOURCE_SNIPPETS = [
  {
    label: 'Data: image folder (one subfolder per class)',
    description: 'PNG, JPEG, WebP, GIF or TIFF images in class folders; class names are the folder names.',
    body: { format: 'imageFolder', train: '${1:data/train}', test: '${2:data/test}' },
  },
  {
    label: 'Data: NumPy arrays (.npy / .npz)',
    description: 'Samples [N, H, W, C] or [N, D] (uint8 or float) and integer labels [N].',
    body: { format: 'npy', train: { x: '${1:data.npz#x_train}', y: '${2:data.npz#y_train}' }, test: { x: '${3:data.npz#x_test}', y: '${4:data.npz#y_test}' } },
  },
  {
    label: 'Data: CSV table',
    description: 'Numeric feature columns and a label column (standardised per feature; train with the mlp preset).',
    body: { format: 'csv', train: '${1:train.csv}', label: '${2:label}' },
  },
  {
    label: 'Data: CIFAR binary batches',
    description: 'CIFAR-10 (or CIFAR-100 with "labels": "fine" / "coarse") binary files.',
    body: {
      format: 'cifar',
      train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
      test: 'test_batch.bin',
    },
  },
];

/** Walks every subschema (properties, items, anyOf/oneOf/allOf, definitions). */
function walk(schema: unknown, visit: (s: JsonSchema, path: string[]) => void, path: string[] = []): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as JsonSchema;
  visit(s, path);
  for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, visit, [...path, k]);
  if (s.items) walk(s.items, visit, [...path, '[]']);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) (s[key] ?? []).forEach((sub: unknown) => walk(sub, visit, path));
  for (const key of ['definitions', '$defs'] as const) for (const [k, v] of Object.entries(s[key] ?? {})) walk(v, visit, [key, k]);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, visit, [...path, '*']);
}

/** Every property schema that has no description, as dotted paths (for the unit test). */
export function undescribedProperties(schema: JsonSchema): string[] {
  const missing: string[] = [];
  walk(schema, (s, path) => {
    for (const [k, v] of Object.entries<JsonSchema>(s.properties ?? {})) {
      const described = (x: JsonSchema): boolean =>
        !!x.description || (Array.isArray(x.anyOf) && x.anyOf.length > 0 && x.anyOf.every(described)) || (Array.isArray(x.oneOf) && x.oneOf.every(described));
      if (!described(v)) missing.push([...path, k].join('.'));
    }
  });
  return [...new Set(missing)];
}

const OUTPUT_SNIPPETS = [
  {
    label: 'Box head (detection-style distillation)',
    description: "A head predicting the box around the digit's ink, distilled from the teacher's box and learnt from the true one.",
    body: { '${1:box}': { target: '${2|inkBox,inkCentre|}', loss: '${3|smoothL1,mse|}', weight: '^${4:1}', labelWeight: '^${5:1}' } },
  },
];

function addSnippets(target: JsonSchema | undefined, snippets: object[]): void {
  if (target) target.defaultSnippets = [...(target.defaultSnippets ?? []), ...snippets];
}

export function buildKdJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(KdConfig, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  schema.title = 'Distillery kd.json';
  schema.description ??= 'A knowledge-distillation experiment: teachers, a student, data, and how to distil.';
  schema.properties.$schema ??= {};
  schema.properties.$schema.description ??= 'The JSON Schema of this file (optional; the Distillery extension supplies it).';
  // VS Code shows markdown in hovers when it has it; the descriptions use `code` spans.
  walk(schema, (s) => {
    if (typeof s.description === 'string' && !s.markdownDescription) s.markdownDescription = s.description;
  });
  const props = schema.properties;
  addSnippets(props.teachers?.items, TEACHER_SNIPPETS);
  addSnippets(props.student, STUDENT_SNIPPETS);
  // Keys the engine adds over time: snippets attach once they exist in the zod schema.
  const distillation = props.distillation?.properties ?? {};
  addSnippets(distillation.features?.items, FEATURE_PAIR_SNIPPETS);
  addSnippets(
    distillation.attention?.items,
    FEATURE_PAIR_SNIPPETS.map((s) => ({ ...s, label: 'Attention-transfer pair' })),
  );
  addSnippets(props.sweep, SWEEP_SNIPPETS);
  addSnippets(props.outputs, OUTPUT_SNIPPETS);
  addSnippets(props.data?.properties?.source, DATA_SOURCE_SNIPPETS);
  return schema;
}
