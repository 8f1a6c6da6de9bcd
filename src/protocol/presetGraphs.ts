/**
 * The graph presets (resnet, mobilenet) as plain data: one node per tfjs layer, with its name,
 * kind, settings and inputs. The engine builds its tfjs layers from exactly these nodes
 * (`src/engine/models/graphPresets.ts`) and the extension host reads names, shapes and
 * parameter counts from them without tfjs (`architecture.ts`), so the topology is decided
 * here once. The unit test checks the shapes and counts computed here against tfjs's own.
 *
 * Every convolution is 'same'-padded and has no bias (the batch norm after it has one), the
 * way the papers build them. Names follow `<prefix>_<stage/block>_<layer>`: `student_s2b1_conv1`.
 */
import type { ArchitectureSpec } from './config';

export type GraphActivation = 'relu' | 'relu6';

export type GraphNode = { name: string } & (
  | { op: 'conv'; input: string; filters: number; kernel: number; stride: number }
  | { op: 'depthwise'; input: string; kernel: number; stride: number }
  | { op: 'bn'; input: string }
  | { op: 'act'; input: string; activation: GraphActivation }
  | { op: 'add'; inputs: [string, string] }
  | { op: 'gap'; input: string }
);

/** The input of the whole model, as a node's `input`. */
export const GRAPH_INPUT = '';

export type GraphPresetName = 'resnet' | 'mobilenet';
export type GraphSpec = Extract<ArchitectureSpec, { preset: GraphPresetName }>;

export function isGraphPreset(preset: unknown): preset is GraphPresetName {
  return preset === 'resnet' || preset === 'mobilenet';
}

type Raw<T> = { [K in keyof T]?: T[K] };

