/**
 * Issue 13 item 8: one launch policy for every engine the extension starts (run, resume, the
 * sweep's workers), as a pure function, settings in, launch request out; and one table for the
 * engine's argv that both sides use.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchPolicy } from '../../../src/extension/runs/launchPolicy';
import { ENGINE_FLAGS, engineArgv, engineRequest, parseEngineArgv, type EngineRequest } from '../../../src/protocol/engineArgs';
import { filesUnder } from '../sourceFiles';

describe('extension: the launch policy', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-launch-'));
  const kd = path.join(ws, 'exp', 'kd.json');
  const node = process.execPath;

  it('refuses an untrusted workspace and a bad distillery.nodePath; takes nodePath from user settings only', () => {
    assert.deepEqual(launchPolicy({ trusted: false, kdJsonPath: kd }).ok, false);
    const bad = launchPolicy({ trusted: true, kdJsonPath: kd, nodePath: { globalValue: path.join(ws, 'no-such-node') } });
    assert.ok(!bad.ok && /does not exist/.test(bad.problem));
    const user = launchPolicy({ trusted: true, kdJsonPath: kd, nodePath: { globalValue: node } });
    assert.ok(user.ok && user.request.execPath === node);
    const fromWorkspace = launchPolicy({ trusted: true, kdJsonPath: kd, nodePath: { defaultValue: '', workspaceValue: node } });
    assert.ok(fromWorkspace.ok);
    assert.equal(fromWorkspace.request.execPath, undefined);
    assert.match(fromWorkspace.request.notes.join('\n'), /nodePath is set in the workspace settings; ignored/);
  });

  it('keeps kd.json paths in the workspace folder unless the user (not the workspace) allowed otherwise', () => {
    const plain = launchPolicy({ trusted: true, kdJsonPath: kd, workspaceFolder: ws });
    assert.ok(plain.ok && plain.request.workspaceRoot === ws);
    // No workspace folder: the kd.json's own folder.
    const loose = launchPolicy({ trusted: true, kdJsonPath: kd });
    assert.ok(loose.ok && loose.request.workspaceRoot === path.dirname(kd));
    const allowed = launchPolicy({
      trusted: true,
      kdJsonPath: kd,
      workspaceFolder: ws,
      allowPathsOutsideWorkspace: { defaultValue: false, globalValue: true },
    });
    assert.ok(allowed.ok && allowed.request.workspaceRoot === undefined);
    const widened = launchPolicy({
      trusted: true,
      kdJsonPath: kd,
      workspaceFolder: ws,
      allowPathsOutsideWorkspace: { defaultValue: false, workspaceValue: true },
    });
    assert.ok(widened.ok && widened.request.workspaceRoot === ws);
    assert.match(widened.request.notes.join('\n'), /allowPathsOutsideWorkspace is set in the workspace settings; ignored/);
  });

  it('Start Sweep and Resume build their engines from it: no engine launch bypasses it', () => {
    const src = (f: string) => fs.readFileSync(path.resolve(__dirname, '../../../src', f), 'utf8');
    // The three launch paths get their request from launchFor (the policy's one vscode adapter)…
    for (const f of ['extension/commands/startRun.ts', 'extension/commands/runCommands.ts', 'extension/sweeps/startSweep.ts'])
      assert.match(src(f), /launchFor\(/, f);
    // …and nothing in the extension picks the engine's Node or the workspace root on its own.
    for (const f of filesUnder(path.resolve(__dirname, '../../../src/extension'), '')) {
      const text = fs.readFileSync(f, 'utf8');
      assert.doesNotMatch(text, /process\.execPath/, f);
      if (!/(launchPolicy|trustedSettings)\.ts$/.test(f)) assert.doesNotMatch(text, /engineNodePath\(|workspaceRootFor\(/, f);
    }
  });
});

describe('protocol: the engine request and its argv, written and read from one table', () => {
  it('round-trips each job with every flag, and knows the worker', () => {
    const flags = { backend: 'wasm', workspaceRoot: '/w' };
    const jobs: EngineRequest[] = [
      { kind: 'run', configPath: '/k/kd.json', runDir: '/k/.distillery/runs/r1', ...flags, threads: 2 },
      { kind: 'resume', runDir: '/k/.distillery/runs/r1', ...flags },
      { kind: 'validate', configPath: '/k/kd.json' },
    ];
    for (const request of jobs) assert.deepEqual(parseEngineArgv(engineArgv(request)), { worker: false, request });
    assert.deepEqual(engineArgv(jobs[1]), ['--resume', '/k/.distillery/runs/r1', '--backend', 'wasm', '--workspace', '/w']);
    assert.deepEqual(engineArgv(jobs[0]).slice(-2), ['--threads', '2']);
    assert.deepEqual(parseEngineArgv(['--worker']), { worker: true });
    // A thread count that is not a whole number ≥ 1 is dropped (the engine then uses its cores), never passed on.
    for (const bad of ['0', '-1', '1.5', 'two'])
      assert.equal((parseEngineArgv(['--resume', '/r', '--threads', bad]) as { request: EngineRequest }).request.threads, undefined, bad);
    assert.equal(new Set(ENGINE_FLAGS.map((f) => f.flag)).size, ENGINE_FLAGS.length);
    // A path that starts with "--" is still a value, in its place.
    const odd: EngineRequest = { kind: 'validate', configPath: '--odd/kd.json' };
    assert.deepEqual(parseEngineArgv(engineArgv(odd)), { worker: false, request: odd });
  });

  it('refuses argv that asks for no job or two: a new run without its folder, a resume with a kd.json', () => {
    for (const argv of [
      [],
      ['--config', '/k/kd.json'],
      ['--run-dir', '/r'],
      ['--resume', '/r', '--config', '/k/kd.json'],
      ['--config', '/k/kd.json', '--run-dir', '/r', '--validate'],
    ]) {
      assert.deepEqual(parseEngineArgv(argv), { worker: false }, argv.join(' '));
    }
  });

  it("a launch's flags join a job in one place, and only the engine's flags travel", () => {
    const launch = { execPath: '/node', backend: 'cpu', workspaceRoot: '/w', notes: ['x'] };
    assert.deepEqual(engineRequest(launch, { kind: 'resume', runDir: '/r' }), { kind: 'resume', runDir: '/r', backend: 'cpu', workspaceRoot: '/w' });
    assert.deepEqual(engineRequest({ threads: 1 }, { kind: 'resume', runDir: '/r' }), { kind: 'resume', runDir: '/r', threads: 1 });
    assert.deepEqual(engineRequest({}, { kind: 'validate', configPath: '/k' }), { kind: 'validate', configPath: '/k' });
  });
});
