import './fakeVscode';
import { strict as assert } from 'node:assert';
import { COMMANDS } from '../../../src/extension/commands/ids';
import { KdCodeLens } from '../../../src/extension/kdjson/codeLens';
import { recorded, Uri } from './fakeVscode';

const doc = (file: string, languageId = 'json') => ({ uri: Uri.file(file), languageId }) as never;

describe('extension: the kd.json CodeLens', () => {
  beforeEach(() => recorded.reset());

  it('offers Start Run and Sweep on a kd.json in a trusted workspace, nothing elsewhere', () => {
    const lens = new KdCodeLens();
    const lenses = lens.provideCodeLenses(doc('/w/exp/kd.json'));
    assert.deepEqual(
      lenses.map((l) => l.command?.command),
      [COMMANDS.startRun, COMMANDS.startSweep],
    );
    assert.deepEqual(lenses[0].command?.arguments, [Uri.file('/w/exp/kd.json')]);
    assert.equal(lens.provideCodeLenses(doc('/w/exp/package.json')).length, 0);
    recorded.trusted = false;
    assert.equal(lens.provideCodeLenses(doc('/w/exp/b.kd.json', 'jsonc')).length, 0);
    lens.dispose();
  });

  it('asks for its lenses again when the workspace is trusted', () => {
    const lens = new KdCodeLens();
    let asked = 0;
    lens.onDidChangeCodeLenses(() => asked++);
    recorded.grantTrust.fire();
    assert.equal(asked, 1);
    lens.dispose();
  });

  it('leaves no listener behind when disposed', () => {
    const before = recorded.grantTrust.listeners.size;
    const lenses = Array.from({ length: 5 }, () => new KdCodeLens());
    assert.equal(recorded.grantTrust.listeners.size, before + 5);
    lenses.forEach((l) => l.dispose());
    assert.equal(recorded.grantTrust.listeners.size, before, 'a disposed lens still listens for workspace trust');
    let asked = 0;
    lenses[0].onDidChangeCodeLenses(() => asked++);
    recorded.grantTrust.fire();
    assert.equal(asked, 0, 'its emitter is disposed too');
  });
});
