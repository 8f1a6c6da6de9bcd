/**
 * Issue 20, "a single run uses both cores": a stage's steps split over gradient threads give the
 * one-thread step to float rounding (one step from the same weights), stay on its curve over a
 * stage (CURVE_TOLERANCE), refuse what would change the result, leak nothing, and survive a
 * thread that dies mid-stage.
 */
import { strict as assert } from 'node:assert';
import type * as tfTypes from '@tensorflow/tfjs';
import { ArchitectureSpec, TrainingSpec } from '../../../../src/protocol/config';
import type { EventInput } from '../../../../src/protocol/events';
import { hintonLoss } from '../../../../src/engine/losses/logits';
import { buildPreset } from '../../../../src/engine/models/presets';
import { trainStage, type StageOptions } from '../../../../src/engine/train/trainer';
import { splitHooks } from '../../../../src/engine/parallel/splitStep';
import { macsPerSample, splitPlan, threadsWorthIt } from '../../../../src/engine/parallel/eligibility';
import { smallDigits, wasmTf } from '../helpers';

const CNN = { preset: 'cnn', filters: [32, 64], kernelSize: 3, dense: [256] };

interface Trained {
  weights: Float32Array[];
  losses: number[];
  logs: string[];
  counts: number[];
  start: Float32Array[];
}

/** One teacher stage (cross-entropy) of `arch` on the training split of 1 000 digits, batch 63 (shards of 32 + 31: uneven, so a wrong weighting shows). */
async function train(
  threads: number,
  o: { arch?: object; extra?: Partial<StageOptions>; onStep?: (step: number) => void; steps?: number } = {},
): Promise<Trained> {
  const tf = await wasmTf();
  const ds = smallDigits(1000, 3);
  const model = buildPreset(tf, ArchitectureSpec.parse(o.arch ?? CNN), ds.shape, ds.numClasses, 5, 'teacher');
  const out: Trained = { weights: [], losses: [], logs: [], counts: [], start: model.getWeights().map((w) => w.dataSync() as Float32Array) };
  await trainStage(tf, {
    stage: 'teacher',
    model,
    losses: hintonLoss(0, 1),
    training: TrainingSpec.parse({ epochs: 1, batchSize: 63, optimizer: { type: 'sgd', learningRate: 0.05 } }),
    ds,
    seed: 9,
    shift: 0,
    emit: (e: EventInput) => {
      if (e.type === 'step') out.losses.push(e.loss);
      if (e.type === 'log') out.logs.push(e.message);
    },
    shouldStop: () => out.counts.length >= (o.steps ?? Infinity),
    readEvery: 1,
    threads,
    onStep: (s) => {
      out.counts.push(tf.memory().numTensors);
      o.onStep?.(s);
    },
    ...o.extra,
  });
  out.weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return out;
}

/**
 * Over many steps the split's rounding does not stay rounding: a pre-activation within rounding
 * of zero passes ReLU on one side and not the other, or a 2×2 max pool's tie routes its gradient
 * to another input, and that weight's update differs by lr·dy·x. Seen with XNNPACK and with the
 * FMA GEMM alike (seeds 2 and 4: the loss 1e-4 and 3e-6 apart by step 12, the weights 1.2e-3 and
 * 6e-5; seeds 1, 3, 5: 5e-7). SGD with momentum rather than Adam, whose first steps move a weight
 * by ±lr whatever its gradient's size, would make that worse. The one-step test below is the exact check; this one, that a whole stage on the split stays on its curve.
 */
const CURVE_TOLERANCE = 1e-3;

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  a.forEach((w, i) => w.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i][j])))));
  return d;
}

