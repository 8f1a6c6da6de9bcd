import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from './helpers';

/**
 * What activation costs a window: load the bundle, run activate(). Measured in CPU time, which
 * other processes on a shared machine do not inflate; the wall clock is reported beside it.
 * The goal is 100 ms; measured here 113 ms (load 102 + activate 11) before the experiments table,
 * the ONNX model reader (protobufjs) and the Slurm start joined the host, 163 ms (152 + 11) after:
 * most of it V8 compiling the host bundle and zod building the kd.json schema. The test holds a
 * bound above that, so that a heavy import into the host (tfjs alone costs seconds) fails it, and
 * prints the number; getting back under the goal needs those features loaded on first use.
 */
const ACTIVATION_GOAL_MS = 100;
const ACTIVATION_BOUND_MS = 250;

interface Api {
  activationMs: number;
  activationCpuMs: number;
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

describe('activation cost', () => {
  it(`loads and activates within ${ACTIVATION_BOUND_MS} ms of CPU (goal ${ACTIVATION_GOAL_MS}), and never loads tfjs or the engine`, async function () {
    const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID)!;
    await waitFor(`${EXTENSION_ID} to activate`, () => ext.isActive, 30_000);
    const { activationMs, activationCpuMs } = ext.exports;
    assert.ok(Number.isFinite(activationMs) && activationMs > 0, `activate() reported ${activationMs} ms`);

    // The bundle's load time, as the host paid it: a fresh copy of the main module beside it
    // (same folder, so the host's `vscode` module resolves for it as for the original).
    const main = path.join(ext.extensionPath, ext.packageJSON.main as string);
    const copy = path.join(path.dirname(main), `load-time-probe-${process.pid}.js`);
    fs.copyFileSync(main, copy);
    let loadMs: number;
    let loadCpuMs: number;
    try {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      require(copy);
      loadCpuMs = cpuMs(c0);
      loadMs = performance.now() - t0;
    } finally {
      delete require.cache[copy];
      fs.rmSync(copy, { force: true });
    }
    const cpu = loadCpuMs + activationCpuMs;
    const wall = loadMs + activationMs;
    this.test!.title += ` (measured: load ${loadCpuMs.toFixed(0)} + activate ${activationCpuMs.toFixed(0)} = ${cpu.toFixed(0)} ms CPU; wall ${loadMs.toFixed(0)} + ${activationMs.toFixed(0)} = ${wall.toFixed(0)} ms)`;
    assert.ok(
      cpu <= ACTIVATION_BOUND_MS,
      `activation took ${cpu.toFixed(1)} ms of CPU (load ${loadCpuMs.toFixed(1)} + activate ${activationCpuMs.toFixed(1)})`,
    );

    const loaded = Object.keys(require.cache).filter((f) => /[\\/]@tensorflow[\\/]|[\\/]dist[\\/]engine\.js$/.test(f));
    assert.deepEqual(loaded, [], 'the extension host loaded tfjs or the engine');
  });
});
