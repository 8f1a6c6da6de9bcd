/**
 * A sweep's baseline trial trains what a run's baseline stage trains: no teacher term at all
 * (no `kd`, no `<output>_kd`), and a student from a model file keeps its student.init.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../../src/engine/run/engineRun';
import { KdConfig } from '../../../src/protocol/config';
import type { StepEvent } from '../../../src/protocol/events';
import { deriveTrialConfig } from '../../../src/sweep/derive';
import { resultRows, shortVerdict, verdict } from '../../../src/protocol/format';
import { runConfig, tiny } from '../engine/methods/runConfig';

const withBox = {
  ...tiny,
  teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [16] }, training: { epochs: 1, batchSize: 50 } }],
  student: { architecture: { preset: 'mlp', hidden: [8] } },
  outputs: { box: { target: 'inkBox', weight: 2 } },
};

function termNames(messages: { type: string }[], stage: string): string[] {
  const steps = messages.filter((m): m is StepEvent => m.type === 'step' && (m as StepEvent).stage === stage);
  assert.ok(steps.length > 0, `${stage} steps`);
  return [...new Set(steps.flatMap((s) => Object.keys(s.terms)))].sort();
}

describe("a sweep's baseline trial", function () {
  this.timeout(180_000);

  it("has no teacher term: its loss terms are those of a run's baseline stage", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-baseline-trial-'));
    const derived = deriveTrialConfig(KdConfig.parse(withBox), dir, { params: {}, seed: 5, epochs: 1, name: 'baseline s5', baseline: true });
    assert.deepEqual(derived.issues, []);
    const trial = await runConfig(derived.config!, dir);
    assert.equal(trial.code, EXIT.done);
    // The trial is a run whose distill stage is the baseline.
    const trialTerms = termNames(trial.messages, 'distill');
    assert.ok(!trialTerms.some((t) => t === 'kd' || t.endsWith('_kd')), `no teacher term: ${trialTerms}`);
    const plain = await runConfig(withBox);
    assert.equal(plain.code, EXIT.done);
    assert.deepEqual(trialTerms, termNames(plain.messages, 'baseline'));
    assert.deepEqual(trialTerms, ['box_gt', 'ce']);
    // It says what it is: a baseline, not a "distilled student" (dashboard card, verdict, CLI).
    assert.equal(trial.summary?.noTeacherTerm, true);
    assert.equal(plain.summary?.noTeacherTerm, undefined);
    assert.deepEqual(
      resultRows(trial.summary!).map((r) => r.name),
      ['teacher (t)', 'student, no teacher term (baseline)'],
    );
    assert.match(verdict(trial.summary!), /^baseline: the student trained without a teacher term, \d+\.\d+% test accuracy$/);
    assert.ok(resultRows(plain.summary!).some((r) => r.name === 'distilled student'));
    assert.match(shortVerdict(trial.summary!)!, /^\d+\.\d+% baseline \(no teacher term\)$/);
  });

  it('keeps student.init of a student from a model file', () => {
    const cfg = KdConfig.parse({ ...withBox, outputs: {}, student: { model: 'student/model.json', init: 'file' } });
    const derived = deriveTrialConfig(cfg, '/somewhere', { params: {}, seed: 5, epochs: 1, name: 'b', baseline: true });
    assert.deepEqual((derived.config as KdConfig).student, { model: path.resolve('/somewhere', 'student/model.json'), init: 'file' });
  });
});
