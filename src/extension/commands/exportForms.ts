/**
 * Export Student's forms: the quick pick's items (one line each on what the form is for) and
 * the notification's line. The non-tfjs forms are written by `distill export` in a child
 * process (client/exportProcess.ts), since the extension host never loads tfjs or ONNX Runtime.
 */
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
