// vmbus-lab: the headless CLI. Subcommands share the simulator with the extension.
import { runCli } from './cli';
import './commands/index';

// A reader that stops early (`vmbus-lab run x.vmbus | head`) closes the pipe: that is not an
// error of ours, so end quietly instead of crashing with EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  // A long run's trace is hundreds of MB of text: write it blocking, so a slow reader holds the
  // CLI back instead of Node queueing every chunk in memory (pipes are asynchronous otherwise).
  (stream as unknown as { _handle?: { setBlocking?: (on: boolean) => void } })._handle?.setBlocking?.(true);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** All of standard input, or undefined when it is a terminal (nothing piped in). */
function readStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => { text += d; });
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', reject);
  });
}

runCli(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), stdin: readStdin })
  .then((code) => { process.exitCode = code; })
  .catch((err: unknown) => {
    process.stderr.write(`vmbus-lab: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 3;
  });
