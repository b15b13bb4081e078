// Stand-alone entry of the VMBus debug adapter: speaks DAP on stdin/stdout, or on a TCP port with
// --server=PORT (so an extension, a test or another DAP client can attach to it). The extension
// itself runs the same adapter inline in the extension host (see register.ts).
import * as net from 'net';
import { VmbusDebugSession, type DebugHost } from './adapter';
import { readRegularFile } from '../../node/containedReader';
import { nodeDebugHost } from '../../node/debugHost';

const host: DebugHost = {
  ...nodeDebugHost,
  // A regular file under the size cap: never a FIFO (it would block) or /dev/zero.
  async readFile(file) {
    const r = await readRegularFile(file);
    if (!r.ok) throw new Error(r.reason);
    return r.text;
  },
};

// Whatever slips through is reported, never a silent exit.
process.on('unhandledRejection', (e) => process.stderr.write(`vmbus debug adapter: ${e instanceof Error ? e.message : String(e)}\n`));

const serverArg = process.argv.slice(2).find((a) => a.startsWith('--server='));
if (serverArg) {
  const port = Number(serverArg.slice('--server='.length));
  net
    .createServer((socket) => {
      const session = new VmbusDebugSession(host);
      session.setRunAsServer(true);
      session.start(socket, socket);
    })
    .listen(port, '127.0.0.1', () => {
      process.stderr.write(`vmbus debug adapter listening on 127.0.0.1:${port}\n`);
    });
} else {
  const session = new VmbusDebugSession(host);
  process.on('SIGTERM', () => session.shutdown());
  session.start(process.stdin, process.stdout);
}
