/**
 * kd.json `teachers[].preprocess`: a teacher trained elsewhere on other inputs than the
 * student's (say 64×64 with ImageNet statistics, the student on 32×32 unit-scaled). The batch
 * the data pipeline made for the student is turned into the teacher's input — resized
 * bilinearly (half-pixel centres, as PyTorch's `interpolate(align_corners=False)`), then the
 * student's normalisation undone and the teacher's applied — inside the teacher, so every path
 * a teacher goes through (live logits, the logits cache, taps, evaluation, latency) sees it.
 *
 * The teacher comes as a frozen external teacher (externalTeacher.ts) whose forward runs the
 * loaded model (a LayersModel, or an ONNX / GraphModel teacher) on the transformed batch; its
 * identity adds the transform, so the teacher-logits cache and a worker's memo tell the two
 * apart.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import type { TeacherPreprocess } from '../../protocol/config';
import { normalisation, type Dataset } from '../data/dataset';
import { externalTeacherInfo, externalTeacherModel, paramCount, UnknownTapError, type ExternalForward } from './externalTeacher';

export interface TeacherInput {
  /** The teacher's own input [h, w, c]. */
  shape: [number, number, number];
  /** Per channel: teacher value = student value × scale[c] + offset[c] (the student's normalisation undone, the teacher's applied). */
  scale: number[];
  offset: number[];
  /** What determines the transform: part of the teacher's identity. */
  identity: string;
}

type Affine = Pick<Dataset, 'scale' | 'offset' | 'channelScale' | 'channelOffset'>;

function perChannel(a: Affine, c: number): { scale: number[]; offset: number[] } {
  return { scale: a.channelScale ?? new Array<number>(c).fill(a.scale), offset: a.channelOffset ?? new Array<number>(c).fill(a.offset) };
}

/** The transform of kd.json's preprocess for this data set, or undefined when there is none. Throws NormalizeError for a mean/std of the wrong length. */
export function teacherInputOf(ds: Dataset, pre: TeacherPreprocess | undefined): TeacherInput | undefined {
  if (!pre || (!pre.imageSize && pre.normalize === undefined)) return undefined;
  const [h, w, c] = ds.shape;
  const student = perChannel(ds, c);
  const teacher = pre.normalize === undefined ? student : perChannel(normalisation(pre.normalize, ds.train, false), c);
  // raw = (x − o_s) / s_s, teacher = raw · s_t + o_t.
  const scale = teacher.scale.map((st, k) => st / student.scale[k]);
  const offset = teacher.offset.map((ot, k) => ot - student.offset[k] * scale[k]);
  const shape: [number, number, number] = [pre.imageSize?.[0] ?? h, pre.imageSize?.[1] ?? w, c];
  return { shape, scale, offset, identity: JSON.stringify({ shape, scale, offset }) };
}

/** The teacher's input for a student batch [n, h, w, c]. */
export function applyTeacherInput(tf: typeof tfTypes, x: tfTypes.Tensor4D, input: TeacherInput): tfTypes.Tensor4D {
  return tf.tidy(() => {
    const [th, tw] = input.shape;
    const resized = x.shape[1] === th && x.shape[2] === tw ? x : tf.image.resizeBilinear(x, [th, tw], false, true);
    const same = input.scale.every((s) => s === 1) && input.offset.every((o) => o === 0);
    return same ? tf.clone(resized) : tf.add(tf.mul(resized, tf.tensor1d(input.scale)), tf.tensor1d(input.offset));
  });
}

function weightsDigest(model: tfTypes.LayersModel): string {
  const h = createHash('sha256');
  // By position: tfjs renames the weights of a model loaded twice in one process.
  for (const [i, w] of model.weights.entries()) {
    const v = w.read();
    const data = v.dataSync() as Float32Array;
    h.update(`${i}:${v.shape.join('x')};`);
    h.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest('hex').slice(0, 20);
}

/**
 * `inner` (which takes the teacher's own input) as a frozen teacher of the student's input
 * `studentShape`, with the transform in front; `taps` are the inner layers (or, for an ONNX or
 * GraphModel teacher, its tap outputs) that feature and attention pairs read.
 */
export function withTeacherInput(
  tf: typeof tfTypes,
  inner: tfTypes.LayersModel,
  input: TeacherInput,
  studentShape: [number, number, number],
  taps: string[],
  file: string,
  name: string,
): tfTypes.LayersModel {
  const innerInfo = externalTeacherInfo(inner);
  const names = innerInfo?.tapNames ?? inner.layers.map((l) => l.name);
  for (const t of taps) if (!inner.layers.some((l) => l.name === t)) throw new UnknownTapError(`${file} has no layer "${t}"`, t);
  const sub = tf.model({
    inputs: inner.inputs,
    outputs: [inner.outputs[0], ...taps.map((t) => inner.getLayer(t).output as tfTypes.SymbolicTensor)],
  });
  const innerInput = inner.inputs[0].shape.slice(1) as number[];
  const [h, w, c] = input.shape;
  const fits =
    innerInput.length === 3 ? innerInput[0] === h && innerInput[1] === w && innerInput[2] === c : innerInput.length === 1 && innerInput[0] === h * w * c;
  if (!fits)
    throw new Error(
      `${file} takes inputs of shape [${innerInput.join(', ')}], but preprocess gives it ${h}×${w}×${c} images: set preprocess.imageSize to the size it was trained on`,
    );
  const forward: ExternalForward = {
    outputShapes: sub.outputs.map((o) => o.shape.slice(1) as number[]),
    run: (images, n) =>
      tf.tidy(() => {
        const x = applyTeacherInput(tf, tf.tensor4d(images, [n, ...studentShape]), input);
        const outs = [sub.predict(x.reshape([n, ...innerInput])) as tfTypes.Tensor | tfTypes.Tensor[]].flat();
        return outs.map((t) => t.dataSync() as Float32Array);
      }),
    dispose: () => inner.dispose(),
  };
  const identity = `${innerInfo ? innerInfo.identity : `layers-model:${weightsDigest(inner)}`}|preprocess:${input.identity}`;
  return externalTeacherModel(
    tf,
    studentShape,
    forward,
    taps,
    { kind: innerInfo?.kind ?? 'layers-model', file, identity, tapNames: names, params: paramCount(inner) },
    name,
  );
}
