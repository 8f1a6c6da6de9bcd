/**
 * Property-based fault test: seeded mutations of a small kd.json, and corruptions of the IDX
 * and model files it names, through the real CLI (`distill validate`, then `distill run`).
 * Whatever the input, Distillery must answer: exit 0, 1 or 2 only; no JS stack trace on
 * stderr; no run folder after exit 2; and the run ends within a bound (a hang is killed and
 * fails). The cases are drawn once from a fixed seed (FUZZ_SEED to explore others) and each
 * is its own test, printed so that a failure can be replayed. Needs `npm run build`.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { encodeIdx } from '../../src/engine/data/idx';
import { saveLayersModel } from '../../src/engine/models/modelFiles';
import { loadTf } from '../../src/engine/tf';
import { DISTILLERY_DIR } from '../../src/protocol/runFolder';
import { distillBounded, STACK_LINE, type BoundedResult } from './helpers';

const SEED = Number(process.env.FUZZ_SEED ?? 13);
const KD_CASES = 25;
const FILE_CASES = 15;
const BOUND_MS = 60_000;
/** Engines at once: the machine has 2 cores, and most cases end at validation. */
const POOL = 3;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonPath = (string | number)[];

const BASE: Json = {
  name: 'fuzz',
  backend: 'wasm',
  seed: 1,
  data: { source: { train: { images: 'data/images.idx', labels: 'data/labels.idx' } }, validationSplit: 0.1, testSplit: 0.2 },
  teachers: [{ id: 't', model: 'teacher/model.json' }],
  student: { architecture: { preset: 'mlp', hidden: [4] } },
  distillation: { temperature: 4, alpha: 0.7 },
  training: { epochs: 1, batchSize: 16 },
  baseline: false,
  evaluation: { latencySamples: 1, logitsSamples: 0 },
};

/**
 * Values a mutation puts in: every JSON type, edge numbers, and pieces of real configs. Numbers
 * stay small enough that a config they make valid still trains in seconds (the bound is for
 * hangs, not for slow valid runs).
 */
/** A position as a fraction of a file's length, spread evenly (fc.double favours the edges: 1e-300, 0.9999…). */
const fraction = fc.integer({ min: 0, max: 999 }).map((k) => k / 1000);

const VALUES: Json[] = [
  -1,
  0,
  1,
  2,
  3,
  0.5,
  1.5,
  100,
  1e-9,
  '',
  'x',
  'mnist',
  'data/labels.idx',
  'teacher/model.json',
  '../..',
  null,
  true,
  false,
  [],
  [1],
  [0],
  {},
  { preset: 'mlp', hidden: [2] },
  { preset: 'cnn', filters: [2, 2, 2, 2] },
];
const KEYS = ['foo', 'epochs', 'preset', 'hidden', 'model', 'source', 'limit', 'unlabeled', 'save', 'architecture', 'filters', 'features'];
const CHARS = ['{', '}', '[', ']', ',', ':', '"', '\\', '/', '*', '0', '-', 'e', ' ', '\n'];

function pathsOf(v: Json, at: JsonPath = []): JsonPath[] {
  const here = at.length ? [at] : [];
  if (Array.isArray(v)) return [...here, ...v.flatMap((x, i) => pathsOf(x, [...at, i]))];
  if (v && typeof v === 'object') return [...here, ...Object.entries(v).flatMap(([k, x]) => pathsOf(x, [...at, k]))];
  return here;
}

/**
 * Edits a user makes, at the keys where the issue's fuzzers found trouble: tiny limits and
 * splits, batches around the sample count, CNNs deeper than 8×8 allows, layer pairs, a
 * teacher trained here, files of the wrong kind.
 */
