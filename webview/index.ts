/**
 * The one webview bundle. The host's HTML names the view in <body data-view>; each view wires
 * its own message handling and posts `ready` once it listens.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import './styles.css';
import { applyPaletteToAll } from './lib/charts';
import { readPalette, watchTheme } from './lib/theme';
import { startCompare } from './views/compare';
import { startDashboard } from './views/dashboard';
import { startExperiments } from './views/experiments';
import { startSweep } from './views/sweep';

const app = document.getElementById('app') ?? document.body.appendChild(document.createElement('main'));
const view = document.body.dataset.view;
const started =
  view === 'compare' ? startCompare(app) : view === 'sweep' ? startSweep(app) : view === 'experiments' ? startExperiments(app) : startDashboard(app);
applyPaletteToAll(readPalette());
watchTheme((p) => {
  applyPaletteToAll(p);
  started.setPalette(p);
});
