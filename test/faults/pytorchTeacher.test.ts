/**
 * The PyTorch user's story, end to end: examples/pytorch-teacher/train.py trains a CNN in
 * PyTorch on the bundled digits (dist/*.idx?-ubyte) and exports it with torch.onnx.export; the
 * example's kd.json distils it through the CLI; the student goes back out as ONNX, checked by
 * ONNX Runtime. Runs wherever a python3 imports torch (.ci/run installs python3-torch).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';
import type { ExportRecord, RunSummary } from '../../src/protocol/events';
import { distillBounded } from './helpers';

const repo = path.resolve(__dirname, '../..');
const example = path.join(repo, 'examples', 'pytorch-teacher');

/** A python3 that imports torch: the one on PATH, else Debian's (python3-torch installs there). */
function pythonWithTorch(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

describe('examples/pytorch-teacher: PyTorch teacher in, tfjs student, ONNX student out', function () {
  this.timeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-pytorch-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains in PyTorch, distils from its ONNX file, exports the student to ONNX', async function () {
    const python = pythonWithTorch();
    if (!python) {
      console.warn('\n  !!! SKIPPED: no python3 here imports torch (apt-get install -y python3-torch python3-numpy; .ci/run does) !!!\n');
      this.skip();
    }
    assert.ok(fs.existsSync(path.join(repo, 'dist', 'mnist-digits-images.idx3-ubyte')), 'npm run build writes the digits as IDX');
    const onnx = path.join(dir, 'teacher.onnx');
    const train = spawnSync(python!, [path.join(example, 'train.py'), '--out', onnx, '--epochs', '1', '--limit', '2500'], { encoding: 'utf8' });
    assert.equal(train.status, 0, train.stderr);
    assert.match(train.stdout, /wrote .*teacher\.onnx/);

    const cfg = parse(fs.readFileSync(path.join(example, 'kd.json'), 'utf8'));
    cfg.data.limit = 1000;
    cfg.training.epochs = 1;
    const kd = path.join(dir, 'kd.json');
    fs.writeFileSync(kd, JSON.stringify(cfg));
    const run = await distillBounded(['run', kd, '--runs-root', path.join(dir, 'runs')], 180_000);
    assert.equal(run.code, 0, run.stderr);
    const runDir = path.join(dir, 'runs', fs.readdirSync(path.join(dir, 'runs'))[0]);
    const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as RunSummary;
    // A trained teacher, read right: far above chance (a wrong layout or scaling gives ~10 %).
    assert.ok(summary.teacher!.testAccuracy > 0.6, `teacher accuracy ${summary.teacher!.testAccuracy}`);

    const exp = await distillBounded(['export', runDir, '--format', 'onnx', '--out', path.join(dir, 'student.onnx'), '--json'], 60_000);
    assert.equal(exp.code, 0, exp.stderr);
    const record = JSON.parse(exp.stdout.trim().split('\n').pop()!) as ExportRecord;
    assert.ok(record.maxAbsDiff <= 1e-4);
    assert.equal(record.accuracy, summary.student!.testAccuracy);
  });
});
