/**
 * A weights file that is a symbolic link leaving the model's folder is refused: the
 * containment check resolves real paths, not just the path text of weightsManifest.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModel, readModelArtifacts, saveLayersModel } from '../../src/engine/models/modelFiles';

describe('faults: a weights file linked out of its model folder', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('is refused, naming the file and where it points; a link that stays inside still loads', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-link-'));
    const dir = path.join(root, 'model');
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 2, inputShape: [3] }));
    await saveLayersModel(m, dir);
    // The "secret" outside has exactly the bytes the specs ask for, so only the link gives it away.
    const secret = path.join(root, 'secret.bin');
    fs.renameSync(path.join(dir, 'weights.bin'), secret);
    fs.symlinkSync(secret, path.join(dir, 'weights.bin'));
    assert.throws(
      () => readModelArtifacts(path.join(dir, 'model.json')),
      (e: Error) => /weights\.bin.*leaves the model's folder/.test(e.message) && e.message.includes(secret),
    );
    await assert.rejects(loadLayersModel(tf, path.join(dir, 'model.json')), /leaves the model's folder/);
    // Linked to a file inside the folder: fine.
    fs.unlinkSync(path.join(dir, 'weights.bin'));
    fs.renameSync(secret, path.join(dir, 'real.bin'));
    fs.symlinkSync('real.bin', path.join(dir, 'weights.bin'));
    const loaded = await loadLayersModel(tf, path.join(dir, 'model.json'));
    assert.equal(loaded.countParams(), 8);
    // The model folder itself reached through a link is fine too: both sides are resolved.
    fs.symlinkSync(dir, path.join(root, 'alias'));
    assert.equal((await loadLayersModel(tf, path.join(root, 'alias', 'model.json'))).countParams(), 8);
  });
});
