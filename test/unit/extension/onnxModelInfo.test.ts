/**
 * The editor's view of ONNX and GraphModel teachers, read in the extension host with
 * protobufjs (no ONNX Runtime, no tfjs): the Teachers tree's parameters and layers, the
 * teacherLayer completions from the graph's node names, `model` completion offering .onnx
 * files for teachers, and no false "no layer" diagnostic for a node output that exists.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { candidates, completionSite } from '../../../src/extension/kdjson/completions';
import { computeDiagnostics } from '../../../src/extension/kdjson/diagnostics';
import { modelsOfKdJson } from '../../../src/extension/tree/modelInfo';

const examples = path.resolve(__dirname, '../../../examples');

describe('extension: ONNX and GraphModel teachers in the tree, hovers and completions', () => {
  const onnxKd = path.join(examples, 'onnx-teacher', 'kd.json');
  const onnxText = fs.readFileSync(onnxKd, 'utf8');

  it("the ONNX teacher's node outputs are its layers, with their ops, and its initializers are its parameters", () => {
    const t = modelsOfKdJson(onnxText, onnxKd).teachers[0];
    assert.equal(t.problem, undefined);
    const relu = t.info!.layers.find((l) => l.name === 'relu1');
    assert.equal(relu?.className, 'Relu');
    // conv1 8·(9+1), conv2 16·(72+1), dense1 32·(784+1), logits 10·(32+1): BN folded into conv1.
    assert.equal(t.info!.params, 80 + 1168 + 25120 + 330);
  });

  it('teacherLayer completes from the ONNX graph, and `model` offers .onnx files for teachers only', () => {
    const at = onnxText.indexOf('"teacherLayer": "relu1"') + '"teacherLayer": "'.length + 1;
    const site = completionSite(onnxText, at)!;
    assert.equal(site.kind, 'teacherLayer');
    const names = candidates(site, onnxText, onnxKd).map((c) => c.value);
    assert.ok(names.includes('relu1') && names.includes('pool2') && names.includes('logits'), names.join(', '));
    const modelAt = onnxText.indexOf('"teacher.onnx"') + 2;
    const files = candidates(completionSite(onnxText, modelAt)!, onnxText, onnxKd);
    assert.ok(files.some((c) => c.value === 'teacher.onnx' && c.detail === 'ONNX (teachers only)'));
  });

  it('no "no layer" diagnostic for a node output the graph has; one for a name it lacks', () => {
    assert.deepEqual(
      computeDiagnostics(onnxText, onnxKd).filter((d) => d.severity === 'error'),
      [],
    );
    const wrong = onnxText.replace('"teacherLayer": "relu1"', '"teacherLayer": "relu9"');
    assert.ok(computeDiagnostics(wrong, onnxKd).some((d) => /no layer "relu9" in teacher "onnx-cnn"/.test(d.message)));
  });

  it("a GraphModel teacher's nodes and weights", () => {
    const kd = path.join(examples, 'graphmodel-teacher', 'kd.json');
    const t = modelsOfKdJson(fs.readFileSync(kd, 'utf8'), kd).teachers[0];
    assert.ok(t.info!.layers.some((l) => l.name === 'dense1/Relu' && l.className === 'Relu'));
    assert.equal(t.info!.params, 2 + 784 * 48 + 48 + 480 + 10);
  });
});
