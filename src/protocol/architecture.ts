/**
 * The presets' layers without tfjs: names, output shapes and parameter counts, for the
 * extension host (tree, hovers, completions of feature-pair layer names, size hints), which
 * must never load tfjs. It mirrors `src/engine/models/presets.ts` layer by layer; the unit
 * test `test/unit/protocol/architecture.test.ts` builds the real tfjs model and compares, so
 * the two cannot drift apart unnoticed.
 */
import type { ArchitectureSpec, KdConfig } from './config';
import { GRAPH_CLASS_NAMES, graphShapes, isGraphPreset, presetGraph, type GraphPresetName } from './presetGraphs';

export interface LayerInfo {
  name: string;
  /** The tfjs class name, as in model.json's topology: Dense, Conv2D, ... */
  className: string;
  /** Output shape without the batch dimension. */
  outputShape: number[];
  params: number;
}

export interface ModelInfo {
  layers: LayerInfo[];
  params: number;
  /** Bytes of float32 weights. */
  bytes: number;
  inputShape: number[];
}

/** MNIST, and every IDX source the engine reads: 28x28 greyscale, 10 classes, unless told. */
export const DEFAULT_INPUT_SHAPE: [number, number, number] = [28, 28, 1];
export const DEFAULT_NUM_CLASSES = 10;

/** The layer-name prefix the engine gives each model (see engine/run/prepare.ts). */
export const teacherPrefix = (index: number) => `teacher_${index}`;
export const STUDENT_PREFIX = 'student';

type Partial<T> = { [K in keyof T]?: T[K] };
/** A preset's spec as validated, or as raw JSON still being typed. */
type RawPreset = Partial<ArchitectureSpec> & { preset: ArchitectureSpec['preset'] };

/**
 * The layers a preset builds. Defaults (dropout 0, kernelSize 3, dense [], batchNorm false)
 * are applied here too, so the raw, unvalidated JSON of a kd.json being typed works. `heads`:
 * the dense heads of kd.json `outputs`, after the logits.
 */
export function presetLayers(
  spec: RawPreset,
  inputShape: number[] = DEFAULT_INPUT_SHAPE,
  numClasses = DEFAULT_NUM_CLASSES,
  prefix = STUDENT_PREFIX,
  heads: { name: string; units: number }[] = [],
): ModelInfo {
  const name = (s: string) => `${prefix}_${s}`;
  const layers: LayerInfo[] = [];
  let shape = [...inputShape];
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const push = (n: string, className: string, outputShape: number[], params = 0) => {
    layers.push({ name: name(n), className, outputShape, params });
    shape = outputShape;
  };
  const dense = (n: string, units: number) => push(n, 'Dense', [units], size(shape) * units + units);
  const dropout = Number((spec as { dropout?: number }).dropout ?? 0);
  if (isGraphPreset(spec.preset)) {
    for (const { node, outputShape, params } of graphShapes(presetGraph(spec as never, prefix), shape)) {
      layers.push({ name: node.name, className: GRAPH_CLASS_NAMES[node.op], outputShape, params });
      shape = outputShape;
    }
  } else if (spec.preset === 'mlp') {
    const hidden = ((spec as { hidden?: number[] }).hidden ?? []).filter(isPositiveInt);
    push('flatten', 'Flatten', [size(shape)]);
    hidden.forEach((units, i) => {
      dense(`dense${i + 1}`, units);
      if (dropout > 0) push(`dropout${i + 1}`, 'Dropout', shape);
    });
  } else {
    const s = spec as { filters?: number[]; kernelSize?: number; dense?: number[]; batchNorm?: boolean };
    const k = isPositiveInt(s.kernelSize) ? s.kernelSize : 3;
    (s.filters ?? []).filter(isPositiveInt).forEach((filters, i) => {
      const [h, w, c] = shape;
      push(`conv${i + 1}`, 'Conv2D', [h, w, filters], k * k * c * filters + filters);
      if (s.batchNorm) push(`bn${i + 1}`, 'BatchNormalization', shape, 4 * filters);
      push(`relu${i + 1}`, 'Activation', shape);
      push(`pool${i + 1}`, 'MaxPooling2D', [Math.floor(h / 2), Math.floor(w / 2), filters]);
    });
    push('flatten', 'Flatten', [size(shape)]);
    (s.dense ?? []).filter(isPositiveInt).forEach((units, i) => {
      if (dropout > 0) push(`dropout${i + 1}`, 'Dropout', shape);
      dense(`dense${i + 1}`, units);
    });
  }
  // kd.json `outputs`: a head per output reads what the logits read.
  const representation = shape;
  dense('logits', numClasses);
  for (const head of heads) {
    shape = representation;
    dense(head.name, head.units);
  }
  const params = layers.reduce((a, l) => a + l.params, 0);
  return { layers, params, bytes: params * 4, inputShape: [...inputShape] };
}

