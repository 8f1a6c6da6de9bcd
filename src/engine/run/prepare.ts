/**
 * Everything a run needs before its folder exists: the backend, the data, the models, and
 * the checks that need them (shapes, class counts, kernels). A problem found here is the
 * config's fault, reported with its JSON path, and no run starts.
 */
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { baselineStart, type KdConfig, type TrainingSpec } from '../../protocol/config';
import { issueText, type ConfigIssue, type JsonPath } from '../../protocol/loadConfig';
import { selectBackend, missingKernelOf, type ConcreteBackend } from '../backend/select';
import { makeBatch, NormalizeError, type Dataset } from '../data/dataset';
import { presetInputIssues } from '../../protocol/architecture';
import { describeArchitecture, buildPreset } from '../models/presets';
import { loadLayersModel } from '../models/modelFiles';
import { freshModelFromFile } from '../models/freshWeights';
import { hasLayerPairs, planLayerPairs, type LayerPlan } from '../models/layerPairs';
import { findHeads, type HeadSpec } from '../models/heads';
import { resolveOutputs, type ResolvedOutput } from '../data/targets';
import { headSpecs } from './outputHeads';
import { deriveSeed } from '../util/rng';
import { planTeachers } from './teachers';
import { modelFolderRefusal } from '../../protocol/modelFolder';
import type { RunMemo } from './memo';
import { teacherInputOf } from '../models/teacherInput';
import type { Progress } from '../data/formats/imageFolder';
import { DataSourceError, DataSplitError, loadData, loadTeacherFile, loadTeacherModel, type FrozenTeacherOptions } from './reuse';
import { detectProbabilities, externalTeacherInfo, UnknownTapError } from '../models/externalTeacher';

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(issueText).join('\n'));
  }
}

export interface ReadyTeacher {
  id: string;
  model: tfTypes.LayersModel;
  description: string;
  /** Its model.json on disk: the file it was loaded from, or where this run saves it after training it. */
  modelJson?: string;
}

export interface Prepared {
  backend: ConcreteBackend;
  notes: string[];
  ds: Dataset;
  dataDescription: string;
  teachers: ReadyTeacher[];
  teachersToTrain: (ReadyTeacher & { saveDir: string; training: TrainingSpec })[];
  student: tfTypes.LayersModel;
  studentDescription: string;
  /** A fresh student with the same initial weights as `student` had. */
  buildBaseline: () => Promise<tfTypes.LayersModel>;
  baseline?: tfTypes.LayersModel;
  /** Feature/attention pairs resolved against the models, with their adapters. */
  layerPlan?: LayerPlan;
  /** kd.json `outputs`, with file targets read: every model has a head for each (empty without outputs). */
  outputs: ResolvedOutput[];
  /** In a worker engine, the memo key of the data: what later memo keys built on it name. */
  dataKey?: string;
}

type Models = Pick<Prepared, 'teachers' | 'teachersToTrain' | 'student' | 'studentDescription' | 'buildBaseline'>;

