/**
 * The ceiling under the teacher-from-scratch ratio: GFLOP/s of the kernels the CNN teacher
 * conv32-conv64-dense256 spends its step in, on its own shapes at batch 128, on tfjs wasm as the
 * engine runs it (XNNPACK's SIMD128 kernels, and the relaxed-SIMD FMA GEMM for the plain products
 * where V8 has it: simd/fmaGemm.ts; one thread) and in PyTorch (one thread), timed back to back
 * in one process each.
 * Convolutions are counted as 2·N·H·W·Cout·kh·kw·Cin FLOPs, matmuls as 2·M·K·N.
 *
 *   npx tsx scripts/bench/ceiling.ts [--python /usr/bin/python3]   prints one JSON line
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/engine/backend/select';
import { runProcess, torchEnv } from './common';

/** [name, kind, shapes]: conv [N, H, W, Cin, Cout] ('same' 3×3), matmul [M, K, N]. */
export const CEILING_SHAPES: [string, 'conv' | 'convgrad' | 'matmul', number[]][] = [
  ['conv2 forward 14×14×32→64', 'conv', [128, 14, 14, 32, 64]],
  // Forward plus both gradients (input and filter), counted as 3× the forward's FLOPs: a training step's conv2.
  ['conv2 forward+backward 14×14×32→64', 'convgrad', [128, 14, 14, 32, 64]],
  ['conv1 forward 28×28×1→32', 'conv', [128, 28, 28, 1, 32]],
  ['dense 3136→256 forward', 'matmul', [128, 3136, 256]],
  ['dense 3136→256 weight grad', 'matmul', [3136, 128, 256]],
  ['square 1024 matmul', 'matmul', [1024, 1024, 1024]],
];

const flops = (kind: string, s: number[]) =>
  kind === 'matmul' ? 2 * s[0] * s[1] * s[2] : (kind === 'convgrad' ? 3 : 1) * 2 * s[0] * s[1] * s[2] * s[4] * 9 * s[3];

function timeIt(f: () => tf.Tensor, reps: number): number {
  f().dispose(); // warm-up: kernels compiled, weights packed
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f().dispose();
  return (performance.now() - t0) / 1000 / reps;
}

function tfjsGflops(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, kind, s] of CEILING_SHAPES) {
    const seconds =
      kind === 'convgrad'
        ? tf.tidy(() => {
            const x = tf.randomNormal([s[0], s[1], s[2], s[3]]) as tf.Tensor4D;
            const w = tf.randomNormal([3, 3, s[3], s[4]]) as tf.Tensor4D;
            const dy = tf.randomNormal([s[0], s[1], s[2], s[4]]) as tf.Tensor4D;
            // The engine's registered Conv2D gradients (selectBackend), as trainStage runs them.
            const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'));
            return timeIt(() => {
              const [gx, gw] = g([x, w], dy);
              gx.dispose();
              return gw;
            }, 5);
          })
        : kind === 'conv'
          ? tf.tidy(() => {
              const x = tf.randomNormal([s[0], s[1], s[2], s[3]]) as tf.Tensor4D;
              const w = tf.randomNormal([3, 3, s[3], s[4]]) as tf.Tensor4D;
              return timeIt(() => tf.conv2d(x, w, 1, 'same'), 5);
            })
          : tf.tidy(() => {
              const a = tf.randomNormal([s[0], s[1]]) as tf.Tensor2D;
              const b = tf.randomNormal([s[1], s[2]]) as tf.Tensor2D;
              return timeIt(() => tf.matMul(a, b), 5);
            });
    out[name] = +(flops(kind, s) / seconds / 1e9).toFixed(1);
  }
  return out;
}

const TORCH = `
import json, sys, time, torch
import torch.nn.functional as F
torch.set_num_threads(1)
out = {}
for name, kind, s in json.loads(sys.argv[1]):
    if kind == 'convgrad':
        x = torch.randn(s[0], s[3], s[1], s[2], requires_grad=True)
        w = torch.randn(s[4], s[3], 3, 3, requires_grad=True)
        dy = torch.randn(s[0], s[4], s[1], s[2])
        f = lambda: torch.autograd.grad(F.conv2d(x, w, padding=1), (x, w), dy)
        fl = 3 * 2 * s[0] * s[1] * s[2] * s[4] * 9 * s[3]
    elif kind == 'conv':
        x, w = torch.randn(s[0], s[3], s[1], s[2]), torch.randn(s[4], s[3], 3, 3)
        f = lambda: F.conv2d(x, w, padding=1)
        fl = 2 * s[0] * s[1] * s[2] * s[4] * 9 * s[3]
    else:
        a, b = torch.randn(s[0], s[1]), torch.randn(s[1], s[2])
        f = lambda: a @ b
        fl = 2 * s[0] * s[1] * s[2]
    f()
    t0 = time.perf_counter()
    for _ in range(5):
        f()
    out[name] = round(fl / ((time.perf_counter() - t0) / 5) / 1e9, 1)
print(json.dumps(out))
`;

export async function ceiling(python: string | undefined): Promise<Record<string, { wasm: number; torch?: number }>> {
  const r = await runProcess(process.execPath, ['--import', 'tsx', __filename, '--tfjs-only']);
  if (r.code !== 0) throw new Error(`ceiling.ts failed:\n${r.stderr.slice(-2000)}`);
  const wasm = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
  let torch: Record<string, number> = {};
  if (python) {
    const t = await runProcess(python, ['-c', TORCH, JSON.stringify(CEILING_SHAPES)], { env: torchEnv() });
    if (t.code !== 0) throw new Error(`the PyTorch GFLOP/s script failed:\n${t.stderr.slice(-2000)}`);
    torch = JSON.parse(t.stdout.trim().split('\n').pop()!) as Record<string, number>;
  }
  return Object.fromEntries(CEILING_SHAPES.map(([name]) => [name, { wasm: wasm[name], ...(python ? { torch: torch[name] } : {}) }]));
}

if (require.main === module) {
  const main = async () => {
    if (process.argv.includes('--tfjs-only')) {
      await selectBackend(tf, 'wasm');
      tf.enableProdMode();
      process.stdout.write(JSON.stringify(tfjsGflops()) + '\n');
      return;
    }
    const i = process.argv.indexOf('--python');
    process.stdout.write(JSON.stringify(await ceiling(i > 0 ? process.argv[i + 1] : '/usr/bin/python3')) + '\n');
  };
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
