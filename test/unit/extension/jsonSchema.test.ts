import { strict as assert } from 'node:assert';
import { buildKdJsonSchema, undescribedProperties } from '../../../src/extension/kdjson/jsonSchema';

describe('extension/kdjson/jsonSchema: the editor schema from zod', () => {
  const schema = buildKdJsonSchema();

  it('is draft-07 and describes every key', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.deepEqual(undescribedProperties(schema), []);
  });

  it('lists every enum value', () => {
    assert.deepEqual(schema.properties.backend.enum, ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    assert.deepEqual(schema.properties.training.properties.optimizer.properties.type.enum, ['adam', 'sgd']);
    const normalize = schema.properties.data.properties.normalize;
    assert.deepEqual(normalize.anyOf.find((s: { enum?: string[] }) => s.enum)?.enum, ['unit', 'standard', 'perChannel']);
    assert.ok(normalize.anyOf.some((s: { properties?: object }) => s.properties && 'mean' in s.properties && 'std' in s.properties));
  });

  it('completes every data.source format: its const, its keys, and a snippet each', () => {
    const source = schema.properties.data.properties.source;
    const json = JSON.stringify(source);
    for (const f of ['imageFolder', 'npy', 'csv', 'cifar']) assert.ok(json.includes(`"const":"${f}"`), f);
    for (const key of ['"label"', '"delimiter"', '"validation"', '"labels"']) assert.ok(json.includes(key), key);
    const labels = source.defaultSnippets.map((s: { label: string }) => s.label).join(' | ');
    for (const word of ['image folder', 'NumPy', 'CSV', 'CIFAR']) assert.ok(labels.includes(word), labels);
    for (const key of ['imageSize', 'channels', 'fit', 'skipUnreadable']) assert.ok(schema.properties.data.properties[key]?.description, key);
    assert.deepEqual(Object.keys(schema.properties.data.properties.augment.properties), ['shift', 'crop', 'flip']);
  });

  it('offers whole-block snippets for teachers and students', () => {
    const teacherLabels = schema.properties.teachers.items.defaultSnippets.map((s: { label: string }) => s.label);
    assert.ok(
      teacherLabels.some((l: string) => /model file/.test(l)),
      teacherLabels.join(', '),
    );
    assert.ok(teacherLabels.some((l: string) => /MLP/.test(l)));
    assert.ok(schema.properties.student.defaultSnippets.length >= 2);
  });

  it('keeps the discriminating keys of the presets', () => {
    const json = JSON.stringify(schema);
    assert.ok(json.includes('"const":"mlp"') && json.includes('"const":"cnn"'));
  });
});

describe('extension/kdjson/jsonSchema: snippets for the newer blocks', () => {
  const schema = buildKdJsonSchema();
  it('offers a feature-distillation pair and a sweep', () => {
    const pair = schema.properties.distillation.properties.features.items.defaultSnippets[0];
    assert.ok('teacherLayer' in pair.body && 'studentLayer' in pair.body);
    assert.ok(schema.properties.sweep.defaultSnippets[0].body.params['distillation.temperature']);
  });

  it('describes outputs, offers a box head, and lists the built-in targets', () => {
    const outputs = schema.properties.outputs;
    assert.match(outputs.description, /detection-style/);
    assert.equal(outputs.defaultSnippets[0].body['${1:box}'].target, '${2|inkBox,inkCentre|}');
    const spec = outputs.additionalProperties;
    assert.deepEqual(spec.required, ['target']);
    assert.deepEqual(spec.properties.target.anyOf[0].enum, ['inkBox', 'inkCentre']);
    for (const k of ['target', 'testTarget', 'loss', 'beta', 'weight', 'labelWeight']) assert.ok(spec.properties[k].description, k);
  });
});
