import { strict as assert } from 'node:assert';
import { TrainingSpec, MlpSpec } from '../../../src/protocol/config';
import type { EventInput } from '../../../src/protocol/events';
import { hintonLoss } from '../../../src/engine/losses/logits';
import { buildPreset } from '../../../src/engine/models/presets';
import { trainStage } from '../../../src/engine/train/trainer';
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
});
