/** The teacher-from-scratch workload of the bench (run by workloads.ts: `--only teacher-scratch` alone). */
import * as tf from '@tensorflow/tfjs';
import { hintonLoss } from '../../src/engine/losses/logits';
import { buildPreset } from '../../src/engine/models/presets';
import { trainStage } from '../../src/engine/train/trainer';
import { ArchitectureSpec, TrainingSpec } from '../../src/protocol/config';
import type { EventInput } from '../../src/protocol/events';
import type { Dataset } from '../../src/engine/data/dataset';
import { median } from './common';

/**
 * Training a teacher from scratch (issue 20): the seed's CNN teacher conv32-conv64-dense256, cross-entropy only
 * (the run's teacher stage: hintonLoss(0, 1)), batch 128, through trainStage with stage 'teacher'.
 */
export const SCRATCH_TEACHER = { preset: 'cnn', filters: [32, 64], kernelSize: 3, dense: [256] } as const;

export interface ScratchMeasurement {
  architecture: typeof SCRATCH_TEACHER;
  samplesPerSec: number;
  windows: number[];
  steps: number;
  leakedPerStep: number;
}

/**
 * Samples/s of a teacher's own training (no teacher to learn from): the run's teacher stage, as `distill run` trains
 * one, over `ds` (the caller's first steps × batch samples) in batches of `batch`, its steps split over `threads` (parallel/).
 */
export async function measureScratch(ds: Dataset, steps: number, readEvery: number, batch: number, threads = 1): Promise<ScratchMeasurement> {
  const model = buildPreset(tf, ArchitectureSpec.parse(SCRATCH_TEACHER), ds.shape, ds.numClasses, 1, 'teacher');
  const windows: number[] = [];
  const atWindowStart: number[] = [];
  await trainStage(tf, {
    stage: 'teacher',
    model,
    losses: hintonLoss(0, 1),
    training: TrainingSpec.parse({ epochs: 1, batchSize: batch }),
    ds,
    seed: 7,
    shift: 0,
    readEvery,
    emit: (e: EventInput) => {
      if (e.type === 'step') windows.push(e.samplesPerSec);
    },
    onStep: (step) => {
      if (step % readEvery === 1 % readEvery) atWindowStart.push(tf.memory().numTensors);
    },
    shouldStop: () => false,
    threads,
  });
  model.dispose();
  const kept = windows.slice(1);
  const span = (atWindowStart.length - 2) * readEvery;
  const leakedPerStep = atWindowStart.length >= 3 ? (atWindowStart[atWindowStart.length - 1] - atWindowStart[1]) / span : NaN;
  return { architecture: SCRATCH_TEACHER, samplesPerSec: median(kept), windows: kept.map(Math.round), steps, leakedPerStep };
}
