import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FILES } from '../../../src/protocol/runFolder';
import { configWithoutBookkeeping, gitStateOf, gitText, parseTags, readRunMeta, updateRunMeta } from '../../../src/protocol/runMeta';
import { readRunFolder, RunFolderReader } from '../../../src/protocol/runReader';
import { deriveRunRecord, runItemModel } from '../../../src/extension/tree/runInfo';
import { labelRecords, readRunIdentity } from '../../../src/extension/tree/runIdentity';

const KD = { name: 'tiny', seed: 1, data: { source: 'mnist' }, distillation: { temperature: 4, alpha: 0.7 }, training: { epochs: 2 } };

/** A run folder as the engine leaves it before training: config.json (with `$git`) and an events.jsonl. */
function runFolder(root: string, id: string, o: { temperature?: number; git?: unknown } = {}): string {
  const dir = path.join(root, '.distillery', 'runs', id);
  fs.mkdirSync(dir, { recursive: true });
  const config = { ...KD, distillation: { ...KD.distillation, temperature: o.temperature ?? 4 }, $configPath: path.join(root, 'kd.json'), $git: o.git };
  fs.writeFileSync(path.join(dir, FILES.config), JSON.stringify(config));
  fs.writeFileSync(
    path.join(dir, FILES.events),
    JSON.stringify({ type: 'run_started', runId: id, runDir: dir, name: 'tiny', time: '2026-12-02T10:00:00.000Z' }) + '\n',
  );
  return dir;
}

describe('protocol: a run’s meta.json (name, tags, note) and config.json’s git state', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'runmeta-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('round-trips through the file: what is written is what the run-folder reader and the Runs tree read', () => {
    const dir = runFolder(root, '20261202-100000-tiny-68c7a1');
    assert.deepEqual(readRunMeta(dir), {}, 'never edited: no meta, no problem');
    updateRunMeta(dir, { name: '  best so far ' });
    updateRunMeta(dir, { tags: parseTags('paper, fig3 paper') });
    const meta = updateRunMeta(dir, { note: 'T sweep winner\nsecond line' });
    assert.deepEqual(meta, { name: 'best so far', tags: ['paper', 'fig3'], note: 'T sweep winner\nsecond line' });
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, FILES.meta), 'utf8')), meta, 'on disk, as returned');
    assert.deepEqual(readRunMeta(dir), { meta });
    const folder = new RunFolderReader().read(dir);
    assert.deepEqual(folder.meta, meta);
    const record = deriveRunRecord(folder, undefined, Date.now());
    assert.equal(record.name, 'best so far');
    assert.equal(record.kdName, 'tiny');
    const item = runItemModel(record, Date.now());
    assert.equal(item.label, 'best so far');
    assert.match(item.description, /#paper #fig3/);
    assert.match(item.tooltip, /note: T sweep winner/);
    // Emptied: the kd.json's name again, no tags, no note.
    assert.deepEqual(updateRunMeta(dir, { name: '', tags: [], note: ' ' }), { tags: [] });
    assert.equal(deriveRunRecord(readRunFolder(dir), undefined, Date.now()).name, 'tiny');
  });

  it('a torn or foreign meta.json is said, naming the file, and never overwritten by an edit', () => {
    const dir = runFolder(root, 'r-aaaa11');
    const file = path.join(dir, FILES.meta);
    fs.writeFileSync(file, '{"name": "half');
    assert.match(readRunMeta(dir).problem ?? '', new RegExp(`unreadable ${file.replace(/[.\\]/g, '\\$&')}`));
    assert.throws(() => updateRunMeta(dir, { name: 'x' }), /fix or delete it first/);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"name": "half', 'left as it was');
    fs.writeFileSync(file, JSON.stringify({ tags: ['has space'] }));
    assert.match(readRunMeta(dir).problem ?? '', /"tags\[0\]" is not a word/);
    const record = deriveRunRecord(readRunFolder(dir), undefined, Date.now());
    assert.equal(record.name, 'tiny');
    assert.match(runItemModel(record, Date.now()).tooltip, /meta\.json/);
    assert.throws(() => updateRunMeta(path.join(root, 'nothing'), { name: 'x' }), /is not a run folder/);
    assert.ok(!fs.existsSync(path.join(root, 'nothing', FILES.meta)));
  });

  it('reads config.json’s $git and leaves it, with every $ key, out of the settings a resume validates', () => {
    const commit = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    const dir = runFolder(root, 'r-bbbb22', { git: { commit, dirty: true, changes: 2 } });
    const folder = readRunFolder(dir);
    assert.deepEqual(folder.config?.git, { commit, dirty: true, changes: 2 });
    assert.ok(!Object.keys(folder.config!.params).some((k) => k.startsWith('$')), 'no bookkeeping among the settings');
    assert.equal(gitText(folder.config?.git), 'a1b2c3d · dirty');
    assert.equal(gitText({ commit, dirty: false, changes: 0 }), 'a1b2c3d');
    assert.equal(gitText({ commit: null, reason: 'not a git repository' }), 'no git (not a git repository)');
    assert.equal(gitStateOf({ $git: { commit: 'not hex', dirty: true } }), undefined, 'a foreign value reads as unrecorded');
    assert.equal(gitStateOf({}), undefined);
    assert.deepEqual(configWithoutBookkeeping({ a: 1, $configPath: 'x', $git: {} }), { a: 1 });
  });

  it('the dashboard’s identity: name, tags, note, git, and the label among the runs beside it', () => {
    const a = runFolder(root, '20261202-100000-tiny-68c7a1', { temperature: 4, git: { commit: 'a1b2c3d4', dirty: true, changes: 1 } });
    runFolder(root, '20261202-100100-tiny-0b12ff', { temperature: 2 });
    updateRunMeta(a, { name: 'warm', tags: ['paper'], note: 'n' });
    assert.deepEqual(readRunIdentity(a), { name: 'warm', autoLabel: 'T4 · #68c7', tags: ['paper'], note: 'n', git: 'a1b2c3d · dirty', problem: undefined });
    // The Runs tree labels the same folders the same way.
    const records = [a, path.join(path.dirname(a), '20261202-100100-tiny-0b12ff')].map((d) => deriveRunRecord(readRunFolder(d), undefined, Date.now()));
    labelRecords(records);
    assert.deepEqual(
      records.map((r) => r.autoLabel),
      ['T4 · #68c7', 'T2 · #0b12'],
    );
  });
});
