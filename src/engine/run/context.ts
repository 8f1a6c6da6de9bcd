/**
 * What every part of a run shares: the run's context, the stages' results, and how the
 * teachers of an ensemble are combined.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { KdConfig } from '../../protocol/config';
import type { EnsembleOptions } from '../models/forward';
import type { StageResult } from '../train/trainer';
import type { CheckpointState } from './checkpoint';
import type { Heads } from './outputHeads';
import type { Prepared } from './prepare';
import type { RunWriter } from './runWriter';

export interface RunContext {
  tf: typeof tfTypes;
  cfg: KdConfig;
  configPath: string;
  runId: string;
  backend: string;
  writer: RunWriter;
  prepared: Prepared;
  shouldStop: () => boolean;
  startedAt: Date;
  /** The checkpoint this attempt continues from (`distill resume`). */
  resume?: { dir: string; state: CheckpointState };
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
  heads?: RunHeads;
}

/** Multi-output distillation: the heads of the teacher, the student and the baseline. */
export interface RunHeads {
  teacher: Heads;
  student: Heads;
  baseline?: Heads;
}

export function ensembleOptions(cfg: KdConfig): EnsembleOptions {
  const d = cfg.distillation;
  return { combine: d.ensemble, weights: d.teacherWeights, temperature: d.temperature };
}

