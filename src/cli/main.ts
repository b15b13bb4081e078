// vmbus-lab: the headless CLI. Subcommands share the simulator with the extension.
import { runCli } from './cli';
import './commands/index';

// A reader that stops early (`vmbus-lab run x.vmbus | head`) closes the pipe: that is not an
// error of ours, so end quietly instead of crashing with EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

runCli(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) })
  .then((code) => { process.exitCode = code; })
  .catch((err: unknown) => {
    process.stderr.write(`vmbus-lab: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 3;
  });
