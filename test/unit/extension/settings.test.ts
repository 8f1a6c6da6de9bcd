import './fakeVscode';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SETTING_KEYS } from '../../../src/extension/settings';
import { filesUnder } from '../sourceFiles';

const repo = path.resolve(__dirname, '../../..');

describe('extension: settings are read in one place', () => {
  it('reads exactly the settings package.json declares', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
    const declared = Object.keys(pkg.contributes.configuration.properties).map((k) => k.replace(/^distillery\./, ''));
    assert.deepEqual([...SETTING_KEYS].sort(), declared.sort());
  });

  it('no other host file reads VS Code settings', () => {
    const readers = filesUnder(path.join(repo, 'src'))
      .filter((p) => /getConfiguration|affectsConfiguration/.test(fs.readFileSync(p, 'utf8')))
      .map((p) => path.relative(repo, p));
    assert.deepEqual(readers, [path.join('src', 'extension', 'settings.ts')]);
  });
});
