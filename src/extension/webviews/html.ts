/**
 * The one HTML shell every Distillery webview loads: a strict CSP (nonce'd script, no inline
 * anything, nothing remote), the bundle from dist/webview, and `data-view` naming the view.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ViewKind } from '../../protocol/webviewMessages';
import { contentSecurityPolicy } from './csp';

export const WEBVIEW_DIST = ['dist', 'webview'] as const;

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, ...WEBVIEW_DIST);
}

/** Options for createWebviewPanel and for restored panels alike. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [webviewRoot(extensionUri)], enableFindWidget: true };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, view: ViewKind, title: string): string {
  const nonce = crypto.randomBytes(18).toString('base64');
  const root = webviewRoot(extensionUri);
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(root, 'webview.css'));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${style}" nonce="${nonce}">
</head>
<body data-view="${view}">
<main id="app" aria-busy="true"></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
