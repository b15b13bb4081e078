// Yielding to the event loop between slices of a long run, so a pause request or a message can get
// in. Node has setImmediate; a browser or web worker (VS Code for the Web) does not, and a nested
// setTimeout(0) there is clamped to 4 ms, so it posts itself a MessageChannel message instead.
type Immediate = (cb: () => void) => unknown;

const immediate: Immediate | undefined = (globalThis as { setImmediate?: Immediate }).setImmediate;

let channel: InstanceType<typeof MessageChannel> | undefined;
const waiting: (() => void)[] = [];

export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => {
    if (immediate) { immediate(resolve); return; }
    if (!channel) {
      channel = new MessageChannel();
      // (typed as the DOM's port: this branch only runs where there is no setImmediate)
      (channel.port1 as unknown as { onmessage: (() => void) | null }).onmessage = () => waiting.shift()?.();
    }
    waiting.push(resolve);
    channel.port2.postMessage(undefined);
  });
}
