import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { waitFor, workspaceDir } from './helpers';

/** Writes a kd.json variant into the workspace and opens it. */
async function open(name: string, text: string): Promise<vscode.TextDocument> {
  const file = path.join(workspaceDir(), 'editor', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  const doc = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(doc);
  return doc;
}

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'distillery');

const TEXT = `{
  // a comment: kd.json is JSON with comments
  "teachers": [
    { "id": "big", "architecture": { "preset": "cnn", "filters": [8, 16] } },
    { "id": "saved", "model": "" }
  ],
  "student": { "architecture": { "preset": "mlp", "hidden": [32] } },
  "distillation": {
    "alpha": 1,
    "features": [ { "teacher": "big", "teacherLayer": "", "studentLayer": "student_x" } ]
  }
}
`;

describe('sidebar+editor: kd.json in the editor', () => {
  before(() => {
    const m = path.join(workspaceDir(), 'editor', 'models', 'teacher');
    fs.mkdirSync(m, { recursive: true });
    fs.writeFileSync(
      path.join(m, 'model.json'),
      JSON.stringify({
        modelTopology: {
          class_name: 'Sequential',
          config: {
            layers: [
              { class_name: 'Flatten', config: { name: 'flat', batch_input_shape: [null, 28, 28, 1] } },
              { class_name: 'Dense', config: { name: 'out', units: 10 } },
            ],
          },
        },
        weightsManifest: [],
      }),
    );
    fs.writeFileSync(path.join(workspaceDir(), 'editor', 'models', 'notes.json'), '{"not": "a model"}');
  });

  it('completes model files (only tfjs model.json files) for "model"', async () => {
    const doc = await open('complete.kd.json', TEXT);
    const pos = doc.positionAt(doc.getText().indexOf('"model": ""') + '"model": "'.length);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, pos);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('models/teacher/model.json'), labels.join(', '));
    assert.ok(!labels.includes('models/notes.json'));
  });

  it("completes the teacher's layer names in a feature pair", async () => {
    const doc = await open('complete.kd.json', TEXT);
    const pos = doc.positionAt(doc.getText().indexOf('"teacherLayer": ""') + '"teacherLayer": "'.length);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, pos);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const l of ['teacher_0_conv1', 'teacher_0_pool2', 'teacher_0_logits']) assert.ok(labels.includes(l), `${l} in ${labels.join(', ')}`);
  });

  it('underlines problems on their exact ranges: missing file, unknown layer, α = 1', async () => {
    const doc = await open('diagnose.kd.json', TEXT.replace('"model": ""', '"model": "missing/model.json"'));
    const diags = await waitFor('distillery diagnostics', () => ours(doc.uri).length >= 3 && ours(doc.uri), 10_000);
    const text = (d: vscode.Diagnostic) => doc.getText(d.range);
    const byCode = (c: string) => diags.find((d) => d.code === c);
    assert.equal(text(byCode('missing-file')!), '"missing/model.json"');
    assert.equal(text(byCode('unknown-layer')!), '"student_x"');
    const alpha = byCode('alpha-one')!;
    assert.equal(text(alpha), '1');
    assert.equal(alpha.severity, vscode.DiagnosticSeverity.Information);
  });

  it('applies the quick fix for α = 1', async () => {
    const doc = await open('fix.kd.json', TEXT);
    const alpha = await waitFor('the α = 1 advice', () => ours(doc.uri).find((d) => d.code === 'alpha-one'), 10_000);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      doc.uri,
      alpha.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((a) => /α to 0\.7/.test(a.title));
    assert.ok(fix?.edit, `quick fixes: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.getText(), /"alpha": 0\.7,/);
    await waitFor('the advice to go away', () => !ours(doc.uri).some((d) => d.code === 'alpha-one'), 10_000);
  });

  it("names a schema error's key path in the CLI's words, and each out-of-range quick fix makes the value valid", async () => {
    const bad = TEXT.replace('"alpha": 1,', '"alpha": 1.5, "temperature": -2,');
    const doc = await open('range.kd.json', bad);
    // TEXT has other schema errors (an empty model path, an empty layer name): those stay, named by their paths too.
    const schemaErrors = () => ours(doc.uri).filter((d) => d.code === 'schema' && /^distillation\.(alpha|temperature):/.test(d.message));
    const diags = await waitFor('two schema errors', () => schemaErrors().length >= 2 && schemaErrors(), 10_000);
    assert.deepEqual(diags.map((d) => d.message).sort(), ['distillation.alpha: must be ≤ 1', 'distillation.temperature: must be > 0']);
    assert.ok(
      ours(doc.uri).some((d) => d.code === 'schema' && d.message.startsWith('teachers[1].model: ')),
      ours(doc.uri)
        .map((d) => d.message)
        .join('; '),
    );
    for (const [key, fixed] of [
      ['distillation.alpha', '"alpha": 1,'],
      ['distillation.temperature', '"temperature": 4,'],
    ] as const) {
      const d = await waitFor(`the ${key} error`, () => schemaErrors().find((x) => x.message.startsWith(`${key}:`)), 10_000);
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        doc.uri,
        d.range,
        vscode.CodeActionKind.QuickFix.value,
      );
      const fix = actions.find((a) => a.title.startsWith(`Set ${key} to`));
      assert.ok(fix?.edit, `quick fixes for ${key}: ${actions.map((a) => a.title).join(', ')}`);
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
      assert.ok(doc.getText().includes(fixed), `${key} fixed to ${fixed}: ${doc.getText()}`);
      await waitFor(`the ${key} error to go away`, () => !schemaErrors().some((x) => x.message.startsWith(`${key}:`)), 10_000);
    }
    assert.deepEqual(schemaErrors(), [], 'no range error is left');
  });

  it("shows a teacher's parameters and layers on hover", async () => {
    const doc = await open('complete.kd.json', TEXT);
    const pos = doc.positionAt(doc.getText().indexOf('"big"') + 2);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
    const md = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(md, /teacher `big`/);
    assert.match(md, /\| `teacher_0_conv2` \| Conv2D \| \[14, 14, 16\] \|/);
  });

  it('offers ▶ Start Run as a CodeLens in a trusted workspace', async () => {
    const doc = await open('complete.kd.json', TEXT);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    assert.ok(
      lenses.some((l) => l.command?.command === 'distillery.startRun'),
      JSON.stringify(lenses.map((l) => l.command?.title)),
    );
  });
});
