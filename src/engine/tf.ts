/**
 * tfjs, loaded once per process (or worker thread) on first use: the engine, the gradient
 * threads, `distill doctor` and `distill export` all take it from here, so that none of them
 * loads the whole engine to get it.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { mathRandomState } from './util/rng';

let tfModule: typeof tfTypes | undefined;
/**
 * The seeded Math.random's states before and after tfjs was required: its modules draw from
 * Math.random as they load, and a single engine seeds it before loading them. A worker engine
 * loaded tfjs before its runs, so each of its runs moves its stream as far (see runEngine).
 */
let tfLoadRandom: [number, number] | undefined;

export function tfLoaded(): boolean {
  return tfModule !== undefined;
}

/** Math.random's states around tfjs's loading, when it was loaded under a seeded Math.random. */
export function tfLoadRandomSpan(): [number, number] | undefined {
  return tfLoadRandom;
}

export function loadTf(): typeof tfTypes {
  if (!tfModule) {
    // tfjs greets Node users on stdout with advice to install tfjs-node; the backend choice
    // is ours and is logged, so the greeting is dropped.
    const warn = console.warn;
    console.warn = (...a: unknown[]) =>
      String(a[0]).includes('Hi, looks like you are running TensorFlow.js in Node.js') || String(a[0]).includes('Hi there') ? undefined : warn(...a);
    const from = mathRandomState();
    tfModule = require('@tensorflow/tfjs') as typeof tfTypes;
    const to = mathRandomState();
    if (from !== undefined && to !== undefined) tfLoadRandom = [from, to];
  }
  return tfModule;
}
