/**
 * A model file's architecture with new initial weights: what "the same student from scratch"
 * means for a student given as `{ "model": "path/model.json" }` (student.init "fresh", the
 * default). Loading the file would start the baseline from the file's (perhaps trained)
 * weights, and then it is not from scratch at all.
 *
 * Every initialiser in the topology (kernel, bias, recurrent, gamma, moving mean, …: every
 * `*_initializer` of every layer, nested models included) gets a seed derived from the run's
 * seed and where it sits in the topology, the way presets seed theirs (presets.ts). The
 * distilled student and its baseline, built from the same file and seed, start identical.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { deriveSeed } from '../util/rng';
import { modelFromArtifacts, readModelArtifacts } from './modelFiles';

/** The model in `modelJson` with fresh initial weights drawn from `seed`; its own weights are not loaded. */
export async function freshModelFromFile(tf: typeof tfTypes, modelJson: string, seed: number): Promise<tfTypes.LayersModel> {
  // Read in full: a broken weights file is reported here as it would be when loading it.
  const artifacts = readModelArtifacts(modelJson);
  const topology = seedInitializers(structuredClone(artifacts.modelTopology), seed);
  return modelFromArtifacts(tf, { modelTopology: topology as tfTypes.io.ModelArtifacts['modelTopology'], format: artifacts.format }, modelJson);
}

/** Sets `config.seed` of every `*_initializer` object in a Keras topology (in place), from `seed` and its JSON path. */
export function seedInitializers<T>(topology: T, seed: number): T {
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, `${at}/${i}`));
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const where = `${at}/${key}`;
      if (/initializer$/i.test(key) && value && typeof value === 'object' && 'class_name' in value) {
        const init = value as { config?: Record<string, unknown> };
        init.config = { ...(init.config ?? {}), seed: deriveSeed(seed, `init:${where}`) };
      } else walk(value, where);
    }
  };
  walk(topology, '');
  return topology;
}
