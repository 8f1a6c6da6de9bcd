/**
 * A disk that fills up during a run, and an engine that runs out of memory: the run fails with
 * a message that says what failed, and nothing already written is corrupted. Both are real:
 * the run folder lives on a 64 KiB tmpfs, and the engine gets a tiny V8 heap or a tensor too
 * large for wasm.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FILES, listRunDirs, readSummary, runsRootFor } from '../../src/protocol/runFolder';
import { tinyKd, writeKd } from '../unit/cli/cliHelpers';
import { runCli } from './helpers';

describe('faults: disk and memory', function () {
  this.timeout(120_000);

  describe('the disk fills up mid-run', () => {
    const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-full-'));
    before(() => {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { stdio: 'pipe' });
      } catch (e) {
        throw new Error(`this test fills a real disk: it mounts a 64 KiB tmpfs, which needs root (or CAP_SYS_ADMIN): ${(e as Error).message}`, { cause: e });
      }
    });
    after(() => {
      try {
        execFileSync('umount', [mountPoint], { stdio: 'pipe' });
        fs.rmdirSync(mountPoint);
      } catch {
        /* mount failed */
      }
    });

    it('fails with "no space left" naming the file; every line already in events.jsonl parses; config.json is whole', async () => {
      const kd = writeKd(tinyKd({ training: { epochs: 40, batchSize: 20 }, baseline: false }));
      const messages: string[] = [];
      let finished: { status: string; error?: string } | undefined;
      const { code, stderr } = await runCli(
        kd,
        (m) => {
          if (m.type === 'log' && m.level === 'error') messages.push(m.message);
          if (m.type === 'run_finished') finished = m;
        },
        ['--runs-root', mountPoint],
      );
      assert.equal(code, 1, stderr);
      assert.ok(finished, `no run_finished reached the CLI; stderr: ${stderr}`);
      assert.equal(finished.status, 'failed');
      // Whichever write hit the full disk first (events, a checkpoint, the student) is named.
      assert.match(finished.error!, new RegExp(`cannot write ${mountPoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\S+: .*(ENOSPC|no space left)`, 'i'));
      const [runDir] = listRunDirs(mountPoint);
      assert.ok(runDir, 'no run folder on the full disk');
      // What was written before the disk filled is intact: every whole line parses, only a
      // torn last line may not, and config.json (written atomically) is complete JSON.
      const text = fs.readFileSync(path.join(runDir, FILES.events), 'utf8');
      const lines = text.split('\n');
      const whole = text.endsWith('\n') ? lines.slice(0, -1) : lines.slice(0, -1);
      assert.ok(whole.length > 10, `only ${whole.length} events were written before the disk filled`);
      for (const l of whole) assert.doesNotThrow(() => JSON.parse(l), `a written line does not parse: ${l.slice(0, 80)}`);
      assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, FILES.config), 'utf8')).name, 'tiny');
      // The summary is on disk when there was room for it; either way it is never half-written.
      const summary = readSummary(runDir);
      if (fs.existsSync(path.join(runDir, FILES.summary))) assert.equal(summary?.status, 'failed');
      // No temporary files from atomic writes are left to eat the space.
      assert.deepEqual(
        fs.readdirSync(runDir).filter((f) => /tmp|saving/.test(f)),
        [],
      );
    });
  });

  describe('out of memory', () => {
    it('a V8 heap too small: the engine dies, the CLI says it ran out of memory and exits 1', async () => {
      const kd = writeKd(tinyKd());
      const saved = process.env.NODE_OPTIONS;
      // The engine inherits NODE_OPTIONS from its parent, as it would from a user's shell. A 16 MB
      // heap cannot even hold tfjs (a run of this config needs about 24 MB since the digits load
      // from IDX, not JSON), so the engine dies early, before or after making its run folder.
      process.env.NODE_OPTIONS = '--max-old-space-size=16';
      let result;
      try {
        result = await runCli(kd, () => undefined);
      } finally {
        if (saved === undefined) delete process.env.NODE_OPTIONS;
        else process.env.NODE_OPTIONS = saved;
      }
      assert.equal(result.code, 1);
      assert.match(result.stderr, /the engine ran out of memory and (was killed by SIG\w+|exited with code \d+)/);
      for (const runDir of listRunDirs(runsRootFor(kd))) assert.equal(readSummary(runDir)?.status, 'failed');
    });

    it('a tensor too large for wasm mid-run: the run is marked failed, the reason says out of memory', async () => {
      // 1000 × 28 × 28 × 2000 activations are 6 GB: more than wasm can address.
      const kd = writeKd(
        tinyKd({
          data: { source: 'mnist', limit: 2000 },
          teachers: [{ id: 't', architecture: { preset: 'mlp', hidden: [16] }, training: { epochs: 1, batchSize: 200 } }],
          student: { architecture: { preset: 'cnn', filters: [2000] } },
          training: { epochs: 1, batchSize: 1000 },
          baseline: false,
        }),
      );
      const { code, stderr } = await runCli(kd, () => undefined);
      assert.equal(code, 1, stderr);
      const [runDir] = listRunDirs(runsRootFor(kd));
      const summary = readSummary(runDir)!;
      assert.equal(summary.status, 'failed');
      assert.match(summary.error!, /the engine ran out of memory \(wasm: memory access out of bounds\); .* try a smaller batchSize/);
    });
  });
});
