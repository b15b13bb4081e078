// Finding files in the workspace on every file system VS Code can open. `workspace.findFiles` goes
// through a search provider: the Node host and a remote folder have one, but a virtual workspace
// (a FileSystemProvider without a FileSearchProvider) has none, and there the search waits for one
// to register, i.e. forever. So findFiles is used where a provider exists and is bounded in time;
// elsewhere, and when it does not answer, the folders are walked with `workspace.fs`.
import * as vscode from 'vscode';

/** Schemes whose folders VS Code can search (the local disk, a remote server's disk). */
const SEARCHABLE_SCHEMES = new Set(['file', 'vscode-remote']);
/** How long findFiles may take before the walk takes over. */
export const FIND_FILES_TIMEOUT_MS = 5_000;
/** The walk's bounds: a workspace is not indexed, only looked through for scenarios. */
export const WALK_MAX_ENTRIES = 5_000;
export const WALK_MAX_DEPTH = 8;
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'out', 'dist', '.vscode-test']);

/**
 * Files in the workspace (or in `folder`) whose name ends with `suffix` (e.g. `.vmbus`) or is
 * exactly `name`; at most `limit`, node_modules excluded.
 */
export async function findWorkspaceFiles(
  match: { suffix: string } | { name: string },
  limit: number,
  folder?: vscode.WorkspaceFolder,
): Promise<vscode.Uri[]> {
  const folders = folder ? [folder] : [...(vscode.workspace.workspaceFolders ?? [])];
  if (!folders.length) return [];
  const glob = 'suffix' in match ? `**/*${match.suffix}` : `**/${match.name}`;
  if (folders.every((f) => SEARCHABLE_SCHEMES.has(f.uri.scheme))) {
    const found = await boundedFindFiles(folder ? new vscode.RelativePattern(folder, glob) : glob, limit);
    if (found) return found;
  }
  const wanted = (n: string): boolean => ('suffix' in match ? n.endsWith(match.suffix) : n === match.name);
  return walk(folders.map((f) => f.uri), wanted, limit);
}

async function boundedFindFiles(pattern: vscode.GlobPattern, limit: number): Promise<vscode.Uri[] | undefined> {
  const cts = new vscode.CancellationTokenSource();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => { cts.cancel(); resolve(undefined); }, FIND_FILES_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve(vscode.workspace.findFiles(pattern, '**/node_modules/**', limit, cts.token)), timedOut]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    cts.dispose();
  }
}

/** Breadth-first through the folders with workspace.fs, within WALK_MAX_ENTRIES and WALK_MAX_DEPTH. */
async function walk(roots: vscode.Uri[], wanted: (name: string) => boolean, limit: number): Promise<vscode.Uri[]> {
  const out: vscode.Uri[] = [];
  let queue = roots.map((uri) => ({ uri, depth: 0 }));
  let seen = 0;
  while (queue.length && out.length < limit && seen < WALK_MAX_ENTRIES) {
    const next: { uri: vscode.Uri; depth: number }[] = [];
    for (const dir of queue) {
      let entries: [string, vscode.FileType][];
      try {
        entries = await vscode.workspace.fs.readDirectory(dir.uri);
      } catch {
        continue; // unreadable: skipped, as findFiles would
      }
      for (const [name, type] of entries.sort((a, b) => a[0].localeCompare(b[0]))) {
        if (++seen > WALK_MAX_ENTRIES || out.length >= limit) break;
        const uri = vscode.Uri.joinPath(dir.uri, name);
        // Symbolic links are not followed (the contained reader refuses them too).
        if (type & vscode.FileType.SymbolicLink) continue;
        if (type === vscode.FileType.File && wanted(name)) out.push(uri);
        else if (type === vscode.FileType.Directory && dir.depth < WALK_MAX_DEPTH && !SKIPPED_DIRS.has(name)) next.push({ uri, depth: dir.depth + 1 });
      }
    }
    queue = next;
  }
  return out;
}
