/**
 * The end-of-run card: distilled vs. baseline (from scratch, or the same start) vs. teacher, with
 * the verdict, its interval, and compression. A run without final results (stopped, failed,
 * crashed, or resumed and training again) shows what it measured so far instead: each stage's
 * epochs done of planned and its last evaluated accuracies.
 */
import {
  baselineName,
  batchLatencyHeader,
  EXPORT_HEADER,
  exportCells,
  humanCount,
  intervalText,
  latencyText,
  NOT_SAVED_NOTE,
  outputLines,
  parameterRatioText,
  resultRows,
  signedPoints,
  sizeRatioText,
  sizeText,
  speedText,
  verdict,
} from '../../src/protocol/format';
import type { RunSummary } from '../../src/protocol/events';
import { isLiveStatus, type RunSeries } from '../../src/protocol/runSeries';
import { fmtPct, h } from '../lib/dom';
import { hasFinalResults, partialRows } from '../lib/runFacts';

export function resultsCard(series: RunSeries): HTMLElement {
  if (hasFinalResults(series)) return finalCard(series.summary!);
  const rows = partialRows(series).filter((r) => r.epochsDone > 0 || r.stageVal !== undefined);
  if (!rows.length)
    return h('section', { class: 'card results empty', 'data-testid': 'results' }, h('p', { class: 'muted' }, 'Results appear here when the run ends.'));
  return partialCard(series, rows);
}

/** What a run that has no final results measured so far: validation accuracies per stage, not a card of dashes. */
function partialCard(series: RunSeries, rows: ReturnType<typeof partialRows>): HTMLElement {
  const live = isLiveStatus(series.status);
  const head = live
    ? 'Partial results: the run is training; the final test accuracies come when it ends.'
    : `Partial results: the run ${series.status === 'stopped' ? 'was stopped' : series.status} before its final evaluation; these are the last accuracies it measured.`;
  return h(
    'section',
    { class: 'card results partial', 'data-testid': 'results', 'data-partial': 'true' },
    h('h2', null, 'Results so far'),
    h('p', { class: 'verdict' }, head),
    h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['stage', 'epochs done', 'validation accuracy', 'train accuracy'].map((c, i) => h('th', { class: i ? 'num' : '' }, c)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            { 'data-stage': r.key },
            h('th', { scope: 'row' }, r.label),
            h('td', { class: 'num', 'data-testid': 'epochs-done' }, `${r.epochsDone} of ${r.epochsPlanned || '?'}`),
            h('td', { class: 'num', 'data-testid': 'val-accuracy' }, fmtPct(r.lastVal ?? r.stageVal)),
            h('td', { class: 'num' }, fmtPct(r.lastTrain)),
          ),
        ),
      ),
    ),
    series.error ? h('p', { class: 'error' }, series.error) : null,
  );
}

function finalCard(s: RunSummary): HTMLElement {
  // The card lists the distilled student first (CLI order is teacher first).
  const order = { student: 0, baseline: 1, teacher: 2 };
  const rows = resultRows(s).sort((a, b) => order[a.role] - order[b.role]);
  const table = h(
    'table',
    { class: 'grid' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['model', 'test accuracy', 'parameters', 'size', 'latency, batch 1', batchLatencyHeader(s)].map((c, i) => h('th', { class: i ? 'num' : '' }, c)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map(({ name, role, result: r }) =>
        h(
          'tr',
          { 'data-role': role },
          h('th', { scope: 'row' }, role === 'teacher' && !s.teacher?.id ? 'teacher' : name),
          h('td', { class: 'num' }, fmtPct(r.testAccuracy)),
          h('td', { class: 'num', title: String(r.params) }, humanCount(r.params)),
          h('td', { class: 'num', title: r.savedBytes ? 'model.json and weights on disk' : NOT_SAVED_NOTE }, sizeText(r)),
          h('td', { class: 'num', title: 'median (interquartile range) per sample' }, latencyText(r.latency?.batch1, r.latencyMs)),
          h('td', { class: 'num' }, latencyText(r.latency?.batch)),
        ),
      ),
    ),
  );
  const gain = s.gain;
  const sig = s.significance;
  // Green or red only for a difference beyond noise.
  const tone = sig ? (sig.verdict === 'better' ? 'good' : sig.verdict === 'worse' ? 'bad' : '') : '';
  const teacherVsStudent = (f: () => string | undefined) => (s.teacher && s.student ? (f() ?? '—') : '—');
  const stats = h(
    'div',
    { class: 'stats' },
    stat(`gain over ${baselineName(s, 'short')}`, gain === undefined ? '—' : sig ? `${signedPoints(gain)} (${intervalText(sig)})` : signedPoints(gain), tone),
    stat('verdict', sig ? sig.verdict : '—', tone),
    stat('compression (params)', s.compression === undefined ? '—' : parameterRatioText(s.compression)),
    stat(
      'compression (size on disk)',
      teacherVsStudent(() => sizeRatioText(s.teacher!, s.student!)),
    ),
    stat(
      'speed-up (latency, batch 1)',
      teacherVsStudent(() => speedText(s.teacher!, s.student!, 'batch1')),
    ),
    stat('teacher–student agreement', fmtPct(s.agreement)),
  );
  // Multi-output runs: each extra head's metric, its verdict in words (outputLines).
  const outputs = outputLines(s);
  const heads = outputs.length
    ? h(
        'ul',
        { class: 'outputs', 'data-testid': 'outputs' },
        outputs.map((line) => h('li', null, line)),
      )
    : null;
  return h(
    'section',
    { class: 'card results', 'data-testid': 'results' },
    h('h2', null, 'Results'),
    h('p', { class: 'verdict' }, verdict(s)),
    stats,
    table,
    heads,
    exportsTable(s),
    s.error ? h('p', { class: 'error' }, s.error) : null,
  );
}

function stat(label: string, value: string, tone = ''): HTMLElement {
  return h('div', { class: `stat ${tone}` }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));
}

/** The student's exported forms (distill export, Export Student): the same cells as the CLI's compression report; the file path is the row's tooltip. */
function exportsTable(s: RunSummary): HTMLElement | null {
  if (!s.exports?.length) return null;
  const cols = EXPORT_HEADER.slice(0, -1);
  return h(
    'table',
    { class: 'grid exports', 'data-testid': 'exports' },
    h('caption', null, 'exported student'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        cols.map((c, i) => h('th', { class: i ? 'num' : '' }, c)),
      ),
    ),
    h(
      'tbody',
      null,
      exportCells(s.exports).map((cells) =>
        h(
          'tr',
          { title: cells[cells.length - 1] },
          cells.slice(0, -1).map((c, i) => (i ? h('td', { class: 'num' }, c) : h('th', { scope: 'row' }, c))),
        ),
      ),
    ),
  );
}
