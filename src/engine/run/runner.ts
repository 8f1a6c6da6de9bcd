/**
 * A whole run, in the guide's order: get the teachers (training them first when needed),
 * distil the student, train the same student from scratch as the baseline, then evaluate
 * all of them on the test split at T = 1 and write the results.
 */
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { KdConfig } from '../../protocol/config';
import type { EvalResult, RunStatus, RunSummary } from '../../protocol/events';
import { FILES } from '../../protocol/runFolder';
import { argmaxRows, accuracy, agreement, confusionMatrix, labelsOf, latencyMs, modelBytes, predictLogits, type LogitsFn } from '../train/evaluate';
import { hintonLoss } from '../losses/logits';
import { ensembleLogitsFn, logitsFn } from '../models/forward';
import { saveLayersModel } from '../models/modelFiles';
import { trainStage, type StageResult, type TeacherSource } from '../train/trainer';
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
}

export async function executeRun(ctx: RunContext): Promise<RunSummary> {
  const { tf, cfg, writer, prepared } = ctx;
  const { ds } = prepared;
  const emit = writer.emit.bind(writer);
  const log = (message: string, level: 'info' | 'warn' = 'info') => emit({ type: 'log', level, message });
  const shift = cfg.data.augment.shift;
  let status: RunStatus = 'done';

  // 1. Teachers: train those that have no weights yet, as their own stage.
  for (const t of prepared.teachersToTrain) {
    log(`training teacher "${t.id}" from scratch (${t.description}); it will be saved to ${t.saveDir} and reused next time`);
    const r = await trainStage(tf, { stage: 'teacher', model: t.model, losses: hintonLoss(0, 1), training: t.training, ds, seed: cfg.seed, shift, emit, shouldStop: ctx.shouldStop });
    if (r.stopped) return finish(ctx, 'stopped', {});
    await saveLayersModel(t.model, t.saveDir);
    emit({ type: 'stage_done', stage: 'teacher', valAccuracy: r.valAccuracy, testAccuracy: NaN });
  }
  const teacherForward = ensembleLogitsFn(tf, prepared.teachers.map((t) => t.model));

  // 2. The teacher's logits once over the un-augmented training data, unless augmentation
  //    makes every batch new; then the teacher runs live on the very batch the student sees.
  let teacherSource: TeacherSource;
  if (shift === 0) {
    const t0 = performance.now();
    const rows = await predictLogits(tf, teacherForward, ds, ds.train);
    const table = new Float32Array(ds.train.set.count * ds.numClasses);
    ds.train.indices.forEach((sample, i) => table.set(rows.subarray(i * ds.numClasses, (i + 1) * ds.numClasses), sample * ds.numClasses));
    teacherSource = { kind: 'cached', logits: table };
    log(`teacher logits cached for ${ds.train.indices.length} training samples in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } else {
    teacherSource = { kind: 'live', forward: teacherForward };
    log(`augmentation is on (shift ${shift}px): the teacher runs live on each augmented batch`);
  }

  // 3. Distil.
  const { alpha, temperature } = cfg.distillation;
  log(`distilling with T = ${temperature}, α = ${alpha}`);
  const distilled = await trainStage(tf, { stage: 'distill', model: prepared.student, losses: hintonLoss(alpha, temperature), teacher: teacherSource, training: cfg.training, ds, seed: cfg.seed, shift, emit, shouldStop: ctx.shouldStop });
  await saveLayersModel(prepared.student, path.join(writer.dir, FILES.student));
  if (distilled.stopped) status = 'stopped';

  // 4. The same student from scratch: same initial weights, data order and budget.
  let baseline: StageResult | undefined;
  if (cfg.baseline && status === 'done') {
    const model = await prepared.buildBaseline();
    log('training the same student from scratch (the baseline)');
    baseline = await trainStage(tf, { stage: 'baseline', model, losses: hintonLoss(0, temperature), training: cfg.training, ds, seed: cfg.seed, shift, emit, shouldStop: ctx.shouldStop });
    if (baseline.stopped) status = 'stopped';
    prepared.baseline = model;
  }
  return finish(ctx, status, { distilled, baseline });
}

async function evaluate(ctx: RunContext, forward: LogitsFn, model: tfTypes.LayersModel | tfTypes.LayersModel[]): Promise<{ result: EvalResult; pred: Int32Array; logits: Float32Array }> {
  const { tf, prepared, cfg } = ctx;
  const { ds } = prepared;
  const logits = await predictLogits(tf, forward, ds, ds.test);
  const pred = argmaxRows(logits, ds.numClasses);
  const labels = labelsOf(ds.test);
  const models = Array.isArray(model) ? model : [model];
  return {
    pred,
    logits,
    result: {
      testAccuracy: accuracy(pred, labels),
      confusion: confusionMatrix(pred, labels, ds.numClasses),
      params: models.reduce((n, m) => n + m.countParams(), 0),
      bytes: models.reduce((n, m) => n + modelBytes(m), 0),
      latencyMs: await latencyMs(tf, forward, ds.shape, cfg.evaluation.latencySamples),
    },
  };
}

async function finish(ctx: RunContext, status: RunStatus, stages: { distilled?: StageResult; baseline?: StageResult }): Promise<RunSummary> {
  const { tf, prepared, writer, cfg } = ctx;
  const { ds } = prepared;
  const summary: RunSummary = {
    runId: ctx.runId,
    name: cfg.name ?? path.basename(path.dirname(ctx.configPath)),
    status,
    backend: ctx.backend,
    startedAt: ctx.startedAt.toISOString(),
    endedAt: '',
    durationSec: 0,
    configPath: ctx.configPath,
    numClasses: ds.numClasses,
    testSamples: ds.test.indices.length,
  };
  // A stopped run ends fast (a stop must take effect within seconds): no evaluation.
  if (status === 'done' && stages.distilled && ds.test.indices.length) {
    const teacherModels = prepared.teachers.map((t) => t.model);
    const teacher = await evaluate(ctx, ensembleLogitsFn(tf, teacherModels), teacherModels);
    const student = await evaluate(ctx, logitsFn(tf, prepared.student, false), prepared.student);
    const ids = prepared.teachers.map((t) => t.id);
    summary.teacher = { ...teacher.result, id: ids.join('+'), ids };
    summary.student = student.result;
    summary.agreement = agreement(teacher.pred, student.pred);
    summary.compression = teacher.result.params / student.result.params;
    summary.studentModel = FILES.student;
    const predictions: Record<string, number[]> = { labels: Array.from(labelsOf(ds.test)), teacher: Array.from(teacher.pred), student: Array.from(student.pred) };
    if (stages.baseline && prepared.baseline && !stages.baseline.stopped) {
      const base = await evaluate(ctx, logitsFn(tf, prepared.baseline, false), prepared.baseline);
      summary.baseline = base.result;
      summary.gain = student.result.testAccuracy - base.result.testAccuracy;
      predictions.baseline = Array.from(base.pred);
    }
    writer.writeJson(FILES.predictions, { indices: Array.from(ds.test.indices), ...predictions });
    writeLogits(ctx, teacher.logits, student.logits);
  }
  const ended = new Date();
  summary.endedAt = ended.toISOString();
  summary.durationSec = (ended.getTime() - ctx.startedAt.getTime()) / 1000;
  writer.writeJson(FILES.summary, summary);
  writer.emit({ type: 'run_finished', status: status === 'stopped' ? 'stopped' : status === 'failed' ? 'failed' : 'done', summary });
  return summary;
}

/** Teacher and student logits of the first test samples, with their pixels: the dark-knowledge view re-softens these. */
function writeLogits(ctx: RunContext, teacher: Float32Array, student: Float32Array): void {
  const { ds } = ctx.prepared;
  const k = Math.min(ctx.cfg.evaluation.logitsSamples, ds.test.indices.length);
  const c = ds.numClasses;
  const px = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const rows = (a: Float32Array) => Array.from({ length: k }, (_, i) => Array.from(a.subarray(i * c, (i + 1) * c), (v) => Math.round(v * 1e4) / 1e4));
  const samples = Array.from(ds.test.indices.subarray(0, k));
  ctx.writer.writeJson(FILES.logits, {
    shape: ds.shape,
    labels: samples.map((i) => ds.test.set.labels[i]),
    teacher: rows(teacher),
    student: rows(student),
    images: samples.map((i) => Buffer.from(ds.test.set.images.subarray(i * px, (i + 1) * px)).toString('base64')),
  });
}