const cnn = (blocks: number): Json => ({ preset: 'cnn', filters: Array(blocks).fill(2) });
const EDITS: [JsonPath, Json][] = [
  ...[1, 2, 3, 10].map((v): [JsonPath, Json] => [['data', 'limit'], v]),
  [['data'], { source: { train: { images: 'data/images.idx', labels: 'data/labels.idx' } }, limit: 1, testSplit: 0.5 }],
  [['data'], { source: { train: { images: 'data/images.idx', labels: 'data/labels.idx' } }, limit: 2, validationSplit: 0.5, testSplit: 0.5 }],
  [['data', 'testSplit'], 0.5],
  [['data', 'testSplit'], 0],
  [['data', 'validationSplit'], 0.5],
  [['data', 'validationSplit'], 0],
  ...[1, 46, 47, 64].map((v): [JsonPath, Json] => [['training', 'batchSize'], v]),
  ...[1, 3, 4, 5, 4, 6].map((k): [JsonPath, Json] => [['student', 'architecture'], cnn(k)]),
  [['teachers', 0], { id: 't', architecture: { preset: 'mlp', hidden: [4] }, training: { epochs: 1, batchSize: 8 } }],
  [['teachers', 0], { id: 't', architecture: cnn(4), training: { epochs: 1, batchSize: 8 } }],
  [['data', 'unlabeled'], 10],
  [['data', 'unlabeled'], 46],
  [['data', 'augment'], { shift: 2 }],
  [['distillation', 'features'], [{ teacherLayer: 'd', studentLayer: 'student_dense1' }]],
  [['distillation', 'attention'], [{ teacherLayer: 'd', studentLayer: 'student_dense1' }]],
  [['teachers', 0, 'model'], 'data/images.idx'],
  [['teachers', 0, 'model'], 'teacher/weights.bin'],
  [['data', 'source', 'train', 'images'], 'data/labels.idx'],
  [['data', 'source', 'test'], { images: 'data/images.idx', labels: 'data/labels.idx' }],
  [['data', 'unlabeledImages'], 'data/images.idx'],
  [['student'], { model: 'teacher/model.json' }],
  [['assistants'], [{ preset: 'mlp', hidden: [3] }]],
  [['outputs'], { box: { target: 'inkBox' } }],
  [['checkpoints'], { keep: 1 }],
  [['training', 'epochs'], 3],
  [['baseline'], true],
  [['backend'], 'cpu'],
  [['seed'], 2147483647],
];

type Op =
  | { kind: 'set'; pick: number; value: Json }
  | { kind: 'delete'; pick: number }
  | { kind: 'addKey'; pick: number; key: string; value: Json }
  | { kind: 'edit'; pick: number };

/** Applies `op` to a deep copy; `pick` chooses among the paths that exist now (modulo their count). */
function apply(v: Json, op: Op): Json {
  const copy = JSON.parse(JSON.stringify(v)) as Json;
  if (op.kind === 'edit') {
    const [at, value] = EDITS[op.pick % EDITS.length];
    let o = copy as Record<string | number, Json>;
    for (const k of at.slice(0, -1)) o = (o[k] && typeof o[k] === 'object' ? o[k] : (o[k] = {})) as Record<string | number, Json>;
    o[at[at.length - 1]] = JSON.parse(JSON.stringify(value));
    return copy;
  }
  const paths = pathsOf(copy);
  if (!paths.length) return copy;
  const at = paths[op.pick % paths.length];
  const parent = at.slice(0, -1).reduce<Json>((o, k) => (o as Record<string, Json>)[k], copy) as Record<string | number, Json> | Json[];
  const last = at[at.length - 1];
  if (op.kind === 'set') (parent as Record<string | number, Json>)[last] = op.value;
  else if (op.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete (parent as Record<string, Json>)[last];
  } else {
    const target = (parent as Record<string | number, Json>)[last];
    if (target && typeof target === 'object' && !Array.isArray(target)) target[op.key] = op.value;
  }
  return copy;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('edit' as const), pick: fc.nat() }) },
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: fc.constantFrom(...VALUES) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('addKey' as const), pick: fc.nat(), key: fc.constantFrom(...KEYS), value: fc.constantFrom(...VALUES) }),
);
/** Text damage after the JSON mutations: cut at a fraction of the text, or insert a character there. */
type TextOp = { kind: 'none' } | { kind: 'cut'; at: number } | { kind: 'insert'; at: number; char: string };
const textOpArb: fc.Arbitrary<TextOp> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fraction, char: fc.constantFrom(...CHARS) }) },
);
const kdCaseArb = fc.record({ ops: fc.array(opArb, { minLength: 1, maxLength: 4 }), text: textOpArb });

function kdText(c: { ops: Op[]; text: TextOp }): string {
  const text = JSON.stringify(c.ops.reduce(apply, BASE), null, 2);
  if (c.text.kind === 'none') return text;
  const at = Math.floor(c.text.at * text.length);
  return c.text.kind === 'cut' ? text.slice(0, at) : text.slice(0, at) + c.text.char + text.slice(at);
}

