/**
 * A tfjs GraphModel teacher (tensorflowjs_converter's output from a SavedModel, a frozen graph
 * or Keras, format "graph-model"), run with tfjs-converter's executor, frozen: its graph
 * cannot be trained, only run. Its weights are read by modelFiles.ts like a LayersModel's (the
 * same containment and size checks, so a missing shard is named). Taps are node names.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { digest } from '../run/memo';
import { externalTeacherModel, UnknownTapError, type ExternalForward } from './externalTeacher';
import { readModelArtifacts } from './modelFiles';

export interface GraphTeacherOptions {
  shape: [number, number, number];
  output?: string;
  taps: string[];
  name: string;
}

function nodeNames(topology: unknown): string[] {
  const nodes = (topology as { node?: { name?: string; op?: string }[] } | undefined)?.node ?? [];
  return nodes.filter((n) => n.name && n.op !== 'Const' && n.op !== 'Placeholder').map((n) => n.name!);
}

export async function loadGraphTeacher(tf: typeof tfTypes, modelJson: string, opts: GraphTeacherOptions): Promise<tfTypes.LayersModel> {
  const artifacts = readModelArtifacts(modelJson, { graphModel: true });
  const what = 'a tfjs GraphModel (format "graph-model")';
  if (!nodeNames(artifacts.modelTopology).length)
    throw new Error(`${modelJson}: ${what} with no graph nodes: expected tensorflowjs_converter's model.json, its nodes and weights`);
  let graph: tfTypes.GraphModel;
  try {
    graph = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new Error(`${modelJson}: ${what} that tfjs-converter cannot build (${(e as Error).message})`, { cause: e });
  }
  const fail = (message: string): never => {
    graph.dispose();
    throw new Error(`${modelJson}: ${message}`);
  };
  const [h, w, c] = opts.shape;
  if (graph.inputs.length !== 1)
    fail(`the graph has ${graph.inputs.length} inputs (${graph.inputs.map((i) => i.name).join(', ')}); a teacher takes one, the images`);
  const dims = graph.inputs[0].shape ?? [];
  const fit = (d: number | undefined, n: number) => d === undefined || d < 0 || d === n;
  const flat = dims.length === 2 && fit(dims[1], h * w * c);
  if (!flat && !(dims.length === 4 && fit(dims[1], h) && fit(dims[2], w) && fit(dims[3], c)))
    fail(
      `its input is [${dims.join(', ')}], which does not fit the ${h}×${w}×${c} images: expected [N, ${h}, ${w}, ${c}] or [N, ${h * w * c}] (a GraphModel takes NHWC)`,
    );
  const names = nodeNames(artifacts.modelTopology);
  const logits = opts.output ?? graph.outputs[0]?.name;
  if (!logits) fail('the graph has no outputs');
  if (opts.output && !graph.outputs.some((o) => o.name === opts.output) && !names.includes(opts.output)) fail(`no output or node "${opts.output}"`);
  for (const t of opts.taps)
    if (!names.includes(t)) {
      graph.dispose();
      throw new UnknownTapError(
        `${modelJson}: no node "${t}" to tap (its nodes: ${names.slice(0, 40).join(', ')}${names.length > 40 ? `, … ${names.length - 40} more` : ''})`,
        t,
      );
    }
  const fetch = [logits, ...opts.taps];
  const runRaw = (images: Float32Array, n: number): tfTypes.Tensor[] =>
    tf.tidy(() => {
      const x = tf.tensor(images, flat ? [n, h * w * c] : [n, h, w, c]);
      return [graph.execute(x, fetch)].flat();
    });
  const forward: ExternalForward = {
    outputShapes: [],
    run: (images, n) => {
      const outs = runRaw(images, n);
      const data = outs.map((t) => t.dataSync() as Float32Array);
      tf.dispose(outs);
      return data;
    },
    dispose: () => graph.dispose(),
  };
  let probe: tfTypes.Tensor[] = [];
  try {
    probe = runRaw(new Float32Array(2 * h * w * c), 2);
  } catch (e) {
    fail(`tfjs cannot run the graph on ${h}×${w}×${c} images (${(e as Error).message})`);
  }
  forward.outputShapes = probe.map((t) => t.shape.slice(1));
  tf.dispose(probe);
  if (forward.outputShapes[0].length !== 1)
    fail(`output "${logits}" is [${forward.outputShapes[0].join(', ')}] per sample; a teacher's logits must be [N, classes]`);
  const identity = `graph-model:${digest(JSON.stringify(artifacts.modelTopology), JSON.stringify(artifacts.weightSpecs), artifacts.weightData as ArrayBuffer)}:${logits}`;
  return externalTeacherModel(
    tf,
    opts.shape,
    forward,
    opts.taps,
    {
      kind: 'graph-model',
      file: modelJson,
      identity,
      tapNames: names,
      params: (artifacts.weightSpecs ?? []).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0),
    },
    opts.name,
  );
}
