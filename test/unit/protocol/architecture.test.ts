import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { buildPreset } from '../../../src/engine/models/presets';
import { adapterProblem, modelJsonLayers, presetInputProblem, presetLayers } from '../../../src/protocol/architecture';
import type { ArchitectureSpec } from '../../../src/protocol/config';
import { ArchitectureSpec as ArchitectureSchema } from '../../../src/protocol/config';

// The host's tfjs-free calculator must describe exactly the model the engine builds.
const CASES: { spec: unknown; input: [number, number, number]; classes: number }[] = [
  { spec: { preset: 'mlp', hidden: [64] }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'mlp', hidden: [1200, 1200], dropout: 0.2 }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'cnn', filters: [8, 16], dense: [32] }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'cnn', filters: [4, 8, 8], kernelSize: 5, dense: [16, 12], dropout: 0.3, batchNorm: true }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'cnn', filters: [6], batchNorm: true }, input: [15, 13, 3], classes: 7 },
  { spec: { preset: 'cnn', filters: [4, 8], dense: [16] }, input: [32, 24, 3], classes: 5 },
  { spec: { preset: 'resnet', depth: 8 }, input: [32, 32, 3], classes: 10 },
  { spec: { preset: 'resnet', depth: 14, width: 4 }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'resnet', depth: 8, width: 3 }, input: [9, 17, 3], classes: 4 },
  { spec: { preset: 'mobilenet' }, input: [32, 32, 3], classes: 10 },
  { spec: { preset: 'mobilenet', filters: [8, 16, 16, 32], blocks: 1, stem: 8, widthMultiplier: 0.75, activation: 'relu' }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'mobilenet', filters: [12, 24], blocks: 3, widthMultiplier: 1.5 }, input: [11, 7, 3], classes: 3 },
];

