// Stand-ins for the three Node modules that @vscode/debugadapter loads at start-up, used only in
// the browser bundle (dist/web/extension.js, see scripts/build.mjs) and only for imports made by
// that package: anything else importing a Node module fails the web build.
//
// Run inline (DebugAdapterInlineImplementation) the adapter never touches a stream, a socket or a
// log file; what it does use is an EventEmitter (its ProtocolServer extends one and listens for
// 'close' and 'error') and the WHATWG URL (path <-> URI conversion). fs, path and net serve only
// its log file and its stand-alone server, so they throw if ever called.

type Listener = (...args: unknown[]) => void;

/** The part of Node's EventEmitter that the adapter library uses (on/once/off/emit). */
export class EventEmitter {
  private listenersByEvent = new Map<string | symbol, Listener[]>();

  on(event: string | symbol, listener: Listener): this {
    const list = this.listenersByEvent.get(event) ?? [];
    list.push(listener);
    this.listenersByEvent.set(event, list);
    return this;
  }

  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: string | symbol, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.removeListener(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  removeListener(event: string | symbol, listener: Listener): this {
    const list = this.listenersByEvent.get(event);
    const i = list ? list.indexOf(listener) : -1;
    if (list && i >= 0) list.splice(i, 1);
    return this;
  }

  off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.listenersByEvent.clear();
    else this.listenersByEvent.delete(event);
    return this;
  }

  listenerCount(event: string | symbol): number {
    return this.listenersByEvent.get(event)?.length ?? 0;
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.listenersByEvent.get(event);
    if (!list?.length) return false;
    for (const l of [...list]) l(...args);
    return true;
  }
}

export const URL = globalThis.URL;

/** fs, path, net: present so the library loads; any use names the module and says why it fails. */
export function unavailable(module: string): unknown {
  return new Proxy({}, {
    get(_t, prop) {
      if (prop === '__esModule' || prop === 'default' || typeof prop === 'symbol') return undefined;
      throw new Error(`${module}.${String(prop)} is not available in VS Code for the Web (the debug adapter runs inline there)`);
    },
  });
}