/** The nodes of a resnet or mobilenet, from validated or raw (still being typed) JSON; defaults as in config.ts. */
export function presetGraph(spec: Raw<GraphSpec> & { preset: GraphPresetName }, prefix: string): GraphNode[] {
  const nodes: GraphNode[] = [];
  const name = (s: string) => `${prefix}_${s}`;
  let last = GRAPH_INPUT;
  const add = (node: GraphNode): string => {
    nodes.push(node);
    return (last = node.name);
  };
  const convBnAct = (id: string, op: 'conv' | 'depthwise', settings: { filters?: number; kernel: number; stride: number }, activation?: GraphActivation) => {
    add(
      op === 'conv'
        ? { op, name: name(`${id}conv`), input: last, filters: settings.filters!, ...settings }
        : { op, name: name(`${id}dw`), input: last, ...settings },
    );
    add({ op: 'bn', name: name(`${id}${op === 'conv' ? '' : 'dw_'}bn`), input: last });
    if (activation) add({ op: 'act', name: name(`${id}${op === 'conv' ? '' : 'dw_'}relu`), input: last, activation });
  };
  if (spec.preset === 'resnet') {
    const s = spec as Raw<Extract<GraphSpec, { preset: 'resnet' }>>;
    const depth = isPositiveInt(s.depth) && (s.depth - 2) % 6 === 0 ? s.depth : 20;
    const width = isPositiveInt(s.width) ? s.width : 16;
    const perStage = (depth - 2) / 6;
    convBnAct('stem_', 'conv', { filters: width, kernel: 3, stride: 1 }, 'relu');
    let channels = width;
    for (let stage = 1; stage <= 3; stage++) {
      const out = width * 2 ** (stage - 1);
      for (let block = 1; block <= perStage; block++) {
        const id = `s${stage}b${block}_`;
        const stride = stage > 1 && block === 1 ? 2 : 1;
        const blockInput = last;
        add({ op: 'conv', name: name(`${id}conv1`), input: last, filters: out, kernel: 3, stride });
        add({ op: 'bn', name: name(`${id}bn1`), input: last });
        add({ op: 'act', name: name(`${id}relu1`), input: last, activation: 'relu' });
        const conv2 = add({ op: 'conv', name: name(`${id}conv2`), input: last, filters: out, kernel: 3, stride: 1 });
        // He et al.'s option B: a 1×1 projection where the shape changes (a standard layer, unlike option A's zero padding).
        const project = stride !== 1 || channels !== out;
        // Listed in tfjs's own order (by depth, then creation), so a saved model's layers read the same as these.
        if (project) add({ op: 'conv', name: name(`${id}proj`), input: blockInput, filters: out, kernel: 1, stride });
        const residual = add({ op: 'bn', name: name(`${id}bn2`), input: conv2 });
        const shortcut = project ? add({ op: 'bn', name: name(`${id}proj_bn`), input: name(`${id}proj`) }) : blockInput;
        add({ op: 'add', name: name(`${id}add`), inputs: [residual, shortcut] });
        add({ op: 'act', name: name(`${id}relu`), input: last, activation: 'relu' });
        channels = out;
      }
    }
  } else {
    const s = spec as Raw<Extract<GraphSpec, { preset: 'mobilenet' }>>;
    const alpha = typeof s.widthMultiplier === 'number' && s.widthMultiplier > 0 ? s.widthMultiplier : 1;
    const scaled = (c: number) => Math.max(1, Math.round(c * alpha));
    const filters = Array.isArray(s.filters) && s.filters.some(isPositiveInt) ? s.filters.filter(isPositiveInt) : [64, 128, 256];
    const blocks = isPositiveInt(s.blocks) ? s.blocks : 2;
    const activation: GraphActivation = s.activation === 'relu' ? 'relu' : 'relu6';
    convBnAct('stem_', 'conv', { filters: scaled(isPositiveInt(s.stem) ? s.stem : 32), kernel: 3, stride: 1 }, activation);
    filters.forEach((f, i) => {
      for (let block = 1; block <= blocks; block++) {
        const id = `s${i + 1}b${block}_`;
        convBnAct(id, 'depthwise', { kernel: 3, stride: i > 0 && block === 1 ? 2 : 1 }, activation);
        add({ op: 'conv', name: name(`${id}pw`), input: last, filters: scaled(f), kernel: 1, stride: 1 });
        add({ op: 'bn', name: name(`${id}pw_bn`), input: last });
        add({ op: 'act', name: name(`${id}pw_relu`), input: last, activation });
      }
    });
  }
  add({ op: 'gap', name: name('gap'), input: last });
  return nodes;
}

export const GRAPH_CLASS_NAMES: Record<GraphNode['op'], string> = {
  conv: 'Conv2D',
  depthwise: 'DepthwiseConv2D',
  bn: 'BatchNormalization',
  act: 'Activation',
  add: 'Add',
  gap: 'GlobalAveragePooling2D',
};

/** Output shape (no batch dimension) and parameter count of every node, given the model's input shape [h, w, c]. */
export function graphShapes(nodes: GraphNode[], inputShape: number[]): { node: GraphNode; inputShape: number[]; outputShape: number[]; params: number }[] {
  const shapes = new Map<string, number[]>([[GRAPH_INPUT, inputShape]]);
  return nodes.map((node) => {
    const input = shapes.get(node.op === 'add' ? node.inputs[0] : node.input) ?? [];
    const [h, w, c] = input;
    let outputShape = input;
    let params = 0;
    if (node.op === 'conv' || node.op === 'depthwise') {
      // 'same' padding: ceil(n / stride), never 0.
      const out = node.op === 'conv' ? node.filters : c;
      outputShape = [Math.ceil(h / node.stride), Math.ceil(w / node.stride), out];
      params = node.kernel * node.kernel * (node.op === 'conv' ? c * node.filters : c);
    } else if (node.op === 'bn')
      params = 4 * c; // gamma, beta, moving mean and variance
    else if (node.op === 'gap') outputShape = [c];
    shapes.set(node.name, outputShape);
    return { node, inputShape: input, outputShape, params };
  });
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}
