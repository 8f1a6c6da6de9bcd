/**
 * The teachers and the student a kd.json defines, as the sidebar and hovers show them: where
 * each comes from (a model file or a preset), its parameter count, size and layers, and
 * where it is defined in the text. Works on kd.json text that does not validate yet (it is
 * being typed): what can be read is shown. Pure apart from reading model.json files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { findNodeAtLocation, getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { modelJsonLayers, presetLayers, STUDENT_PREFIX, teacherPrefix, type ModelInfo } from '../../protocol/architecture';
import { BUILTIN_TARGET_DIM, isBuiltinTarget } from '../../protocol/config';
import type { RunSummary } from '../../protocol/events';
import { humanBytes, humanCount, pct } from '../../protocol/format';
import { readOnnxGraph } from '../../protocol/onnx/onnxModel';

export interface ModelEntry {
  role: 'teacher' | 'student';
  /** Teacher id, or "student". */
  id: string;
  index: number;
  /** "preset mlp 1200-1200" or the model file path as written. */
  source: string;
  /** Absolute path of the model.json, for file models. */
  modelFile?: string;
  info?: ModelInfo;
  /** Why the model could not be described (file missing, no topology). */
  problem?: string;
  /** The entry's span in the kd.json text. */
  offset: number;
  length: number;
}

export interface KdJsonModels {
  file: string;
  name?: string;
  teachers: ModelEntry[];
  student?: ModelEntry;
}

type Json = Record<string, unknown>;

/**
 * An ONNX teacher's node outputs as its "layers" (what teacherLayer may name), with the op
 * that makes each and its shape where the file declares one; read with protobufjs, no
 * ONNX Runtime in the extension host.
 */
function readOnnxInfo(file: string): { info?: ModelInfo; problem?: string } {
  try {
    const g = readOnnxGraph(file);
    const layers = g.nodes.flatMap((n) =>
      n.outputs.map((name) => ({
        name,
        className: n.opType,
        outputShape: (g.shapes.get(name) ?? []).slice(1).filter((d): d is number => typeof d === 'number'),
        params: 0,
      })),
    );
    const input = g.inputs[0]?.dims?.slice(1).filter((d): d is number => typeof d === 'number') ?? [];
    return { info: { layers, params: g.params, bytes: g.params * 4, inputShape: input } };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

/** Reads a tfjs model.json's layers (a GraphModel's nodes), or an ONNX file's node outputs; undefined with a reason when it is none of them. */
export function readModelJson(file: string): { info?: ModelInfo; problem?: string } {
  if (file.toLowerCase().endsWith('.onnx')) return fs.existsSync(file) ? readOnnxInfo(file) : { problem: `model file not found: ${file}` };
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? `model file not found: ${file}` : `not readable JSON: ${file}` };
  }
  const graph = graphModelInfo(value);
  if (graph) return { info: graph };
  const info = modelJsonLayers(value);
  return info ? { info } : { problem: `${file} has no modelTopology: not a tfjs LayersModel model.json` };
}

/** A tfjs GraphModel's nodes (not its constants and inputs) as its layers, and its weights' size. */
function graphModelInfo(value: unknown): ModelInfo | undefined {
  const j = value as { format?: string; modelTopology?: { node?: { name?: string; op?: string }[] }; weightsManifest?: { weights?: { shape?: number[] }[] }[] };
  if (j?.format !== 'graph-model' && !Array.isArray(j?.modelTopology?.node)) return undefined;
  const layers = (j.modelTopology?.node ?? [])
    .filter((n) => typeof n.name === 'string' && n.op !== 'Const' && n.op !== 'Placeholder')
    .map((n) => ({ name: n.name!, className: n.op ?? '?', outputShape: [], params: 0 }));
  const params = (j.weightsManifest ?? []).flatMap((g) => g.weights ?? []).reduce((n, w) => n + (w.shape ?? []).reduce((a, b) => a * b, 1), 0);
  return { layers, params, bytes: params * 4, inputShape: [] };
}

export function describeArchitecture(arch: Json): string {
  const list = (x: unknown) => (Array.isArray(x) ? x.join('-') : '?');
  if (arch.preset === 'mlp') return `preset mlp ${list(arch.hidden)}`;
  if (arch.preset === 'cnn')
    return `preset cnn conv ${list(arch.filters)}${Array.isArray(arch.dense) && arch.dense.length ? ` dense ${list(arch.dense)}` : ''}`;
  if (arch.preset === 'resnet')
    return `preset resnet${typeof arch.depth === 'number' ? arch.depth : 20} width ${typeof arch.width === 'number' ? arch.width : 16}`;
  if (arch.preset === 'mobilenet')
    return `preset mobilenet ${Array.isArray(arch.filters) ? list(arch.filters) : '64-128-256'}${typeof arch.widthMultiplier === 'number' ? ` α ${arch.widthMultiplier}` : ''}`;
  return `preset ${String(arch.preset ?? '?')}`;
}

type Head = { name: string; units: number };

