/**
 * A second process for test/faults/concurrency.test.ts: saves a model of its own shape into a
 * shared folder over and over, as two runs training the same teacher would.
 *
 *   node --import tsx saveModelLoop.ts <dir> <inputUnits> <fill> <times> <startAtMs>
 */
import { saveLayersModel } from '../../../src/engine/models/modelFiles';
import { loadTf } from '../../../src/engine/tf';

async function main() {
  const [dir, inputUnits, fill, times, startAt] = process.argv.slice(2);
  const tf = loadTf();
  await tf.setBackend('cpu');
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [Number(inputUnits)], units: 10, name: 'd' })] });
  model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, Number(fill))));
  while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < Number(times); i++) await saveLayersModel(model, dir);
}

void main();
