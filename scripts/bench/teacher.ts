/**
 * Trains a teacher preset on the same split the sweep's kd.json makes, with the engine's
 * trainStage, and saves it as a tfjs model folder: the sweep then loads it, so its timing
 * measures the trials, not the teacher.
 *
 *   npx tsx scripts/bench/teacher.ts --workload cnn --out DIR [--epochs 1]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/engine/backend/select';
import { buildDataset } from '../../src/engine/data/dataset';
import { loadSourceSync } from '../../src/engine/data/sources';
import { hintonLoss } from '../../src/engine/losses/logits';
import { saveLayersModel } from '../../src/engine/models/modelFiles';
import { buildPreset } from '../../src/engine/models/presets';
import { trainStage } from '../../src/engine/train/trainer';
import { ArchitectureSpec, DataSpec, TrainingSpec } from '../../src/protocol/config';
import { SWEEP_DATA, SWEEP_SEED } from './common';
import { WORKLOADS, type WorkloadName } from './workloads';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function main(): Promise<void> {
  const workload = (arg('workload') ?? 'cnn') as WorkloadName;
  const out = arg('out');
  if (!out) throw new Error('--out DIR is required');
  await selectBackend(tf, 'wasm');
  const spec = DataSpec.parse(SWEEP_DATA);
  const ds = buildDataset(loadSourceSync(spec, process.cwd()), spec, SWEEP_SEED);
  const model = buildPreset(tf, ArchitectureSpec.parse(WORKLOADS[workload].teacher), ds.shape, ds.numClasses, 11, 'teacher');
  const r = await trainStage(tf, {
    stage: 'teacher',
    model,
    losses: hintonLoss(0, 1),
    training: TrainingSpec.parse({ epochs: Number(arg('epochs') ?? 1), batchSize: 128 }),
    ds,
    seed: SWEEP_SEED,
    shift: 0,
    emit: () => {},
    shouldStop: () => false,
  });
  await saveLayersModel(model, out);
  process.stdout.write(JSON.stringify({ valAccuracy: r.valAccuracy }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
