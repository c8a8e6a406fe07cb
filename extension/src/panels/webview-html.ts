import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/**
 * The HTML shell of a webview: `default-src 'none'` CSP with a fresh nonce per render, loading
 * only `<root>/<name>.js` (an ES module) and `<root>/<name>.css`. `root` must be the webview's
 * only localResourceRoot (webview/dist).
 */
export function webviewHtml(webview: vscode.Webview, root: vscode.Uri, name: string, title: string): string {
  const nonce = randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, `${name}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(root, `${name}.css`));
  const csp = [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${webview.cspSource} 'nonce-${nonce}'`, `font-src ${webview.cspSource}`, `img-src ${webview.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>${title}</title>
</head>
<body>
<main id="root"><p>Loading…</p></main>
<script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

/** The folder every webview loads from (and may load from: its localResourceRoots). */
export const webviewRoot = (extensionUri: vscode.Uri): vscode.Uri => vscode.Uri.joinPath(extensionUri, 'webview', 'dist');
