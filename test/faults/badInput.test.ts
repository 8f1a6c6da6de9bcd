/**
 * Bad input, table-driven, through the real CLI (`distill run`): every case must exit 2 with a
 * message naming its JSON path (and the file, for broken model and data files), and no run
 * folder may appear. Schema cases are caught by the CLI before any engine starts (~0.3 s
 * each); the engine-side cases (data, models, layers) start the engine, which must refuse
 * them before it creates the run folder.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdx } from '../../src/engine/data/idx';
import { saveLayersModel } from '../../src/engine/models/modelFiles';
import { loadTf } from '../../src/engine/tf';
import { formatIssue, formatPath, loadConfigText } from '../../src/protocol/loadConfig';
import { DISTILLERY_DIR } from '../../src/protocol/runFolder';
import { CLI } from './helpers';

type Json = Record<string, unknown>;

/** A fixture folder shared by the engine-side cases: IDX files and model files. */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-badinput-'));
const fx = (name: string) => path.join(root, 'fixtures', name);

function idxImages(n: number, h = 28, w = 28): Buffer {
  return encodeIdx(
    [n, h, w],
    Uint8Array.from({ length: n * h * w }, (_, i) => (i * 37) % 256),
  );
}
function idxLabels(n: number, max = 9): Buffer {
  return encodeIdx(
    [n],
    Uint8Array.from({ length: n }, (_, i) => (i * 7) % (max + 1)),
  );
}

async function writeFixtures(): Promise<void> {
  fs.mkdirSync(fx(''), { recursive: true });
  const put = (name: string, data: Buffer) => fs.writeFileSync(fx(name), data);
  put('imgs', idxImages(60));
  put('labs', idxLabels(60));
  put('labs-12', idxLabels(60, 12));
  put('imgs-0', idxImages(0));
  put('labs-0', idxLabels(0));
  put('imgs-8x8', idxImages(60, 8, 8));
  put('labs-59', idxLabels(59));
  const badMagic = idxImages(60);
  badMagic[0] = 0x42;
  put('imgs-badmagic', badMagic);
  put('imgs-short', idxImages(60).subarray(0, 5000));
  const gz = zlib.gzipSync(idxImages(60));
  put('imgs-corrupt.gz', gz.subarray(0, gz.length - 20));
  put('not-idx.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8]));

  // A 28×28 → 10 model file, and broken copies of it.
  const tf = loadTf();
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1], name: 'f' }), tf.layers.dense({ units: 10, name: 'd' })] });
  await saveLayersModel(model, fx('m10'));
  model.dispose();
  if (previous) await tf.setBackend(previous);
  const modelJson = JSON.parse(fs.readFileSync(fx('m10/model.json'), 'utf8'));
  const weights = fs.readFileSync(fx('m10/weights.bin'));
  const variant = (name: string, mutate: (j: Json) => void, w: Buffer = weights) => {
    fs.mkdirSync(fx(name), { recursive: true });
    const j = JSON.parse(JSON.stringify(modelJson));
    mutate(j);
    fs.writeFileSync(fx(`${name}/model.json`), JSON.stringify(j));
    fs.writeFileSync(fx(`${name}/weights.bin`), w);
  };
  variant('m-truncated', () => undefined, weights.subarray(0, weights.length - 100));
  variant('m-specsize', (j) => {
    (j.weightsManifest as { weights: { shape: number[] }[] }[])[0].weights[0].shape = [784, 11];
  });
  variant('m-dotdot', (j) => {
    (j.weightsManifest as { paths: string[] }[])[0].paths = ['../m10/weights.bin'];
  });
  variant('m-abs', (j) => {
    (j.weightsManifest as { paths: string[] }[])[0].paths = [fx('m10/weights.bin')];
  });
  variant('m-url', (j) => {
    (j.weightsManifest as { paths: string[] }[])[0].paths = [`file://${fx('m10/weights.bin')}`];
  });
  variant('m-notopology', (j) => {
    delete j.modelTopology;
  });
  fs.mkdirSync(fx('m-garbage'));
  fs.writeFileSync(fx('m-garbage/model.json'), '{"modelTopology": ');
}

