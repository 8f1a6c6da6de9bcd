/**
 * The run dashboard: header (status, backend, stage/epoch/step, ETA, Stop / Re-run), live
 * curves (loss terms, learning rate, per-epoch accuracy with the teacher as a line and the
 * baseline beside the student), the results card, teacher vs. student and dark
 * knowledge tabs. It keeps only UI choices in vscode.setState; the host re-sends the run.
 */
import { isLiveStatus } from '../../src/protocol/runSeries';
import type { DashboardTab, DashboardUiState, HostMessage } from '../../src/protocol/webviewMessages';
import { LineChart } from '../lib/charts';
import { reduceDashboard, type DashboardModel } from '../lib/dashboardModel';
import { h, replace, text } from '../lib/dom';
import { accuracyLines, gainLines, lossLines, lrLines, stageMarks } from '../lib/runCurves';
import { headerFacts } from '../lib/runFacts';
import { throttledRender } from '../lib/schedule';
import { readPalette, type Palette } from '../lib/theme';
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

/** The EMA weight of the loss charts' smoothing toggle (TensorBoard's default is 0.6; steps here are many and noisy). */
const SMOOTHING = 0.9;

/** vscode-button's look: primary or secondary. */
function setSecondary(button: HTMLElement, secondary: boolean): void {
  (button as HTMLElement & { secondary: boolean }).secondary = secondary;
  button.toggleAttribute('secondary', secondary);
}

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
  // While the run trains Stop is the primary button and Re-run steps back; once it ends, Re-run leads.
  const stopBtn = h('vscode-button', { 'data-testid': 'stop' }, 'Stop');
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
  const gainCanvas = h('canvas', { 'aria-label': 'Distilled minus baseline validation accuracy per epoch', 'data-chart': 'gain' });
  const lrCanvas = h('canvas', { 'aria-label': 'Learning rate per step', 'data-chart': 'lr' });
  const results = h('div');
  // Loss chart toggles, kept in the webview's state (a reload or a hidden tab keeps them).
  const toggle = (label: string, key: 'logScale' | 'smooth', title: string) => {
    const box = h('input', { type: 'checkbox', 'data-testid': `loss-${key}`, title }) as HTMLInputElement;
    box.checked = !!ui[key];
    box.addEventListener('change', () => {
      saveUi({ [key]: box.checked });
      render();
    });
    return h('label', { class: 'chart-toggle', title }, box, ` ${label}`);
  };
  const lossTools = h(
    'div',
    { class: 'chart-tools' },
    toggle('log scale', 'logScale', 'Logarithmic loss axis'),
    toggle('smooth', 'smooth', `Exponential moving average of the loss (weight ${SMOOTHING})`),
  );
  const gainCard = h(
    'section',
    { class: 'card', 'data-testid': 'gain-card' },
    h('h3', null, 'Distilled − baseline (validation, points)'),
    h('div', { class: 'chart short' }, gainCanvas),
  );
  panels
    .get('curves')!
    .append(
      results,
      h(
        'div',
        { class: 'charts' },
        h('section', { class: 'card' }, h('div', { class: 'card-title' }, h('h3', null, 'Loss'), lossTools), h('div', { class: 'chart' }, lossCanvas)),
        h('section', { class: 'card' }, h('h3', null, 'Accuracy'), h('div', { class: 'chart' }, accCanvas)),
        gainCard,
        h('section', { class: 'card' }, h('h3', null, 'Learning rate'), h('div', { class: 'chart short' }, lrCanvas)),
      ),
    );
  let lossChart: LineChart | undefined;
  let accChart: LineChart | undefined;
  let gainChart: LineChart | undefined;
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
    text(facts, headerFacts({ series: s, plan: m.plan, skippedLines: m.skippedLines }));
    const live = m.live && isLiveStatus(s.status);
    const st = s.stageOrder.length ? s.stages[s.stageOrder[s.stageOrder.length - 1]] : undefined;
    progress.value = st && st.totalSteps ? Math.min(1, st.step / st.totalSteps) : s.summary ? 1 : 0;
    progress.hidden = !live;
    (stopBtn as HTMLElement & { disabled: boolean }).disabled = !live;
    stopBtn.hidden = !live;
    setSecondary(rerunBtn, live);
    (rerunBtn as HTMLElement & { disabled: boolean }).disabled = !s.configPath && !s.summary?.configPath;
    if (m.notice) {
      text(notice, m.notice.text);
      notice.className = `notice ${m.notice.level}`;
    } else notice.textContent = '';
  }

  function renderCurves(m: DashboardModel): void {
    const s = m.series;
    lossChart ??= new LineChart(lossCanvas, { xTitle: 'step (stages one after another)', yTitle: 'loss', log: !!ui.logScale, xInteger: true }, palette);
    accChart ??= new LineChart(accCanvas, { xTitle: 'epoch', yTitle: 'accuracy', percent: true, xInteger: true }, palette);
    gainChart ??= new LineChart(gainCanvas, { xTitle: 'epoch', yTitle: 'points', points: true, xInteger: true }, palette);
    lrChart ??= new LineChart(lrCanvas, { xTitle: 'step (stages one after another)', yTitle: 'learning rate', xInteger: true }, palette);
    const marks = stageMarks(s);
    lossChart.setMarks(marks);
    lrChart.setMarks(marks);
    lossChart.setLogScale(!!ui.logScale);
    lossChart.setLines(lossLines(s, palette, ui.smooth ? SMOOTHING : 0));
    accChart.setLines(accuracyLines(s, palette));
    const gain = gainLines(s, palette);
    gainCard.hidden = !gain.length;
    gainChart.setLines(gain);
    lrChart.setLines(lrLines(s, palette));
    // The card follows the summary, or while there is none (a stopped or resumed run), each new epoch.
    const resultsKey = s.summary ?? Object.values(s.epochs).reduce((n, e) => n + (e?.epoch.length ?? 0), 0);
    if (drawn.resultsFor !== resultsKey) {
      drawn.resultsFor = resultsKey;
      replace(results, resultsCard(s));
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
    const charts = [lossChart, accChart, gainChart, lrChart].filter((c) => c && c.pointCount > 0).length;
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