describe('protocol/architecture: the presets without tfjs', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const c of CASES) {
    it(`matches the tfjs model of ${JSON.stringify(c.spec)} on ${c.input}`, () => {
      const spec = ArchitectureSchema.parse(c.spec) as ArchitectureSpec;
      const model = buildPreset(tf, spec, c.input, c.classes, 1, 'teacher_0');
      const ours = presetLayers(spec, c.input, c.classes, 'teacher_0');
      // A graph preset (resnet, mobilenet) is a functional model with an input layer first.
      const theirs = model.layers
        .filter((l) => l.getClassName() !== 'InputLayer')
        .map((l) => ({
          name: l.name,
          className: l.getClassName(),
          outputShape: (l.outputShape as number[]).slice(1),
          params: l.countParams(),
        }));
      assert.deepEqual(ours.layers, theirs);
      assert.equal(ours.params, model.countParams());
      // Raw (unvalidated) JSON gives the same answer: the defaults are applied here too.
      assert.deepEqual(presetLayers(c.spec as never, c.input, c.classes, 'teacher_0').layers, ours.layers);
      model.dispose();
    });
  }

  for (const raw of [
    { preset: 'cnn', filters: [4, 8], dense: [16], batchNorm: true, dropout: 0.1 },
    { preset: 'resnet', depth: 14, width: 4 },
    { preset: 'mobilenet', filters: [8, 16], stem: 4, widthMultiplier: 0.5 },
  ])
    it(`reads the same layers from a saved model.json topology: ${raw.preset}`, async () => {
      await savedTopologyReadsTheSame(raw);
    });

  async function savedTopologyReadsTheSame(raw: unknown) {
    const spec = ArchitectureSchema.parse(raw);
    const model = buildPreset(tf, spec, [28, 28, 1], 10, 3, 'student');
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const modelJson = { modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: artifacts!.weightSpecs }] };
    const info = modelJsonLayers(JSON.parse(JSON.stringify(modelJson)))!;
    assert.deepEqual(info.layers, presetLayers(spec, [28, 28, 1], 10, 'student').layers);
    assert.equal(info.params, model.countParams());
    assert.deepEqual(info.inputShape, [28, 28, 1]);
    model.dispose();
  }

  it('with output heads: the same layers, then one dense head per output on what the logits read, in tfjs and without it, live and saved', async () => {
    const heads = [
      { name: 'box', units: 4, activation: 'sigmoid' as const },
      { name: 'ink', units: 3, activation: 'linear' as const },
    ];
    for (const raw of [
      { preset: 'mlp', hidden: [32, 16], dropout: 0.2 },
      { preset: 'cnn', filters: [4, 8], dense: [16], batchNorm: true },
      { preset: 'cnn', filters: [4] },
      { preset: 'resnet', depth: 8, width: 4 },
      { preset: 'mobilenet', filters: [8], stem: 4 },
    ]) {
      const spec = ArchitectureSchema.parse(raw);
      const model = buildPreset(tf, spec, [28, 28, 1], 10, 3, 'student', heads);
      const plain = buildPreset(tf, spec, [28, 28, 1], 10, 3, 'student');
      const ours = presetLayers(spec, [28, 28, 1], 10, 'student', heads);
      const theirs = model.layers
        .filter((l) => l.getClassName() !== 'InputLayer')
        .map((l) => ({ name: l.name, className: l.getClassName(), outputShape: (l.outputShape as number[]).slice(1), params: l.countParams() }));
      assert.deepEqual(ours.layers, theirs);
      assert.deepEqual(
        ours.layers.slice(-2).map((l) => [l.name, l.params]),
        [
          ['student_box', ours.layers.at(-4)!.outputShape[0] * 4 + 4],
          ['student_ink', ours.layers.at(-4)!.outputShape[0] * 3 + 3],
        ],
      );
      assert.equal(ours.params, model.countParams());
      assert.deepEqual(
        model.outputs.map((o) => o.shape),
        [
          [null, 10],
          [null, 4],
          [null, 3],
        ],
      );
      // The layers before the heads start from exactly the weights they have without heads.
      for (const layer of plain.layers) {
        const w = model.getLayer(layer.name).getWeights();
        layer.getWeights().forEach((t, i) => assert.equal(tf.max(tf.abs(tf.sub(t, w[i]))).dataSync()[0], 0, layer.name));
      }
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(
        tf.io.withSaveHandler(async (a) => {
          artifacts = a;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const info = modelJsonLayers(
        JSON.parse(JSON.stringify({ modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: artifacts!.weightSpecs }] })),
      )!;
      assert.deepEqual(info.layers, ours.layers, 'a saved functional model with heads reads the same');
      assert.deepEqual(info.inputShape, [28, 28, 1]);
      model.dispose();
      plain.dispose();
    }
  });

  it("says which layer a preset's feature maps reach 0 at, exactly where the tfjs model has a zero dimension", () => {
    for (const [h, w] of [
      [28, 28],
      [1, 20],
      [1, 1],
      [7, 9],
      [16, 16],
      [3, 40],
    ]) {
      for (let blocks = 1; blocks <= 6; blocks++) {
        const spec = ArchitectureSchema.parse({ preset: 'cnn', filters: Array(blocks).fill(2) }) as ArchitectureSpec;
        const model = buildPreset(tf, spec, [h, w, 1], 10, 1, 'student');
        const empty = model.layers.find((l) => (l.outputShape as number[]).slice(1).includes(0));
        const problem = presetInputProblem(spec, [h, w, 1]);
        assert.equal(problem !== undefined, empty !== undefined, `${h}×${w}, ${blocks} blocks: ${problem} vs ${empty?.name}`);
        if (empty) assert.match(problem!, new RegExp(`^the ${h}×${w} input shrinks to \\d+×\\d+ at ${empty.name} `));
        model.dispose();
      }
    }
    assert.equal(presetInputProblem(ArchitectureSchema.parse({ preset: 'mlp', hidden: [4] }) as ArchitectureSpec, [1, 1, 1]), undefined);
    assert.match(
      presetInputProblem(ArchitectureSchema.parse({ preset: 'cnn', filters: [8, 8, 8, 8, 8] }) as ArchitectureSpec, [28, 28, 1])!,
      /at student_pool5 .*at most 4 fit 28×28 images, 5 are given/,
    );
  });

  it('says when an adapter cannot bridge two shapes', () => {
    assert.equal(adapterProblem([14, 14, 8], [14, 14, 64]), undefined);
    assert.equal(adapterProblem([64], [1200]), undefined);
    assert.equal(adapterProblem([7, 7, 8], [14, 14, 64]), undefined, 'spatial sizes are pooled to match');
    assert.match(adapterProblem([64], [14, 14, 8])!, /cannot be bridged/);
    assert.match(adapterProblem([64], [32], 'attention')!, /needs feature maps/);
  });
});
