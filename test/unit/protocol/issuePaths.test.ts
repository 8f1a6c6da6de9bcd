/**
 * One formatter for a config issue's path (protocol/loadConfig.ts formatPath): a person sees
 * `teachers[0].model`, never `teachers.0.model`, from the CLI, the run log, Start Run's
 * message and a sweep trial that cannot run.
 */
import { strict as assert } from 'node:assert';
import { KdConfig } from '../../../src/protocol/config';
import { formatIssue, formatPath, issueText } from '../../../src/protocol/loadConfig';
import { deriveTrialConfig } from '../../../src/sweep/derive';

describe("protocol/loadConfig: one way to write a config issue's path", () => {
  it('indexes in brackets, keys with dots, the root by name', () => {
    assert.equal(formatPath(['teachers', 0, 'model']), 'teachers[0].model');
    assert.equal(formatPath(['sweep', 'params', 'distillation.temperature']), 'sweep.params.distillation.temperature');
    assert.equal(formatPath([0, 'id']), '[0].id');
    assert.equal(formatPath([]), '(root)');
    assert.equal(issueText({ path: ['teachers', 1, 'training', 'epochs'], message: 'must be whole' }), 'teachers[1].training.epochs: must be whole');
    assert.equal(formatIssue('kd.json', { path: ['teachers', 0], message: 'bad', line: 3, column: 5 }), 'kd.json:3:5: teachers[0]: bad');
  });

  it('a sweep trial whose derived config is invalid names the path the same way', () => {
    const cfg = KdConfig.parse({
      name: 'tiny',
      data: { source: 'mnist', limit: 400 },
      teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [64] }, training: { epochs: 2, batchSize: 50 } }],
      student: { architecture: { preset: 'mlp', hidden: [16] } },
    });
    const { issues } = deriveTrialConfig(cfg, '/somewhere', { params: { 'teachers.0.training.epochs': 0.5 }, seed: 1, epochs: 1, name: 't', baseline: false });
    assert.equal(issues.length, 1);
    assert.doesNotMatch(issues[0].message, /: teachers\.0/);
    assert.match(issues[0].message, /^the trial with teachers\.0\.training\.epochs = 0\.5: teachers\[0\](\.training\.epochs)?: /);
  });
});