/**
 * Why a preset cannot take images of `inputShape` [h, w, c], or undefined: every conv block of
 * the cnn preset ends in a 2×2 max-pool that halves the feature map (rounding down), and a map
 * that reaches 0×0 crashes the backend's kernels mid-run. Names the first layer where it
 * happens, and how many blocks fit. Pure, so the engine's pre-run checks and the editor's
 * diagnostics say the same.
 */
export function presetInputProblem(spec: RawPreset, inputShape: number[], prefix = STUDENT_PREFIX): string | undefined {
  const [h, w] = inputShape;
  if (isGraphPreset(spec.preset)) return graphInputProblem(spec as never, inputShape, prefix);
  if (spec.preset !== 'cnn') return undefined;
  const layers = presetLayers(spec, inputShape, DEFAULT_NUM_CLASSES, prefix).layers;
  const empty = layers.find((l) => l.outputShape.length === 3 && (l.outputShape[0] === 0 || l.outputShape[1] === 0));
  if (!empty) return undefined;
  const [eh, ew] = empty.outputShape;
  const fit = Math.floor(Math.log2(Math.max(1, Math.min(h, w))));
  const blocks = layers.filter((l) => l.className === 'Conv2D').length;
  const advice =
    fit === 0 ? `no conv block fits ${h}×${w} images: use the mlp preset` : `at most ${fit} fit${fit === 1 ? 's' : ''} ${h}×${w} images, ${blocks} are given`;
  return `the ${h}×${w} input shrinks to ${eh}×${ew} at ${empty.name} (each conv block ends in a 2×2 max-pool, which halves it); ${advice}`;
}

/**
 * For resnet and mobilenet: their 'same'-padded stride-2 layers halve the map rounding up, so it
 * never reaches 0, but a stride-2 layer given a map 1 pixel high or wide has nothing left to
 * halve: its stage sees padding, not the image. Refused at the first such layer.
 */
function graphInputProblem(spec: Partial<ArchitectureSpec> & { preset: GraphPresetName }, inputShape: number[], prefix: string): string | undefined {
  const [h, w] = inputShape;
  const strided = graphShapes(presetGraph(spec, prefix), inputShape).filter(({ node }) => (node.op === 'conv' || node.op === 'depthwise') && node.stride > 1);
  const flat = strided.find(({ inputShape: [ih, iw] }) => ih < 2 || iw < 2);
  if (!flat) return undefined;
  // Halvings (rounding up) before a side of min(h, w) reaches 1; the projections of a resnet block share their block's.
  const fit = Math.ceil(Math.log2(Math.max(1, Math.min(h, w))));
  const stages = new Set(strided.map(({ node }) => node.name.replace(/_[^_]*$/, ''))).size;
  const what =
    spec.preset === 'resnet'
      ? 'a resnet has 2 (its second and third stages): it needs images of at least 3×3'
      : `${stages} are given (every filters entry after the first)`;
  const [fh, fw] = flat.inputShape;
  return `the ${h}×${w} input is down to ${fh}×${fw} at ${flat.node.name}, a stride-2 layer with nothing left to halve (each stride-2 stage halves the map, rounding up); at most ${fit} stride-2 stage${fit === 1 ? '' : 's'} fit${fit === 1 ? 's' : ''} ${h}×${w} images, ${what}`;
}