async function buildModels(
  tf: typeof tfTypes,
  cfg: KdConfig,
  baseDir: string,
  ds: Dataset,
  heads: HeadSpec[],
  notes: string[],
  memo?: RunMemo,
): Promise<Models> {
  const issues: ConfigIssue[] = [];
  const teachers: Models['teachers'] = [];
  const teachersToTrain: Models['teachersToTrain'] = [];
  for (const plan of planTeachers(cfg, baseDir)) {
    const at: JsonPath = ['teachers', plan.index];
    try {
      if (plan.kind === 'train') {
        // Checked here too for resumed runs (config.json, not kd.json) and folders made since validation.
        const refusal = modelFolderRefusal(plan.saveDir);
        if (refusal) {
          issues.push({ path: [...at, 'save'], message: `teacher save folder ${refusal}` });
          continue;
        }
        const model = buildPreset(
          tf,
          plan.spec.architecture,
          ds.shape,
          ds.numClasses,
          deriveSeed(cfg.seed, `teacher:${plan.spec.id}`),
          `teacher_${plan.index}`,
          heads,
        );
        const t = {
          id: plan.spec.id,
          model,
          description: describeArchitecture(plan.spec.architecture),
          saveDir: plan.saveDir,
          training: plan.spec.training,
          modelJson: path.join(plan.saveDir, 'model.json'),
        };
        teachers.push(t);
        teachersToTrain.push(t);
      } else {
        const model =
          plan.kind === 'file'
            ? await loadTeacherFile(tf, plan.modelJson, frozenTeacherOptions(cfg, plan.spec, plan.index, ds), memo)
            : await loadTeacherModel(tf, plan.modelJson, memo);
        const external = externalTeacherInfo(model);
        teachers.push({
          id: plan.spec.id,
          model,
          description:
            plan.kind === 'saved'
              ? `${describeArchitecture(plan.spec.architecture as never)} (saved: ${plan.modelJson})`
              : external
                ? `${plan.modelJson} (${EXTERNAL_KINDS[external.kind] ?? external.kind}, frozen${'model' in plan.spec && plan.spec.preprocess ? `; its own input ${teacherInputOf(ds, plan.spec.preprocess)?.shape.join('×')}` : ''})`
                : plan.modelJson,
          modelJson: plan.modelJson,
        });
        if ((!external || external.kind === 'layers-model') && 'model' in plan.spec && (plan.spec.layout || plan.spec.output))
          issues.push({
            path: [...at, plan.spec.layout ? 'layout' : 'output'],
            message: `${plan.modelJson} is a tfjs LayersModel: "${plan.spec.layout ? 'layout' : 'output'}" applies to ONNX (and, for "output", GraphModel) teachers only`,
          });
        if (external && detectTeacherProbabilities(tf, model, ds))
          notes.push(
            `teacher "${plan.spec.id}" (${plan.modelJson}) outputs probabilities (rows ≥ 0 summing to 1 on the first batch): its log-probabilities stand in for logits`,
          );
        const problems = checkModelShape(model, ds, [...at, plan.kind === 'file' ? 'model' : 'architecture'], heads);
        if (!problems.length) problems.push(...checkFiniteOutputs(tf, model, ds, plan.modelJson, [...at, plan.kind === 'file' ? 'model' : 'architecture']));
        // A teacher saved by an earlier run (an explicit `save` folder) may predate the outputs.
        if (plan.kind === 'saved')
          for (const p of problems)
            p.message += ` (the teacher saved in ${path.dirname(plan.modelJson)} does not fit this kd.json; delete that folder to train it again)`;
        issues.push(...problems);
      }
    } catch (e) {
      const pairs = e instanceof UnknownTapError ? pairsNaming(cfg, plan.spec.id, e.tap) : [];
      if (e instanceof NormalizeError) issues.push({ path: [...at, 'preprocess', 'normalize'], message: e.message });
      else if (pairs.length) for (const p of pairs) issues.push({ path: p, message: (e as Error).message });
      else issues.push({ path: [...at, 'model'], message: (e as Error).message });
    }
  }
  const studentSpec = cfg.student;
  const studentSeed = deriveSeed(cfg.seed, 'student');
  // A model file gives its architecture, with fresh seeded weights unless student.init is "file".
  const makeStudent = async (): Promise<tfTypes.LayersModel> => {
    if ('architecture' in studentSpec) return buildPreset(tf, studentSpec.architecture, ds.shape, ds.numClasses, studentSeed, 'student', heads);
    const file = path.resolve(baseDir, studentSpec.model);
    return baselineStart(studentSpec) === 'file' ? loadLayersModel(tf, file) : freshModelFromFile(tf, file, studentSeed);
  };
  let student: tfTypes.LayersModel | undefined;
  try {
    student = await makeStudent();
    issues.push(...checkModelShape(student, ds, ['student', 'architecture' in studentSpec ? 'architecture' : 'model'], heads));
  } catch (e) {
    issues.push({ path: ['student', 'model'], message: (e as Error).message });
  }
  if (issues.length || !student) throw new ConfigError(issues);
  return {
    teachers,
    teachersToTrain,
    student,
    studentDescription:
      'architecture' in studentSpec
        ? describeArchitecture(studentSpec.architecture)
        : `${studentSpec.model} (${baselineStart(studentSpec) === 'file' ? "the file's weights" : 'its architecture, fresh weights'})`,
    // Built the same way again: seeded presets, seeded fresh weights and model files give the same starting weights.
    buildBaseline: makeStudent,
  };
}

