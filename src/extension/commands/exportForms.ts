/**
 * Export Student's forms: the quick pick's items (one line each on what the form is for), and
 * the non-tfjs forms written by `distill export` (dist/cli.js) in a child process, since the
 * extension host never loads tfjs or ONNX Runtime. The CLI checks and records each export
 * (src/engine/export/exportStudent.ts); its last stdout line is the record.
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { ExportRecord } from '../../protocol/events';
import { humanBytes, pct } from '../../protocol/format';

export type ExportForm = ExportRecord['format'];

export const EXPORT_FORM_ITEMS: { form: ExportForm; label: string; description: string }[] = [
  { form: 'tfjs', label: 'tfjs LayersModel', description: 'model.json + weights, float32, as trained: loads with tf.loadLayersModel' },
  { form: 'onnx', label: 'ONNX', description: 'one .onnx file, NCHW input (what PyTorch feeds); checked with ONNX Runtime on the test split' },
  { form: 'float16', label: 'tfjs, float16 weights', description: 'half the size; tfjs dequantizes on load; accuracy checked' },
  { form: 'uint8', label: 'tfjs, uint8 weights', description: 'a quarter of the size; tfjs dequantizes on load; accuracy checked' },
];

/** Where the save dialog starts: a file for ONNX, a folder otherwise. */
export function defaultExportName(runName: string, form: ExportForm): string {
  return form === 'onnx' ? `${runName}-student.onnx` : form === 'tfjs' ? `${runName}-student` : `${runName}-student-${form}`;
}

/** One line for the notification: where, how big, how accurate against the float student. */
export function exportSummaryLine(r: ExportRecord): string {
  const diff = r.format === 'tfjs' ? '' : `, max |Δlogit| ${r.maxAbsDiff.toExponential(1)}`;
  const ort = r.ortLatencyMs !== undefined ? `, ${r.ortLatencyMs.toFixed(3)} ms per sample under ONNX Runtime` : '';
  return `${humanBytes(r.bytes)}, test accuracy ${pct(r.accuracy)} (float ${pct(r.floatAccuracy)})${diff}${ort}`;
}

/** Runs `distill export` for one form; resolves with its record, or rejects with its words. */
export function runExportCli(o: { runDir: string; form: ExportForm; out: string; execPath?: string; cliPath?: string }): Promise<ExportRecord> {
  return new Promise((resolve, reject) => {
    const cli = o.cliPath ?? path.join(__dirname, 'cli.js');
    const child = fork(cli, ['export', o.runDir, '--format', o.form, '--out', o.out, '--json'], {
      execPath: o.execPath ?? process.execPath,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
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
