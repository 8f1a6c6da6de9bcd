/**
 * Helpers for suites that drive the CLI as a user does: a tiny kd.json, written to a fresh
 * folder, and `distill` run as a child process. Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '../../../bin/distill.js');

export function tinyKd(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    data: { source: 'mnist', limit: 400 },
    teachers: [{ id: 'mlp-teacher', architecture: { preset: 'mlp', hidden: [64] }, training: { epochs: 2, batchSize: 50 } }],
    student: { architecture: { preset: 'mlp', hidden: [16] } },
    training: { epochs: 2, batchSize: 50 },
    evaluation: { latencySamples: 5, logitsSamples: 10 },
    backend: 'wasm',
    ...extra,
  };
}

export function writeKd(config: unknown, name = 'kd.json'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-cli-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

export function distill(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
