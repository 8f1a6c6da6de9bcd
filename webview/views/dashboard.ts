/**
 * The run dashboard: header (status, backend, stage/epoch/step, ETA, Stop / Re-run), live
 * curves (loss terms, learning rate, per-epoch accuracy with the teacher as a line and the
 * baseline beside the student), the results card, teacher vs. student and dark
 * knowledge tabs. It keeps only UI choices in vscode.setState; the host re-sends the run.
 */
import { baselineName, formatDuration } from '../../src/protocol/format';
import { currentStage, isLiveStatus, stageEtaSeconds, stageOfKey, teacherAccuracy, type RunSeries } from '../../src/protocol/runSeries';
import type { DashboardTab, DashboardUiState, HostMessage } from '../../src/protocol/webviewMessages';
import { LineChart, type LineSpec } from '../lib/charts';
import { reduceDashboard, type DashboardModel } from '../lib/dashboardModel';
import { h, replace, text } from '../lib/dom';
import { throttledRender } from '../lib/schedule';
import { readPalette, withAlpha, type Palette } from '../lib/theme';
import { connect, getUiState, post, setUiState } from '../lib/vscodeApi';
import { ConfusionView } from './confusionView';
import { DarkKnowledgeView } from './darkKnowledgeView';
import { resultsCard } from './resultsCard';
import { renderRunIdentity } from './runIdentity';

const TABS: { id: DashboardTab; label: string }[] = [
  { id: 'curves', label: 'Curves & results' },
  { id: 'confusion', label: 'Teacher vs student' },
  { id: 'darkKnowledge', label: 'Dark knowledge' },
  { id: 'log', label: 'Log' },
];

const STAGE_LABEL: Record<string, string> = { teacher: 'teacher', distill: 'distilled student', assistant: 'teacher assistant' };
/** Each link of a progressive chain in its own colour, after the ones the loss terms take first. */
const assistantColor = (key: string, p: Palette): string => {
  const n = p.series.length;
  return p.series[(((n - 2 - Number(key.split(':')[1] ?? 0)) % n) + n) % n] ?? p.student;
};
/**
 * `assistant:2` (one link of a progressive chain) reads "teacher assistant 2"; the baseline is
 * named by its start (baselineName): known from the summary, so "from scratch" until a run
 * whose student starts from a file's weights ends (the dashboard has no config).
 */
const stageLabel = (key: string, s: RunSeries): string => {
  const [stage, link] = key.split(':');
  return `${stage === 'baseline' ? baselineName(s.summary ?? s.baselineStart) : (STAGE_LABEL[stage] ?? stage)}${link ? ` ${link}` : ''}`;
};

