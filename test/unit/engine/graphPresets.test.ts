import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { buildPreset } from '../../../src/engine/models/presets';
import { layerShape, tappedFn } from '../../../src/engine/models/taps';
import { presetInputIssues, presetInputProblem } from '../../../src/protocol/architecture';
import { ArchitectureSpec, KdConfig } from '../../../src/protocol/config';

// The resnet and mobilenet presets against their closed forms: parameter counts written out
// from the papers' designs, stage shapes, and the inputs too small for their stride-2 stages.

const trainable = (m: tf.LayersModel) => m.trainableWeights.reduce((a, w) => a + (w.shape as number[]).reduce((x, y) => x * y, 1), 0);
const build = (raw: unknown, input: [number, number, number], classes = 10) => buildPreset(tf, ArchitectureSpec.parse(raw), input, classes, 1, 'student');

/**
 * CIFAR ResNet 6n+2 at width w on c input channels, K classes: convs without bias, each
 * followed by a batch norm (γ, β trainable; moving mean and variance not), a 1×1 projection
 * (+ batch norm) in the first block of stages 2 and 3.
 */
function resnetCounts(depth: number, w: number, c: number, k: number): { trainable: number; bnChannels: number } {
  const n = (depth - 2) / 6;
  let weights = 9 * c * w; // stem
  let bn = w;
  weights += n * 2 * 9 * w * w; // stage 1
  bn += n * 2 * w;
  for (const out of [2 * w, 4 * w]) {
    const cin = out / 2;
    weights += 9 * cin * out + 9 * out * out + cin * out + (n - 1) * 2 * 9 * out * out;
    bn += 3 * out + (n - 1) * 2 * out;
  }
  weights += 4 * w * k + k;
  return { trainable: weights + 2 * bn, bnChannels: bn };
}

/** MobileNet v1: 3×3 stem, per block a 3×3 depthwise conv (9 weights a channel) and a 1×1 pointwise conv, each with a batch norm. */
function mobilenetCounts(stem: number, filters: number[], blocks: number, c: number, k: number): { trainable: number; bnChannels: number } {
  let weights = 9 * c * stem;
  let bn = stem;
  let cin = stem;
  for (const f of filters)
    for (let b = 0; b < blocks; b++) {
      weights += 9 * cin + cin * f;
      bn += cin + f;
      cin = f;
    }
  weights += cin * k + k;
  return { trainable: weights + 2 * bn, bnChannels: bn };
}

