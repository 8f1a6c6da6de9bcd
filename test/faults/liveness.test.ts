/**
 * The one run-status rule (protocol/runStatus.ts runStatusOf, on what protocol/runReader.ts reads) against a real process: an engine stopped
 * with SIGSTOP stops beating but lives, and reads "not responding", not "crashed"; once it
 * continues it reads running again; once it is dead, crashed. The stale threshold is injected
 * short, so the test takes a second, not fifteen.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FILES } from '../../src/protocol/runFolder';
import { readRunFolder } from '../../src/protocol/runReader';
import { processStartOf, runStatusOf, systemProbe } from '../../src/protocol/runStatus';
import { waitFor } from './helpers';

const STALE_MS = 400;

describe('faults: a live engine that stops beating (SIGSTOP)', function () {
  this.timeout(20_000);

  it('reads running, then not responding while stopped, running once continued, crashed once dead', async () => {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-live-'));
    fs.writeFileSync(path.join(runDir, FILES.events), '');
    const beatFile = path.join(runDir, FILES.heartbeat);
    // A stand-in engine: beats every 50 ms as the real one does every 2 s, with its start time.
    const script = `const fs = require('fs');
      const stat = fs.readFileSync('/proc/self/stat', 'utf8');
      const procStart = fs.existsSync('/proc/self/stat') ? stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] : undefined;
      const beat = () => { fs.writeFileSync(${JSON.stringify(beatFile)} + '.tmp', JSON.stringify({ pid: process.pid, procStart, time: new Date().toISOString() })); fs.renameSync(${JSON.stringify(beatFile)} + '.tmp', ${JSON.stringify(beatFile)}); };
      beat(); setInterval(beat, 50);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      const state = () => runStatusOf(readRunFolder(runDir), { probe: systemProbe, staleMs: STALE_MS });
      await waitFor('the first beat', 5000, () => (fs.existsSync(beatFile) && state().status === 'running' ? true : undefined));
      assert.equal(readRunFolder(runDir).heartbeat!.procStart, processStartOf(child.pid!));
      child.kill('SIGSTOP');
      await waitFor('not responding', 5000, () => (state().status === 'not-responding' ? true : undefined));
      assert.match(state().reason!, /still there but has not written a heartbeat/);
      child.kill('SIGCONT');
      await waitFor('running again', 5000, () => (state().status === 'running' ? true : undefined));
      child.kill('SIGKILL');
      await exited;
      assert.equal(state().status, 'crashed');
      assert.match(state().reason!, /stopped without a result/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a pid that lives but is another process (its start time differs) does not keep a run alive', () => {
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-reused-'));
    // This test's own pid is alive; the heartbeat claims a start time it does not have.
    fs.writeFileSync(path.join(runDir, FILES.heartbeat), JSON.stringify({ pid: process.pid, procStart: 'not-this-one', time: new Date().toISOString() }));
    const expected = processStartOf(process.pid) === undefined ? 'running' : 'crashed';
    assert.equal(runStatusOf(readRunFolder(runDir)).status, expected);
  });
});
