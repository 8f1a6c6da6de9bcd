/**
 * Adam's update on tfjs's wasm backend as one SIMD pass per variable (kernels.wat).
 *
 * Why: tfjs's AdamOptimizer spends about a dozen kernels per variable (two moment updates,
 * two bias corrections, a square root, a division, the step) and every one is a whole pass
 * over the parameters with a JS round trip around it. For the 784-300-300-10 student that is
 * 2 ms of a 13 ms step; the fused pass takes the figure in the notes. The arithmetic is the
 * same float32 operations in the same order, so the result equals tfjs's (the unit test
 * holds the two to 1e-6 over many steps) and checkpoints (getWeights/setWeights) are
 * unchanged: the moments live in the optimizer's own slot variables (setWeights also restores
 * the bias-correction accumulators exactly: accumulatedBeta).
 *
 * Every other backend, and any variable that is not float32, takes tfjs's own update; the exact
 * restore (setWeights) applies on every backend.
 */
import type * as tfNamespace from '@tensorflow/tfjs';
import { heapOffset, simdKernelsFor, type WasmBackend } from './simdKernels';

type Tf = typeof tfNamespace;
type Tensor = tfNamespace.Tensor;
type Variable = tfNamespace.Variable;
type NamedTensor = { name: string; tensor: Tensor };
type NamedTensorMap = tfNamespace.NamedTensorMap;

/** The fields of tfjs 4.x's AdamOptimizer this module reads and maintains. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: Variable;
  accBeta2: Variable;
  accumulatedFirstMoment: { originalName: string; variable: Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: Variable }[];
  iterations_: number;
  incrementIterations(): void;
  applyGradients(g: NamedTensorMap | NamedTensor[]): void;
  setWeights(w: NamedTensor[]): Promise<void>;
}

/**
 * β after `steps` updates as the optimizer holds it: its accumulator starts at β and is
 * multiplied by β (in float32) once per step. tfjs's setWeights computes pow(β, steps + 1)
 * instead, which differs in the last bits, so a resumed run's first update moved the weights
 * differently from the uninterrupted run's (its losses drifted from the 8th digit on).
 */
export function accumulatedBeta(beta: number, steps: number): number {
  const b = Math.fround(beta);
  let acc = b;
  for (let i = 0; i < steps; i++) acc = Math.fround(acc * b);
  return acc;
}

/**
 * Makes `optimizer` (from tf.train.adam) apply its updates with the SIMD kernel when on wasm,
 * and restore its bias-correction accumulators from a checkpoint exactly (accumulatedBeta).
 */
export function withSimdAdam<T extends tfNamespace.Optimizer>(tf: Tf, optimizer: T): T {
  const o = optimizer as unknown as AdamInternals;
  const tfjsSetWeights = o.setWeights.bind(optimizer);
  o.setWeights = async (weights) => {
    await tfjsSetWeights(weights);
    tf.tidy(() => {
      o.accBeta1.assign(tf.scalar(accumulatedBeta(o.beta1, o.iterations_)));
      o.accBeta2.assign(tf.scalar(accumulatedBeta(o.beta2, o.iterations_)));
    });
  };
  const tfjsApply = o.applyGradients.bind(optimizer);
  o.applyGradients = (variableGradients) => {
    const backend = tf.backend() as unknown as WasmBackend;
    const kernels = tf.getBackend() === 'wasm' ? simdKernelsFor(backend) : undefined;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const variables = names.map((name) => tf.engine().registeredVariables[name]);
    if (!kernels || variables.some((v) => v.dtype !== 'float32')) return tfjsApply(variableGradients);
    tf.tidy(() => {
      // tfjs computes 1 − βᵗ as a float32 subtraction of the float32 accumulator.
      const oneMinusAccBeta1 = Math.fround(1 - o.accBeta1.dataSync()[0]);
      const oneMinusAccBeta2 = Math.fround(1 - o.accBeta2.dataSync()[0]);
      names.forEach((name, i) => {
        const value = variables[i];
        o.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        o.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient: Tensor | undefined = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = o.accumulatedFirstMoment[i].variable;
        const v = o.accumulatedSecondMoment[i].variable;
        // Fresh buffers, never in place: tfjs caches XNNPACK operators by a weight's tensor id.
        const [outValue, outM, outV] = [0, 1, 2].map(() => backend.makeOutput(value.shape, 'float32'));
        const at = (t: tfNamespace.TensorInfo) => heapOffset(backend, t);
        kernels.adam(
          at(value),
          at(gradient),
          at(m),
          at(v),
          at(outValue),
          at(outM),
          at(outV),
          value.size,
          o.beta1,
          1 - o.beta1,
          o.beta2,
          1 - o.beta2,
          oneMinusAccBeta1,
          oneMinusAccBeta2,
          o.epsilon,
          -o.learningRate,
        );
        const asTensor = (info: tfNamespace.TensorInfo) => tf.engine().makeTensorFromTensorInfo(info);
        m.assign(asTensor(outM));
        v.assign(asTensor(outV));
        value.assign(asTensor(outValue));
      });
      o.accBeta1.assign(tf.mul(o.accBeta1, o.beta1));
      o.accBeta2.assign(tf.mul(o.accBeta2, o.beta2));
    });
    o.incrementIterations();
  };
  return optimizer;
}
