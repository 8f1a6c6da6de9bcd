/**
 * Getting the teachers ready: load a model file, or, for an architecture spec, reuse the
 * weights saved by an earlier run, or train it now as the run's first stage and save it.
 * The default save folder is keyed by a hash of everything that shapes the weights
 * (architecture, training, data and the rule that splits it, seed, and the heads of kd.json `outputs`), so editing any of
 * them trains a fresh teacher.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { KdConfig, TeacherSpec } from '../../protocol/config';
import { DISTILLERY_DIR } from '../../protocol/runFolder';
import { augmentIdentity, SPLIT_RULE } from '../data/dataset';

export type TeacherPlan =
  | { spec: TeacherSpec; index: number; kind: 'file'; modelJson: string }
  | { spec: Extract<TeacherSpec, { architecture: unknown }>; index: number; kind: 'saved'; modelJson: string }
  | { spec: Extract<TeacherSpec, { architecture: unknown }>; index: number; kind: 'train'; saveDir: string };

export function teacherCacheKey(cfg: KdConfig, spec: Extract<TeacherSpec, { architecture: unknown }>): string {
  const { architecture, training } = spec;
  const { source, limit, validationSplit, testSplit, normalize, augment, unlabeled, unlabeledImages } = cfg.data;
  // With kd.json `outputs` the teacher grows heads and learns them from the truth: what shapes
  // them is in the key too (not the distillation weight). Without, the key is what it always was.
  const outputs = Object.entries(cfg.outputs).map(([name, o]) => ({
    name,
    target: o.target,
    testTarget: o.testTarget,
    loss: o.loss,
    beta: o.beta,
    labelWeight: o.labelWeight,
  }));
  // Which samples train it: the split rule (a new rule draws other samples from the same
  // spec), and the hidden labels and unlabeled images that join its training order, masked.
  const text = JSON.stringify({
    architecture,
    training,
    data: {
      source,
      limit,
      validationSplit,
      testSplit,
      normalize,
      augment: augmentIdentity(augment),
      unlabeled,
      unlabeledImages,
      split: SPLIT_RULE,
      ...decodeIdentity(cfg),
    },
    seed: cfg.seed,
    ...(outputs.length ? { outputs } : {}),
  });
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** How an image folder is decoded changes the pixels: in the key for image folders only (other sources key as they always did). */
function decodeIdentity(cfg: KdConfig): object {
  const { source, imageSize, channels, fit, skipUnreadable } = cfg.data;
  return typeof source === 'object' && 'format' in source && source.format === 'imageFolder' ? { decode: { imageSize, channels, fit, skipUnreadable } } : {};
}

export function planTeachers(cfg: KdConfig, baseDir: string): TeacherPlan[] {
  return cfg.teachers.map((spec, index) => {
    if ('model' in spec) return { spec, index, kind: 'file', modelJson: path.resolve(baseDir, spec.model) };
    const saveDir = spec.save ? path.resolve(baseDir, spec.save) : path.join(baseDir, DISTILLERY_DIR, 'teachers', `${spec.id}-${teacherCacheKey(cfg, spec)}`);
    const modelJson = path.join(saveDir, 'model.json');
    return fs.existsSync(modelJson) ? { spec, index, kind: 'saved', modelJson } : { spec, index, kind: 'train', saveDir };
  });
}

export function isLayersModel(m: unknown): m is tfTypes.LayersModel {
  return !!m && typeof (m as tfTypes.LayersModel).predict === 'function';
}
