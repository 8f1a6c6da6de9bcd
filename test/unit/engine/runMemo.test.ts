/**
 * A worker engine's RunMemo, in-process: the second of two like runs finds the data, the
 * teacher, its logits and its test evaluation in the memo, and leaves exactly as many tensors
 * as the first; a run with another teacher replaces the kept one without growth.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runEngine } from '../../../src/engine/run/engineRun';
import { newRunJob } from '../../../src/protocol/runId';
import { RunMemo } from '../../../src/engine/run/memo';
import type { RunSummary } from '../../../src/protocol/events';
import { saveTeacher } from '../sweep/runFolders';
import { wasmTf } from './helpers';
import { winogradCachedTensors } from '../../../src/engine/backend/simd/winograd';

describe('RunMemo (worker engines)', function () {
  this.timeout(120_000);

  it('drops what a run did not use and disposes it; keeps what it used', async () => {
    const memo = new RunMemo();
    const disposed: string[] = [];
    const a = await memo.get(
      'a',
      () => ({ v: 1 }),
      () => disposed.push('a'),
    );
    await memo.get(
      'b',
      () => ({ v: 2 }),
      () => disposed.push('b'),
    );
    memo.endRun();
    assert.equal(await memo.get('a', () => ({ v: 3 })), a, 'kept, not made again');
    memo.endRun();
    assert.deepEqual(disposed, ['b']);
    assert.equal(memo.size, 1);
    assert.equal(memo.keyOf(a), 'a');
    assert.equal(memo.keyOf({ v: 1 }), undefined);
    memo.clear();
    assert.deepEqual(disposed, ['b', 'a']);
  });

  it('runs with the same teacher and data reuse them without leaking a tensor; another teacher replaces the kept one', async () => {
    const tf = await wasmTf();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-memo-'));
    await saveTeacher(path.join(dir, 'a'), 1);
    await saveTeacher(path.join(dir, 'b'), 2);
    const memo = new RunMemo();
    const run = async (teacher: string, temperature: number): Promise<{ summary: RunSummary; tensors: number }> => {
      const file = path.join(dir, `kd-${teacher}-${temperature}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          backend: 'wasm',
          seed: 3,
          data: { source: 'mnist', limit: 300 },
          teachers: [{ id: 't', model: `${teacher}/model.json` }],
          student: { architecture: { preset: 'cnn', filters: [4, 8], dense: [16] } },
          distillation: { temperature },
          training: { epochs: 1, batchSize: 50 },
          evaluation: { latencySamples: 2, logitsSamples: 2 },
        }),
      );
      let summary: RunSummary | undefined;
      const code = await runEngine({
        request: newRunJob(file),
        send: (m) => m.type === 'run_finished' && (summary = m.summary),
        shouldStop: () => false,
        memo,
      });
      memo.endRun();
      assert.equal(code, 0);
      return { summary: summary!, tensors: tf.memory().numTensors };
    };
    const kinds = (keys: string[]) => keys.map((k) => k.slice(0, k.indexOf(':'))).sort();

    const first = await run('a', 2);
    const firstWinograd = winogradCachedTensors();
    assert.deepEqual(kinds(memo.lastRun.made), ['data', 'logits', 'teacher', 'teacher-eval']);
    const second = await run('a', 6);
    assert.deepEqual(kinds(memo.lastRun.hits), ['data', 'logits', 'teacher', 'teacher-eval'], 'the second run made nothing again');
    assert.deepEqual(memo.lastRun.made, []);
    assert.equal(second.tensors, first.tensors, 'no tensor growth from run to run');
    assert.equal(second.summary.teacher!.testAccuracy, first.summary.teacher!.testAccuracy);
    assert.notEqual(second.summary.student!.testAccuracy, undefined);

    const other = await run('b', 2);
    assert.deepEqual(kinds(memo.lastRun.hits), ['data'], 'another teacher: only the data is the same');
    assert.equal(memo.size, 4, 'teacher a, its logits and evaluation are gone');
    const again = await run('b', 6);
    // The Winograd kernel keeps a disposed filter's transforms until its next cache miss
    // (backend/simd/winograd.ts): teacher a's may still be there; nothing else of it is.
    assert.equal(again.tensors - winogradCachedTensors(), first.tensors - firstWinograd, "teacher a's tensors were disposed");
    assert.equal(again.summary.teacher!.testAccuracy, other.summary.teacher!.testAccuracy);
    memo.clear();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
