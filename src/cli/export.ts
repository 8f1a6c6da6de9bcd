/**
 * `distill export <run> --format onnx|tfjs|float16|uint8`: runs in this process (tfjs and ONNX
 * Runtime are loaded only for it), prints what was written and how it compares with the
 * trained student; exit 0 written, 1 refused or failed (nothing written).
 */
import { EXPORT_FORMATS, type ExportFormat } from '../engine/export/exportStudent';
import type { ExportRecord } from '../protocol/events';
import { exportRows } from '../protocol/format';

export interface ExportCliOptions {
  format?: string;
  out?: string;
  layout?: string;
  backend?: string;
  json?: boolean;
}

export async function exportCli(runDir: string, opts: ExportCliOptions): Promise<number> {
  const format = (opts.format ?? 'onnx') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    process.stderr.write(`--format must be one of ${EXPORT_FORMATS.join(', ')} (got "${opts.format}")\n`);
    return 2;
  }
  if (opts.layout !== undefined && opts.layout !== 'nchw' && opts.layout !== 'nhwc') {
    process.stderr.write(`--layout must be nchw or nhwc (got "${opts.layout}")\n`);
    return 2;
  }
  if (opts.layout && format !== 'onnx') {
    process.stderr.write('--layout applies to --format onnx only\n');
    return 2;
  }
  const { loadTf } = await import('../engine/tf');
  const { exportStudent } = await import('../engine/export/exportStudent');
  const tf = loadTf();
  let record: ExportRecord;
  try {
    record = await exportStudent(tf, {
      runDir,
      format,
      out: opts.out,
      layout: opts.layout as 'nchw' | 'nhwc' | undefined,
      backend: opts.backend,
      log: (l) => process.stderr.write(l + '\n'),
    });
  } catch (e) {
    process.stderr.write(`distill export: ${(e as Error).message}\n`);
    return 1;
  }
  if (opts.json) process.stdout.write(JSON.stringify(record) + '\n');
  else process.stdout.write(`exported the student as ${format}: ${record.path}\n\n${exportRows([record]).join('\n')}\n`);
  return 0;
}
