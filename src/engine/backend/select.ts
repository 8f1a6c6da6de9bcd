/**
 * Choosing the tfjs backend. Preference: the native TensorFlow bindings (GPU, then CPU) when
 * their optional packages installed, then wasm (SIMD, one thread), then tfjs's pure-JS cpu
 * backend as the last resort. Which one ran is recorded in every run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import type { BackendName } from '../../protocol/config';

export type ConcreteBackend = Exclude<BackendName, 'auto'>;

export class BackendUnavailableError extends Error {}

const NATIVE_PACKAGES: Partial<Record<ConcreteBackend, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

async function tryBackend(tf: typeof tfTypes, name: ConcreteBackend): Promise<string | undefined> {
  try {
    const pkg = NATIVE_PACKAGES[name];
    if (pkg) {
      // The native package registers the 'tensorflow' backend with tfjs's engine, which every
      // tfjs-core copy in a process shares (a global), so even a global install's own tfjs serves.
      require(resolveNativePackage(pkg));
      return (await tf.setBackend('tensorflow')) ? undefined : `${pkg} loaded but its backend did not initialise`;
    }
    if (name === 'wasm') {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      const dist = wasmBinariesDir() + path.sep;
      // Only the single-threaded SIMD build: the threaded one needs a blob: worker that Node refuses.
      wasm.setWasmPaths({
        'tfjs-backend-wasm.wasm': dist + 'tfjs-backend-wasm.wasm',
        'tfjs-backend-wasm-simd.wasm': dist + 'tfjs-backend-wasm-simd.wasm',
        'tfjs-backend-wasm-threaded-simd.wasm': dist + 'tfjs-backend-wasm-simd.wasm',
      });
      if (!(await tf.setBackend('wasm'))) return 'the wasm backend did not initialise';
      await installWasmKernels(tf);
      return undefined;
    }
    return (await tf.setBackend('cpu')) ? undefined : 'the cpu backend did not initialise';
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    return NATIVE_PACKAGES[name] ? `${NATIVE_PACKAGES[name]} is not installed or cannot load (${msg})` : msg;
  }
}

/**
 * Where a native tfjs package is: beside the engine (the CLI's node_modules) or on NODE_PATH, else
 * among the global packages of the Node running the engine (`npm install -g` with that Node). The
 * .vsix ships no node_modules, so the latter is how the extension finds one: with
 * `distillery.nodePath` naming that Node.
 */
export function resolveNativePackage(pkg: string, execPath = process.execPath): string {
  try {
    return require.resolve(pkg);
  } catch {
    const bin = path.dirname(execPath);
    const globalRoot = process.platform === 'win32' ? bin : path.join(bin, '..', 'lib');
    return require.resolve(pkg, { paths: [globalRoot] });
  }
}

/**
 * Where the wasm backend's binaries are: beside a self-contained engine bundle (the .vsix, whose
 * build copies them there and bundles tfjs), else in the installed @tensorflow/tfjs-backend-wasm.
 */
export function wasmBinariesDir(engineDir: string = __dirname): string {
  if (fs.existsSync(path.join(engineDir, 'tfjs-backend-wasm-simd.wasm'))) return engineDir;
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/** Supplies wasm's missing and slow training kernels. A plain require: a gradient thread loads this file through tsx's require hook (parallel/), which does not cover import(). */
async function installWasmKernels(tf: typeof tfTypes): Promise<void> {
  (require('./wasmGradients') as typeof import('./wasmGradients')).installWasmTrainingKernels(tf);
}

/** Every backend in "auto"'s order, each started once: which work here and why the others do not (`distill doctor`). */
export async function probeBackends(tf: typeof tfTypes): Promise<{ name: ConcreteBackend; package?: string; why?: string }[]> {
  const found = [];
  for (const name of AUTO_ORDER) found.push({ name, package: NATIVE_PACKAGES[name], why: await tryBackend(tf, name) });
  return found;
}

export const AUTO_ORDER: ConcreteBackend[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * Sets the requested backend, or the first that works for "auto". Returns the name that
 * runs, and what was tried and why it was skipped (for the run log).
 */
export async function selectBackend(tf: typeof tfTypes, requested: BackendName): Promise<{ name: ConcreteBackend; skipped: string[] }> {
  const skipped: string[] = [];
  if (requested !== 'auto') {
    const why = await tryBackend(tf, requested);
    if (why) throw new BackendUnavailableError(`backend "${requested}" is not available: ${why}`);
    await tf.ready();
    return { name: requested, skipped };
  }
  for (const name of AUTO_ORDER) {
    const why = await tryBackend(tf, name);
    if (!why) {
      await tf.ready();
      return { name, skipped };
    }
    skipped.push(`${name}: ${why}`);
  }
  throw new BackendUnavailableError(`no tfjs backend could start:\n${skipped.join('\n')}`);
}

/** The kernel a failed op needed, from tfjs's "Kernel 'X' not registered for backend 'Y'" message. */
export function missingKernelOf(error: unknown): string | undefined {
  const m = /Kernel '([^']+)' not registered for backend '([^']+)'/.exec(String((error as Error)?.message ?? error));
  return m?.[1];
}
