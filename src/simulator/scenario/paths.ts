// Minimal path arithmetic for include resolution (no node:path, so the language front end runs
// anywhere). Keeps the separator style of the including file.

function sepOf(p: string): string {
  return p.includes('\\') && !p.includes('/') ? '\\' : '/';
}

export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p);
}

export function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i < 0 ? '' : i === 0 ? p.slice(0, 1) : p.slice(0, i);
}

/** `scheme://authority` of a URI string (a scenario opened by URI in VS Code for the Web). */
const URI_PREFIX = /^[a-z][a-z0-9+.-]*:\/\/[^/\\]*/i;

/**
 * Joins a relative path onto a directory and normalises '.' and '..'. A URI string keeps its
 * `scheme://authority` and has its path joined ('..' never climbs above the authority).
 */
export function joinPath(dir: string, rel: string): string {
  const m = URI_PREFIX.exec(dir || rel);
  if (m) {
    const rest = dir ? joinPlainPath(dir.slice(m[0].length) || '/', rel) : joinPlainPath('', rel.slice(m[0].length));
    return m[0] + (rest.startsWith('/') ? rest : `/${rest}`);
  }
  return joinPlainPath(dir, rel);
}

function joinPlainPath(dir: string, rel: string): string {
  const sep = sepOf(dir || rel);
  const parts = (dir ? dir + sep : '').concat(rel).split(/[\\/]/);
  const lead = parts[0] === '' ? sep : '';
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..' && !/^[A-Za-z]:$/.test(out[out.length - 1])) out.pop();
      else if (!lead) out.push('..');
      continue;
    }
    out.push(part);
  }
  return lead + out.join(sep);
}

export function normalizePath(p: string): string {
  return joinPath('', p);
}

/** Whether p (normalised) lies inside root. */
export function isInside(root: string, p: string): boolean {
  const r = normalizePath(root).replace(/\\/g, '/').replace(/\/+$/, '');
  const q = normalizePath(p).replace(/\\/g, '/');
  const ci = /^[A-Za-z]:/.test(r);
  const a = ci ? r.toLowerCase() : r;
  const b = ci ? q.toLowerCase() : q;
  return b === a || b.startsWith(a + '/') || (a === '' && !b.startsWith('..') && !b.startsWith('/'));
}
