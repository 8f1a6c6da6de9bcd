import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { buildPreset } from '../../../src/engine/models/presets';
import { adapterProblem, modelJsonLayers, presetLayers } from '../../../src/protocol/architecture';
import type { ArchitectureSpec } from '../../../src/protocol/config';
import { ArchitectureSpec as ArchitectureSchema } from '../../../src/protocol/config';

// The host's tfjs-free calculator must describe exactly the model the engine builds.
const CASES: { spec: unknown; input: [number, number, number]; classes: number }[] = [
  { spec: { preset: 'mlp', hidden: [64] }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'mlp', hidden: [1200, 1200], dropout: 0.2 }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'cnn', filters: [8, 16], dense: [32] }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'cnn', filters: [4, 8, 8], kernelSize: 5, dense: [16, 12], dropout: 0.3, batchNorm: true }, input: [28, 28, 1], classes: 10 },
  { spec: { preset: 'cnn', filters: [6], batchNorm: true }, input: [15, 13, 3], classes: 7 },
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
      const theirs = model.layers.map((l) => ({
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

  it('reads the same layers from a saved model.json topology', async () => {
    const spec = ArchitectureSchema.parse({ preset: 'cnn', filters: [4, 8], dense: [16], batchNorm: true, dropout: 0.1 });
    const model = buildPreset(tf, spec, [28, 28, 1], 10, 3, 'student');
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const modelJson = { modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: artifacts!.weightSpecs }] };
    const info = modelJsonLayers(JSON.parse(JSON.stringify(modelJson)))!;
    assert.deepEqual(info.layers, presetLayers(spec, [28, 28, 1], 10, 'student').layers);
    assert.equal(info.params, model.countParams());
    assert.deepEqual(info.inputShape, [28, 28, 1]);
    model.dispose();
  });

  it('says when an adapter cannot bridge two shapes', () => {
    assert.equal(adapterProblem([14, 14, 8], [14, 14, 64]), undefined);
    assert.equal(adapterProblem([64], [1200]), undefined);
    assert.equal(adapterProblem([7, 7, 8], [14, 14, 64]), undefined, 'spatial sizes are pooled to match');
    assert.match(adapterProblem([64], [14, 14, 8])!, /cannot be bridged/);
    assert.match(adapterProblem([64], [32], 'attention')!, /needs feature maps/);
  });
});
