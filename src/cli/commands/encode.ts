// vmbus-lab encode [--json] '<json>' [--slot]   (or the JSON on standard input: decode | encode)
// Prints the channel message (or, with --slot, the 256-byte hv_message slot) as hex: lower case, no separators.
import { parseArgs } from 'node:util';
import { commands, type CliIo } from '../cli';
import { encodeMessage, encodeSlot, toHex } from '../../simulator';
import { formatError } from './decode';

const USAGE = `usage: vmbus-lab encode [--json] '<json>' [--slot]
  --json <json>  the JSON form, e.g. '{"msgtype":"CHANNELMSG_CLOSECHANNEL","child_relid":5}' (see docs/json-form.md);
                 --json may be left out, and without JSON it is read from standard input (decode ... | encode)
  --slot         the JSON is a whole hv_message slot {message_type, msg_pending, port, message: {...}}
Prints the bytes as hex (lower case, no separators). Invalid input: error on stderr, exit code 2.
`;

const ENCODE_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'string' },
  slot: { type: 'boolean' },
} as const;

async function encodeCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: ENCODE_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    io.stderr(`vmbus-lab encode: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) { io.stdout(USAGE); return 0; }
  const slot = !!v.slot;
  if (v.json === '') { io.stderr(`vmbus-lab encode: --json needs a value\n${USAGE}`); return 2; }
  // One message: the JSON after --json or bare, not both, not two.
  const given = [...(v.json !== undefined ? [v.json] : []), ...positionals];
  if (given.length > 1) { io.stderr(`vmbus-lab encode: one JSON message at a time (extra argument '${given[1]}')\n${USAGE}`); return 2; }
  let json: string | undefined = given[0];
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
