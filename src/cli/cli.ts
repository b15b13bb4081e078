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
  'usage: vmbus-lab <command> [options]\n       vmbus-lab help COMMAND | --version\n\ncommands:\n' +
  [...commands.entries()].map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join('\n') +
  '\n';

/** The package version, injected by the bundler (scripts/build.mjs); 'dev' when run from sources. */
declare const __VMBUS_LAB_VERSION__: string | undefined;
export const VERSION: string = typeof __VMBUS_LAB_VERSION__ === 'string' ? __VMBUS_LAB_VERSION__ : 'dev';

/**
 * Escapes control characters (C0 but newline and tab, DEL, C1) as \xNN: a scenario name or a word
 * of a hostile file must not reach a terminal as an escape sequence.
 */
export function escapeControls(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export async function runCli(argv: string[], rawIo: CliIo): Promise<number> {
  const io: CliIo = { ...rawIo, stdout: (s) => rawIo.stdout(escapeControls(s)), stderr: (s) => rawIo.stderr(escapeControls(s)) };
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(`vmbus-lab ${VERSION}\n`);
    return 0;
  }
  if (name === 'help' && rest.length) {
    const cmd = commands.get(rest[0]);
    if (!cmd) {
      io.stderr(`vmbus-lab: unknown command '${rest[0]}'\n${USAGE()}`);
      return 2;
    }
    return cmd.handler(['--help'], io);
  }
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