describe('data-parallel steps (gradient threads)', function () {
  this.timeout(180_000);
  let one: Trained;

  before(async () => {
    one = await train(1);
  });

  it('one step on two threads moves the weights as one thread does, to float rounding', async () => {
    const [a, b] = [await train(1, { steps: 1 }), await train(2, { steps: 1 })];
    assert.ok(
      b.logs.some((l) => /^teacher: 2 threads, data-parallel \(each batch of 63 split 32 \+ 31/.test(l)),
      b.logs.join('\n'),
    );
    assert.ok(!a.logs.some((l) => /thread/.test(l)), 'one thread says nothing about threads');
    assert.equal(maxDiff(a.start, b.start), 0, 'not the same initial weights');
    // The step's change of every weight, compared relative to the largest change: the rows'
    // sums differ in order only (measured: 3.4e-6 with the FMA GEMM, 6.8e-6 with XNNPACK; the
    // bound leaves 3×); the shards weighted 1/2 each instead of 32/63 and 31/63 read 1.8e-2.
    const update = (t: Trained) => t.weights.map((w, i) => w.map((v, j) => v - t.start[i][j]));
    const largest = Math.max(...update(a).map((w) => w.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    assert.ok(largest > 1e-4, 'the step moved nothing');
    const d = maxDiff(update(b), update(a)) / largest;
    assert.ok(d < 2e-5, `the updates differ by ${d} of the largest`);
    assert.ok(Math.abs(b.losses[0] - a.losses[0]) < 1e-6, `loss ${b.losses[0]} vs ${a.losses[0]}`);
  });

  it('twelve steps on two threads follow the curve of one (to 1e-3: see CURVE_TOLERANCE)', async () => {
    const two = await train(2);
    assert.equal(two.losses.length, one.losses.length);
    assert.ok(one.losses.length >= 10);
    two.losses.forEach((l, i) => assert.ok(Math.abs(l - one.losses[i]) < CURVE_TOLERANCE, `step ${i + 1}: ${l} vs ${one.losses[i]}`));
    // The curve fell: equal curves would also come from a split that trained nothing.
    assert.ok(one.losses.at(-1)! < one.losses[0] - 0.1, one.losses.join(' '));
  });

  it('leaks no tensors per step on the main thread', async () => {
    const two = await train(2);
    const steady = two.counts.slice(2);
    assert.ok(steady.length >= 8);
    assert.equal(Math.max(...steady), Math.min(...steady), `tensor counts drift: ${steady.join(',')}`);
  });

  it('a thread that dies mid-stage: its rows are computed here, the stage ends on the curve of one thread, and the log says so', async () => {
    let stop: (() => Promise<void>) | undefined;
    splitHooks.started = (shards) => (stop = () => shards.dispose());
    try {
      const hurt = await train(2, { onStep: (s) => s === 3 && void stop?.() });
      assert.ok(
        hurt.logs.some((l) => /^teacher: a gradient thread failed \(.*\); going on on one thread$/.test(l)),
        hurt.logs.join('\n'),
      );
      assert.equal(hurt.losses.length, one.losses.length);
      hurt.losses.forEach((l, i) => assert.ok(Math.abs(l - one.losses[i]) < CURVE_TOLERANCE, `step ${i + 1}: ${l} vs ${one.losses[i]}`));
    } finally {
      splitHooks.started = undefined;
    }
  });

  it('three threads, both helpers killed mid-stage: the stage ends on one thread, no rejection left unhandled (the race where a later thread fails first is not reproduced here)', async () => {
    let stop: (() => Promise<void>) | undefined;
    splitHooks.started = (shards) => (stop = () => shards.dispose());
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const hurt = await train(3, {
        extra: { training: TrainingSpec.parse({ epochs: 1, batchSize: 126, optimizer: { type: 'sgd', learningRate: 0.05 } }) },
        onStep: (s) => s === 2 && void stop?.(),
      });
      assert.ok(
        hurt.logs.some((l) => /^teacher: 3 threads, data-parallel/.test(l)),
        hurt.logs.join('\n'),
      );
      assert.ok(
        hurt.logs.some((l) => /^teacher: a gradient thread failed/.test(l)),
        hurt.logs.join('\n'),
      );
      assert.ok(hurt.losses.length >= 6);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(unhandled, []);
    } finally {
      splitHooks.started = undefined;
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a distill stage on cached logits splits, with the step hook the runner always passes (no schedule)', async () => {
    const ds = smallDigits(1000, 3);
    const logits = new Float32Array(ds.train.set.count * 10).map((_, i) => (i % 10) / 3);
    const two = await train(2, {
      extra: { stage: 'distill', losses: hintonLoss(0.7, 4), teacher: { kind: 'cached', logits }, hyper: () => ({ alpha: 0.7, temperature: 4 }) },
    });
    assert.ok(
      two.logs.some((l) => /^distill: 2 threads, data-parallel/.test(l)),
      two.logs.join('\n'),
    );
  });

  it('what would change the result trains on one thread, and says why', async () => {
    const bn = await train(2, { arch: { ...CNN, batchNorm: true } });
    assert.ok(bn.logs.includes('teacher: one thread (its BatchNormalization layers depend on the whole batch or on random draws)'), bn.logs.join('\n'));
    const tf = await wasmTf();
    const live = await train(2, {
      extra: {
        stage: 'distill',
        losses: hintonLoss(0.7, 4),
        teacher: { kind: 'live', forward: (x: tfTypes.Tensor) => tf.zeros([x.shape[0], 10]) },
      },
    });
    assert.ok(live.logs.includes('distill: one thread (the teacher runs live on each batch)'), live.logs.join('\n'));
  });

  it('a step too small to pay for the round trip (the MLP-32 student) stays on one thread, silently', async () => {
    const mlp = await train(2, { arch: { preset: 'mlp', hidden: [32] } });
    assert.ok(!mlp.logs.some((l) => /thread/.test(l)), mlp.logs.join('\n'));
  });
});

describe('data-parallel steps: which steps are worth splitting', () => {
  it('convolutions at batch 128 split, MLPs at 128 do not (measured: 1.37× and 1.25× against 0.64× and 0.55×), an MLP at a large batch does', async () => {
    const tf = await wasmTf();
    const worth = (arch: object, batch: number, threads: number) => {
      const m = buildPreset(tf, ArchitectureSpec.parse(arch), [28, 28, 1], 10, 1, 'm');
      const t = threadsWorthIt(m, batch, threads);
      m.dispose();
      return t;
    };
    assert.equal(worth(CNN, 128, 2), 2);
    assert.equal(worth(CNN, 128, 4), 4);
    assert.equal(worth({ preset: 'cnn', filters: [8, 16], kernelSize: 3, dense: [32] }, 128, 2), 2);
    assert.equal(worth({ preset: 'mlp', hidden: [300, 300] }, 128, 2), 1);
    assert.equal(worth({ preset: 'mlp', hidden: [32] }, 128, 2), 1);
    assert.equal(worth({ preset: 'mlp', hidden: [300, 300] }, 1024, 2), 2);
    assert.equal(worth(CNN, 128, 1), 1);
  });

  it("a BatchNorm or dropout inside a nested model (a user's backbone) is seen, and its convolutions are counted", async () => {
    const tf = await wasmTf();
    const backbone = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same' }), tf.layers.batchNormalization(), tf.layers.flatten()],
    });
    const input = tf.input({ shape: [28, 28, 1] });
    const logits = tf.layers.dense({ units: 10 }).apply(backbone.apply(input)) as tfTypes.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: logits });
    const plan = splitPlan(tf, { model, losses: hintonLoss(0, 1) } as unknown as StageOptions);
    assert.deepEqual(plan, { why: 'its BatchNormalization layers depend on the whole batch or on random draws' });
    // conv 3·3·1·8 per position × 784 positions, then dense 6272·10.
    assert.equal(macsPerSample(model), 9 * 8 * 784 + 28 * 28 * 8 * 10);
    model.dispose();
  });
});
