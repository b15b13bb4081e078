// Running a simulation to its end from a command: in slices, behind a cancellable progress
// notification, so a long scenario never freezes the extension host.
import * as vscode from 'vscode';
import type { SimulationSession, StopInfo } from '../../simulator';

/** Events per slice: small enough to keep each slice in the tens of milliseconds. */
const SLICE_EVENTS = 50_000;

export function runWithProgress(s: SimulationSession, title: string): Thenable<StopInfo> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return s.runAsync(SLICE_EVENTS, abort.signal, (pos) => progress.report({ message: `event ${pos + 1}` }));
    },
  );
}
