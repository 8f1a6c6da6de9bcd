import type * as tfTypes from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/engine/backend/select';
import { loadTf } from '../../../src/engine/tf';
import { buildDataset, type Dataset } from '../../../src/engine/data/dataset';
import { loadBundledMnist } from '../../../src/engine/data/sources';
import { DataSpec } from '../../../src/protocol/config';

let ready: Promise<typeof tfTypes> | undefined;

/** tfjs on the wasm backend, once per test process. */
export function wasmTf(): Promise<typeof tfTypes> {
  ready ??= (async () => {
    const tf = loadTf();
    await selectBackend(tf, 'wasm');
    return tf;
  })();
  return ready;
}

let mnist: ReturnType<typeof loadBundledMnist> | undefined;

export function smallDigits(limit: number, seed = 1): Dataset {
  mnist ??= loadBundledMnist();
  return buildDataset({ train: mnist, description: 'test' }, DataSpec.parse({ limit }), seed);
}
