// The CLI in-process, as the tests drive it: every command registered, output captured.
import { runCli } from '../../../src/cli/cli';
import '../../../src/cli/commands/index';

export interface CliResult { code: number; out: string; err: string }

export async function cli(args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
  return { code, out, err };
}
