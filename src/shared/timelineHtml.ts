// The timeline webview's page, in one place: the panel serves it, and the Chromium tests load
// the very same markup and Content-Security-Policy (so "CSP blocks inline script" is tested on
// the real policy, not on a copy).

export interface TimelineHtmlOptions {
  /** The webview's resource origin (webview.cspSource); styles and fonts may load only from it. */
  cspSource: string;
  /** A fresh random nonce; only scripts carrying it run. */
  nonce: string;
  /** URI of the bundled timeline script (dist/webview/timeline.js). */
  scriptUri: string;
  /** URIs of the style sheets (codicons, then the timeline's own). */
  styleUris: string[];
  /** Extra markup for the head (the test harness adds its stand-in for VS Code here). */
  extraHead?: string;
  bodyClass?: string;
}

export function timelineCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function timelineHtml(o: TimelineHtmlOptions): string {
  const styles = o.styleUris.map((u) => `<link rel="stylesheet" href="${u}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${timelineCsp(o.cspSource, o.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
${o.extraHead ?? ''}
<title>VMBus Timeline</title>
</head>
<body${o.bodyClass ? ` class="${o.bodyClass}"` : ''}>
<div id="app"></div>
<script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}
