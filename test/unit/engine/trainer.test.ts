import { strict as assert } from 'node:assert';
import { TrainingSpec, MlpSpec } from '../../../src/protocol/config';
import type { EventInput } from '../../../src/protocol/events';
import { hintonLoss } from '../../../src/engine/losses/logits';
import { buildPreset } from '../../../src/engine/models/presets';
import { NonFiniteLossError, trainStage, type TeacherSource } from '../../../src/engine/train/trainer';
import { smallDigits, wasmTf } from './helpers';

async function firstLosses(seed: number, opts: { onStep?: (s: number) => void; epochs?: number; alpha?: number } = {}) {
  const tf = await wasmTf();
  const ds = smallDigits(600, seed);
  const model = buildPreset(tf, MlpSpec.parse({ preset: 'mlp', hidden: [32] }), ds.shape, ds.numClasses, seed, 's');
  const teacher = buildPreset(tf, MlpSpec.parse({ preset: 'mlp', hidden: [64] }), ds.shape, ds.numClasses, seed + 1, 't');
  const events: EventInput[] = [];
  await trainStage(tf, {
    stage: 'distill',
    model,
    losses: hintonLoss(opts.alpha ?? 0.7, 4),
    teacher: { kind: 'live', forward: (x) => teacher.predict(x) as any },
    training: TrainingSpec.parse({ epochs: opts.epochs ?? 1, batchSize: 32 }),
    ds,
    seed,
    shift: 2,
    emit: (e) => events.push(e),
    shouldStop: () => false,
    readEvery: 1,
    onStep: opts.onStep,
  });
  model.dispose();
  teacher.dispose();
  return events.filter((e) => e.type === 'step').map((e) => (e as { loss: number }).loss);
}

describe('training stage', () => {
  it('same seed gives identical losses; another seed does not', async () => {
    const a = await firstLosses(7);
    const b = await firstLosses(7);
    const c = await firstLosses(8);
    assert.ok(a.length >= 5);
    assert.deepEqual(a.slice(0, 5), b.slice(0, 5));
    assert.notDeepEqual(a.slice(0, 5), c.slice(0, 5));
  });

  it('leaks no tensors across training steps', async () => {
    const tf = await wasmTf();
    const counts: number[] = [];
    await firstLosses(3, { epochs: 2, onStep: () => counts.push(tf.memory().numTensors) });
    // From the third step on (optimizer slots exist by then), the count must not move.
    const steady = counts.slice(2);
    assert.ok(steady.length > 10);
    assert.equal(Math.max(...steady), Math.min(...steady), `tensor counts drift: ${steady.join(',')}`);
  });

  it('learns the digits: the cross-entropy on labels falls', async () => {
    const losses = await firstLosses(11, { epochs: 3, alpha: 0 });
    const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
    assert.ok(tail < head * 0.8, `${head} → ${tail}`);
  });

  describe('a loss that is not finite stops the stage at once, and says why', () => {
    /** One distill stage of a small student on 300 digits; returns the error it ended with. */
    async function failure(
      teacher: (tf: Awaited<ReturnType<typeof wasmTf>>, ds: ReturnType<typeof smallDigits>) => TeacherSource,
      poisonStudent = false,
    ): Promise<Error> {
      const tf = await wasmTf();
      const ds = smallDigits(300, 5);
      const model = buildPreset(tf, MlpSpec.parse({ preset: 'mlp', hidden: [16] }), ds.shape, ds.numClasses, 5, 's');
      if (poisonStudent) model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, NaN)));
      try {
        await trainStage(tf, {
          stage: 'distill',
          model,
          losses: hintonLoss(0.7, 4),
          teacher: teacher(tf, ds),
          training: TrainingSpec.parse({ epochs: 1, batchSize: 32 }),
          ds,
          seed: 5,
          shift: 0,
          emit: () => undefined,
          shouldStop: () => false,
          readEvery: 1,
        });
      } catch (e) {
        return e as Error;
      } finally {
        model.dispose();
      }
      assert.fail('the stage ended without an error');
    }

    it("cached teacher logits holding NaN: the teacher's outputs are named, not the learning rate", async () => {
      // The cache is indexed by sample over the whole set (10 000 digits × 10 classes); the count
      // is over the training rows, the ones the stage reads (a cache by rows leaves others unset).
      let trainLogits = 0;
      const e = await failure((_tf, ds) => {
        trainLogits = ds.train.indices.length * ds.numClasses;
        return { kind: 'cached', logits: new Float32Array(ds.train.set.count * ds.numClasses).fill(NaN) };
      });
      assert.ok(e instanceof NonFiniteLossError, String(e));
      assert.ok(trainLogits > 0 && trainLogits < 100000, String(trainLogits));
      assert.ok(
        e.message.includes(
          `the loss became NaN at step 1 of the distill stage (no finite loss before it): the teacher's outputs are NaN or infinite (${trainLogits} of its ${trainLogits} cached logits on the training images); check the teacher, not the learning rate`,
        ),
        e.message,
      );
    });

    it('a live teacher giving NaN: the same, counted on a batch of training images', async () => {
      const e = await failure((tf) => ({ kind: 'live', forward: (x) => tf.fill([x.shape[0], 10], NaN) }));
      assert.match(e.message, /the teacher's outputs are NaN or infinite \(640 of its logits on 64 training images\)/);
      assert.doesNotMatch(e.message, /learning rate \(/);
    });

    it('a finite teacher and a student gone NaN: lower the learning rate or the temperature', async () => {
      const e = await failure((tf) => ({ kind: 'live', forward: (x) => tf.zeros([x.shape[0], 10]) }), true);
      assert.match(
        e.message,
        /the loss became NaN at step 1 of the distill stage \(no finite loss before it\); lower the learning rate \(0\.001\) or the temperature/,
      );
    });
  });
});
