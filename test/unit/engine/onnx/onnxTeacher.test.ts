/**
 * ONNX teachers: a model our exporter wrote, loaded back as a teacher through ONNX Runtime,
 * must agree with the tfjs model it came from on every test sample (logits within 1e-4, the
 * same predictions), whatever its input layout and batch size; taps give the intermediate
 * activations tfjs computes (NHWC); a probabilities output is detected and turned into
 * log-probabilities; the cache key follows the file's bytes. Each bad file is an error
 * naming the file and what was expected.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { layersModelToOnnx } from '../../../../src/engine/export/onnxExport';
import { detectProbabilities, externalTeacherInfo, paramCount } from '../../../../src/engine/models/externalTeacher';
import { logitsFn } from '../../../../src/engine/models/forward';
import { loadOnnxTeacher } from '../../../../src/engine/models/onnxTeacher';
import { tappedFn } from '../../../../src/engine/models/taps';
import { teacherLogitsKey } from '../../../../src/engine/run/teacherCache';
import { makeBatch } from '../../../../src/engine/data/dataset';
import { decodeOnnxModel, encodeOnnxModel, type OnnxModelProto } from '../../../../src/protocol/onnx/onnxModel';
import { smallDigits, wasmTf } from '../helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-onnx-teacher-'));
const SHAPE: [number, number, number] = [28, 28, 1];

function cnn(tf: typeof tfTypes, softmax = false): tfTypes.LayersModel {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: SHAPE, filters: 3, kernelSize: 3, padding: 'same', name: 'c1', seed: 1 } as never),
      tf.layers.activation({ activation: 'relu', name: 'r1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
      tf.layers.flatten({ name: 'f' }),
      tf.layers.dense({ units: 10, name: 'logits', activation: softmax ? 'softmax' : 'linear' }),
    ],
  });
  m.setWeights(m.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.2, 'float32', 100 + i)));
  return m;
}

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

function edit(bytes: Uint8Array, change: (m: OnnxModelProto) => void): Uint8Array {
  const m = decodeOnnxModel(bytes);
  change(m);
  return encodeOnnxModel(m);
}

describe('engine/models/onnxTeacher: ONNX teachers run by ONNX Runtime', function () {
  this.timeout(120_000);
  let tf: typeof tfTypes;
  let model: tfTypes.LayersModel;
  let nchw: Uint8Array;
  const ds = smallDigits(300);
  const opts = (more: object = {}) => ({ shape: SHAPE, taps: [] as string[], threads: 1, name: 'teacher_0', ...more });
  const testImages = () => {
    const b = makeBatch(ds, ds.test, ds.test.indices);
    return tf.tensor4d(b.x, [b.size, ...SHAPE]);
  };
  before(async () => {
    tf = await wasmTf();
    model = cnn(tf);
    nchw = encodeOnnxModel(layersModelToOnnx(tf, model, 'nchw'));
  });
  after(() => {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const layout of ['nchw', 'nhwc'] as const) {
    it(`a student exported as ONNX (${layout.toUpperCase()}) loads back as a teacher and agrees with itself on every test sample`, () => {
      const bytes = layout === 'nchw' ? nchw : encodeOnnxModel(layersModelToOnnx(tf, model, 'nhwc'));
      const teacher = loadOnnxTeacher(tf, write(`rt-${layout}.onnx`, bytes), opts());
      const x = testImages();
      const want = (model.predict(x) as tfTypes.Tensor).dataSync();
      const got = (teacher.predict(x) as tfTypes.Tensor).dataSync();
      let d = 0;
      for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(want[i] - got[i]));
      assert.ok(d < 1e-4, `max |difference| ${d}`);
      const argmax = (a: ArrayLike<number>) =>
        Array.from({ length: a.length / 10 }, (_, r) =>
          Array.from({ length: 10 }, (_, k) => a[r * 10 + k]).indexOf(Math.max(...Array.from({ length: 10 }, (_, k) => a[r * 10 + k]))),
        );
      assert.deepEqual(argmax(got), argmax(want));
      assert.equal(paramCount(teacher), model.countParams());
      x.dispose();
      teacher.dispose();
    });
  }

  it('a file with a fixed batch size (torch.onnx.export without dynamic axes) is run in chunks of it', () => {
    const fixed = edit(nchw, (m) => {
      m.graph!.input![0].type!.tensor_type!.shape!.dim![0] = { dim_value: 4 };
      m.graph!.output![0].type!.tensor_type!.shape!.dim![0] = { dim_value: 4 };
    });
    const teacher = loadOnnxTeacher(tf, write('fixed.onnx', fixed), opts());
    const x = testImages().slice(0, 7);
    const want = (model.predict(x) as tfTypes.Tensor).dataSync();
    const got = (teacher.predict(x) as tfTypes.Tensor).dataSync();
    assert.equal(got.length, 70);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i] - got[i]) < 1e-4);
    teacher.dispose();
  });

  it("taps any node output by name and gives tfjs's activation, in NHWC", () => {
    const teacher = loadOnnxTeacher(tf, write('taps.onnx', nchw), opts({ taps: ['r1'] }));
    assert.deepEqual(externalTeacherInfo(teacher)!.tapNames.slice(0, 3), ['c1', 'r1', 'p1']);
    const x = testImages().slice(0, 5);
    const tapped = tappedFn(tf, teacher, ['r1'], false)(x);
    assert.deepEqual(tapped.features[0].shape, [5, 28, 28, 3]);
    const want = (tf.model({ inputs: model.inputs, outputs: model.getLayer('r1').output as tfTypes.SymbolicTensor }).predict(x) as tfTypes.Tensor).dataSync();
    const got = tapped.features[0].dataSync();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i] - got[i]) < 1e-4);
    teacher.dispose();
  });

  it('a teacher that outputs probabilities is detected on a batch, and its log-probabilities stand in for logits', () => {
    const soft = cnn(tf, true);
    const teacher = loadOnnxTeacher(tf, write('soft.onnx', encodeOnnxModel(layersModelToOnnx(tf, soft))), opts());
    const plain = loadOnnxTeacher(tf, write('plain.onnx', nchw), opts());
    const x = testImages().slice(0, 16);
    const p = (teacher.predict(x) as tfTypes.Tensor).dataSync() as Float32Array;
    assert.equal(detectProbabilities(teacher, p, 10), true);
    assert.equal(detectProbabilities(plain, (plain.predict(x) as tfTypes.Tensor).dataSync() as Float32Array, 10), false);
    const z = logitsFn(tf, teacher, false)(x).dataSync();
    for (let i = 0; i < p.length; i++) assert.ok(Math.abs(z[i] - Math.log(Math.max(p[i], 1e-7))) < 1e-5);
    soft.dispose();
    teacher.dispose();
    plain.dispose();
  });

  it("the teacher-logits cache key follows the file's bytes", async () => {
    const a = loadOnnxTeacher(tf, write('a.onnx', nchw), opts());
    const again = loadOnnxTeacher(tf, write('a2.onnx', nchw), opts());
    const other = cnn(tf);
    other.setWeights(other.getWeights().map((w) => tf.mul(w, 1.01)));
    const b = loadOnnxTeacher(tf, write('b.onnx', encodeOnnxModel(layersModelToOnnx(tf, other))), opts());
    const key = (m: tfTypes.LayersModel) => teacherLogitsKey([m], { combine: 'mean-logits' }, ds);
    assert.equal(await key(a), await key(again));
    assert.notEqual(await key(a), await key(b));
    for (const m of [a, again, b, other]) m.dispose();
  });

  describe('bad files: named, with what was expected', () => {
    const cases: [string, () => { file: string; more?: object; shape?: [number, number, number] }, RegExp][] = [
      [
        'a truncated file',
        () => ({ file: write('cut.onnx', nchw.subarray(0, Math.floor(nchw.length / 2))) }),
        /cut\.onnx: not a readable ONNX model .*truncated or not ONNX|cut\.onnx: ONNX Runtime cannot load it/,
      ],
      [
        'several inputs',
        () => ({
          file: write(
            'two.onnx',
            edit(nchw, (m) => m.graph!.input!.push({ ...m.graph!.input![0], name: 'mask' })),
          ),
        }),
        /two\.onnx: the model has 2 inputs \(input, mask\); a teacher takes one, the images/,
      ],
      [
        'an opset ONNX Runtime does not run',
        () => ({
          file: write(
            'opset.onnx',
            edit(nchw, (m) => (m.opset_import![0].version = 99)),
          ),
        }),
        /opset\.onnx: opset 99; ONNX Runtime here runs opsets 7 to \d+/,
      ],
      [
        'an unsupported op',
        () => ({
          file: write(
            'op.onnx',
            edit(nchw, (m) => (m.graph!.node!.find((n) => n.op_type === 'Relu')!.op_type = 'FancyRelu')),
          ),
        }),
        /op\.onnx: ONNX Runtime cannot load it: .*FancyRelu/,
      ],
      [
        'an output that is not [N, classes]',
        () => ({
          file: write(
            'out4d.onnx',
            edit(nchw, (m) => (m.graph!.output = [{ name: 'r1', type: { tensor_type: { elem_type: 1 } } }])),
          ),
        }),
        /out4d\.onnx: output "r1" is \[3, 28, 28\] per sample; a teacher's logits must be \[N, classes\]/,
      ],
      [
        'an input shape that does not fit the data',
        () => ({ file: write('small.onnx', nchw), shape: [16, 16, 1] }),
        /small\.onnx: its input is \[batch, 1, 28, 28\], which does not fit the 16×16×1 images: expected \[N, 1, 16, 16\] \(NCHW\)/,
      ],
      [
        'a layout asked that the input does not have',
        () => ({ file: write('lay.onnx', nchw), more: { layout: 'nhwc' } }),
        /lay\.onnx: layout "nhwc" was asked, but its input is \[batch, 1, 28, 28\]: expected \[N, 28, 28, 1\]/,
      ],
      [
        'a tap that is no node output',
        () => ({ file: write('tap.onnx', nchw), more: { taps: ['nope'] } }),
        /tap\.onnx: no node output "nope" to tap \(its node outputs: c1, r1, p1/,
      ],
      [
        'an output name that is not there',
        () => ({ file: write('name.onnx', nchw), more: { output: 'scores' } }),
        /name\.onnx: no output "scores" \(its outputs: logits\)/,
      ],
    ];
    for (const [what, make, message] of cases) {
      it(what, () => {
        const { file, more, shape } = make();
        assert.throws(() => loadOnnxTeacher(tf, file, opts({ ...more, ...(shape ? { shape } : {}) })), message);
      });
    }
  });
});
