/**
 * tfjs GraphModel teachers (tensorflowjs_converter's "graph-model" format), from a GraphDef
 * written by hand (scripts/examples/graphModel.ts): the teacher's logits and taps equal the
 * MLP's closed form computed with tf ops; a missing weight shard and an input that does not
 * fit the data are errors naming the file.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { writeMlpGraphModel, type MlpWeights } from '../../../../scripts/examples/graphModel';
import { externalTeacherInfo, paramCount } from '../../../../src/engine/models/externalTeacher';
import { loadGraphTeacher } from '../../../../src/engine/models/graphTeacher';
import { tappedFn } from '../../../../src/engine/models/taps';
import { wasmTf } from '../helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-graph-teacher-'));
const wave = (n: number, f: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f) * 0.1);
const weights: MlpWeights = { w1: wave(784 * 8, 1.3), b1: wave(8, 0.7), w2: wave(80, 2.1), b2: wave(10, 0.3) };

describe('engine/models/graphTeacher: tfjs GraphModel teachers', () => {
  let tf: typeof tfTypes;
  before(async () => {
    tf = await wasmTf();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const opts = (more: object = {}) => ({ shape: [28, 28, 1] as [number, number, number], taps: [] as string[], name: 'teacher_0', ...more });

  it("gives the graph's logits, and its nodes as taps", async () => {
    const file = writeMlpGraphModel(path.join(dir, 'ok'), [28, 28, 1], weights);
    const teacher = await loadGraphTeacher(tf, file, opts({ taps: ['dense1/Relu'] }));
    const x = tf.randomNormal([5, 28, 28, 1], 0, 1, 'float32', 3);
    const hidden = tf.relu(tf.add(tf.matMul(x.reshape([5, 784]), tf.tensor2d(weights.w1, [784, 8])), tf.tensor1d(weights.b1)));
    const logits = tf.add(tf.matMul(hidden, tf.tensor2d(weights.w2, [8, 10])), tf.tensor1d(weights.b2));
    const out = tappedFn(tf, teacher, ['dense1/Relu'], false)(x);
    assert.ok(tf.max(tf.abs(tf.sub(out.logits, logits))).dataSync()[0] < 1e-5);
    assert.ok(tf.max(tf.abs(tf.sub(out.features[0], hidden))).dataSync()[0] < 1e-5);
    assert.equal(paramCount(teacher), 2 + 784 * 8 + 8 + 80 + 10);
    assert.ok(externalTeacherInfo(teacher)!.tapNames.includes('dense1/MatMul'));
    teacher.dispose();
  });

  it('a missing weight shard is named', async () => {
    const file = writeMlpGraphModel(path.join(dir, 'noshard'), [28, 28, 1], weights);
    fs.rmSync(path.join(dir, 'noshard', 'group1-shard1of1.bin'));
    await assert.rejects(loadGraphTeacher(tf, file, opts()), /noshard[/\\]model\.json: weights file missing: .*group1-shard1of1\.bin/);
  });

  it('an input that does not fit the images, and a node that is not there, are named', async () => {
    const file = writeMlpGraphModel(path.join(dir, 'small'), [8, 8, 1], { ...weights, w1: wave(64 * 8, 1.3) });
    await assert.rejects(
      loadGraphTeacher(tf, file, opts()),
      /small[/\\]model\.json: its input is \[-1, 8, 8, 1\], which does not fit the 28×28×1 images: expected \[N, 28, 28, 1\]/,
    );
    const ok = writeMlpGraphModel(path.join(dir, 'tap'), [28, 28, 1], weights);
    await assert.rejects(loadGraphTeacher(tf, ok, opts({ taps: ['conv9'] })), /tap[/\\]model\.json: no node "conv9" to tap \(its nodes: flat, dense1\/MatMul/);
  });
});
