/**
 * `distill doctor`: what this Node gives the engine. The backends in the order "auto" tries them
 * (each started once, as a run would), the optional native packages, and the WebAssembly features
 * the wasm backend can use; for anything missing, why and what to install. Packages are looked up
 * from the engine's own folder, as the engine will.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probeBackends } from '../engine/backend/select';
import { loadTf } from '../engine/tf';
import { fmaAvailable, fmaGemmOn } from '../engine/backend/simd/fmaGemm';

const OPTIONAL_PACKAGES = [
  { name: 'onnxruntime-node', for: 'ONNX teachers' },
  { name: 'sharp', for: 'image-folder data' },
];

// Minimal modules that only validate where the feature is there (assembled with wabt from
// `i8x16.popcnt` and `i8x16.relaxed_swizzle` on splatted zeros).
const SIMD_MODULE = '0061736d010000000105016000017b030201000a0a0108004100fd0ffd620b';
const RELAXED_SIMD_MODULE = '0061736d010000000105016000017b030201000a0f010d004100fd0f4100fd0ffd80020b';

export interface Finding {
  name: string;
  ok: boolean;
  detail: string;
}

export function wasmFeatures(): Finding[] {
  const validates = (hex: string) => WebAssembly.validate(Buffer.from(hex, 'hex'));
  let threads: string | undefined;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    if (typeof Atomics === 'undefined') threads = 'no Atomics';
  } catch (e) {
    threads = `no shared WebAssembly memory (${(e as Error).message})`;
  }
  const simd = validates(SIMD_MODULE);
  const relaxed = validates(RELAXED_SIMD_MODULE);
  return [
    {
      name: 'SIMD',
      ok: simd,
      detail: simd
        ? 'the wasm backend runs its SIMD build'
        : `not in this Node's V8 (${process.version}): the wasm backend falls back to its slower plain build`,
    },
    {
      name: 'threads',
      ok: !threads,
      detail:
        threads ??
        'available, but unused: the threaded wasm build needs a blob: worker that Node refuses, so the engine runs one thread (sweeps run trials in parallel instead)',
    },
    relaxedSimd(relaxed),
  ];
}

/** Relaxed SIMD as the engine sees it: `native` is whether V8 validated it before the engine set its flag. */
function relaxedSimd(native: boolean): Finding {
  // fmaAvailable sets --experimental-wasm-relaxed-simd where this Node needs it, as the engine does.
  const available = fmaAvailable();
  const how = native ? 'available' : `behind --experimental-wasm-relaxed-simd in this Node's V8 (${process.version}), which the engine sets`;
  if (!available)
    return {
      name: 'relaxed SIMD',
      ok: false,
      detail: `not in this Node's V8 (${process.version}): dense products run on XNNPACK's SIMD128 kernels, about half as fast`,
    };
  if (!fmaGemmOn()) return { name: 'relaxed SIMD', ok: false, detail: `${how}, but DISTILLERY_FMA=0: dense products run on XNNPACK's SIMD128 kernels` };
  return { name: 'relaxed SIMD', ok: true, detail: `${how}: dense products run on the engine's fused multiply-add GEMM` };
}

/** The folder of the installed package whose entry is `main` (some packages export no ./package.json). */
function packageDirOf(main: string, name: string): string {
  const marker = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`;
  const at = main.lastIndexOf(marker);
  return at < 0 ? path.dirname(main) : main.slice(0, at + marker.length - 1);
}

export function optionalPackages(fromDir: string): Finding[] {
  return OPTIONAL_PACKAGES.map((p) => {
    try {
      const main = require.resolve(p.name, { paths: [fromDir] });
      const dir = packageDirOf(main, p.name);
      const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
      require(main);
      return { name: p.name, ok: true, detail: `${version} (${dir}), for ${p.for}` };
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      const missing = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
      return {
        name: p.name,
        ok: false,
        detail: missing ? `not installed: ${p.for} need it (npm install ${p.name}, next to distill)` : `installed but does not load (${msg}); ${p.for} need it`,
      };
    }
  });
}

export async function backends(): Promise<Finding[]> {
  const found = await probeBackends(loadTf());
  return found.map((b) => ({
    name: b.name,
    ok: !b.why,
    detail: b.why
      ? `${b.why}${b.package ? ` — for it: npm install ${b.package} where distill is installed (the same node_modules, so both use one tfjs)` : ''}`
      : b.package
        ? `${b.package}`
        : 'built in',
  }));
}

function section(title: string, findings: Finding[]): string {
  const width = Math.max(...findings.map((f) => f.name.length));
  return [title, ...findings.map((f) => `  ${f.ok ? '✓' : '✗'} ${f.name.padEnd(width)}  ${f.detail}`)].join('\n');
}

export async function doctorCli(version: string, engineDir: string, opts: { json?: boolean }): Promise<number> {
  const report = {
    distill: version,
    node: `${process.version} (${process.platform}-${process.arch})`,
    backends: await backends(),
    optionalPackages: optionalPackages(engineDir),
    wasmFeatures: wasmFeatures(),
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const auto = report.backends.find((b) => b.ok)?.name ?? 'none';
    process.stdout.write(
      [
        `distill ${report.distill} on Node ${report.node}`,
        section(`Backends, in the order "auto" tries them (auto picks: ${auto})`, report.backends),
        section('Optional packages', report.optionalPackages),
        section('WebAssembly features', report.wasmFeatures),
      ].join('\n\n') + '\n',
    );
  }
  return report.backends.some((b) => b.ok) ? 0 : 1;
}
