// Argument dispatch, kept apart from process I/O so tests can call it directly.
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Standard input when it is piped (not a terminal); decode/encode read it when given no bytes/JSON. */
  stdin?: () => Promise<string | undefined>;
}

export type CommandHandler = (args: string[], io: CliIo) => Promise<number> | number;

/** Subcommands register here (decode/encode from the protocol feature, run from the scenario feature). */
export const commands = new Map<string, { summary: string; handler: CommandHandler }>();

const USAGE = () =>
  'usage: vmbus-lab <command> [options]\n\ncommands:\n' +
  [...commands.entries()].map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join('\n') +
  '\n';

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE());
    return name ? 0 : 2;
  }
  const cmd = commands.get(name);
  if (!cmd) {
    io.stderr(`vmbus-lab: unknown command '${name}'\n${USAGE()}`);
    return 2;
  }
  return cmd.handler(rest, io);
}
