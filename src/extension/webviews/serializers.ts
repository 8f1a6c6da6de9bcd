/**
 * Restoring the panels after a window reload: a serializer per view type. Each re-reads its
 * folders from the state the webview kept, and only when that state parses and names known
 * run or sweep folders of this workspace (a webview's state is the webview's word, not ours);
 * otherwise the panel is closed.
 */
import * as vscode from 'vscode';
import { uiStateFolderProblem } from '../../protocol/knownFolders';
import { parseWebviewUiState } from '../../protocol/webviewMessageSchema';
import type { WebviewUiState } from '../../protocol/webviewMessages';
import { COMPARE_VIEW_TYPE } from '../compare/comparePanel';
import { DASHBOARD_VIEW_TYPE } from '../dashboard/dashboardPanel';
import { SWEEP_VIEW_TYPE } from '../sweeps/sweepPanel';
import { EXPERIMENTS_VIEW_TYPE } from '../experiments/experimentsPanel';
import type { Panels } from './panels';

function restorableState(raw: unknown): WebviewUiState | undefined {
  const state = parseWebviewUiState(raw);
  return state &&
    !uiStateFolderProblem(
      state,
      vscode.workspace.workspaceFolders?.map((f) => f.uri.fsPath),
    )
    ? state
    : undefined;
}

/** `restore` adopts the panel and returns true, or returns false and the panel is closed. */
function serializer(restore: (panel: vscode.WebviewPanel, state: WebviewUiState | undefined) => boolean): vscode.WebviewPanelSerializer {
  return {
    async deserializeWebviewPanel(panel, raw: unknown) {
      if (!restore(panel, restorableState(raw))) panel.dispose();
    },
  };
}

export function registerPanelSerializers(panels: Panels): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.window.registerWebviewPanelSerializer(
      DASHBOARD_VIEW_TYPE,
      serializer(
        (panel, state) => state?.view === 'dashboard' && !!state.runDir && (panels.restoreDashboard(panel, state.runId, state.runDir, state.tab), true),
      ),
    ),
    vscode.window.registerWebviewPanelSerializer(
      COMPARE_VIEW_TYPE,
      serializer((panel, state) => state?.view === 'compare' && !!state.runDirs?.length && (panels.restoreCompare(panel, state.runDirs), true)),
    ),
    vscode.window.registerWebviewPanelSerializer(
      SWEEP_VIEW_TYPE,
      serializer((panel, state) => state?.view === 'sweep' && !!state.sweepDir && (panels.restoreSweep(panel, state.sweepDir), true)),
    ),
    vscode.window.registerWebviewPanelSerializer(
      EXPERIMENTS_VIEW_TYPE,
      serializer((panel, state) => state?.view === 'experiments' && (panels.restoreExperiments(panel), true)),
    ),
  );
}
