/**
 * The end of a run: every model evaluated on the test split at T = 1, the summary written
 * atomically, predictions and logits stored for the views (logits.json: logitsFile.ts).
 */
import * as path from 'node:path';
import type { EvalResult, ModelStats, RunStatus, RunSummary } from '../../protocol/events';
import { paramCount } from '../models/externalTeacher';
import { FILES } from '../../protocol/runFolder';
import { baselineStart } from '../../protocol/config';
import { hasTeacherTerm } from '../../protocol/teacherTerm';
import { ensembleLogitsFn, logitsFn, type EnsembleOptions } from '../models/forward';
import {
  accuracy,
  agreement,
  argmaxRows,
  confusionMatrix,
  labelsOf,
  measureModelLatencies,
  modelBytes,
  predictLogits,
  rowsOf,
  type LogitsFn,
} from '../train/evaluate';
import { savedModelBytes } from '../models/modelFiles';
import { pairedSignificance } from '../../protocol/stats/paired';
import type * as tfTypes from '@tensorflow/tfjs';
import { ensembleOptions, unlabeledCount, type RunContext, type Stages } from './context';
import { evaluateOutputs, outputResults } from './outputHeads';
import { digest } from './memo';
import { ensembleIdentity } from './teacherCache';
import { logitsFileOf } from './logitsFile';

/** `forward`: what the latency is measured on, after every model is evaluated (timeModels). */
type Evaluated = { result: EvalResult; pred: Int32Array; logits: Float32Array; forward: LogitsFn };

/**
 * `cached`: the model's logits over every sample of the training set, used when the test split
 * shares that set. `saved`: the model.json of each model, where it lies on disk (none for the baseline).
 */
async function evaluate(
  ctx: RunContext,
  forward: LogitsFn,
  model: tfTypes.LayersModel | tfTypes.LayersModel[],
  cached?: Float32Array,
  saved: (string | undefined)[] = [],
): Promise<Evaluated> {
  const { tf, prepared } = ctx;
  const { ds } = prepared;
  const logits = cached && ds.test.set === ds.train.set ? rowsOf(cached, ds.numClasses, ds.test) : await predictLogits(tf, forward, ds, ds.test);
  const pred = argmaxRows(logits, ds.numClasses);
  const labels = labelsOf(ds.test);
  const models = Array.isArray(model) ? model : [model];
  const onDisk = saved.length === models.length ? saved.map((f) => (f ? savedModelBytes(f) : undefined)) : [];
  return {
    pred,
    logits,
    forward,
    result: {
      testAccuracy: accuracy(pred, labels),
      confusion: confusionMatrix(pred, labels, ds.numClasses),
      params: models.reduce((n, m) => n + paramCount(m), 0),
      bytes: models.reduce((n, m) => n + modelBytes(m), 0),
      // Set by timeModels, once every model of the run is evaluated.
      latencyMs: NaN,
      ...(onDisk.length && onDisk.every((n) => n !== undefined) ? { savedBytes: onDisk.reduce((a, b) => a! + b!, 0) } : {}),
    },
  };
}

/**
 * The teachers' evaluation on the test split. In a worker engine it is the same for every run
 * with the same teachers, data, cached logits and latency sample count, so the memo keeps it
 * (keyed by the memo keys of those); anything the memo did not load is evaluated afresh.
 */
async function evaluateTeachers(ctx: RunContext, models: tfTypes.LayersModel[], ensemble: EnsembleOptions, cached?: Float32Array): Promise<Evaluated> {
  const saved = models.map((m) => ctx.prepared.teachers.find((t) => t.model === m)?.modelJson);
  const run = () => evaluate(ctx, ensembleLogitsFn(ctx.tf, models, ensemble), models.length > 1 ? models : models[0], cached, saved);
  const { memo, prepared } = ctx;
  const teachers = models.map((m) => memo?.keyOf(m));
  const logits = cached ? memo?.keyOf(cached) : 'none';
  if (!memo || !prepared.dataKey || !logits || teachers.some((k) => !k)) return run();
  const combine = ensembleIdentity(models.length, ensemble);
  const key = `teacher-eval:${digest(JSON.stringify({ teachers, combine, data: prepared.dataKey, logits, latencySamples: ctx.cfg.evaluation.latencySamples, latencyBatch: ctx.cfg.training.batchSize, saved }))}`;
  return memo.get(key, run);
}

