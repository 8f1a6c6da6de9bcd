/** RFC 4180 CSV, the one writer of the webviews' exports (the sweep's trials, the experiments table). */

/** A field: quoted when it holds a comma, quote or line break (quotes doubled); numbers in JavaScript's shortest exact form; nothing for a missing or non-finite value. */
export function csvField(v: unknown): string {
  if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Lines joined by CRLF, with a final CRLF. */
export function csvText(rows: readonly (readonly unknown[])[]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
