/**
 * The dashboard webview's state and the reducer that folds host messages into it. Pure apart
 * from mutating the state it is given (the run series can be 100 000 points long; it is
 * appended to, not copied).
 */
import { reduceRunEvents, withSummary } from '../../src/protocol/runSeries';
import type { DashboardInit, DashboardTab, HostMessage } from '../../src/protocol/webviewMessages';

/** What the host's init says (the run, its series, predictions, logits), plus what the view keeps. */
export interface DashboardModel extends Omit<DashboardInit, 'type' | 'view' | 'tab'> {
  tab: DashboardTab;
  notice?: { level: 'info' | 'error'; text: string };
  /** Live events received since the last init. */
  liveEvents: number;
  /** Bumped on every change, so views redraw only what changed. */
  version: number;
}

export function reduceDashboard(model: DashboardModel | undefined, message: HostMessage, rememberedTab?: DashboardTab): DashboardModel | undefined {
  if (message.type === 'init') {
    if (message.view !== 'dashboard') return model;
    return {
      runId: message.runId,
      runDir: message.runDir,
      series: message.series,
      skippedLines: message.skippedLines,
      live: message.live,
      predictions: message.predictions,
      logits: message.logits,
      identity: message.identity,
      plan: message.plan,
      tab: rememberedTab ?? message.tab ?? model?.tab ?? 'curves',
      liveEvents: 0,
      version: (model?.version ?? 0) + 1,
    };
  }
  if (!model) return model;
  switch (message.type) {
    case 'events':
      if (message.runId !== model.runId) return model;
      reduceRunEvents(model.series, message.events);
      model.liveEvents += message.events.length;
      if (message.events.some((e) => e.type === 'run_finished')) model.live = false;
      break;
    case 'live':
      if (message.runId !== model.runId) return model;
      model.live = message.live;
      break;
    case 'artifacts':
      if (message.runId !== model.runId) return model;
      if (message.predictions) model.predictions = message.predictions;
      if (message.logits) model.logits = message.logits;
      if (message.summary) withSummary(model.series, message.summary);
      if (message.plan) model.plan = message.plan;
      break;
    case 'showTab':
      model.tab = message.tab;
      break;
    case 'notice':
      model.notice = { level: message.level, text: message.text };
      break;
    default:
      return model;
  }
  model.version++;
  return model;
}
