// When the extension's start-up steps happened, on the extension host's clock (performance.now(),
// shared by everything in that process): the bundle starting to run, activate() starting and
// returning, and each sidebar tree first answering VS Code's request for its top level. The
// activation bench (bench/activation) reads these through activate()'s exports. extension.ts
// imports this module first, so `loaded` is taken before the rest of the bundle runs.
export interface StartupTimes {
  loaded: number;
  /** The bundle's last module (extension.ts) has run: module-level code is done. */
  evaluated?: number;
  activateStart?: number;
  activateEnd?: number;
  /** View id → when its tree first asked for its root nodes. */
  firstTree: Record<string, number>;
}

export const startup: StartupTimes = { loaded: performance.now(), firstTree: {} };

export function markFirstTree(viewId: string): void {
  if (startup.firstTree[viewId] === undefined) startup.firstTree[viewId] = performance.now();
}
