// File names the extension gets as strings (a debug configuration's `program`, a SourceRef's file,
// a command argument) and the Uris VS Code works with. No node:path: the same code runs in the
// Node extension host and in the web worker extension host (VS Code for the Web), where the
// workspace lives on a remote or virtual file system and `${file}` is the path part of its Uri.
import * as vscode from 'vscode';

/** A URI string has a scheme of two or more characters (so `C:\x` is a Windows path, not a URI). */
const URI_LIKE = /^[a-zA-Z][a-zA-Z0-9+.-]+:/;

/**
 * The Uri of a file name. A URI string is parsed. An absolute path is a file: Uri when the window is
 * local (a folder with the file scheme, or none); otherwise it is taken on the file system of the
 * workspace folder that contains it (its scheme and authority), else of the first folder.
 */
export function uriOf(name: string): vscode.Uri {
  if (URI_LIKE.test(name)) return vscode.Uri.parse(name);
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.length || folders.some((f) => f.uri.scheme === 'file')) return vscode.Uri.file(name);
  const p = name.replace(/\\/g, '/');
  const home = folders.find((f) => p === f.uri.path || p.startsWith(f.uri.path.replace(/\/$/, '') + '/')) ?? folders[0];
  return home.uri.with({ path: p, query: '', fragment: '' });
}

/** Whether a name is a URI string (scheme:…) rather than a path. */
export function isUriString(name: string): boolean {
  return URI_LIKE.test(name);
}

/** The name under which the simulator and the debug adapter know a document: its path (fsPath for files). */
export function nameOf(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.path;
}

/** The last segment of a path or URI. */
export function baseName(name: string): string {
  const trimmed = name.replace(/[\\/]+$/, '');
  return trimmed.slice(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1);
}