/**
 * Latency of every model of the run, timed together (interleaved, so that load from other
 * processes falls on all alike), then copied into the summary entries that show it. A
 * teacher's evaluation kept by a worker's memo keeps its latency too: later runs reuse it.
 */
async function timeModels(ctx: RunContext, timed: { evaluated: Evaluated; into: ModelStats[] }[]): Promise<void> {
  const { tf, prepared, cfg } = ctx;
  const fresh = [...new Set(timed.map((t) => t.evaluated))].filter((e) => !e.result.latency);
  const latencies = await measureModelLatencies(
    tf,
    fresh.map((e) => e.forward),
    prepared.ds,
    prepared.ds.test,
    cfg.training.batchSize,
    cfg.evaluation.latencySamples,
  );
  fresh.forEach((e, i) => {
    e.result.latency = latencies[i];
    e.result.latencyMs = latencies[i].batch1.medianMs;
  });
  for (const { evaluated, into } of timed) {
    for (const stats of into) {
      stats.latencyMs = evaluated.result.latencyMs;
      stats.latency = evaluated.result.latency;
    }
  }
}

export async function finish(ctx: RunContext, status: RunStatus, stages: Stages): Promise<RunSummary> {
  const { tf, prepared, writer, cfg } = ctx;
  const { ds } = prepared;
  const summary: RunSummary = {
    runId: ctx.runId,
    name: cfg.name ?? path.basename(path.dirname(ctx.configPath)),
    status,
    backend: ctx.backend,
    threads: ctx.threads,
    startedAt: ctx.startedAt.toISOString(),
    endedAt: '',
    durationSec: 0,
    configPath: ctx.configPath,
    numClasses: ds.numClasses,
    ...(ds.classNames ? { classNames: ds.classNames } : {}),
    testSamples: ds.test.indices.length,
    ...(hasTeacherTerm(cfg) ? {} : { noTeacherTerm: true as const }),
  };
  // A stopped run ends fast (a stop must take effect within seconds): no evaluation.
  if (status === 'done' && stages.distilled && ds.test.indices.length) {
    const teacherModels = prepared.teachers.map((t) => t.model);
    const ensemble = ensembleOptions(cfg);
    const teacher = await evaluateTeachers(ctx, teacherModels, ensemble, ctx.cachedTeacher?.logits);
    const student = await evaluate(ctx, logitsFn(tf, prepared.student, false), prepared.student, undefined, [
      path.join(writer.dir, FILES.student, 'model.json'),
    ]);
    const ids = prepared.teachers.map((t) => t.id);
    summary.teacher = { ...teacher.result, id: ids.join('+'), ids, ...(ids.length > 1 ? { combine: ensemble.combine } : {}) };
    const timed: { evaluated: Evaluated; into: ModelStats[] }[] = [{ evaluated: teacher, into: [summary.teacher] }];
    if (ids.length > 1) {
      summary.teachers = [];
      for (const t of prepared.teachers) {
        const alone = await evaluateTeachers(ctx, [t.model], { combine: 'mean-logits' });
        summary.teachers.push({ id: t.id, ...alone.result });
        timed.push({ evaluated: alone, into: [summary.teachers.at(-1)!] });
      }
    }
    if (stages.assistants?.length) {
      summary.assistants = [];
      for (const a of stages.assistants) {
        const r = await evaluate(ctx, logitsFn(tf, a.model, false), a.model, undefined, [path.join(a.dir, 'model.json')]);
        summary.assistants.push({
          index: a.index,
          description: a.description,
          model: path.relative(writer.dir, a.dir),
          ...r.result,
          valAccuracy: a.result.valAccuracy,
        });
        timed.push({ evaluated: r, into: [summary.assistants.at(-1)!] });
      }
    }
    const unlabeled = unlabeledCount(prepared, cfg.data.unlabeled);
    if (unlabeled) summary.unlabeled = unlabeled;
    summary.student = { ...student.result, valAccuracy: stages.distilled.valAccuracy };
    timed.push({ evaluated: student, into: [summary.student] });
    summary.agreement = agreement(teacher.pred, student.pred);
    summary.compression = teacher.result.params / student.result.params;
    summary.studentModel = FILES.student;
    const predictions: Record<string, number[]> = {
      labels: Array.from(labelsOf(ds.test)),
      teacher: Array.from(teacher.pred),
      student: Array.from(student.pred),
    };
    let baselineEval: Evaluated | undefined;
    if (stages.baseline && prepared.baseline && !stages.baseline.stopped) {
      const base = await evaluate(ctx, logitsFn(tf, prepared.baseline, false), prepared.baseline);
      baselineEval = base;
      summary.baseline = { ...base.result, valAccuracy: stages.baseline.valAccuracy, start: baselineStart(cfg.student) };
      timed.push({ evaluated: base, into: [summary.baseline] });
      summary.gain = student.result.testAccuracy - base.result.testAccuracy;
      summary.significance = pairedSignificance(labelsOf(ds.test), student.pred, base.pred);
      predictions.baseline = Array.from(base.pred);
    }
    if (prepared.outputs.length) {
      // Multi-output distillation: every head on the test split, for all three models.
      const outs = prepared.outputs;
      const ofTeacher = await evaluateOutputs(tf, teacherModels[0], outs, ds, ds.test);
      const ofStudent = await evaluateOutputs(tf, prepared.student, outs, ds, ds.test);
      const ofBaseline = summary.baseline && prepared.baseline ? await evaluateOutputs(tf, prepared.baseline, outs, ds, ds.test) : undefined;
      summary.outputs = outputResults(outs, ofTeacher, ofStudent, ofBaseline);
    }
    await timeModels(ctx, timed);
    writer.writeJson(FILES.predictions, { indices: Array.from(ds.test.indices), ...predictions });
    writeLogits(ctx, teacher, student, baselineEval);
  }
  const ended = new Date();
  summary.endedAt = ended.toISOString();
  summary.durationSec = (ended.getTime() - ctx.startedAt.getTime()) / 1000;
  writer.writeJson(FILES.summary, summary);
  writer.emit({ type: 'run_finished', status: status === 'stopped' ? 'stopped' : status === 'failed' ? 'failed' : 'done', summary });
  return summary;
}

/** logits.json from the evaluated models (logitsFile.ts decides its contents). */
function writeLogits(ctx: RunContext, teacher: Evaluated, student: Evaluated, baseline?: Evaluated): void {
  const { ds } = ctx.prepared;
  const px = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const { images } = ds.test.set;
  const indices = ds.test.indices;
  const outputs = (e: Evaluated) => ({ logits: e.logits, pred: e.pred });
  ctx.writer.writeJson(
    FILES.logits,
    logitsFileOf({
      numClasses: ds.numClasses,
      shape: ds.shape,
      labels: labelsOf(ds.test),
      pixelsAt: (i) => images.subarray(indices[i] * px, (indices[i] + 1) * px),
      teacher: outputs(teacher),
      student: outputs(student),
      ...(baseline ? { baseline: outputs(baseline) } : {}),
      logitsSamples: ctx.cfg.evaluation.logitsSamples,
      ...(ds.classNames ? { classNames: ds.classNames } : {}),
    }),
  );
}