/** The layers kd.json's feature and attention pairs read from this teacher: an ONNX or GraphModel teacher exposes just these. */
function tappedLayers(cfg: KdConfig, id: string): string[] {
  const pairs = [...cfg.distillation.features, ...cfg.distillation.attention];
  return [...new Set(pairs.filter((p) => (p.teacher ?? cfg.teachers[0].id) === id).map((p) => p.teacherLayer))];
}

/** Where kd.json's pairs name `layer` of teacher `id`: [distillation, features|attention, i, teacherLayer]. */
function pairsNaming(cfg: KdConfig, id: string, layer: string): JsonPath[] {
  return (['features', 'attention'] as const).flatMap((kind) =>
    cfg.distillation[kind].flatMap((p, i) =>
      (p.teacher ?? cfg.teachers[0].id) === id && p.teacherLayer === layer ? [['distillation', kind, i, 'teacherLayer']] : [],
    ),
  );
}

const EXTERNAL_KINDS: Record<string, string> = { onnx: 'ONNX, run by ONNX Runtime', 'graph-model': 'tfjs GraphModel', 'layers-model': 'tfjs LayersModel' };

function frozenTeacherOptions(cfg: KdConfig, spec: KdConfig['teachers'][number], index: number, ds: Dataset): FrozenTeacherOptions {
  const file = 'model' in spec ? spec : undefined;
  const input = teacherInputOf(ds, file?.preprocess);
  return {
    shape: ds.shape,
    layout: file?.layout,
    output: file?.output,
    taps: tappedLayers(cfg, spec.id),
    name: `teacher_${index}`,
    ...(input ? { input } : {}),
  };
}

/** An external teacher's outputs on the first training batch: probabilities (then marked so) or logits. */
function detectTeacherProbabilities(tf: typeof tfTypes, model: tfTypes.LayersModel, ds: Dataset): boolean {
  const batch = makeBatch(ds, ds.train, ds.train.indices.subarray(0, 32));
  const rows = tf.tidy(() => {
    const y = [model.predict(tf.tensor(batch.x, [batch.size, ...ds.shape])) as tfTypes.Tensor | tfTypes.Tensor[]].flat()[0];
    return y.dataSync() as Float32Array;
  });
  return detectProbabilities(model, rows, ds.numClasses);
}

