/** The end-of-run card: distilled vs. from scratch vs. teacher, with gain and compression. */
import { baselineName, humanBytes, humanCount, outputLines, signedPoints, verdict } from '../../src/protocol/format';
import type { EvalResult, RunSummary } from '../../src/protocol/events';
import { fmtPct, h } from '../lib/dom';

export function resultsCard(s: RunSummary | undefined): HTMLElement {
  if (!s) return h('section', { class: 'card results empty', 'data-testid': 'results' }, h('p', { class: 'muted' }, 'Results appear here when the run ends.'));
  const rows: [string, string, EvalResult | undefined][] = [
    ['distilled student', 'student', s.student],
    [baselineName(s), 'baseline', s.baseline],
    [`teacher${s.teacher?.id ? ` (${s.teacher.id})` : ''}`, 'teacher', s.teacher],
  ];
  const table = h(
    'table',
    { class: 'grid' },
    h('thead', null, h('tr', null, ['model', 'test accuracy', 'parameters', 'size', 'latency / sample'].map((c, i) => h('th', { class: i ? 'num' : '' }, c)))),
    h(
      'tbody',
      null,
      rows
        .filter(([, , r]) => r)
        .map(([name, role, r]) =>
          h(
            'tr',
            { 'data-role': role },
            h('th', { scope: 'row' }, name),
            h('td', { class: 'num' }, fmtPct(r!.testAccuracy)),
            h('td', { class: 'num', title: String(r!.params) }, humanCount(r!.params)),
            h('td', { class: 'num' }, humanBytes(r!.bytes)),
            h('td', { class: 'num' }, `${r!.latencyMs.toFixed(3)} ms`),
          ),
        ),
    ),
  );
  const gain = s.gain;
  const stats = h(
    'div',
    { class: 'stats' },
    stat(`gain over ${baselineName(s, 'short')}`, gain === undefined ? '—' : signedPoints(gain), gain === undefined ? '' : gain > 0 ? 'good' : gain < 0 ? 'bad' : ''),
    stat('compression (params)', s.compression === undefined ? '—' : `${s.compression.toFixed(1)}×`),
    stat('compression (size)', s.teacher && s.student ? `${(s.teacher.bytes / s.student.bytes).toFixed(1)}×` : '—'),
    stat('speed-up (latency)', s.teacher && s.student && s.student.latencyMs > 0 ? `${(s.teacher.latencyMs / s.student.latencyMs).toFixed(1)}×` : '—'),
    stat('teacher–student agreement', fmtPct(s.agreement)),
  );
  // Multi-output runs: each extra head's metric, its verdict in words (outputLines).
  const outputs = outputLines(s);
  const heads = outputs.length ? h('ul', { class: 'outputs', 'data-testid': 'outputs' }, outputs.map((line) => h('li', null, line))) : null;
  return h('section', { class: 'card results', 'data-testid': 'results' }, h('h2', null, 'Results'), h('p', { class: 'verdict' }, verdict(s)), stats, table, heads, s.error ? h('p', { class: 'error' }, s.error) : null);
}

function stat(label: string, value: string, tone = ''): HTMLElement {
  return h('div', { class: `stat ${tone}` }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));
}
