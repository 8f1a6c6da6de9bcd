/**
 * The git state a run records in config.json (`$git`, engine/run/gitState.ts), in real temporary
 * repositories: clean, dirty (a changed file, an untracked one), the run's own `.distillery/`
 * files never counting, no commit yet, and a folder outside any repository (recorded, no failure).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gitStateAt } from '../../../src/engine/run/gitState';
import { openForResume, ResumeError } from '../../../src/engine/run/resume';
import { FILES } from '../../../src/protocol/runFolder';
import { gitStateOf, gitText } from '../../../src/protocol/runMeta';

describe('engine: the workspace’s git state at a run’s start', () => {
  let root: string;
  const ceiling = process.env.GIT_CEILING_DIRECTORIES;
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gitstate-')));
    // The temporary folder may itself sit inside a repository: git looks no higher than it.
    process.env.GIT_CEILING_DIRECTORIES = path.dirname(root);
  });
  afterEach(() => {
    if (ceiling === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
    else process.env.GIT_CEILING_DIRECTORIES = ceiling;
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('clean, then dirty by a changed and an untracked file; the run folders under .distillery never count', () => {
    git(root, 'init', '-q');
    const exp = path.join(root, 'exp');
    fs.mkdirSync(exp);
    fs.writeFileSync(path.join(exp, 'kd.json'), '{}\n');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'first');
    const head = git(root, 'rev-parse', 'HEAD');
    // What a run writes beside its kd.json (and a sweep, and the cache) is not a change of the code.
    fs.mkdirSync(path.join(exp, '.distillery', 'runs', 'r1'), { recursive: true });
    fs.writeFileSync(path.join(exp, '.distillery', 'runs', 'r1', FILES.events), '');
    fs.mkdirSync(path.join(root, '.distillery', 'cache'), { recursive: true });
    fs.writeFileSync(path.join(root, '.distillery', 'cache', 'x'), '');
    assert.deepEqual(gitStateAt(exp), { commit: head, dirty: false, changes: 0 });

    fs.writeFileSync(path.join(exp, 'kd.json'), '{"changed": true}\n');
    assert.deepEqual(gitStateAt(exp), { commit: head, dirty: true, changes: 1 });
    fs.writeFileSync(path.join(root, 'notes.txt'), 'new\n');
    assert.deepEqual(gitStateAt(exp), { commit: head, dirty: true, changes: 2 }, 'a change anywhere in the work tree, not only under the kd.json');
  });

  it('a folder outside any repository, and a repository without a commit, are recorded as such', () => {
    assert.deepEqual(gitStateAt(root), { commit: null, reason: 'not a git repository' });
    git(root, 'init', '-q');
    assert.deepEqual(gitStateAt(root), { commit: null, reason: 'no commit yet' });
  });

  it('a commit whose status cannot be read (a corrupt index) keeps the commit, dirty state unknown', () => {
    git(root, 'init', '-q');
    fs.writeFileSync(path.join(root, 'a.txt'), 'a\n');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'first');
    const head = git(root, 'rev-parse', 'HEAD');
    fs.writeFileSync(path.join(root, '.git', 'index'), 'not an index');
    const state = gitStateAt(root);
    assert.equal(state.commit, head);
    assert.ok(state.commit !== null && state.dirty === null && /git status failed/.test(state.reason), JSON.stringify(state));
    // config.json's $git reads back the same, and is shown as such.
    assert.deepEqual(gitStateOf({ $git: state }), state);
    assert.equal(gitText(state), `${head.slice(0, 7)} · dirty state unknown`);
  });

  it('git missing from the PATH is recorded, not a failure', () => {
    const pathBefore = process.env.PATH;
    process.env.PATH = root;
    try {
      assert.deepEqual(gitStateAt(root), { commit: null, reason: 'git is not on the PATH' });
    } finally {
      process.env.PATH = pathBefore;
    }
  });

  it('a run folder whose config.json holds $git resumes (the bookkeeping is not validated as a setting)', () => {
    const dir = path.join(root, 'run');
    fs.mkdirSync(dir);
    const kd = {
      data: { source: 'mnist' },
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [8] } }],
      student: { architecture: { preset: 'mlp', hidden: [4] } },
    };
    fs.writeFileSync(path.join(dir, FILES.config), JSON.stringify({ ...kd, $configPath: path.join(root, 'kd.json'), $git: { commit: null, reason: 'x' } }));
    // Past the config's validation, to the checkpoint it lacks.
    assert.throws(
      () => openForResume(dir),
      (e: unknown) => e instanceof ResumeError && /no checkpoint yet/.test(e.message),
    );
  });
});
