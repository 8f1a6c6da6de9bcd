/**
 * What every part of a run shares: the run's context, the stages' results, and how the
 * teachers of an ensemble are combined.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { KdConfig } from '../../protocol/config';
import type { EnsembleOptions } from '../models/forward';
import type { StageResult, TeacherSource } from '../train/trainer';
import type { CheckpointState } from './checkpoint';
import type { RunMemo } from './memo';
import type { Prepared } from './prepare';
import type { RunWriter } from './runWriter';

export interface RunContext {
  tf: typeof tfTypes;
  cfg: KdConfig;
  configPath: string;
  runId: string;
  backend: string;
  /** Threads the run's stages may split their steps over (parallel/). */
  threads: number;
  writer: RunWriter;
  prepared: Prepared;
  shouldStop: () => boolean;
  startedAt: Date;
  /** The checkpoint this attempt continues from (`distill resume`). */
  resume?: { dir: string; state: CheckpointState };
  /**
   * The configured teachers as a cached source (their logits over every sample of the training
   * set, which the validation split and usually the test split share), once computed or read:
   * the teacher's validation and test accuracies read those rows instead of running it again.
   */
  cachedTeacher?: Extract<TeacherSource, { kind: 'cached' }>;
  /** A worker engine's store of what its runs share (memo.ts); absent in a single run. */
  memo?: RunMemo;
}

export interface Assistant {
  index: number;
  description: string;
  model: tfTypes.LayersModel;
  dir: string;
  result: StageResult;
}

export interface Stages {
  distilled?: StageResult;
  baseline?: StageResult;
  assistants?: Assistant[];
}

export function ensembleOptions(cfg: KdConfig): EnsembleOptions {
  const d = cfg.distillation;
  return { combine: d.ensemble, weights: d.teacherWeights, temperature: d.temperature };
}

/**
 * 1 for every training-set sample whose label may be used; 0 for the first `unlabeled`
 * training samples (a random subset: the split is shuffled) and for the images of
 * data.unlabeledImages, which have none.
 */
export function labelMaskOf(prepared: Prepared, unlabeled: number): Uint8Array | undefined {
  const { train, unlabeledFrom } = prepared.ds;
  if (!unlabeled && unlabeledFrom === undefined) return undefined;
  const mask = new Uint8Array(train.set.count).fill(1);
  for (const i of train.indices.subarray(0, unlabeled)) mask[i] = 0;
  if (unlabeledFrom !== undefined) mask.fill(0, unlabeledFrom);
  return mask;
}

/** How many training samples carry no label (hidden ones plus unlabeled images). */
export function unlabeledCount(prepared: Prepared, unlabeled: number): number {
  const { ds } = prepared;
  return unlabeled + (ds.unlabeledFrom === undefined ? 0 : ds.train.set.count - ds.unlabeledFrom);
}