/** File corruptions: which file, and what happens to its bytes (or, for model.json, its JSON). */
type FileCase =
  | { file: 'images' | 'labels' | 'weights'; kind: 'truncate'; at: number }
  | { file: 'images' | 'labels' | 'weights'; kind: 'set'; at: number; header: boolean; bytes: number[] }
  | { file: 'images' | 'labels' | 'weights'; kind: 'append'; bytes: number[] }
  | { file: 'modelJson'; kind: 'json'; ops: Op[] }
  | { file: 'images' | 'labels' | 'weights' | 'modelJson'; kind: 'empty' }
  /** The images as a well-formed IDX of other dimensions (the same bytes where they fit), with a teacher trained here (the file teacher takes only 8×8). */
  | { file: 'images'; kind: 'reshape'; dims: number[]; trainTeacher: boolean; cnnStudent: boolean };
const binFile = fc.constantFrom('images' as const, 'labels' as const, 'weights' as const);
const fileCaseArb: fc.Arbitrary<FileCase> = fc.oneof(
  fc.record({ file: binFile, kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({
    file: binFile,
    kind: fc.constant('set' as const),
    at: fraction,
    header: fc.boolean(),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ file: binFile, kind: fc.constant('append' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  {
    weight: 2,
    arbitrary: fc.record({ file: fc.constant('modelJson' as const), kind: fc.constant('json' as const), ops: fc.array(opArb, { minLength: 1, maxLength: 2 }) }),
  },
  fc.record({ file: fc.constantFrom('images' as const, 'labels' as const, 'weights' as const, 'modelJson' as const), kind: fc.constant('empty' as const) }),
  {
    weight: 2,
    arbitrary: fc.record({
      file: fc.constant('images' as const),
      kind: fc.constant('reshape' as const),
      dims: fc.constantFrom('64 1 64', '64 64 1', '64 2 32', '64 1 1', '64 0 0', '64 8 8 1', '64 4 4 4', '64 8 8 0').map((d) => d.split(' ').map(Number)),
      trainTeacher: fc.constant(true),
      cnnStudent: fc.boolean(),
    }),
  },
);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-fuzz-'));
const fixtures = path.join(root, 'fixtures');
const FILES = { images: 'data/images.idx', labels: 'data/labels.idx', modelJson: 'teacher/model.json', weights: 'teacher/weights.bin' } as const;

/** 64 images of 8×8 in 4 classes, and a teacher file for them (8×8 → 4 logits). */
async function writeFixtures(): Promise<void> {
  fs.mkdirSync(path.join(fixtures, 'data'), { recursive: true });
  const n = 64;
  fs.writeFileSync(
    path.join(fixtures, FILES.images),
    encodeIdx(
      [n, 8, 8],
      Uint8Array.from({ length: n * 64 }, (_, i) => ((i * 37) ^ (i >> 6)) % 256),
    ),
  );
  fs.writeFileSync(
    path.join(fixtures, FILES.labels),
    encodeIdx(
      [n],
      Uint8Array.from({ length: n }, (_, i) => i % 4),
    ),
  );
  const tf = loadTf();
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [8, 8, 1], name: 'f' }), tf.layers.dense({ units: 4, name: 'd' })] });
  await saveLayersModel(model, path.join(fixtures, 'teacher'));
  model.dispose();
  if (previous) await tf.setBackend(previous);
}

let caseNo = 0;
/** A case folder: a copy of the fixtures, and the kd.json. */
function caseDir(kd: string): string {
  const dir = path.join(root, `case-${++caseNo}`);
  fs.cpSync(fixtures, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kd.json'), kd);
  return dir;
}

function corrupt(dir: string, c: FileCase): void {
  const file = path.join(dir, FILES[c.file]);
  if (c.kind === 'empty') return fs.writeFileSync(file, '');
  if (c.kind === 'reshape') {
    const pixels = fs.readFileSync(file).subarray(4 + 4 * 3);
    const count = c.dims.reduce((a, b) => a * b, 1);
    fs.writeFileSync(
      file,
      encodeIdx(
        c.dims,
        Uint8Array.from({ length: count }, (_, i) => pixels[i % pixels.length]),
      ),
    );
    const kd = JSON.parse(fs.readFileSync(path.join(dir, 'kd.json'), 'utf8'));
    if (c.trainTeacher) kd.teachers = [{ id: 't', architecture: { preset: 'mlp', hidden: [4] }, training: { epochs: 1, batchSize: 8 } }];
    if (c.cnnStudent) kd.student = { architecture: cnn(2) };
    return fs.writeFileSync(path.join(dir, 'kd.json'), JSON.stringify(kd, null, 2));
  }
  if (c.kind === 'json') return fs.writeFileSync(file, JSON.stringify(c.ops.reduce(apply, JSON.parse(fs.readFileSync(file, 'utf8')) as Json)));
  const bytes = fs.readFileSync(file);
  if (c.kind === 'truncate') return fs.writeFileSync(file, bytes.subarray(0, Math.floor(c.at * bytes.length)));
  if (c.kind === 'append') return fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from(c.bytes)]));
  // Headers are where a byte changes meaning most (magic, type, rank, dimensions): hit them half the time.
  const span = c.header && c.file !== 'weights' ? Math.min(bytes.length, 4 + 4 * 4) : bytes.length;
  const at = Math.floor(c.at * span);
  c.bytes.forEach((b, i) => at + i < bytes.length && (bytes[at + i] = b));
  fs.writeFileSync(file, bytes);
}

