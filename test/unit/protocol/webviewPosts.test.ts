/**
 * The host's schema must accept what the webviews really post (webview/views/*.ts), as typed
 * by WebviewMessage: a message the schema refuses is dropped without a word, and its button
 * does nothing (Apply best setting did, because the schema wanted a trialId nobody sends).
 */
import { strict as assert } from 'node:assert';
import { parseWebviewMessage } from '../../../src/protocol/webviewMessageSchema';
import type { WebviewMessage } from '../../../src/protocol/webviewMessages';

describe('webview messages: what the webviews post', () => {
  const posted: WebviewMessage[] = [
    { type: 'ready', view: 'dashboard' },
    { type: 'stop', runId: '20260101-120000-a-000000' },
    { type: 'rerun', runId: '20260101-120000-a-000000' },
    { type: 'openConfig', runId: '20260101-120000-a-000000' },
    { type: 'applyBest' },
    { type: 'exportCsv', fileName: 'sweep.csv', csv: 'id,metric\nt1,0.9\n' },
    { type: 'openRun', runDir: '/w/.distillery/sweeps/s/trials/t1' },
    { type: 'rendered', view: 'sweep', steps: 0, epochs: 4, status: 'done', charts: 2 },
  ];
  for (const message of posted) {
    it(`accepts ${message.type} as the webview sends it`, () => {
      assert.deepEqual(parseWebviewMessage(message), message);
    });
  }
});
