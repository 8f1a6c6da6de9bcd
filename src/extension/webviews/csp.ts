/**
 * The webviews' Content-Security-Policy: scripts only with the page's nonce, styles from the
 * bundle folder or nonce'd, images from the bundle or data: URLs, nothing remote, no
 * 'unsafe-inline' and no 'unsafe-eval' (chart.js and lit need neither). No vscode import, so
 * the standalone harness serves the same policy.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}