describe('engine/models: the resnet and mobilenet presets', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it("CIFAR resnet20 at width 16 has He et al.'s 0.27 M parameters: 272 474 trainable, as the closed form says", () => {
    const m = build({ preset: 'resnet', depth: 20, width: 16 }, [32, 32, 3]);
    assert.equal(trainable(m), 272_474);
    assert.equal(trainable(m), resnetCounts(20, 16, 3, 10).trainable);
    assert.equal(m.countParams(), 272_474 + 2 * resnetCounts(20, 16, 3, 10).bnChannels, 'plus the batch norms’ moving mean and variance');
    m.dispose();
  });

  for (const [depth, width, channels, classes] of [
    [8, 16, 3, 10],
    [14, 8, 1, 10],
    [32, 4, 3, 100],
    [8, 5, 2, 7],
  ])
    it(`resnet${depth} width ${width} on ${channels} channels, ${classes} classes: the closed-form count, stages at 32, 16 and 8 pixels`, () => {
      const m = build({ preset: 'resnet', depth, width }, [32, 32, channels], classes);
      const counts = resnetCounts(depth, width, channels, classes);
      assert.equal(trainable(m), counts.trainable);
      assert.equal(m.countParams(), counts.trainable + 2 * counts.bnChannels);
      const shape = (name: string) => (m.getLayer(`student_${name}`).outputShape as number[]).slice(1);
      const n = (depth - 2) / 6;
      assert.deepEqual(shape(`s1b${n}_relu`), [32, 32, width]);
      assert.deepEqual(shape(`s2b${n}_relu`), [16, 16, 2 * width]);
      assert.deepEqual(shape(`s3b${n}_relu`), [8, 8, 4 * width]);
      assert.deepEqual(shape('gap'), [4 * width]);
      assert.deepEqual(m.outputs[0].shape, [null, classes]);
      // Weight layers: the stem, 6n convs, the logits (projections are shortcuts, not counted in the depth).
      const weightLayers = m.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName()) && !l.name.endsWith('_proj'));
      assert.equal(weightLayers.length, depth);
      m.dispose();
    });

  for (const raw of [
    { preset: 'mobilenet' },
    { preset: 'mobilenet', filters: [16, 32, 64, 128], blocks: 1, stem: 8 },
    { preset: 'mobilenet', filters: [10, 30], blocks: 3, stem: 6, widthMultiplier: 0.5 },
  ])
    it(`mobilenet ${JSON.stringify(raw)}: the closed-form count, and each stage after the first halves the map`, () => {
      const spec = ArchitectureSpec.parse(raw) as Extract<ArchitectureSpec, { preset: 'mobilenet' }>;
      const alpha = (x: number) => Math.max(1, Math.round(x * spec.widthMultiplier));
      const m = buildPreset(tf, spec, [32, 32, 3], 10, 1, 'student');
      const counts = mobilenetCounts(alpha(spec.stem), spec.filters.map(alpha), spec.blocks, 3, 10);
      assert.equal(trainable(m), counts.trainable);
      assert.equal(m.countParams(), counts.trainable + 2 * counts.bnChannels);
      spec.filters.forEach((f, i) =>
        assert.deepEqual((m.getLayer(`student_s${i + 1}b${spec.blocks}_pw_relu`).outputShape as number[]).slice(1), [32 / 2 ** i, 32 / 2 ** i, alpha(f)]),
      );
      assert.equal(m.layers.filter((l) => l.getClassName() === 'DepthwiseConv2D').length, spec.filters.length * spec.blocks);
      m.dispose();
    });

  it('mobilenet defaults to ReLU6 (MobileNet’s), and takes plain ReLU when told', () => {
    const six = build({ preset: 'mobilenet', filters: [4], stem: 4 }, [8, 8, 1]);
    const plain = build({ preset: 'mobilenet', filters: [4], stem: 4, activation: 'relu' }, [8, 8, 1]);
    const x = tf.fill([1, 8, 8, 1], 50);
    // Stem weights all ones: 3×3 of 50 in the centre = 450 before batch norm (≈ 450 after, at its initial statistics).
    for (const m of [six, plain]) m.getLayer('student_stem_conv').setWeights([tf.ones([3, 3, 1, 4])]);
    const stem = (m: tf.LayersModel) =>
      tf.model({ inputs: m.inputs, outputs: m.getLayer('student_stem_relu').output as tf.SymbolicTensor }).predict(x) as tf.Tensor;
    assert.equal(tf.max(stem(six)).dataSync()[0], 6);
    assert.ok(tf.max(stem(plain)).dataSync()[0] > 400);
    six.dispose();
    plain.dispose();
  });

  it("feature and attention pairs can name a block's output: tapped activations equal the layer's, beside the same logits", () => {
    const m = build({ preset: 'resnet', depth: 8, width: 4 }, [16, 16, 3]);
    assert.deepEqual(layerShape(m, 'student_s2b1_relu'), [8, 8, 8]);
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 5);
    const out = tappedFn(tf, m, ['student_s2b1_relu', 'student_s1b1_add'], false)(x);
    const direct = tf.model({ inputs: m.inputs, outputs: m.getLayer('student_s2b1_relu').output as tf.SymbolicTensor }).predict(x) as tf.Tensor;
    assert.equal(tf.max(tf.abs(tf.sub(out.features[0], direct))).dataSync()[0], 0);
    assert.deepEqual(out.features[1].shape, [2, 16, 16, 4]);
    assert.equal(tf.max(tf.abs(tf.sub(out.logits, m.predict(x) as tf.Tensor))).dataSync()[0], 0);
    m.dispose();
  });

  it('refuses a depth that is not 6n + 2, naming the rule', () => {
    const r = ArchitectureSpec.safeParse({ preset: 'resnet', depth: 18 });
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0].message, /depth must be 6n \+ 2 \(8, 14, 20/);
    assert.deepEqual(r.error!.issues[0].path, ['depth']);
  });

  it('refuses an input too small for the stride-2 stages exactly where the tfjs model feeds a 1-pixel map to a stride-2 layer, naming it', () => {
    const specs = [
      { preset: 'resnet', depth: 8, width: 2 },
      { preset: 'mobilenet', filters: [2, 2], blocks: 1, stem: 2 },
      { preset: 'mobilenet', filters: [2, 2, 2, 2, 2], blocks: 2, stem: 2 },
    ];
    let refused = 0;
    for (const raw of specs)
      for (const [h, w] of [
        [1, 1],
        [2, 2],
        [3, 3],
        [2, 9],
        [5, 4],
        [8, 8],
        [9, 17],
        [16, 16],
        [17, 17],
        [32, 32],
      ]) {
        const spec = ArchitectureSpec.parse(raw);
        const m = buildPreset(tf, spec, [h, w, 3], 10, 1, 'student');
        const flat = m.layers.find((l) => {
          const strides = (l.getConfig() as { strides?: number[] }).strides;
          const input = (l.input as tf.SymbolicTensor).shape;
          return strides?.[0] === 2 && (input[1]! < 2 || input[2]! < 2);
        });
        const problem = presetInputProblem(spec, [h, w, 3]);
        assert.equal(problem !== undefined, flat !== undefined, `${raw.preset} on ${h}×${w}: ${problem} vs ${flat?.name}`);
        if (flat) {
          refused++;
          assert.match(problem!, new RegExp(`^the ${h}×${w} input is down to \\d+×\\d+ at ${flat.name}, a stride-2 layer with nothing left to halve`));
        }
        m.dispose();
      }
    assert.ok(refused >= 8, `only ${refused} cases refused: the grid should include too-small inputs`);
    assert.match(
      presetInputProblem(ArchitectureSpec.parse({ preset: 'mobilenet', filters: [8, 8, 8, 8, 8, 8, 8] }), [28, 28, 1])!,
      /^the 28×28 input is down to 1×1 at student_s7b1_dw, .*at most 5 stride-2 stages fit 28×28 images, 6 are given/,
    );
    assert.match(presetInputProblem(ArchitectureSpec.parse({ preset: 'resnet' }), [2, 2, 1])!, /at student_s3b1_conv1, .*it needs images of at least 3×3/);
  });

  it('places the refusal at the key to change: filters for a mobilenet, preset for a resnet, for teachers and the student', () => {
    const cfg = KdConfig.parse({
      teachers: [{ id: 't', architecture: { preset: 'resnet' } }],
      student: { architecture: { preset: 'mobilenet', filters: [8, 8, 8, 8, 8, 8] } },
    });
    const issues = presetInputIssues(cfg, [16, 16, 3]);
    assert.deepEqual(
      issues.map((i) => i.path),
      [['student', 'architecture', 'filters']],
    );
    assert.match(issues[0].message, /at student_s6b1_dw/);
    assert.deepEqual(
      presetInputIssues(cfg, [2, 8, 3]).map((i) => [i.path, i.message.match(/at (\S+),/)?.[1]]),
      [
        [['teachers', 0, 'architecture', 'preset'], 'teacher_0_s3b1_conv1'],
        [['student', 'architecture', 'filters'], 'student_s3b1_dw'],
      ],
    );
  });
});