interface Outcome {
  dir: string;
  validate: BoundedResult;
  run: BoundedResult;
}

function assertAnswered(o: Outcome): void {
  const { validate: v, run: r } = o;
  assert.ok(!v.timedOut, `distill validate hung (killed after ${BOUND_MS} ms)`);
  assert.ok(v.code === 0 || v.code === 2, `distill validate exited ${v.code}:\n${v.stderr}`);
  assert.doesNotMatch(v.stderr, STACK_LINE, 'a stack trace from distill validate');
  assert.ok(!r.timedOut, `distill run hung (killed after ${BOUND_MS} ms); stderr:\n${r.stderr}`);
  assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `distill run exited ${r.code}:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, STACK_LINE, `a stack trace from distill run:\n${r.stderr}`);
  if (r.code === 2) {
    const runs = path.join(o.dir, DISTILLERY_DIR, 'runs');
    assert.deepEqual(fs.existsSync(runs) ? fs.readdirSync(runs) : [], [], `exit 2 left a run folder:\n${r.stderr}`);
  }
}

const running: Promise<unknown>[] = [];
/** At most POOL cases at once; each case is validate, then run, in its folder. */
async function pooled(dir: string): Promise<Outcome> {
  while (running.length >= POOL) await Promise.race(running);
  const kd = path.join(dir, 'kd.json');
  const job = (async () => ({ dir, validate: await distillBounded(['validate', kd], BOUND_MS), run: await distillBounded(['run', kd], BOUND_MS) }))();
  const tracked = job.finally(() => running.splice(running.indexOf(tracked), 1));
  running.push(tracked);
  return job;
}

describe(`faults: fuzzing kd.json and its files through the CLI (fast-check, seed ${SEED})`, function () {
  this.timeout(5 * BOUND_MS);
  const kdCases = fc.sample(kdCaseArb, { seed: SEED, numRuns: KD_CASES });
  const fileCases = fc.sample(fileCaseArb, { seed: SEED + 1, numRuns: FILE_CASES });
  const outcomes = new Map<string, Promise<Outcome>>();
  const name = (kind: string, i: number, c: unknown) => `${kind} ${i + 1}: ${JSON.stringify(c)}`;

  before(async () => {
    await writeFixtures();
    // Every case starts now, POOL at a time; each test awaits its own.
    kdCases.forEach((c, i) => outcomes.set(name('kd.json', i, c), (async () => pooled(caseDir(kdText(c))))()));
    fileCases.forEach((c, i) =>
      outcomes.set(
        name('file', i, c),
        (async () => {
          const dir = caseDir(JSON.stringify(BASE, null, 2));
          corrupt(dir, c);
          return pooled(dir);
        })(),
      ),
    );
  });
  after(async () => {
    await Promise.allSettled(outcomes.values());
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the unmutated base config runs to the end (exit 0): the mutations start from a config that works', async () => {
    const o = await pooled(caseDir(JSON.stringify(BASE, null, 2)));
    assert.equal(o.validate.code, 0, o.validate.stderr);
    assert.equal(o.run.code, 0, o.run.stderr);
  });
  after(async () => {
    // What the cases exercised, for whoever tunes the generators: how many ended at each exit code.
    const codes = (await Promise.allSettled(outcomes.values())).map((r) =>
      r.status === 'fulfilled' ? `validate ${r.value.validate.code}, run ${r.value.run.code}` : 'error',
    );
    const tally = new Map<string, number>();
    for (const c of codes) tally.set(c, (tally.get(c) ?? 0) + 1);
    console.log(`      exit codes: ${[...tally].map(([c, n]) => `${c}: ${n}`).join('; ')}`);
  });
  kdCases.forEach((c, i) => it(name('kd.json', i, c), async () => assertAnswered(await outcomes.get(name('kd.json', i, c))!)));
  fileCases.forEach((c, i) => it(name('file', i, c), async () => assertAnswered(await outcomes.get(name('file', i, c))!)));
});