/** The kd.json key a preset's input problem is placed at: what to change. */
const DEPTH_KEY: Record<ArchitectureSpec['preset'], string> = { mlp: 'hidden', cnn: 'filters', resnet: 'preset', mobilenet: 'filters' };

/** presetInputProblem for every preset of a kd.json (teachers, assistants, student), each at its JSON path. */
export function presetInputIssues(
  cfg: Pick<KdConfig, 'teachers' | 'student' | 'assistants'>,
  inputShape: number[],
): { path: (string | number)[]; message: string }[] {
  const specs: [(string | number)[], ArchitectureSpec, string][] = [];
  cfg.teachers.forEach(
    (t, i) => 'architecture' in t && specs.push([['teachers', i, 'architecture', DEPTH_KEY[t.architecture.preset]], t.architecture, teacherPrefix(i)]),
  );
  (cfg.assistants ?? []).forEach((a, i) => specs.push([['assistants', i, DEPTH_KEY[a.preset]], a, `assistant_${i + 1}`]));
  if ('architecture' in cfg.student)
    specs.push([['student', 'architecture', DEPTH_KEY[cfg.student.architecture.preset]], cfg.student.architecture, STUDENT_PREFIX]);
  return specs.flatMap(([at, spec, prefix]) => {
    const message = presetInputProblem(spec, inputShape, prefix);
    return message ? [{ path: at, message }] : [];
  });
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

/**
 * Layers of a tfjs LayersModel from its model.json (`modelTopology`): names, output shapes
 * and parameter counts, computed from the layer configs for the layer kinds the presets and
 * common Sequential models use. Unknown layer kinds get a shape of [] and 0 params; the
 * weights manifest then supplies the true total.
 */
export function modelJsonLayers(modelJson: unknown): ModelInfo | undefined {
  // A stranger's model.json: its topology is read defensively, field by field, with optional chaining.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const mj = modelJson as { modelTopology?: any; weightsManifest?: { weights?: { shape: number[]; dtype?: string }[] }[] };
  const topo = mj?.modelTopology;
  if (!topo || typeof topo !== 'object') return undefined;
  const config = topo.model_config?.config ?? topo.config;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rawLayers: any[] = Array.isArray(config?.layers) ? config.layers : Array.isArray(config) ? config : [];
  const layers: LayerInfo[] = [];
  let shape: number[] = [];
  let inputShape: number[] = [];
  // A functional model (e.g. one with output heads) says which layer feeds each layer.
  const shapeOf = new Map<string, number[]>();
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  for (const l of rawLayers) {
    const cfg = l?.config ?? {};
    const cls: string = l?.class_name ?? 'Unknown';
    const inbound = l?.inbound_nodes?.[0]?.[0]?.[0];
    if (typeof inbound === 'string' && shapeOf.has(inbound)) shape = shapeOf.get(inbound)!;
    const batchIn = cfg.batch_input_shape ?? cfg.batchInputShape ?? cfg.batch_shape;
    if (Array.isArray(batchIn) && (cls === 'InputLayer' || !inputShape.length)) {
      shape = batchIn.slice(1).map((d: number | null) => d ?? 0);
      inputShape = shape;
    }
    if (cls === 'InputLayer') {
      shapeOf.set(String(cfg.name ?? l?.name), shape);
      continue;
    }
    let params = 0;
    switch (cls) {
      case 'Dense': {
        const units = cfg.units;
        params = size(shape.slice(-1)) * units + (cfg.use_bias === false ? 0 : units);
        shape = [...shape.slice(0, -1), units];
        break;
      }
      case 'Conv2D': {
        const [h, w, c] = shape;
        const [kh, kw] = toPair(cfg.kernel_size);
        const [sh, sw] = toPair(cfg.strides ?? 1);
        const same = cfg.padding === 'same';
        params = kh * kw * c * cfg.filters + (cfg.use_bias === false ? 0 : cfg.filters);
        shape = [convOut(h, kh, sh, same), convOut(w, kw, sw, same), cfg.filters];
        break;
      }
      case 'DepthwiseConv2D': {
        const [h, w, c] = shape;
        const [kh, kw] = toPair(cfg.kernel_size);
        const [sh, sw] = toPair(cfg.strides ?? 1);
        const m = cfg.depth_multiplier ?? 1;
        params = kh * kw * c * m + (cfg.use_bias === false ? 0 : c * m);
        shape = [convOut(h, kh, sh, cfg.padding === 'same'), convOut(w, kw, sw, cfg.padding === 'same'), c * m];
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [h, w, c] = shape;
        const [ph, pw] = toPair(cfg.pool_size ?? 2);
        const [sh, sw] = toPair(cfg.strides ?? cfg.pool_size ?? 2);
        const same = cfg.padding === 'same';
        shape = [convOut(h, ph, sh, same), convOut(w, pw, sw, same), c];
        break;
      }
      case 'BatchNormalization':
        params = 4 * (shape.at(-1) ?? 0);
        break;
      case 'Flatten':
        shape = [size(shape)];
        break;
      case 'Reshape':
        if (Array.isArray(cfg.target_shape)) shape = cfg.target_shape;
        break;
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        shape = [shape.at(-1) ?? 0];
        break;
      case 'Add': // elementwise over equal shapes: the first input's
      case 'Dropout':
      case 'Activation':
      case 'ReLU':
      case 'Softmax':
        break;
      default:
        shape = [];
    }
    layers.push({ name: String(cfg.name ?? l?.name ?? cls), className: cls, outputShape: shape, params });
    shapeOf.set(String(cfg.name ?? l?.name ?? cls), shape);
  }
  const manifestParams = (mj.weightsManifest ?? []).flatMap((g) => g.weights ?? []).reduce((a, w) => a + size(w.shape ?? []), 0);
  const params = manifestParams || layers.reduce((a, l) => a + l.params, 0);
  return { layers, params, bytes: params * 4, inputShape };
}

function toPair(x: unknown): [number, number] {
  if (Array.isArray(x)) return [Number(x[0]), Number(x[1] ?? x[0])];
  return [Number(x), Number(x)];
}

function convOut(n: number, k: number, s: number, same: boolean): number {
  return same ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1;
}

/**
 * Whether a feature adapter can bridge a student layer to a teacher layer, by the engine's
 * rule (src/engine/models/adapters.ts): both feature maps [h, w, c] or both vectors [d];
 * channels are mapped by a 1x1 conv or dense layer and spatial sizes aligned by pooling.
 * Attention transfer needs feature maps on both sides. Returns why not, or undefined.
 */
export function adapterProblem(student: number[], teacher: number[], kind: 'features' | 'attention' = 'features'): string | undefined {
  if (!student.length || !teacher.length) return undefined; // unknown shape: the engine decides
  const show = (s: number[]) => `[${s.join(', ')}]`;
  if (kind === 'attention') {
    if (student.length !== 3 || teacher.length !== 3)
      return `attention transfer needs feature maps [h, w, c] on both sides; got the student's ${show(student)} and the teacher's ${show(teacher)}`;
    return undefined;
  }
  if (student.length !== teacher.length || (student.length !== 1 && student.length !== 3)) {
    return `the student's ${show(student)} and the teacher's ${show(teacher)} activations cannot be bridged: both must be feature maps [h, w, c] or both vectors [d]`;
  }
  return undefined;
}
