// vmbus-lab encode [--json] '<json>' [--slot]   (or the JSON on standard input: decode | encode)
// Prints the channel message (or, with --slot, the 256-byte hv_message slot) as hex: lower case, no separators.
import { commands, type CliIo } from '../cli';
import { encodeMessage, encodeSlot, toHex } from '../../simulator';
import { formatError } from './decode';

const USAGE = `usage: vmbus-lab encode [--json] '<json>' [--slot]
  --json <json>  the JSON form, e.g. '{"msgtype":"CHANNELMSG_CLOSECHANNEL","child_relid":5}' (see docs/json-form.md);
                 --json may be left out, and without JSON it is read from standard input (decode ... | encode)
  --slot         the JSON is a whole hv_message slot {message_type, msg_pending, port, message: {...}}
Prints the bytes as hex (lower case, no separators). Invalid input: error on stderr, exit code 2.
`;

async function encodeCommand(args: string[], io: CliIo): Promise<number> {
  let slot = false;
  let json: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') { io.stdout(USAGE); return 0; }
    if (a === '--slot') { slot = true; continue; }
    if (a === '--json') {
      if (i + 1 >= args.length) { io.stderr(`vmbus-lab encode: --json needs a value\n${USAGE}`); return 2; }
      json = args[++i];
      continue;
    }
    if (a.startsWith('--json=')) { json = a.slice(7); continue; }
    if (!a.startsWith('-') && json === undefined) { json = a; continue; } // the JSON without --json
    io.stderr(`vmbus-lab encode: unknown argument '${a}'\n${USAGE}`);
    return 2;
  }
  if (json === undefined && io.stdin) {
    const piped = (await io.stdin())?.trim();
    if (piped) json = piped;
  }
  if (json === undefined) { io.stderr(`vmbus-lab encode: --json '<json>' is required\n${USAGE}`); return 2; }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    io.stderr(formatError('encode', { code: 'bad-json', message: `invalid JSON: ${e instanceof Error ? e.message : String(e)}` }));
    return 2;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    io.stderr(formatError('encode', { code: 'bad-json', message: 'the JSON must be an object' }));
    return 2;
  }
  const r = slot ? encodeSlot(value as Record<string, unknown>) : encodeMessage(value as Record<string, unknown>);
  if (!r.ok) { io.stderr(formatError('encode', r.error)); return 2; }
  io.stdout(toHex(r.bytes) + '\n');
  return 0;
}

commands.set('encode', { summary: 'encode the JSON form of a channel message (or slot) to hex', handler: encodeCommand });
