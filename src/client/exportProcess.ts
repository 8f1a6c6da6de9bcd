/**
 * `distill export` (dist/cli.js) in a child process, started like an engine: the Node its
 * launch names (the launch policy's decision; VS Code's own, run as Node, by default). The CLI
 * checks and records the export (src/engine/export/exportStudent.ts); its last stdout line
 * (--json) is the record, and on failure its last stderr line says why.
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { EngineLaunch } from '../protocol/engineArgs';
import type { ExportRecord } from '../protocol/events';

export function runExportCli(o: { runDir: string; form: ExportRecord['format']; out: string; launch: EngineLaunch; cliPath?: string }): Promise<ExportRecord> {
  return new Promise((resolve, reject) => {
    const cli = o.cliPath ?? path.join(__dirname, 'cli.js');
    const child = fork(cli, ['export', o.runDir, '--format', o.form, '--out', o.out, '--json', ...(o.launch.backend ? ['--backend', o.launch.backend] : [])], {
      execPath: o.launch.execPath ?? process.execPath,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // ELECTRON_RUN_AS_NODE makes VS Code's Electron binary behave as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0)
        return reject(
          new Error(
            stderr
              .trim()
              .split('\n')
              .pop()
              ?.replace(/^distill export: /, '') || `distill export exited with code ${code}`,
          ),
        );
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ExportRecord);
      } catch (e) {
        reject(new Error(`distill export printed no record (${(e as Error).message})`));
      }
    });
  });
}
