/**
 * Run folders compared file by file, byte for byte, apart from what differs between any two
 * runs of the same config: times, durations, speeds, latencies, process ids, the threads a
 * run was given (a sweep's lane or a Slurm task's allocation) and the folder's own path. A teacher saved as a model file, for runs that load one.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { saveLayersModel } from '../../../src/engine/models/modelFiles';
import { buildPreset } from '../../../src/engine/models/presets';
import { ArchitectureSpec } from '../../../src/protocol/config';
import { wasmTf } from '../engine/helpers';

/** A CNN teacher (its 16→16 convolution takes the Winograd path at inference) with seeded weights, saved in `dir`. */
export async function saveTeacher(dir: string, seed: number): Promise<void> {
  const tf = await wasmTf();
  const model = buildPreset(tf, ArchitectureSpec.parse({ preset: 'cnn', filters: [16, 16], dense: [32] }), [28, 28, 1], 10, seed, 'teacher');
  await saveLayersModel(model, dir);
  model.dispose();
}

function filesUnder(dir: string, rel = ''): string[] {
  return fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]))
    .sort();
}

const TIMING_KEYS = new Set([
  'time',
  'startedAt',
  'endedAt',
  'durationSec',
  'seconds',
  'samplesPerSec',
  'latencyMs',
  'latency',
  'pid',
  'eventsBytes',
  'threads',
]);

/** A JSON value without its timing fields, with `dir` written as <run> (and `outer`, a folder around it, as <outer>), and durations in log lines as N. */
function normalise(value: unknown, dir: string, outer?: string): unknown {
  if (typeof value === 'string') {
    const inRun = value.split(dir).join('<run>');
    return (outer ? inRun.split(outer).join('<outer>') : inRun).replace(/\d+(\.\d+)? s\b/g, 'N s').replace(/threads: \d+/g, 'threads: N');
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v, dir, outer));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !TIMING_KEYS.has(k))
        .map(([k, v]) => [k, normalise(v, dir, outer)]),
    );
  }
  return value;
}

/**
 * Asserts that two run folders hold the same files with the same bytes, timings aside;
 * `outer`: the folders around them (two sweep folders), whose paths the events may name.
 */
export function assertSameRunFolders(a: string, b: string, outer?: [string, string]): void {
  const files = filesUnder(a);
  assert.deepEqual(filesUnder(b), files, 'the same files');
  assert.ok(files.includes('summary.json') && files.some((f) => f.endsWith('optimizer.bin')), `a whole run folder: ${files.join(', ')}`);
  for (const f of files) {
    if (f === 'heartbeat.json') continue;
    const [x, y] = [fs.readFileSync(path.join(a, f)), fs.readFileSync(path.join(b, f))];
    if (f === 'events.jsonl') {
      const lines = (buf: Buffer, dir: string) =>
        buf
          .toString('utf8')
          .trim()
          .split('\n')
          .map((l) => normalise(JSON.parse(l), dir, dir === a ? outer?.[0] : outer?.[1]));
      assert.deepEqual(lines(y, b), lines(x, a), f);
    } else if (f === 'summary.json' || f.endsWith('state.json') || (outer && f === 'config.json')) {
      // config.json names the derived kd.json it was read from, which lies in the sweep folder (outer).
      assert.deepEqual(normalise(JSON.parse(y.toString('utf8')), b, outer?.[1]), normalise(JSON.parse(x.toString('utf8')), a, outer?.[0]), f);
    } else {
      assert.ok(x.equals(y), `${f} differs`);
    }
  }
}
