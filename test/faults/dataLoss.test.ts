/**
 * Issue 13 item 0: nothing Distillery did not write is ever deleted. A model folder is only
 * replaced when it holds a model Distillery saved (its marker file, or a folder saved by an
 * older version: model.json "generatedBy distillery" + weights.bin and nothing else); a
 * teacher `save` folder that names anything else is refused by validate and by run (exit 2,
 * naming the path) before training. The other removes and renames are audited here too.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { replaceFolder, saveLayersModel } from '../../src/engine/models/modelFiles';
import { cleanTemporaryCheckpoints, saveCheckpoint } from '../../src/engine/run/checkpoint';
import { rewindRunFolder, type ResumePoint } from '../../src/engine/run/resume';
import { deleteRefusal, exportRefusal } from '../../src/extension/tree/runInfo';
import { MODEL_MARKER, modelFolderRefusal } from '../../src/protocol/modelFolder';
import { listRunDirs, runsRootFor } from '../../src/protocol/runFolder';
import { distill, tinyKd } from '../unit/cli/cliHelpers';

function tinyModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'zeros' }));
  return m;
}

function userFolder(root: string, name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'thesis.txt'), 'three years of work');
  return dir;
}

describe('faults: data loss (issue 13 item 0)', function () {
  this.timeout(60_000);
  before(async () => {
    await tf.setBackend('cpu');
  });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-loss-'));

  it('saveLayersModel refuses a folder holding files it did not save, and leaves them as they were', async () => {
    const dir = userFolder(root, 'mydata');
    await assert.rejects(saveLayersModel(tinyModel(), dir), (e: Error) => e.message.includes(dir) && /not a model Distillery saved/.test(e.message));
    assert.equal(fs.readFileSync(path.join(dir, 'thesis.txt'), 'utf8'), 'three years of work');
    assert.deepEqual(fs.readdirSync(dir), ['thesis.txt']);
    // No staging folder left beside it either.
    assert.deepEqual(
      fs.readdirSync(root).filter((n) => n.includes('saving')),
      [],
    );
  });

  it('a folder with a model.json that Distillery did not write, or extra files beside its own, is refused', async () => {
    const foreign = path.join(root, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: {} }));
    fs.writeFileSync(path.join(foreign, 'weights.bin'), '');
    assert.match(modelFolderRefusal(foreign)!, /not a model Distillery saved/);
    const mixed = path.join(root, 'mixed');
    await saveLayersModel(tinyModel(), mixed);
    fs.writeFileSync(path.join(mixed, 'notes.md'), 'mine');
    await assert.rejects(saveLayersModel(tinyModel(), mixed), /notes\.md/);
    assert.equal(fs.readFileSync(path.join(mixed, 'notes.md'), 'utf8'), 'mine');
    // A file where a folder is meant, and a link, are refused too.
    fs.writeFileSync(path.join(root, 'afile'), 'x');
    assert.match(modelFolderRefusal(path.join(root, 'afile'))!, /not a folder/);
  });

  it("replaces its own saves (the marker), an older version's saves, and empty or absent folders", async () => {
    const own = path.join(root, 'own');
    await saveLayersModel(tinyModel(), own);
    assert.deepEqual(fs.readdirSync(own).sort(), [MODEL_MARKER, 'model.json', 'weights.bin'].sort());
    await saveLayersModel(tinyModel(), own);
    assert.deepEqual(fs.readdirSync(own).sort(), [MODEL_MARKER, 'model.json', 'weights.bin'].sort());
    const legacy = path.join(root, 'legacy');
    fs.mkdirSync(legacy);
    fs.writeFileSync(path.join(legacy, 'model.json'), JSON.stringify({ format: 'layers-model', generatedBy: 'distillery', modelTopology: {} }));
    fs.writeFileSync(path.join(legacy, 'weights.bin'), '');
    assert.equal(modelFolderRefusal(legacy), undefined);
    await saveLayersModel(tinyModel(), legacy);
    assert.ok(fs.existsSync(path.join(legacy, MODEL_MARKER)));
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    await saveLayersModel(tinyModel(), empty);
    assert.ok(fs.existsSync(path.join(empty, 'model.json')));
  });

  it('replaceFolder never moves aside a folder that is not a Distillery model (the last line, against races)', () => {
    const dir = userFolder(root, 'raced');
    const staging = fs.mkdtempSync(path.join(root, '.staging-'));
    fs.writeFileSync(path.join(staging, 'model.json'), '{}');
    assert.throws(() => replaceFolder(staging, dir), /not a model Distillery saved/);
    assert.ok(fs.existsSync(path.join(dir, 'thesis.txt')));
  });

  for (const [label, save] of [
    ['"mydata", a folder of the user\'s files', 'mydata'],
    ['".", the experiment folder itself', '.'],
    ['"..", the folder above it', '..'],
  ] as const) {
    it(`validate and run refuse a teacher "save" of ${label}: exit 2, naming the path, nothing deleted, no run`, () => {
      const exp = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-save-'));
      const expDir = path.join(exp, 'exp');
      fs.mkdirSync(expDir);
      userFolder(expDir, 'mydata');
      fs.writeFileSync(path.join(exp, 'sibling.txt'), 'keep');
      const kd = path.join(expDir, 'kd.json');
      const cfg = tinyKd();
      (cfg.teachers as Record<string, unknown>[])[0].save = save;
      fs.writeFileSync(kd, JSON.stringify(cfg, null, 2));
      const target = path.resolve(expDir, save);
      for (const cmd of ['validate', 'run']) {
        const r = distill(cmd, kd);
        assert.equal(r.code, 2, `${cmd}: ${r.stdout}${r.stderr}`);
        assert.ok((r.stderr + r.stdout).includes(target), `${cmd} names ${target}: ${r.stderr}`);
        assert.match(r.stderr + r.stdout, /teachers\[0\]\.save/);
      }
      assert.equal(fs.readFileSync(path.join(expDir, 'mydata', 'thesis.txt'), 'utf8'), 'three years of work');
      assert.ok(fs.existsSync(kd));
      assert.equal(fs.readFileSync(path.join(exp, 'sibling.txt'), 'utf8'), 'keep');
      assert.deepEqual(listRunDirs(runsRootFor(kd)), []);
    });
  }

  it("a checkpoint is written and pruned only inside the run's checkpoints folder, and cleaning touches only its temporaries", async () => {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-ckpt-'));
    const model = tinyModel();
    const optimizer = tf.train.adam(0.01);
    // A stage key is built from a teacher id (letters, digits, "_", "-", "."): ".." must not climb.
    const outsideName = path.join(runDir, 'checkpoints', '..', 'victim');
    userFolder(runDir, 'victim');
    const state = { stage: 'teacher-..', epoch: 1, step: 1, eventsBytes: 0, valAccuracy: 0, time: '' };
    const at = await saveCheckpoint(runDir, { state, model, optimizer }, 1);
    assert.ok(path.relative(path.join(runDir, 'checkpoints'), at).split(path.sep).length === 1, at);
    assert.ok(fs.existsSync(path.join(outsideName, 'thesis.txt')));
    // cleanTemporaryCheckpoints removes only ".tmp-" entries of checkpoints/, and not through a link.
    const checkpoints = path.join(runDir, 'checkpoints');
    fs.symlinkSync(path.join(runDir, 'victim'), path.join(checkpoints, '.tmp-linked'));
    cleanTemporaryCheckpoints(runDir);
    assert.ok(fs.existsSync(path.join(runDir, 'victim', 'thesis.txt')));
    assert.ok(fs.existsSync(at));
  });
});

describe("faults: data loss, the extension's deletes and copies, and resume's renames", () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-ws-del-'));
  const runDir = path.join(ws, '.distillery', 'runs', '20250101-000000-tiny-ab12');
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(path.join(runDir, 'events.jsonl'), '');
  const trialDir = path.join(ws, '.distillery', 'sweeps', 's1', 'trials', 't01');
  fs.mkdirSync(trialDir, { recursive: true });
  fs.writeFileSync(path.join(trialDir, 'config.json'), '{}');

  it('Delete Run deletes only a run folder inside the workspace: not a path a sweep.json names, not a link, not a look-alike', () => {
    const done = { status: 'done' as const, name: 'x' };
    assert.equal(deleteRefusal({ ...done, runDir }, [ws]), undefined);
    assert.equal(deleteRefusal({ ...done, runDir: trialDir }, [ws]), undefined);
    // A sweep.json whose trial "runDir" is "../../../.." resolves to the workspace itself.
    const climbed = path.resolve(path.join(ws, '.distillery', 'sweeps', 's1'), '../../..');
    assert.match(deleteRefusal({ ...done, runDir: climbed }, [ws])!, /not a Distillery run folder/);
    assert.match(deleteRefusal({ ...done, runDir: userFolder(ws, 'mydata') }, [ws])!, /not a Distillery run folder/);
    // The right shape but nothing of a run in it.
    const empty = path.join(ws, '.distillery', 'runs', 'empty');
    fs.mkdirSync(empty);
    assert.match(deleteRefusal({ ...done, runDir: empty }, [ws])!, /no events\.jsonl or config\.json/);
    // A link named like a run, pointing at the user's folder.
    const link = path.join(ws, '.distillery', 'runs', 'linked');
    fs.symlinkSync(path.join(ws, 'mydata'), link);
    assert.match(deleteRefusal({ ...done, runDir: link }, [ws])!, /symbolic link/);
    // A run folder of another workspace.
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-other-'));
    assert.match(deleteRefusal({ ...done, runDir }, [other])!, /outside the workspace/);
  });

  it("Export Student never writes into a non-empty folder, a file, or the run's own student folder", () => {
    const from = path.join(runDir, 'student');
    fs.mkdirSync(from, { recursive: true });
    assert.equal(exportRefusal(from, path.join(ws, 'exported')), undefined);
    assert.match(exportRefusal(from, userFolder(ws, 'full'))!, /not empty/);
    fs.writeFileSync(path.join(ws, 'file'), 'x');
    assert.match(exportRefusal(from, path.join(ws, 'file'))!, /not a folder/);
    assert.match(exportRefusal(from, path.join(from, 'sub'))!, /overlaps/);
    assert.match(exportRefusal(from, runDir)!, /overlaps/);
  });

  it("resume keeps every earlier attempt's summary, even two rewinds in the same millisecond", () => {
    const dir = path.join(ws, '.distillery', 'runs', 'resumed');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'events.jsonl'), '{"type":"log"}\n');
    const point = { dir, checkpoint: { dir: '', state: { eventsBytes: 15 } } } as unknown as ResumePoint;
    const realNow = Date.now;
    Date.now = () => 1_700_000_000_000;
    const RealDate = Date;
    (globalThis as { Date: DateConstructor }).Date = class extends RealDate {
      constructor() {
        super(1_700_000_000_000);
      }
    } as DateConstructor;
    try {
      fs.writeFileSync(path.join(dir, 'summary.json'), '{"attempt":1}');
      rewindRunFolder(point);
      fs.writeFileSync(path.join(dir, 'summary.json'), '{"attempt":2}');
      rewindRunFolder(point);
    } finally {
      (globalThis as { Date: DateConstructor }).Date = RealDate;
      Date.now = realNow;
    }
    const kept = fs
      .readdirSync(path.join(dir, 'attempts'))
      .map((n) => fs.readFileSync(path.join(dir, 'attempts', n), 'utf8'))
      .sort();
    assert.deepEqual(kept, ['{"attempt":1}', '{"attempt":2}']);
  });
});