/** The model must take the data's images and give one logit per class, then the heads of kd.json `outputs`. */
function checkModelShape(model: tfTypes.LayersModel, ds: Dataset, at: JsonPath, heads: HeadSpec[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const input = model.inputs[0].shape.slice(1);
  const [h, w, c] = ds.shape;
  const flatOk = input.length === 1 && input[0] === h * w * c;
  const imageOk = input.length === 3 && input[0] === h && input[1] === w && input[2] === c;
  if (!flatOk && !imageOk)
    issues.push({
      path: at,
      message: `the model takes inputs of shape [${input.join(', ')}], but the images are ${h}×${w}×${c} (expected [${h}, ${w}, ${c}] or [${h * w * c}])`,
    });
  const out = model.outputs[0].shape;
  if (out.length !== 2 || out[1] !== ds.numClasses)
    issues.push({ path: at, message: `the model outputs [${out.slice(1).join(', ')}] per sample, but the data has ${ds.numClasses} classes` });
  if (heads.length) {
    const found = findHeads(model, heads);
    if ('problem' in found) issues.push({ path: at, message: found.problem });
  }
  // A layer whose output has a zero-sized dimension (pooled down to nothing) crashes the kernels mid-run.
  const dims = (l: tfTypes.layers.Layer) => (l.outputShape as (number | null)[] | (number | null)[][]).flat();
  const empty = model.layers.find((l) => dims(l).includes(0));
  if (empty && !issues.length)
    issues.push({
      path: at,
      message: `the ${h}×${w}×${c} images leave nothing at layer "${empty.name}" (its output is [${dims(empty).join(', ')}]): the images are too small for this model`,
    });
  return issues;
}

/**
 * A teacher read from a file must give finite outputs on the first training batch: a file
 * holding NaN or infinite weights poisons the distillation loss, which would then blame the
 * learning rate.
 */
function checkFiniteOutputs(tf: typeof tfTypes, model: tfTypes.LayersModel, ds: Dataset, file: string, at: JsonPath): ConfigIssue[] {
  const batch = makeBatch(ds, ds.train, ds.train.indices.subarray(0, 32));
  const bad = tf.tidy(() => {
    const x = tf.tensor(batch.x, [batch.size, ...ds.shape]);
    const input = model.inputs[0].shape.length === 2 ? x.reshape([batch.size, -1]) : x;
    const outputs = [model.predict(input) as tfTypes.Tensor | tfTypes.Tensor[]].flat();
    return outputs.some((y) => !y.isFinite().all().dataSync()[0]);
  });
  if (!bad) return [];
  const badWeights = model.getWeights().reduce((n, w) => n + tf.tidy(() => tf.logicalNot(w.isFinite()).sum().dataSync()[0]), 0);
  const weights = badWeights ? `${badWeights} of its weights are NaN or infinite` : 'its weights are finite, so the values overflow';
  return [
    {
      path: at,
      message: `${file}: the teacher's outputs are NaN or infinite on the first batch of training images (${weights}); the file is corrupt or comes from a training that diverged`,
    },
  ];
}

/** One gradient step on two samples, to find a missing training kernel before the run, not in it. */
function probeTraining(tf: typeof tfTypes, models: Models, ds: Dataset): string | undefined {
  const toTrain = [models.student, ...models.teachersToTrain.map((t) => t.model)];
  try {
    tf.tidy(() => {
      const x = tf.zeros([2, ...ds.shape]);
      for (const m of toTrain) {
        const vars = m.trainableWeights.map((w) => w.read() as tfTypes.Variable);
        const input = m.inputs[0].shape.length === 2 ? x.reshape([2, -1]) : x;
        // Models with heads give [logits, head₁, …]: every output takes part.
        tf.variableGrads(() => tf.addN([m.apply(input, { training: false })].flat().map((y) => tf.mean(y as tfTypes.Tensor))) as tfTypes.Scalar, vars);
      }
      for (const t of models.teachers) tf.dispose(t.model.predict(x) as tfTypes.Tensor | tfTypes.Tensor[]);
    });
    return undefined;
  } catch (e) {
    const kernel = missingKernelOf(e);
    if (kernel) return kernel;
    throw e;
  }
}

/** `memo`: a worker engine's store of what its runs share (the data, teachers loaded from disk); `progress`: called while image files are decoded. */
export async function prepare(tf: typeof tfTypes, cfg: KdConfig, baseDir: string, memo?: RunMemo, progress?: Progress): Promise<Prepared> {
  const notes: string[] = [];
  const chosen = await selectBackend(tf, cfg.backend);
  notes.push(...chosen.skipped.map((s) => `backend skipped: ${s}`));
  let backend = chosen.name;

  let data;
  try {
    data = await loadData(cfg, baseDir, memo, progress);
  } catch (e) {
    if (e instanceof DataSourceError) throw new ConfigError([{ path: ['data', 'source'], message: e.message }]);
    if (e instanceof NormalizeError) throw new ConfigError([{ path: ['data', 'normalize'], message: e.message }]);
    if (e instanceof DataSplitError) {
      const { limit, validationSplit, testSplit } = cfg.data;
      throw new ConfigError([
        {
          path: ['data', limit ? 'limit' : 'testSplit'],
          message: `${e.message} (${limit ? `limit ${limit}, ` : ''}validationSplit ${validationSplit}, testSplit ${testSplit})`,
        },
      ]);
    }
    throw e;
  }
  const { ds } = data;
  notes.push(...data.notes);
  // Presets too deep for the images: said before any model is built (a 0×0 feature map crashes the kernels).
  const tooSmall = presetInputIssues(cfg, ds.shape);
  if (tooSmall.length) throw new ConfigError(tooSmall);
  // Tables and [N, D] arrays are held as 1×1×D images: a shift or crop would move the one pixel
  // off the image (the sample becomes padding), a flip does nothing.
  if (ds.shape[0] === 1 && ds.shape[1] === 1) {
    const a = cfg.data.augment;
    const on = (['shift', 'crop', 'flip'] as const).filter((k) => !!a[k]);
    if (on.length)
      throw new ConfigError(
        on.map((k) => ({ path: ['data', 'augment', k], message: `the samples are vectors of ${ds.shape[2]} values, not images: ${k} applies to images only` })),
      );
  }
  if (cfg.training.batchSize > ds.train.indices.length) {
    throw new ConfigError([
      { path: ['training', 'batchSize'], message: `${cfg.training.batchSize} is larger than the ${ds.train.indices.length} training samples` },
    ]);
  }
  const labeled = ds.train.indices.length - (ds.unlabeledFrom === undefined ? 0 : ds.train.set.count - ds.unlabeledFrom);
  if (cfg.data.unlabeled >= labeled) {
    throw new ConfigError([
      { path: ['data', 'unlabeled'], message: `${cfg.data.unlabeled} unlabeled samples leave none of the ${labeled} labeled training samples labeled` },
    ]);
  }

  const resolved = resolveOutputs(cfg.outputs, baseDir, { train: ds.train.set, ...(ds.test.set !== ds.train.set ? { test: ds.test.set } : {}) });
  if (resolved.issues.length) throw new ConfigError(resolved.issues);
  const heads = headSpecs(resolved.outputs);

  let models = await buildModels(tf, cfg, baseDir, ds, heads, notes, memo);
  const missing = probeTraining(tf, models, ds);
  if (missing) {
    notes.push(`backend ${backend} lacks the kernel "${missing}" this model needs for training; falling back to cpu`);
    dispose(models, memo);
    await tf.setBackend('cpu');
    await tf.ready();
    backend = 'cpu';
    models = await buildModels(tf, cfg, baseDir, ds, heads, [], memo);
  }
  let layerPlan: LayerPlan | undefined;
  if (hasLayerPairs(cfg.distillation)) {
    const planned = planLayerPairs(tf, cfg.distillation, models.teachers, models.student, deriveSeed(cfg.seed, 'adapters'));
    if (planned.issues.length) {
      dispose(models, memo);
      throw new ConfigError(planned.issues);
    }
    layerPlan = planned.plan;
  }
  return { backend, notes, ds, dataDescription: data.description, ...models, layerPlan, outputs: resolved.outputs, dataKey: memo?.keyOf(data) };
}

/** Disposes the models, except teachers a worker's memo keeps for later runs. */
function dispose(models: Models, memo?: RunMemo): void {
  models.student.dispose();
  for (const t of models.teachers) if (!memo?.owns(t.model)) t.model.dispose();
}

/** After a run in a worker engine (or a validation): its own models go; the teachers a memo keeps stay. */
export function releasePrepared(prepared: Prepared, memo?: RunMemo): void {
  const models = new Set([prepared.student, prepared.baseline, ...prepared.teachers.map((t) => t.model), ...prepared.teachersToTrain.map((t) => t.model)]);
  for (const m of models) if (m && !memo?.owns(m)) m.dispose();
  prepared.layerPlan?.dispose();
}
