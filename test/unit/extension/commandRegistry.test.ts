import './fakeVscode';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS } from '../../../src/extension/commands/ids';
import { registerCommand, SHOW_LOG } from '../../../src/extension/commands/registry';
import { recorded } from './fakeVscode';
import { filesUnder } from '../sourceFiles';

const repo = path.resolve(__dirname, '../../..');

function fakeLog() {
  const lines: string[] = [];
  let shown = 0;
  return { lines, shown: () => shown, appendLine: (l: string) => void lines.push(l), show: () => void shown++ };
}

describe('extension: the command registry', () => {
  beforeEach(() => recorded.reset());

  it('lists exactly the commands package.json contributes', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
    const contributed = (pkg.contributes.commands as { command: string }[]).map((c) => c.command).sort();
    assert.deepEqual([...Object.values(COMMANDS)].sort(), contributed);
    // Every command a menu names is a registered one.
    const inMenus = Object.values(pkg.contributes.menus as Record<string, { command: string }[]>)
      .flat()
      .map((m) => m.command);
    for (const id of inMenus) assert.ok((Object.values(COMMANDS) as string[]).includes(id), `menu names ${id}`);
  });

  it('names every command the source registers or executes through the registry, never as a string', () => {
    const offenders: string[] = [];
    for (const p of filesUnder(path.join(repo, 'src', 'extension'))) {
      if (p.endsWith(path.join('commands', 'ids.ts'))) continue;
      fs.readFileSync(p, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (
            /['"`]distillery\.(?!runs['"`]|models['"`]|dashboard['"`]|compare['"`]|sweep['"`]|experiments['"`]|run['"`])[a-zA-Z]+['"`]/.test(line) &&
            !/getConfiguration|affectsConfiguration/.test(line)
          )
            offenders.push(`${path.relative(repo, p)}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(offenders, []);
  });

  it('returns what the handler returns', async () => {
    const log = fakeLog();
    registerCommand(COMMANDS.refreshRuns, (a: unknown, b: unknown) => ({ a, b }), log);
    assert.deepEqual(await recorded.commands.get(COMMANDS.refreshRuns)!(1, 'two'), { a: 1, b: 'two' });
    assert.deepEqual(log.lines, []);
  });

  it('logs a failure with its stack, shows it with "Show Log", and opens the log when asked', async () => {
    const log = fakeLog();
    recorded.errorAnswer = SHOW_LOG;
    registerCommand(
      COMMANDS.deleteRun,
      async () => {
        throw new Error('the run folder is read-only');
      },
      log,
    );
    assert.equal(await recorded.commands.get(COMMANDS.deleteRun)!(), undefined);
    assert.equal(log.lines.length, 1);
    assert.match(log.lines[0], /^\[distillery\.deleteRun\] failed: Error: the run folder is read-only\n\s+at /);
    assert.deepEqual(recorded.errors, [{ message: 'Distillery: the run folder is read-only', items: [SHOW_LOG] }]);
    await new Promise((r) => setImmediate(r));
    assert.equal(log.shown(), 1, 'Show Log opened the log');
  });

  it('leaves the log closed when the message is dismissed, and reports a non-Error throw', async () => {
    const log = fakeLog();
    registerCommand(
      COMMANDS.stopRun,
      () => {
        throw 'plain words';
      },
      log,
    );
    await recorded.commands.get(COMMANDS.stopRun)!();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log.lines, ['[distillery.stopRun] failed: plain words']);
    assert.equal(log.shown(), 0);
  });

  it('registration is disposable: the id can be registered again', () => {
    const log = fakeLog();
    registerCommand(COMMANDS.openRun, () => 1, log).dispose();
    assert.doesNotThrow(() => registerCommand(COMMANDS.openRun, () => 2, log));
  });
});
