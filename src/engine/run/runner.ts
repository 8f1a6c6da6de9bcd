/**
 * A whole run, in the guide's order: get the teachers (training them first when needed),
 * distil the student, train the same student from scratch as the baseline, then evaluate
 * all of them on the test split at T = 1 and write the results.
 */
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { RunStatus, RunSummary } from '../../protocol/events';
import { baselineStart } from '../../protocol/config';
import { baselineName } from '../../protocol/format';
import { FILES } from '../../protocol/runFolder';
import { describeAugment, isAugmented } from '../data/dataset';
import { argmaxRows, accuracy, labelsOf, predictLogits, rowsOf, type LogitsFn } from '../train/evaluate';
import { hintonLoss, scheduledHintonLoss, type Knobs, type LossTerm } from '../losses/logits';
import { AttentionTransfer, FeatureDistillation } from '../losses/features';
import { hasSchedule, initialKnobs, knobsAt } from '../losses/schedules';
import { combineTeacherLogits, ensembleLogitsFn, logitsFn } from '../models/forward';
import { loadLayersModel, saveLayersModel } from '../models/modelFiles';
import { buildPreset, describeArchitecture } from '../models/presets';
import { tappedFn, type TappedFn } from '../models/taps';
import { deriveSeed, mathRandomState } from '../util/rng';
import { trainStage, type StageCheckpointing, type StageResult, type TeacherSource } from '../train/trainer';
import { loadCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint';
import { ensembleOptions, labelMaskOf, unlabeledCount, type Assistant, type RunContext } from './context';
import { finish } from './finish';
import { stageRank } from './resume';
import { cachedTeacherSource, teacherLogitsKey } from './teacherCache';
import { cacheDirFor } from '../../protocol/teacherCacheDir';
import { describeOutputs, outputLosses, outputsFn, targetsFor } from './outputHeads';

export const ASSISTANTS_DIR = 'assistants';

/**
 * Checkpoints for one stage, keyed `teacher-<id>`, `assistant-<i>`, `distill` or `baseline`;
 * the stage the run resumes in starts from its checkpoint.
 */
function checkpointing(ctx: RunContext, key: string, model: tfTypes.LayersModel, extra?: tfTypes.Variable[]): StageCheckpointing {
  const resume = ctx.resume?.state.stage === key ? loadCheckpoint(ctx.tf, ctx.resume.dir) : undefined;
  return {
    resume,
    save: async ({ epoch, step, valAccuracy, optimizer }) => {
      const state: CheckpointState = {
        stage: key,
        epoch,
        step,
        eventsBytes: ctx.writer.eventsBytes(),
        mathRandom: mathRandomState(),
        valAccuracy,
        time: new Date().toISOString(),
      };
      await saveCheckpoint(ctx.writer.dir, { state, model, optimizer, extra }, ctx.cfg.checkpoints.keep);
    },
  };
}

/** True when the run resumes in a stage after `key`: that stage finished in an earlier attempt. */
function finishedEarlier(ctx: RunContext, key: string): boolean {
  return !!ctx.resume && stageRank(ctx.resume.state.stage) > stageRank(key);
}

function doneFromEarlierAttempt(ctx: RunContext): StageResult {
  return { stopped: false, epochsDone: ctx.cfg.training.epochs, valAccuracy: NaN, trainAccuracy: NaN, lastLoss: NaN };
}

export async function executeRun(ctx: RunContext): Promise<RunSummary> {
  const assistants: Assistant[] = [];
  try {
    return await runStages(ctx, assistants);
  } finally {
    // A worker engine goes on to its next run: the assistants (saved in the run folder) go.
    if (ctx.memo) for (const a of assistants) a.model.dispose();
  }
}

async function runStages(ctx: RunContext, assistants: Assistant[]): Promise<RunSummary> {
  const { tf, cfg, writer, prepared } = ctx;
  const { ds } = prepared;
  const emit = writer.emit.bind(writer);
  const log = (message: string, level: 'info' | 'warn' = 'info') => emit({ type: 'log', level, message });
  const shift = cfg.data.augment;
  const d = cfg.distillation;
  const labelMask = labelMaskOf(prepared, cfg.data.unlabeled);
  const common = { ds, seed: cfg.seed, shift, emit, shouldStop: ctx.shouldStop, labelMask, threads: ctx.threads };
  // Multi-output distillation: every model has a head per kd.json output (see outputHeads.ts).
  const outputs = prepared.outputs;
  const targets = outputs.length ? targetsFor(outputs, ds) : undefined;
  /** Training with heads: the forward that returns them, and their true values per batch. */
  const trainHeads = (model: tfTypes.LayersModel) => (outputs.length ? { studentForward: outputsFn(tf, model, outputs, true), targets } : {});
  let status: RunStatus = 'done';
  if (outputs.length) log(`extra outputs: ${describeOutputs(outputs)}; each model has a head per output on the layer its logits read`);
  if (labelMask)
    log(
      `${unlabeledCount(prepared, cfg.data.unlabeled)} of ${ds.train.indices.length} training samples are unlabeled${ds.unlabeledFrom !== undefined ? ` (${ds.train.set.count - ds.unlabeledFrom} from ${cfg.data.unlabeledImages})` : ''}: only the teacher's soft targets teach on them (their cross-entropy is masked out in every stage)`,
    );

  // 1. Teachers: train those that have no weights yet, as their own stage.
  for (const t of prepared.teachersToTrain) {
    log(`training teacher "${t.id}" from scratch (${t.description}); it will be saved to ${t.saveDir} and reused next time`);
    // Its heads learn from the truth beside its logits.
    const r = await trainStage(tf, {
      stage: 'teacher',
      model: t.model,
      losses: [...hintonLoss(0, 1), ...outputLosses(outputs, false)],
      training: t.training,
      checkpoint: checkpointing(ctx, `teacher-${t.id}`, t.model),
      ...trainHeads(t.model),
      ...common,
    });
    if (r.stopped) return finish(ctx, 'stopped', {});
    await saveLayersModel(t.model, t.saveDir);
    emit({ type: 'stage_done', stage: 'teacher', valAccuracy: r.valAccuracy, testAccuracy: NaN });
  }
  const ensemble = ensembleOptions(cfg);
  const teacherModels = prepared.teachers.map((t) => t.model);
  if (teacherModels.length > 1)
    log(
      `ensemble of ${teacherModels.length} teachers, combined as ${ensemble.combine}${ensemble.combine === 'weighted' ? ` (weights ${ensemble.weights!.join(', ')})` : ''}${ensemble.combine === 'mean-probabilities' ? ` at T = ${ensemble.temperature}` : ''}`,
    );
  // The dashboard draws the teacher's accuracy as a reference line while the student trains;
  // a teacher loaded from disk (or an ensemble) has no stage of its own to report it.
  if ((!prepared.teachersToTrain.length || teacherModels.length > 1) && ds.val.indices.length) {
    // Where the student (or the first assistant) will learn from the teachers' cached logits,
    // they are read (or computed) now and give this accuracy too: the teacher runs once.
    const cacheable = !isAugmented(cfg.data.augment) && (cfg.assistants.length > 0 || !prepared.layerPlan);
    const forward = ensembleLogitsFn(tf, teacherModels, ensemble);
    const cached = cacheable ? await teacherSourceFor(ctx, teacherModels, forward, true) : undefined;
    // The cache holds rows of the training set: a validation split of it reads them, a validation set of its own (an image folder's) is run.
    const valLogits =
      cached?.kind === 'cached' && ds.val.set === ds.train.set ? rowsOf(cached.logits, ds.numClasses, ds.val) : await predictLogits(tf, forward, ds, ds.val);
    emit({ type: 'stage_done', stage: 'teacher', valAccuracy: accuracy(argmaxRows(valLogits, ds.numClasses), labelsOf(ds.val)), testAccuracy: NaN });
  }

  // 2. Progressive distillation: each assistant learns from the one before (the teacher first).
  let teacherModelsNow = teacherModels;
  let teacherForward = ensembleLogitsFn(tf, teacherModels, ensemble);
  for (const [i, spec] of cfg.assistants.entries()) {
    const index = i + 1;
    const description = describeArchitecture(spec);
    const model = buildPreset(tf, spec, ds.shape, ds.numClasses, deriveSeed(cfg.seed, `assistant:${index}`), `assistant_${index}`);
    log(
      `progressive distillation ${index}/${cfg.assistants.length}: ${i === 0 ? 'the teacher' : `assistant ${i}`} teaches assistant ${index} (${description}, ${model.countParams()} params)`,
    );
    const dir = path.join(writer.dir, ASSISTANTS_DIR, String(index));
    let r: StageResult;
    if (finishedEarlier(ctx, `assistant-${index}`)) {
      const saved = await loadLayersModel(tf, path.join(dir, 'model.json'));
      model.setWeights(saved.getWeights());
      saved.dispose();
      r = doneFromEarlierAttempt(ctx);
    } else {
      const source = await teacherSourceFor(ctx, teacherModelsNow, teacherForward, i === 0);
      const stageKnobs = initialKnobs(d);
      r = await trainStage(tf, {
        stage: 'assistant',
        model,
        losses: distillLosses(ctx, stageKnobs, []),
        teacher: source,
        training: cfg.training,
        hyper: knobsHook(ctx, stageKnobs),
        checkpoint: checkpointing(ctx, `assistant-${index}`, model),
        ...common,
      });
      await saveLayersModel(model, dir);
    }
    assistants.push({ index, description, model, dir, result: r });
    emit({
      type: 'stage_done',
      stage: 'assistant',
      valAccuracy: r.valAccuracy,
      testAccuracy: NaN,
      assistant: { index, model: path.relative(writer.dir, dir) },
    });
    if (r.stopped) return finish(ctx, 'stopped', { assistants });
    teacherModelsNow = [model];
    teacherForward = logitsFn(tf, model, false);
  }

  // 3. The teacher for the student: cached logits (and heads) over the un-augmented data when
  //    nothing else is needed, live on each (augmented) batch otherwise, with activations for pairs.
  const plan = prepared.layerPlan;
  let teacherSource: TeacherSource;
  if (plan) {
    const fns = teacherModels.map((m, t) => tappedFn(tf, m, plan.teacherLayers[t], false));
    const withFeatures: TappedFn = (x) => {
      const outs = fns.map((f) => f(x));
      return {
        logits: combineTeacherLogits(
          tf,
          outs.map((o) => o.logits),
          ensemble,
        ),
        features: plan.slotSource.map((s) => outs[s.teacher].features[s.tap]),
      };
    };
    teacherSource = { kind: 'live', forward: teacherForward, withFeatures };
    for (const line of plan.descriptions) log(line);
    log("feature/attention terms need the teacher's activations: the teacher runs live on each batch");
    emit({ type: 'teacher_logits', source: 'live' });
  } else {
    teacherSource = await teacherSourceFor(ctx, teacherModelsNow, teacherForward, assistants.length === 0);
  }

  // 4. Distil.
  const knobs = initialKnobs(d);
  const studentForward = outputs.length
    ? outputsFn(tf, prepared.student, outputs, true)
    : plan
      ? tappedFn(tf, prepared.student, plan.studentLayers, true)
      : undefined;
  const extraTerms = outputs.length
    ? outputLosses(outputs, true)
    : plan
      ? [new FeatureDistillation(plan.features, knobs), new AttentionTransfer(plan.attention, knobs)].filter((t) => t.pairs.length)
      : [];
  const losses = distillLosses(ctx, knobs, extraTerms);
  log(
    `distilling with T = ${d.temperature}, α = ${d.alpha}${plan ? `, β = ${d.beta}` : ''}${
      hasSchedule(d)
        ? `; schedules: ${Object.entries(d.schedule)
            .filter(([, v]) => v)
            .map(([k, v]) => `${k} ${v!.type} → ${v!.to}`)
            .join(', ')}`
        : ''
    }`,
  );
  const extraVars = plan?.features.flatMap((f) => f.adapter?.variables ?? []);
  let distilled: StageResult;
  if (finishedEarlier(ctx, 'distill')) {
    const saved = await loadLayersModel(tf, path.join(writer.dir, FILES.student, 'model.json'));
    prepared.student.setWeights(saved.getWeights());
    saved.dispose();
    distilled = doneFromEarlierAttempt(ctx);
  } else {
    distilled = await trainStage(tf, {
      stage: 'distill',
      model: prepared.student,
      losses,
      teacher: teacherSource,
      training: cfg.training,
      studentForward,
      extraVars,
      targets,
      hyper: knobsHook(ctx, knobs),
      checkpoint: checkpointing(ctx, 'distill', prepared.student, extraVars),
      ...common,
    });
    // Adapters are not layers of the student: saving the student leaves them out. Heads are
    // layers of it: the exported student gives [logits, head₁, …].
    await saveLayersModel(prepared.student, path.join(writer.dir, FILES.student));
  }
  if (distilled.stopped) status = 'stopped';

  // 5. The baseline: the same student, initial weights, data order and budget, no teacher.
  let baseline: StageResult | undefined;
  if (cfg.baseline && status === 'done') {
    const model = await prepared.buildBaseline();
    log(`training the baseline: ${baselineName(baselineStart(cfg.student), 'phrase')}`);
    // Its heads start where the student's did (same seeds) and learn from the truth only.
    const baseLosses = [...hintonLoss(0, d.temperature), ...outputLosses(outputs, false)];
    baseline = await trainStage(tf, {
      stage: 'baseline',
      model,
      losses: baseLosses,
      training: cfg.training,
      checkpoint: checkpointing(ctx, 'baseline', model),
      ...trainHeads(model),
      ...common,
    });
    if (baseline.stopped) status = 'stopped';
    prepared.baseline = model;
  }
  return finish(ctx, status, { distilled, baseline, assistants });
}

/** Hinton's terms (on knobs when α or T is scheduled) plus any feature/attention terms. */
function distillLosses(ctx: RunContext, knobs: Knobs, extra: LossTerm[]): LossTerm[] {
  const d = ctx.cfg.distillation;
  const logits = hasSchedule(d) ? scheduledHintonLoss(knobs) : hintonLoss(d.alpha, d.temperature);
  return [...logits, ...extra];
}

/** Moves the knobs along their schedules at each step and reports them. */
function knobsHook(ctx: RunContext, knobs: Knobs): (step: number, total: number) => Record<string, number> {
  const d = ctx.cfg.distillation;
  return (step, total) => {
    const now = knobsAt(d, step, total);
    Object.assign(knobs, now);
    const out: Record<string, number> = { alpha: now.alpha, temperature: now.temperature };
    if (ctx.prepared.layerPlan) out.beta = now.beta;
    return out;
  };
}

/**
 * Teacher logits over the un-augmented training set, from the on-disk cache when `useDiskCache`
 * (the configured teachers: the same across runs), else computed; live when augmentation is on.
 * With kd.json `outputs`, the teacher's heads are cached beside its logits, row by row.
 */
async function teacherSourceFor(ctx: RunContext, models: tfTypes.LayersModel[], forward: LogitsFn, useDiskCache: boolean): Promise<TeacherSource> {
  const { tf, cfg, prepared, writer } = ctx;
  if (useDiskCache && ctx.cachedTeacher) return ctx.cachedTeacher;
  const { ds, outputs } = prepared;
  const log = (message: string) => writer.emit({ type: 'log', level: 'info', message });
  // Outputs need one teacher (kd.json says so): its heads run, or are cached, with its logits.
  const heads = outputs.length ? { forward: outputsFn(tf, models[0], outputs, false), outputs } : undefined;
  if (isAugmented(cfg.data.augment)) {
    log(`augmentation is on (${describeAugment(cfg.data.augment)}): the teacher runs live on each augmented batch${heads ? ', heads included' : ''}`);
    writer.emit({ type: 'teacher_logits', source: 'live' });
    return { kind: 'live', forward, ...(heads ? { withFeatures: heads.forward } : {}) };
  }
  const ensemble = ensembleOptions(cfg);
  const key = useDiskCache
    ? await teacherLogitsKey(
        models,
        ensemble,
        ds,
        outputs.map((o) => `${o.name}:${o.dim}`),
      )
    : undefined;
  const { source, got } = await cachedTeacherSource(tf, forward, ds, key, useDiskCache ? cacheDirFor(ctx.configPath) : undefined, heads, ctx.memo);
  const what = outputs.length ? `; with the ${outputs.map((o) => o.name).join(', ')} head${outputs.length > 1 ? 's' : ''}` : '';
  if (useDiskCache) ctx.cachedTeacher = source;
  if (got.hit) log(`teacher logits: reused cache ${got.file} (${got.needed} samples, read in ${got.seconds.toFixed(2)} s${what})`);
  else
    log(
      `teacher logits: computed for ${got.computed} samples in ${got.seconds.toFixed(1)} s${got.computed < got.needed ? ` (the cache held ${got.needed - got.computed} of the ${got.needed} this run uses)` : ''}${got.file ? `, cached in ${got.file}` : ''}${what}`,
    );
  writer.emit({ type: 'teacher_logits', source: got.hit ? 'cache-hit' : 'computed', ...(got.file ? { file: got.file } : {}) });
  return source;
}
