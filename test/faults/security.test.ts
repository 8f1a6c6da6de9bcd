/**
 * The security edges that are not about a broken file: kd.json paths stay inside the
 * workspace (CLI --workspace, as the extension passes it), and settings that name an
 * executable are read only from user or machine scope.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { engineNodePath, ignoredWorkspaceValue, userOrMachineValue } from '../../src/extension/runs/trustedSettings';
import { checkWorkspacePaths, loadConfigText } from '../../src/protocol/loadConfig';
import { listRunDirs, runsRootFor } from '../../src/protocol/runFolder';
import { tinyKd } from '../unit/cli/cliHelpers';
import { CLI } from './helpers';

describe('faults: security edges', function () {
  this.timeout(60_000);
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-outside-'));
  fs.writeFileSync(path.join(outside, 'model.json'), '{}');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-ws-'));
  const kdDir = path.join(workspace, 'exp');
  fs.mkdirSync(kdDir);
  // A link inside the workspace that points outside it does not make the target inside.
  fs.symlinkSync(outside, path.join(workspace, 'linked'));

  it('refuses kd.json paths outside the workspace, through ../, absolute paths and symbolic links, each at its JSON path', () => {
    const cfg = tinyKd({
      teachers: [
        { id: 'a', model: '../../' + path.basename(outside) + '/model.json' },
        { id: 'b', model: path.join(outside, 'model.json') },
        { id: 'c', model: '../linked/model.json' },
      ],
    });
    const file = path.join(kdDir, 'kd.json');
    const r = loadConfigText(JSON.stringify(cfg, null, 2), file, { workspaceRoot: workspace });
    assert.ok(!r.ok);
    const paths = r.issues.map((i) => i.path.join('.'));
    assert.deepEqual(paths, ['teachers.0.model', 'teachers.1.model', 'teachers.2.model']);
    for (const i of r.issues) assert.match(i.message, /is outside the workspace .*distillery\.allowPathsOutsideWorkspace/);
    // Without a workspace root (the user opted out), the same files are fine.
    assert.deepEqual(checkWorkspacePaths(cfg as never, kdDir, path.dirname(outside)), []);
  });

  it('distill run --workspace refuses them with exit code 2 and starts no run; without --workspace the path rule does not apply', () => {
    const file = path.join(kdDir, 'kd.json');
    fs.writeFileSync(file, JSON.stringify(tinyKd({ teachers: [{ id: 'a', model: path.join(outside, 'model.json') }] })));
    const refused = spawnSync(process.execPath, [CLI, 'run', file, '--workspace', workspace], { encoding: 'utf8' });
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /teachers\[0\]\.model: teacher model .* is outside the workspace/);
    assert.deepEqual(listRunDirs(runsRootFor(file)), []);
    const validated = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8' });
    assert.doesNotMatch(validated.stderr, /outside the workspace/);
  });

  it('an executable path is taken from user or machine settings only, never from the workspace', () => {
    const node = process.execPath;
    assert.equal(userOrMachineValue({ defaultValue: '', workspaceValue: '/tmp/evil' }), '');
    assert.equal(engineNodePath({ defaultValue: '', workspaceValue: node }).execPath, undefined);
    assert.equal(engineNodePath({ defaultValue: '', workspaceFolderValue: node }).execPath, undefined);
    assert.equal(engineNodePath({ defaultValue: '', globalValue: node, workspaceValue: '/tmp/evil' }).execPath, node);
    assert.ok(ignoredWorkspaceValue({ defaultValue: '', workspaceValue: '/tmp/evil' }));
    assert.ok(!ignoredWorkspaceValue({ defaultValue: '', globalValue: node }));
    assert.match(engineNodePath({ globalValue: '/no/such/node' }).problem!, /does not exist/);
  });

  it('package.json declares those settings machine-scoped, and the extension as limited in untrusted workspaces', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
    const props = pkg.contributes.configuration.properties;
    assert.equal(props['distillery.nodePath'].scope, 'machine');
    assert.equal(props['distillery.allowPathsOutsideWorkspace'].scope, 'machine');
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    // Every menu entry that starts an engine is hidden in an untrusted workspace.
    const menus = Object.values(pkg.contributes.menus).flat() as { command: string; when?: string }[];
    for (const m of menus.filter((x) => ['distillery.startRun', 'distillery.startSweep', 'distillery.rerun', 'distillery.resumeRun'].includes(x.command))) {
      assert.match(m.when ?? '', /isWorkspaceTrusted/, `${m.command} menu shows in untrusted workspaces`);
    }
  });
});
