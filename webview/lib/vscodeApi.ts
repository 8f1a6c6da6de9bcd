/** Typed access to the webview API: one acquire per page, typed post and state. */
import type { HostMessage, WebviewMessage, WebviewUiState } from '../../src/protocol/webviewMessages';
import { isHostMessage } from '../../src/protocol/webviewMessages';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;
function vscodeApi(): VsCodeApi {
  return (api ??= acquireVsCodeApi());
}

export function post(message: WebviewMessage): void {
  vscodeApi().postMessage(message);
}

export function getUiState<S extends WebviewUiState>(view: S['view']): S | undefined {
  const s = vscodeApi().getState() as WebviewUiState | undefined;
  return s && s.view === view ? (s as S) : undefined;
}

export function setUiState(state: WebviewUiState): void {
  vscodeApi().setState(state);
}

/** Listens for host messages (ignoring anything that is not one), then says `ready`. */
export function connect(
  view: WebviewMessage extends infer M ? (M extends { type: 'ready'; view: infer V } ? V : never) : never,
  onMessage: (m: HostMessage) => void,
): void {
  window.addEventListener('message', (e: MessageEvent) => {
    if (isHostMessage(e.data)) onMessage(e.data);
  });
  post({ type: 'ready', view, state: vscodeApi().getState() as WebviewUiState | undefined });
}