export function startDashboard(app: HTMLElement): { setPalette(p: Palette): void } {
  let palette = readPalette();
  let model: DashboardModel | undefined;
  let ui: DashboardUiState = getUiState<DashboardUiState>('dashboard') ?? { view: 'dashboard', runId: '', runDir: '' };
  const saveUi = (patch: Partial<DashboardUiState>) => {
    ui = { ...ui, ...patch };
    setUiState(ui);
  };

  // Header
  const title = h('h1', { 'data-testid': 'run-name' });
  const status = h('vscode-badge', { 'data-testid': 'status' });
  const facts = h('div', { class: 'facts', 'data-testid': 'progress' });
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'progress of the current stage' });
  const stopBtn = h('vscode-button', { 'data-testid': 'stop', secondary: true }, 'Stop');
  const rerunBtn = h('vscode-button', { 'data-testid': 'rerun' }, 'Re-run');
  const configBtn = h('vscode-button', { secondary: true, title: 'Open the kd.json this run came from' }, 'Open kd.json');
  stopBtn.addEventListener('click', () => model && post({ type: 'stop', runId: model.runId }));
  rerunBtn.addEventListener('click', () => model && post({ type: 'rerun', runId: model.runId }));
  configBtn.addEventListener('click', () => model && post({ type: 'openConfig', runId: model.runId }));
  const notice = h('div', { class: 'notice', role: 'status' });
  const header = h(
    'header',
    { class: 'run-header' },
    h('div', { class: 'title-row' }, title, status, h('div', { class: 'spacer' }), stopBtn, rerunBtn, configBtn),
    facts,
    progress,
    notice,
  );

  // Tabs (vscode-elements); the panels stay in the DOM so charts keep their state.
  const tabs = h('vscode-tabs', { 'data-testid': 'tabs' }) as HTMLElement & { selectedIndex: number };
  const panels = new Map<DashboardTab, HTMLElement>();
  for (const t of TABS) {
    tabs.append(h('vscode-tab-header', { slot: 'header', 'data-tab': t.id }, t.label));
    const panel = h('vscode-tab-panel', { 'data-tab': t.id });
    panels.set(t.id, panel);
    tabs.append(panel);
  }
  tabs.addEventListener('vsc-tabs-select', (e) => {
    const idx = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
    const tab = TABS[idx]?.id ?? 'curves';
    if (model) model.tab = tab;
    saveUi({ tab });
    render();
  });

  // Curves
  const lossCanvas = h('canvas', { 'aria-label': 'Loss per step', 'data-chart': 'loss' });
  const accCanvas = h('canvas', { 'aria-label': 'Accuracy per epoch', 'data-chart': 'accuracy' });
  const lrCanvas = h('canvas', { 'aria-label': 'Learning rate per step', 'data-chart': 'lr' });
  const results = h('div');
  panels
    .get('curves')!
    .append(
      results,
      h(
        'div',
        { class: 'charts' },
        h('section', { class: 'card' }, h('h3', null, 'Loss'), h('div', { class: 'chart' }, lossCanvas)),
        h('section', { class: 'card' }, h('h3', null, 'Accuracy'), h('div', { class: 'chart' }, accCanvas)),
        h('section', { class: 'card' }, h('h3', null, 'Learning rate'), h('div', { class: 'chart short' }, lrCanvas)),
      ),
    );
  let lossChart: LineChart | undefined;
  let accChart: LineChart | undefined;
  let lrChart: LineChart | undefined;

  const confusion = new ConfusionView(ui, (u) => saveUi(u));
  panels.get('confusion')!.append(confusion.root);
  const dark = new DarkKnowledgeView(ui, (u) => saveUi(u));
  panels.get('darkKnowledge')!.append(dark.root);
  const logList = h('ol', { class: 'log', 'data-testid': 'log' });
  panels.get('log')!.append(logList);

  app.append(header, tabs);
  app.removeAttribute('aria-busy');

  let drawn = { summary: undefined as unknown, confusion: -1, dark: -1, resultsFor: undefined as unknown };

  function renderHeader(m: DashboardModel): void {
    const s = m.series;
    text(title, s.name || m.runId);
    title.title = m.runDir;
    renderRunIdentity(header, m.identity);
    text(status, s.status);
    status.className = `status-${s.status}`;
    const st = currentStage(s) ?? (s.stageOrder.length ? s.stages[s.stageOrder[s.stageOrder.length - 1]] : undefined);
    const parts = [`backend ${s.backend || '—'}`];
    if (st) {
      parts.push(`${stageLabel(st.stage, s)}`, `epoch ${st.epoch}/${st.epochs}`, `step ${st.step}/${st.totalSteps}`);
      if (st.samplesPerSec) parts.push(`${Math.round(st.samplesPerSec)} samples/s`);
    }
    const live = m.live && isLiveStatus(s.status);
    const eta = live ? stageEtaSeconds(currentStage(s)) : undefined;
    if (live) parts.push(`ETA ${eta === undefined ? '—' : formatDuration(eta)}${s.stageOrder.includes('baseline') ? '' : ' (this stage)'}`);
    else if (s.summary) parts.push(`took ${formatDuration(s.summary.durationSec)}`);
    if (m.skippedLines) parts.push(`${m.skippedLines} unreadable line${m.skippedLines === 1 ? '' : 's'} in events.jsonl skipped`);
    text(facts, parts.join(' · '));
    progress.value = st && st.totalSteps ? Math.min(1, st.step / st.totalSteps) : s.summary ? 1 : 0;
    progress.hidden = !live;
    (stopBtn as HTMLElement & { disabled: boolean }).disabled = !live;
    stopBtn.hidden = !live;
    (rerunBtn as HTMLElement & { disabled: boolean }).disabled = !s.configPath && !s.summary?.configPath;
    if (m.notice) {
      text(notice, m.notice.text);
      notice.className = `notice ${m.notice.level}`;
    } else notice.textContent = '';
  }

  function lossLines(s: RunSeries, p: Palette): LineSpec[] {
    const lines: LineSpec[] = [];
    const stageDash: Record<string, number[] | undefined> = { distill: undefined, baseline: [6, 4], teacher: [2, 3], assistant: [3, 2] };
    const termColor = new Map<string, string>();
    for (const key of Object.keys(s.loss)) {
      const [stageKey, term] = key.split('/') as [string, string];
      const stage = stageOfKey(stageKey);
      if (!termColor.has(term)) termColor.set(term, term === 'total' ? p.foreground : p.series[termColor.size % p.series.length]);
      const color =
        stage === 'baseline' ? p.baseline : stage === 'teacher' ? p.teacher : stage === 'assistant' ? assistantColor(stageKey, p) : termColor.get(term)!;
      const series = s.loss[key];
      lines.push({
        label: `${stageLabel(stageKey, s)}: ${term}`,
        xs: series.x,
        ys: series.y,
        color,
        dash: stageDash[stage],
        width: term === 'total' ? 2 : 1.5,
      });
    }
    return lines;
  }

  function accuracyLines(s: RunSeries, p: Palette): LineSpec[] {
    const lines: LineSpec[] = [];
    const add = (stage: string, color: string, who: string) => {
      const e = s.epochs[stage];
      if (!e?.epoch.length) return;
      lines.push({ label: `${who}: validation`, xs: e.epoch, ys: e.val, color, points: true });
      lines.push({ label: `${who}: train`, xs: e.epoch, ys: e.train, color: withAlpha(color, 0.6), dash: [4, 3], points: true, width: 1.5 });
    };
    add('distill', p.student, 'distilled');
    add('baseline', p.baseline, baselineName(s.summary, 'from'));
    for (const key of s.stageOrder) if (stageOfKey(key) === 'assistant') add(key, assistantColor(key, p), stageLabel(key, s));
    const t = teacherAccuracy(s);
    const maxEpoch = Math.max(1, ...Object.values(s.epochs).map((e) => e?.epoch.at(-1) ?? 0), ...Object.values(s.stages).map((st) => st?.epochs ?? 0));
    if (t) lines.push({ label: `teacher (${t.source})`, xs: [1, maxEpoch], ys: [t.value, t.value], color: p.teacher, dash: [8, 4] });
    return lines;
  }

  function renderCurves(m: DashboardModel): void {
    const s = m.series;
    lossChart ??= new LineChart(lossCanvas, { xTitle: 'step', yTitle: 'loss', log: false, xInteger: true }, palette);
    accChart ??= new LineChart(accCanvas, { xTitle: 'epoch', yTitle: 'accuracy', percent: true, xInteger: true }, palette);
    lrChart ??= new LineChart(lrCanvas, { xTitle: 'step', yTitle: 'learning rate', xInteger: true }, palette);
    lossChart.setLines(lossLines(s, palette));
    accChart.setLines(accuracyLines(s, palette));
    lrChart.setLines(
      (Object.entries(s.lr) as [string, { x: number[]; y: number[] }][]).map(([key, l]) => {
        const stage = stageOfKey(key);
        return {
          label: stageLabel(key, s),
          xs: l.x,
          ys: l.y,
          color:
            stage === 'baseline'
              ? palette.baseline
              : stage === 'teacher'
                ? palette.teacher
                : stage === 'assistant'
                  ? assistantColor(key, palette)
                  : palette.student,
          dash: stage === 'baseline' ? [6, 4] : stage === 'assistant' ? [3, 2] : undefined,
        };
      }),
    );
    if (drawn.resultsFor !== s.summary) {
      drawn.resultsFor = s.summary;
      replace(results, resultsCard(s.summary));
    }
  }

  function renderLog(m: DashboardModel): void {
    replace(
      logList,
      m.series.logs.map((l) => h('li', { class: `log-${l.level}` }, h('time', null, l.time.slice(11, 19)), ' ', l.message)),
      m.series.error ? h('li', { class: 'log-error' }, m.series.error) : null,
    );
  }

  function render(): void {
    if (!model) return;
    renderHeader(model);
    const idx = Math.max(
      0,
      TABS.findIndex((t) => t.id === model!.tab),
    );
    if (tabs.selectedIndex !== idx) tabs.selectedIndex = idx;
    // Only the visible tab draws; the others catch up when shown.
    if (model.tab === 'curves') renderCurves(model);
    else if (model.tab === 'confusion' && drawn.confusion !== model.version) {
      drawn.confusion = model.version;
      confusion.update({ summary: model.series.summary, predictions: model.predictions, logits: model.logits, palette });
    } else if (model.tab === 'darkKnowledge' && drawn.dark !== model.version) {
      drawn.dark = model.version;
      dark.update(model.logits, palette);
    } else if (model.tab === 'log') renderLog(model);
    // Charts holding data (cheap; reading pixels back on every redraw is not): tests check pixels themselves.
    const charts = [lossChart, accChart, lrChart].filter((c) => c && c.pointCount > 0).length;
    post({
      type: 'rendered',
      view: 'dashboard',
      steps: model.series.stepCount,
      epochs: Object.values(model.series.epochs).reduce((a, e) => a + (e?.epoch.length ?? 0), 0),
      status: model.series.status,
      charts,
    });
  }

  const schedule = throttledRender(render);

  connect('dashboard', (message: HostMessage) => {
    const wasInit = message.type === 'init';
    model = reduceDashboard(model, message, wasInit ? ui.tab : undefined);
    if (!model) return;
    if (wasInit) {
      drawn = { summary: undefined, confusion: -1, dark: -1, resultsFor: undefined };
      saveUi({ runId: model.runId, runDir: model.runDir, tab: model.tab });
    }
    if (message.type === 'showTab') saveUi({ tab: message.tab });
    schedule();
  });

  return {
    setPalette(p: Palette) {
      palette = p;
      drawn.confusion = -1;
      drawn.dark = -1;
      schedule();
    },
  };
}
