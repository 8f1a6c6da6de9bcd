/**
 * What a teacher's or student's `model` file is, when it is not a tfjs LayersModel: the
 * reader names the file and says what it found and what is needed, instead of tfjs's
 * "Improper config format" or a bare TypeError. Reads files only; no tfjs.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readModelArtifacts } from '../../../src/engine/models/modelFiles';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-modelfiles-'));
const put = (name: string, content: string | Buffer) => {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
};
const topology = { class_name: 'Sequential', config: { layers: [] } };

describe('engine/models/modelFiles: files that are not a LayersModel', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: [what: string, make: () => string, message: RegExp][] = [
    ['a model.json of null', () => put('null/model.json', 'null'), /null[/\\]model\.json: not a tfjs model\.json: it holds null, not an object/],
    ['a model.json that is an array', () => put('array/model.json', '[1]'), /array[/\\]model\.json: not a tfjs model\.json: it holds an array, not an object/],
    [
      'a manifest group without paths',
      () => put('nopaths/model.json', JSON.stringify({ modelTopology: topology, weightsManifest: [{ weights: [] }] })),
      /nopaths[/\\]model\.json: weightsManifest\[0\]\.paths: expected a list of weight file names/,
    ],
    [
      'a manifest group without weights',
      () => put('noweights/model.json', JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: ['w.bin'] }] })),
      /noweights[/\\]model\.json: weightsManifest\[0\]\.weights: expected a list of weight specs/,
    ],
    [
      'a manifest that is not a list',
      () => put('manifest/model.json', JSON.stringify({ modelTopology: topology, weightsManifest: { paths: [] } })),
      /manifest[/\\]model\.json: weightsManifest: expected a list of weight groups/,
    ],
    [
      'a weight spec without a shape',
      () =>
        put('noshape/model.json', JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: [], weights: [{ name: 'k', dtype: 'float32' }] }] })),
      /noshape[/\\]model\.json: weightsManifest\[0\]\.weights\[0\]: expected a name, a shape \(a list of sizes\) and a dtype/,
    ],
    [
      'a GraphModel',
      () => put('graph/model.json', JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] })),
      /graph[/\\]model\.json: a tfjs GraphModel \(format "graph-model"\).*can be a teacher.*a tfjs LayersModel model\.json is needed.*tensorflowjs_converter --input_format keras/,
    ],
    [
      'a Keras .h5 file',
      () => put('keras/model.h5', Buffer.from('\x89HDF\r\n\x1a\n' + 'x'.repeat(40), 'latin1')),
      /keras[/\\]model\.h5: a Keras model file; a tfjs LayersModel model\.json is needed: convert it with tensorflowjs_converter --input_format keras .*model\.h5 /,
    ],
    [
      'HDF5 bytes behind a .json name',
      () => put('hdf5/model.json', Buffer.from('\x89HDF\r\n\x1a\n' + 'x'.repeat(40), 'latin1')),
      /hdf5[/\\]model\.json: a Keras model file.*tensorflowjs_converter --input_format keras/,
    ],
    [
      'a Keras v3 .keras file',
      () => put('keras3/model.keras', Buffer.from('PK\x03\x04' + 'x'.repeat(40), 'latin1')),
      /keras3[/\\]model\.keras: a Keras model file; .*tensorflowjs_converter --input_format keras/,
    ],
    [
      'an ONNX file',
      () => put('onnx/model.onnx', Buffer.from([0x08, 0x07, 0x12, 0x04])),
      /onnx[/\\]model\.onnx: an ONNX model, which can be a teacher \(teachers\[\]\.model\) but not trained here: a tfjs LayersModel model\.json is needed/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`${what}: named, with what is needed`, () => {
      const file = make();
      assert.throws(
        () => readModelArtifacts(file),
        (e: Error) => {
          assert.match(e.message, message);
          assert.doesNotMatch(e.message, /Cannot read properties|Unexpected token|Improper config/);
          return true;
        },
      );
    });
  }

  it('a good model.json still reads', () => {
    fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.alloc(8));
    const file = put(
      'model.json',
      JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'k', shape: [2], dtype: 'float32' }] }] }),
    );
    const a = readModelArtifacts(file);
    assert.equal((a.weightData as ArrayBuffer).byteLength, 8);
    assert.deepEqual(
      a.weightSpecs!.map((w) => w.name),
      ['k'],
    );
  });
});