function idxData(images: string, labels: string): Json {
  return { source: { train: { images: `../fixtures/${images}`, labels: `../fixtures/${labels}` } }, normalize: 'unit' };
}

/** A kd.json the engine would run: IDX data, a model-file teacher, a small student. */
function engineKd(extra: Json = {}): Json {
  return {
    name: 'bad',
    backend: 'cpu',
    data: idxData('imgs', 'labs'),
    teachers: [{ id: 't', model: '../fixtures/m10/model.json' }],
    student: { architecture: { preset: 'mlp', hidden: [8] } },
    training: { epochs: 1, batchSize: 10 },
    baseline: false,
    evaluation: { latencySamples: 1, logitsSamples: 0 },
    ...extra,
  };
}

/** A schema-valid base for the schema cases (they never reach the engine). */
function schemaKd(extra: Json = {}): Json {
  return {
    name: 'bad',
    teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [32] } }],
    student: { architecture: { preset: 'mlp', hidden: [8] } },
    ...extra,
  };
}

let caseNo = 0;
function writeCase(config: unknown): string {
  const dir = path.join(root, `case-${++caseNo}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, 'kd.json');
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

function distillRun(kd: string, extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'run', kd, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

type Case = [what: string, config: unknown, patterns: RegExp[]];

const schemaCases: Case[] = [
  ['an unknown method (a key the schema does not have)', schemaKd({ method: 'fitnets' }), [/kd\.json:\d+:3: method: unknown key "method"/]],
  ['an unknown ensemble method', schemaKd({ distillation: { ensemble: 'median' } }), [/distillation\.ensemble: .*expected one of/]],
  ['an unknown key inside a block', schemaKd({ training: { lr: 0.1 } }), [/training\.lr: unknown key "lr"/]],
  ['a wrong type (seed as a string)', schemaKd({ seed: 'x' }), [/seed: .*expected number/]],
  ['teachers that is not an array', schemaKd({ teachers: { id: 't' } }), [/teachers: .*expected array/]],
  ['no teachers', schemaKd({ teachers: [] }), [/teachers: .*>=1/]],
  ['a missing student', { name: 'bad', teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [4] } }] }, [/student: /]],
  ['a wrong backend', schemaKd({ backend: 'tpu' }), [/backend: .*expected one of/]],
  ['a wrong normalisation', schemaKd({ data: { normalize: 'minmax' } }), [/data\.normalize: .*expected one of/]],
  ['an unknown data source', schemaKd({ data: { source: 'cifar' } }), [/data\.source: /]],
  ['a negative validation split', schemaKd({ data: { validationSplit: -0.1 } }), [/data\.validationSplit: must be ≥ 0/]],
  ['a test split over one half', schemaKd({ data: { testSplit: 0.9 } }), [/data\.testSplit: must be ≤ 0\.5/]],
  ['a zero limit', schemaKd({ data: { limit: 0 } }), [/data\.limit: must be > 0/]],
  ['a shift augmentation too large', schemaKd({ data: { augment: { shift: 20 } } }), [/data\.augment\.shift: must be ≤ 8/]],
  ['zero epochs', schemaKd({ training: { epochs: 0 } }), [/training\.epochs: must be > 0/]],
  ['a zero batch size', schemaKd({ training: { batchSize: 0 } }), [/training\.batchSize: must be > 0/]],
  ['a fractional batch size', schemaKd({ training: { batchSize: 1.5 } }), [/training\.batchSize: .*expected int/]],
  ['a negative learning rate', schemaKd({ training: { optimizer: { learningRate: -1 } } }), [/training\.optimizer\.learningRate: must be > 0/]],
  ['an unknown optimizer', schemaKd({ training: { optimizer: { type: 'rmsprop' } } }), [/training\.optimizer\.type: .*expected one of/]],
  ['an unknown schedule', schemaKd({ training: { schedule: { type: 'exp' } } }), [/training\.schedule\.type: .*expected one of/]],
  ['T = 0', schemaKd({ distillation: { temperature: 0 } }), [/distillation\.temperature: must be > 0/]],
  ['α above 1', schemaKd({ distillation: { alpha: 1.5 } }), [/distillation\.alpha: must be ≤ 1/]],
  [
    'duplicate teacher ids',
    schemaKd({
      teachers: [
        { id: 't', architecture: { preset: 'mlp', hidden: [4] } },
        { id: 't', architecture: { preset: 'mlp', hidden: [8] } },
      ],
    }),
    [/teachers\[1\]\.id: duplicate teacher id "t" \(also teachers\[0\]\)/],
  ],
  [
    'a teacher id with spaces',
    schemaKd({ teachers: [{ id: 'my teacher', architecture: { preset: 'mlp', hidden: [4] } }] }),
    [/teachers\[0\]\.id: letters, digits/],
  ],
  [
    'a teacher with both a model file and an architecture',
    schemaKd({ teachers: [{ id: 't', model: 'm/model.json', architecture: { preset: 'mlp', hidden: [4] } }] }),
    [/teachers\[0\]\.\w+: unknown key/],
  ],
  [
    'an unknown preset',
    schemaKd({ student: { architecture: { preset: 'transformer', hidden: [4] } } }),
    [/student\.architecture\.preset: unknown preset: expected one of mlp, cnn, resnet, mobilenet/],
  ],
  ['an MLP without hidden layers', schemaKd({ student: { architecture: { preset: 'mlp', hidden: [] } } }), [/student\.architecture\.hidden: .*>=1/]],
  [
    'a CNN kernel too large',
    schemaKd({ student: { architecture: { preset: 'cnn', filters: [4], kernelSize: 9 } } }),
    [/student\.architecture\.kernelSize: must be ≤ 7/],
  ],
  [
    'a feature pair naming an unknown teacher',
    schemaKd({ distillation: { features: [{ teacher: 'nobody', teacherLayer: 'a', studentLayer: 'b' }] } }),
    [/distillation\.features\[0\]\.teacher: no teacher with id "nobody"/],
  ],
  [
    'a weighted ensemble without weights',
    schemaKd({ distillation: { ensemble: 'weighted' } }),
    [/distillation\.teacherWeights: ensemble "weighted" needs teacherWeights/],
  ],
  [
    'teacher weights of the wrong count',
    schemaKd({ distillation: { ensemble: 'weighted', teacherWeights: [1, 2] } }),
    [/distillation\.teacherWeights: 2 weights for 1 teachers/],
  ],
  [
    'teacher weights all zero',
    schemaKd({ distillation: { ensemble: 'weighted', teacherWeights: [0] } }),
    [/distillation\.teacherWeights: at least one weight must be > 0/],
  ],
  [
    'assistants combined with feature pairs',
    schemaKd({ assistants: [{ preset: 'mlp', hidden: [16] }], distillation: { features: [{ teacherLayer: 'a', studentLayer: 'b' }] } }),
    [/assistants: progressive distillation .* cannot be combined/],
  ],
  ['a schedule without its end value', schemaKd({ distillation: { schedule: { alpha: { type: 'linear' } } } }), [/distillation\.schedule\.alpha\.to: /]],
  ['a sweep with no parameters', schemaKd({ sweep: { params: {} } }), [/sweep\.params: name at least one parameter/]],
  ['zero latency samples', schemaKd({ evaluation: { latencySamples: 0 } }), [/evaluation\.latencySamples: must be > 0/]],
  ['an empty name', schemaKd({ name: '' }), [/name: .*>=1/]],
  ['a top-level array', '[1, 2]', [/\(root\): .*expected object/]],
  ['broken JSON', '{ "teachers": [ }', [/kd\.json:1:\d+: \(root\): invalid JSON/]],
  [
    'a missing teacher model file',
    schemaKd({ teachers: [{ id: 't', model: 'nowhere/model.json' }] }),
    [/teachers\[0\]\.model: teacher model not found: .*nowhere[/\\]model\.json/],
  ],
  [
    'an IDX file that is a folder',
    schemaKd({ data: { source: { train: { images: '..', labels: 'x' } } } }),
    [/data\.source\.train\.images: IDX image file is a folder/, /data\.source\.train\.labels: IDX label file not found/],
  ],
];

const engineCases: Case[] = [
  ['an empty data set (IDX with 0 images)', engineKd({ data: idxData('imgs-0', 'labs-0') }), [/data\.source: .*imgs-0: the data set is empty/]],
  [
    "labels beyond the teacher's outputs (label 12, 10 outputs)",
    engineKd({ data: idxData('imgs', 'labs-12') }),
    [/teachers\[0\]\.model: the model outputs \[10\] per sample, but the data has 13 classes/],
  ],
  [
    "labels beyond the student's outputs",
    engineKd({
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] } }],
      student: { model: '../fixtures/m10/model.json' },
      data: idxData('imgs', 'labs-12'),
    }),
    [/student\.model: the model outputs \[10\] per sample, but the data has 13 classes/],
  ],
  [
    'images of the wrong size for the model',
    engineKd({ data: idxData('imgs-8x8', 'labs') }),
    [/teachers\[0\]\.model: the model takes inputs of shape \[28, 28, 1\], but the images are 8×8×1/],
  ],
  ['images and labels of different counts', engineKd({ data: idxData('imgs', 'labs-59') }), [/data\.source: .*imgs has 60 images but .*labs-59 has 59 labels/]],
  [
    'a batch size larger than the data',
    engineKd({ training: { epochs: 1, batchSize: 500 } }),
    [/training\.batchSize: 500 is larger than the \d+ training samples/],
  ],
  [
    'all training samples unlabeled',
    engineKd({ data: { ...idxData('imgs', 'labs'), unlabeled: 1000 } }),
    [/data\.unlabeled: 1000 unlabeled samples leave none/],
  ],
  [
    'feature pairs whose layers do not exist',
    engineKd({
      distillation: {
        features: [
          { teacherLayer: 'nope', studentLayer: 'student_dense1' },
          { teacherLayer: 'd', studentLayer: 'nada' },
        ],
      },
    }),
    [/distillation\.features\[0\]\.teacherLayer: .*nope/, /distillation\.features\[1\]\.studentLayer: .*nada/],
  ],
  [
    'shapes no adapter can bridge (feature map vs vector)',
    engineKd({
      student: { architecture: { preset: 'cnn', filters: [2] } },
      distillation: { features: [{ teacherLayer: 'd', studentLayer: 'student_relu1' }] },
    }),
    [/distillation\.features\[0\]: the student's .* and the teacher's .* activations cannot be bridged/],
  ],
  [
    'attention on vectors',
    engineKd({ distillation: { attention: [{ teacherLayer: 'd', studentLayer: 'student_dense1' }] } }),
    [/distillation\.attention\[0\]: attention transfer needs feature maps/],
  ],
  [
    'an IDX file with a bad magic number',
    engineKd({ data: idxData('imgs-badmagic', 'labs') }),
    [/data\.source\.train\.images: .*imgs-badmagic: not an IDX file \(bad magic number 42/],
  ],
  [
    'an IDX file of the wrong length',
    engineKd({ data: idxData('imgs-short', 'labs') }),
    [/data\.source: .*imgs-short: wrong length: dimensions 60×28×28 need 47040 bytes/],
  ],
  ['a corrupt gzip', engineKd({ data: idxData('imgs-corrupt.gz', 'labs') }), [/data\.source: .*imgs-corrupt\.gz: corrupt gzip data/]],
  ['gzip magic on garbage', engineKd({ data: idxData('not-idx.gz', 'labs') }), [/data\.source\.train\.images: .*not-idx\.gz: corrupt gzip data/]],
  [
    'a truncated weights file',
    engineKd({ teachers: [{ id: 't', model: '../fixtures/m-truncated/model.json' }] }),
    [
      /teachers\[0\]\.model: .*m-truncated[/\\]model\.json: weights of weights\.bin are 31300 bytes, but the weight specs need 31400 \(truncated or mismatched file\)/,
    ],
  ],
  [
    'a weight spec whose size does not match the file',
    engineKd({ teachers: [{ id: 't', model: '../fixtures/m-specsize/model.json' }] }),
    [/teachers\[0\]\.model: .*m-specsize[/\\]model\.json: weights of weights\.bin are 31400 bytes, but the weight specs need 34536/],
  ],
  [
    'a model.json that is not JSON',
    engineKd({ teachers: [{ id: 't', model: '../fixtures/m-garbage/model.json' }] }),
    [/teachers\[0\]\.model: .*m-garbage[/\\]model\.json: not a readable model\.json/],
  ],
  [
    'a model.json without a topology',
    engineKd({ student: { model: '../fixtures/m-notopology/model.json' } }),
    [/student\.model: .*m-notopology[/\\]model\.json: no modelTopology/],
  ],
];

const securityCases: Case[] = [
  [
    'a weights path with ../',
    engineKd({ teachers: [{ id: 't', model: '../fixtures/m-dotdot/model.json' }] }),
    [/teachers\[0\]\.model: .*m-dotdot[/\\]model\.json: weights path "\.\.\/m10\/weights\.bin" leaves the model's folder/],
  ],
  [
    'an absolute weights path',
    engineKd({ teachers: [{ id: 't', model: '../fixtures/m-abs/model.json' }] }),
    [/teachers\[0\]\.model: .*m-abs[/\\]model\.json: weights path ".*" must be relative to the model's folder/],
  ],
  [
    'a file:// weights URL',
    engineKd({ teachers: [{ id: 't', model: '../fixtures/m-url/model.json' }] }),
    [/teachers\[0\]\.model: .*m-url[/\\]model\.json: weights path "file:\/\/.*" must be relative/],
  ],
];

/** The CLI's verdict on one kd.json: started at once, at most `POOL` engines at a time. */
const POOL = 3;
let running = 0;
const waiting: (() => void)[] = [];
async function pooled<T>(job: () => Promise<T>): Promise<T> {
  if (running >= POOL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await job();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

interface Verdict {
  kd: string;
  code: number | null;
  stderr: string;
}

function assertRefused(v: Verdict, patterns: RegExp[]): void {
  assert.equal(v.code, 2, v.stderr);
  assert.match(v.stderr, /no run started/);
  for (const p of patterns) assert.match(v.stderr, p);
  const runs = path.join(path.dirname(v.kd), DISTILLERY_DIR, 'runs');
  assert.deepEqual(fs.existsSync(runs) ? fs.readdirSync(runs) : [], [], 'a run folder was created');
}

describe('faults: bad input never starts a run', function () {
  this.timeout(90_000);
  const verdicts = new Map<string, Promise<Verdict>>();
  before(async () => {
    await writeFixtures();
    // Every engine-side case is started now, a few at a time; each test awaits its own.
    for (const [what, config] of [...engineCases, ...securityCases, ...schemaCases.slice(0, 3)]) {
      const kd = writeCase(config);
      verdicts.set(
        what,
        pooled(() => distillRun(kd)).then((r) => ({ kd, ...r })),
      );
    }
  });
  after(async () => {
    await Promise.all(verdicts.values());
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe(`kd.json schema (${schemaCases.length} cases, checked as distill checks them; the first three through distill run)`, () => {
    for (const [what, config, patterns] of schemaCases) {
      it(`${what}: the JSON path, no run`, async () => {
        const kd = path.join(root, 'schema', 'kd.json');
        const text = typeof config === 'string' ? config : JSON.stringify(config, null, 2);
        const loaded = loadConfigText(text, kd);
        assert.ok(!loaded.ok, 'accepted');
        const printed = loaded.issues.map((i) => '  ' + formatIssue('kd.json', i)).join('\n') + '\nno run started';
        for (const p of patterns) assert.match(printed, p);
        // Every issue names a JSON path, with the line and column where the text has one.
        for (const i of loaded.issues) if (i.path.length) assert.ok(i.line && i.column, `no position for ${formatPath(i.path)}`);
        const viaCli = verdicts.get(what);
        if (viaCli) assertRefused(await viaCli, patterns);
      });
    }
  });
  describe(`problems only the engine can see (${engineCases.length} cases, through distill run)`, () => {
    for (const [what, , patterns] of engineCases) it(`${what}: exit 2, the JSON path, no run`, async () => assertRefused(await verdicts.get(what)!, patterns));
  });
  describe('model files cannot reach outside their folder (through distill run)', () => {
    for (const [what, , patterns] of securityCases)
      it(`${what}: exit 2, model.json named, no run`, async () => assertRefused(await verdicts.get(what)!, patterns));
  });
});
