import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SidebarApi } from '../../src/extension/sidebar';
import type { ModelNode } from '../../src/extension/tree/modelsTree';
import type { RunNode } from '../../src/extension/tree/runsTree';
import { EXTENSION_ID, fixture, waitFor, workspaceDir } from './helpers';

async function sidebar(): Promise<SidebarApi> {
  const ext = vscode.extensions.getExtension<{ sidebar: SidebarApi }>(EXTENSION_ID)!;
  const api = await ext.activate();
  assert.ok(api.sidebar, 'activate() returns { sidebar }');
  return api.sidebar;
}

/** A separate experiment folder, so these fake runs share no runs folder with real ones. */
function experimentDir(): string {
  const dir = path.join(workspaceDir(), 'sidebar-exp');
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir);
    fs.copyFileSync(fixture('kd.json'), path.join(dir, 'kd.json'));
  }
  return dir;
}

const time = new Date().toISOString();
function writeRun(dir: string, runId: string, opts: { summary?: boolean; student?: boolean; time?: string }): string {
  // A run written now must be newer than the runs that suites before this one started in
  // the same workspace; the module's load time is older than those.
  const at = opts.time ?? time;
  const runDir = path.join(dir, '.distillery', 'runs', runId);
  fs.mkdirSync(runDir, { recursive: true });
  const configPath = path.join(dir, 'kd.json');
  const events = [
    { type: 'run_started', time: at, runId, runDir, name: 'fake', pid: 1, backend: 'wasm', configPath },
    { type: 'stage_started', time: at, stage: 'distill', model: 'student', epochs: 4, stepsPerEpoch: 10, params: 100 },
    { type: 'step', time: at, stage: 'distill', epoch: 2, step: 15, totalSteps: 40, loss: 0.5, terms: {}, lr: 0.001, samplesPerSec: 10 },
  ];
  fs.writeFileSync(path.join(runDir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  if (opts.student) {
    fs.mkdirSync(path.join(runDir, 'student'));
    fs.writeFileSync(path.join(runDir, 'student', 'model.json'), '{"modelTopology":{}}');
  }
  if (opts.summary) {
    const ev = (acc: number) => ({ testAccuracy: acc, confusion: [], params: 100, bytes: 400, latencyMs: 0.1 });
    fs.writeFileSync(
      path.join(runDir, 'summary.json'),
      JSON.stringify({
        runId,
        name: 'fake',
        status: 'done',
        backend: 'wasm',
        startedAt: at,
        endedAt: at,
        durationSec: 1,
        configPath,
        teacher: { ...ev(0.97), id: 't', ids: ['t'] },
        student: ev(0.9612),
        baseline: ev(0.9421),
        gain: 0.0191,
        numClasses: 10,
        testSamples: 100,
      }),
    );
  }
  return runDir;
}

async function runNodes(api: SidebarApi): Promise<Extract<RunNode, { kind: 'run' }>[]> {
  return (await api.runsTree.getChildren()).filter((n): n is Extract<RunNode, { kind: 'run' }> => n.kind === 'run');
}

describe('sidebar: Teachers and Students', () => {
  it('lists each kd.json with its teachers and student, their source and parameter count', async () => {
    const api = await sidebar();
    const roots = await api.modelsTree.getChildren();
    const tiny = roots.find((n) => n.kind === 'kdjson' && n.uri.fsPath === fixture('kd.json'));
    assert.ok(tiny, `kd.json is a root: ${roots.map((r) => (r.kind === 'kdjson' ? r.uri.fsPath : r.kind)).join(', ')}`);
    assert.equal(api.modelsTree.getTreeItem(tiny).label, 'tiny');
    const models = (await api.modelsTree.getChildren(tiny)) as Extract<ModelNode, { kind: 'model' }>[];
    assert.deepEqual(
      models.map((m) => api.modelsTree.getTreeItem(m).label),
      ['t', 'student'],
    );
    // mlp [64] on 28x28x1, 10 classes: 784·64+64 + 64·10+10 = 50 890.
    assert.equal(models[0].entry.info?.params, 50_890);
    assert.match(String(api.modelsTree.getTreeItem(models[0]).description), /^preset mlp 64 · 50\.9k params/);
    const layers = await api.modelsTree.getChildren(models[1]);
    assert.deepEqual(
      layers.map((l) => api.modelsTree.getTreeItem(l).label),
      ['student_flatten', 'student_dense1', 'student_logits'],
    );
  });

  it("opens a teacher's definition in its kd.json", async () => {
    const api = await sidebar();
    const roots = await api.modelsTree.getChildren();
    const tiny = roots.find((n) => n.kind === 'kdjson' && n.uri.fsPath === fixture('kd.json'))!;
    const [teacher] = await api.modelsTree.getChildren(tiny);
    const item = api.modelsTree.getTreeItem(teacher);
    const editor = (await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []))) as vscode.TextEditor;
    assert.equal(editor.document.uri.fsPath, fixture('kd.json'));
    assert.match(editor.document.getText(editor.selection), /^\{ "id": "t", "architecture"/);
  });
});

describe('sidebar: Runs', () => {
  it('shows a run folder that appears on disk (as from the CLI), live, with its key result', async () => {
    const api = await sidebar();
    const dir = experimentDir();
    await runNodes(api); // the tree has been read once
    const changed = new Promise<void>((resolve) => {
      const sub = api.runsTree.onDidChangeTreeData(() => {
        sub.dispose();
        resolve();
      });
    });
    const runId = '20260101-120000-fake-aaaaaa';
    writeRun(dir, runId, { summary: true, student: true });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the Runs tree did not signal a change within 15 s of a run folder appearing')), 15_000),
    );
    await Promise.race([changed, timeout]);
    const node = await waitFor(`run ${runId} in the Runs tree`, async () => (await runNodes(api)).find((n) => n.runId === runId), 15_000, 250);
    const item = api.runsTree.getTreeItem(node);
    assert.equal(node.record.status, 'done');
    // Its label first (runLabels.ts: nothing differs from a sibling, so only the short id), then the key result.
    assert.match(String(item.description), /^#aaaa · 96\.12% vs 94\.21% scratch \(\+1\.91 pts\)/);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass');
    assert.equal(item.contextValue, 'run.done');
  });

  it('shows a run with fresh events and no summary as running, with epoch and percent; newest first', async () => {
    const api = await sidebar();
    const runId = '20991231-235959-live-bbbbbb';
    writeRun(experimentDir(), runId, { time: new Date().toISOString() });
    const node = await waitFor(`run ${runId} in the Runs tree`, async () => (await runNodes(api)).find((n) => n.runId === runId), 15_000, 250);
    assert.equal(node.record.status, 'running');
    assert.match(String(api.runsTree.getTreeItem(node).description), /^#bbbb · distill epoch 2\/4 · 38%/);
    assert.equal((await runNodes(api))[0].runId, runId, 'newest first');
    // A stale one (events untouched for minutes, no engine) is a crash.
    const stale = writeRun(experimentDir(), '20260101-110000-dead-cccccc', {});
    const old = new Date(Date.now() - 5 * 60_000);
    fs.utimesSync(path.join(stale, 'events.jsonl'), old, old);
    const dead = await waitFor('the stale run', async () => (await runNodes(api)).find((n) => n.runId === '20260101-110000-dead-cccccc'), 15_000, 250);
    assert.equal(dead.record.status, 'crashed');
    fs.rmSync(path.join(experimentDir(), '.distillery', 'runs', runId), { recursive: true });
  });

  it("groups a sweep's trials under one node", async () => {
    const api = await sidebar();
    const sweepDir = path.join(experimentDir(), '.distillery', 'sweeps', '20260101-130000-sweep-dddddd');
    const trialDir = path.join(sweepDir, 'trials', 't1');
    fs.mkdirSync(trialDir, { recursive: true });
    fs.writeFileSync(
      path.join(trialDir, 'events.jsonl'),
      JSON.stringify({
        type: 'run_started',
        time,
        runId: 't1',
        runDir: trialDir,
        name: 'sw',
        pid: 1,
        backend: 'wasm',
        configPath: path.join(experimentDir(), 'kd.json'),
      }) + '\n',
    );
    const trial = {
      id: 't1',
      kind: 'distill',
      params: { 'distillation.temperature': 4 },
      seed: 42,
      runDir: 'trials/t1',
      configFile: 'configs/t1.kd.json',
      status: 'done',
    };
    fs.writeFileSync(
      path.join(sweepDir, 'sweep.json'),
      JSON.stringify({
        format: 'distillery-sweep/1',
        sweepId: 's',
        name: 'sw',
        configPath: path.join(experimentDir(), 'kd.json'),
        status: 'done',
        startedAt: time,
        metric: 'valAccuracy',
        metricLabel: 'validation accuracy',
        params: [{ path: 'distillation.temperature', values: [4] }],
        seeds: [42],
        epochs: 1,
        parallel: 1,
        trials: [trial],
        aggregates: [],
        teacherCache: { dir: '', hits: 0, computed: 0 },
        notes: [],
      }),
    );
    const sweep = await waitFor('the sweep node', async () => (await api.runsTree.getChildren()).find((n) => n.kind === 'sweep'), 15_000, 250);
    assert.equal(api.runsTree.getTreeItem(sweep).label, 'sw (sweep)');
    const trials = await api.runsTree.getChildren(sweep);
    assert.deepEqual(
      trials.map((t) => api.runsTree.getTreeItem(t).label),
      ['temperature=4 · seed 42'],
    );
  });

  it("exports a run's student to a chosen folder", async () => {
    const api = await sidebar();
    const node = (await runNodes(api)).find((n) => n.runId === '20260101-120000-fake-aaaaaa')!;
    const target = vscode.Uri.file(path.join(workspaceDir(), 'exported-student'));
    const result = await vscode.commands.executeCommand<vscode.Uri>('distillery.exportStudent', node, target);
    assert.equal(result?.fsPath, target.fsPath);
    assert.ok(fs.existsSync(path.join(target.fsPath, 'model.json')));
  });

  it("Re-run starts the run's kd.json again", async function () {
    this.timeout(60_000);
    const api = await sidebar();
    const node = (await runNodes(api)).find((n) => n.runId === '20260101-120000-fake-aaaaaa')!;
    const started = await vscode.commands.executeCommand<{ runId: string; runDir: string }>('distillery.rerun', node);
    assert.ok(started?.runId, 're-run returned a run');
    assert.equal(path.dirname(started.runDir), path.join(experimentDir(), '.distillery', 'runs'));
    await vscode.commands.executeCommand('distillery.stopRun', started.runId);
  });

  it('New kd.json writes a commented starter beside the existing one, free of problems', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('distillery.newKdJson', vscode.Uri.file(workspaceDir()));
    assert.equal(path.basename(uri.fsPath), 'experiment.kd.json');
    const text = fs.readFileSync(uri.fsPath, 'utf8');
    assert.match(text, /\/\/ /);
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.languageId, 'jsonc', 'kd.json files are JSON with comments');
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(
      vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'distillery'),
      [],
    );
  });
});