/** Values per row of an IDX file (its dimensions after the first), or undefined when unreadable. */
function idxRowSize(file: string): number | undefined {
  try {
    let bytes = fs.readFileSync(file);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
    const rank = bytes[3];
    if (bytes[0] !== 0 || bytes[1] !== 0 || rank < 1 || rank > 4 || bytes.length < 4 + 4 * rank) return undefined;
    let n = 1;
    for (let i = 1; i < rank; i++) n *= bytes.readUInt32BE(4 + 4 * i);
    return n;
  } catch {
    return undefined;
  }
}

/** The heads every preset grows for kd.json `outputs` (file targets: as many units as the file's rows have values). */
function headsOf(root: Node, baseDir: string): Head[] {
  const heads: Head[] = [];
  findNodeAtLocation(root, ['outputs'])?.children?.forEach((prop) => {
    const name = prop.children?.[0]?.value;
    const target = prop.children?.[1] && findNodeAtLocation(prop.children[1], ['target'])?.value;
    if (typeof name !== 'string' || typeof target !== 'string') return;
    const units = isBuiltinTarget(target) ? BUILTIN_TARGET_DIM[target] : idxRowSize(path.resolve(baseDir, target));
    if (units) heads.push({ name, units });
  });
  return heads;
}

function entryOf(node: Node, value: Json, role: ModelEntry['role'], index: number, baseDir: string, heads: Head[] = []): ModelEntry {
  const id = role === 'student' ? 'student' : typeof value.id === 'string' ? value.id : `teachers[${index}]`;
  const base = { role, id, index, offset: node.offset, length: node.length };
  if (typeof value.model === 'string') {
    const modelFile = path.resolve(baseDir, value.model);
    return { ...base, source: value.model, modelFile, ...readModelJson(modelFile) };
  }
  const arch = value.architecture as Json | undefined;
  if (arch && ['mlp', 'cnn', 'resnet', 'mobilenet'].includes(arch.preset as string)) {
    const prefix = role === 'student' ? STUDENT_PREFIX : teacherPrefix(index);
    return { ...base, source: describeArchitecture(arch), info: presetLayers(arch as never, undefined, undefined, prefix, heads) };
  }
  return { ...base, source: 'no model yet', problem: 'needs "model" or "architecture"' };
}

/** The models of a kd.json, from its text (comments allowed, partial files tolerated). */
export function modelsOfKdJson(text: string, file: string): KdJsonModels {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const out: KdJsonModels = { file, teachers: [] };
  if (!root) return out;
  const baseDir = path.dirname(file);
  const name = findNodeAtLocation(root, ['name']);
  if (name?.type === 'string') out.name = name.value;
  const heads = headsOf(root, baseDir);
  const teachers = findNodeAtLocation(root, ['teachers']);
  teachers?.children?.forEach((node, i) => {
    const value = getNodeValue(node);
    if (value && typeof value === 'object') out.teachers.push(entryOf(node, value, 'teacher', i, baseDir, heads));
  });
  const student = findNodeAtLocation(root, ['student']);
  if (student?.type === 'object') out.student = entryOf(student, getNodeValue(student), 'student', 0, baseDir, heads);
  return out;
}

/** The last measured test accuracy of a model, from the newest finished run that has one. */
export function lastAccuracy(entry: ModelEntry, summariesNewestFirst: RunSummary[]): number | undefined {
  for (const s of summariesNewestFirst) {
    if (entry.role === 'student' && s.student) return s.student.testAccuracy;
    // A teacher's accuracy is its own only when it taught alone (an ensemble is measured as one).
    if (entry.role === 'teacher' && s.teacher && (s.teacher.ids?.length ?? 1) === 1 && s.teacher.id === entry.id) return s.teacher.testAccuracy;
  }
  return undefined;
}

/** One line for the tree: "preset mlp 64 · 50.9k params · 97.10%". */
export function modelDescription(entry: ModelEntry, accuracy?: number): string {
  return [entry.source, entry.info ? `${humanCount(entry.info.params)} params` : entry.problem ? '⚠' : '', accuracy !== undefined ? pct(accuracy) : '']
    .filter(Boolean)
    .join(' · ');
}

/** Markdown for hovers and tooltips: parameters, size, and the layer summary. */
export function modelMarkdown(entry: ModelEntry, accuracy?: number): string {
  const title = entry.role === 'student' ? '**student**' : `**teacher \`${entry.id}\`**`;
  const lines = [`${title} — ${entry.source}`, ''];
  if (entry.problem) lines.push(`⚠ ${entry.problem}`, '');
  if (entry.info) {
    lines.push(
      `${entry.info.params.toLocaleString('en-US')} parameters · ${humanBytes(entry.info.bytes)} (float32)${accuracy !== undefined ? ` · last test accuracy ${pct(accuracy)}` : ''}`,
      '',
    );
    lines.push('| layer | type | output | params |', '|---|---|---|---:|');
    for (const l of entry.info.layers) lines.push(`| \`${l.name}\` | ${l.className} | [${l.outputShape.join(', ')}] | ${l.params.toLocaleString('en-US')} |`);
  }
  return lines.join('\n');
}
