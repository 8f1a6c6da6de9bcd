// Reading and printing the results file that test/integration/index.ts writes from inside
// the extension host (mocha's JSON report plus the host's VS Code version).
import * as fs from 'node:fs';

export function readResults(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // not there yet, or being renamed into place
  }
}

/** Prints the results like mocha's spec reporter would; returns true when everything passed. */
export function printResults(results, { runner }) {
  const out = [];
  if (results.error) {
    out.push(`The test entry failed before mocha could report:\n${results.error}`);
  }
  const tests = results.tests ?? [];
  const failed = new Set((results.failures ?? []).map((t) => t.fullTitle));
  const pending = new Set((results.pending ?? []).map((t) => t.fullTitle));
  let lastFile;
  for (const t of tests) {
    const file = t.file?.split('/').pop();
    if (file && file !== lastFile) out.push(`  ${file}`);
    lastFile = file;
    const mark = failed.has(t.fullTitle) ? '✗' : pending.has(t.fullTitle) ? '-' : '✓';
    const ms = typeof t.duration === 'number' ? ` (${t.duration} ms)` : '';
    out.push(`    ${mark} ${t.fullTitle}${ms}`);
  }
  for (const [i, t] of (results.failures ?? []).entries()) {
    out.push('', `  ${i + 1}) ${t.fullTitle}`, `     ${(t.err?.stack ?? t.err?.message ?? JSON.stringify(t.err)).split('\n').join('\n     ')}`);
  }
  const s = results.stats ?? {};
  out.push('', `  ${s.passes ?? 0} passing, ${s.failures ?? 0} failing, ${s.pending ?? 0} pending (${((s.duration ?? 0) / 1000).toFixed(1)}s)`);
  const host = results.host ?? {};
  out.push(
    `  Ran inside VS Code ${host.version ?? '(unknown version)'}'s extension host (${runner}; ${host.appName ?? '?'}, ${host.uiKind ?? '?'} UI, node ${host.node ?? '?'})`,
  );
  console.log(out.join('\n'));

  if (results.error) return false;
  if (!tests.length) {
    console.log('  No tests ran: that is a failure too.');
    return false;
  }
  if ((s.pending ?? 0) > 0) {
    console.log('  Skipped (pending) tests count as failures here: no skipped tests.');
    return false;
  }
  return (s.failures ?? 0) === 0;
}
