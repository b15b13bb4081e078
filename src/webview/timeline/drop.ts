// A drop on the timeline panel: where the dropped log is. Pure (the webview's drop handler and the
// unit tests call it with a getter over the DataTransfer).

/** The first URI of a drop, from text/uri-list or VS Code's own resource lists (JSON arrays). */
export function droppedUri(get: (type: string) => string): string | undefined {
  const list = get('text/uri-list');
  const first = list.split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
  if (first) return first;
  for (const t of ['application/vnd.code.uri-list', 'resourceurls']) {
    const v = get(t).trim();
    if (!v) continue;
    try {
      const a = JSON.parse(v) as unknown;
      if (Array.isArray(a) && typeof a[0] === 'string') return a[0];
    } catch {
      const l = v.split(/\r?\n/).map((x) => x.trim()).find(Boolean);
      if (l) return l;
    }
  }
  return undefined;
}
