// vmbus-lab decode [--hex] <hex> [--slot] [--openvmm] [--pretty]   (or the hex on standard input)
// Prints the channel message (or, with --slot, the whole 256-byte hv_message slot) as one JSON object.
import { parseArgs } from 'node:util';
import { commands, type CliIo } from '../cli';
import { decodeMessage, decodeSlot, parseHex, type ProtocolError } from '../../simulator';

const USAGE = `usage: vmbus-lab decode [--hex] <hex> [--slot] [--openvmm] [--pretty]
  --hex <hex>   the bytes: "0e000000...", "0e 00 00 00 ...", "0x0e,0x00,..." (may span several arguments;
                --hex may be left out, and without any bytes they are read from standard input)
  --slot        the bytes are a whole 256-byte hv_message slot (header + payload)
  --openvmm     also accept OpenVMM-only messages and forms (VersionResponse2, InitiateContact2, 25/26, ...)
  --pretty      indent the JSON
Prints one JSON object on stdout; warnings go to stderr. Invalid input: error on stderr, exit code 2.
`;

export function formatError(cmd: string, e: ProtocolError): string {
  const where = [
    e.msgtype !== undefined ? `msgtype=${e.msgtype}${e.msgtypeName ? ` (${e.msgtypeName})` : ''}` : '',
    e.field !== undefined ? `field=${e.field}` : '',
    e.offset !== undefined ? `offset=${e.offset}` : '',
  ].filter(Boolean).join(', ');
  return `vmbus-lab ${cmd}: error [${e.code}]: ${e.message}${where ? ` (${where})` : ''}\n`;
}

const DECODE_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  hex: { type: 'string', multiple: true },
  slot: { type: 'boolean' },
  openvmm: { type: 'boolean' },
  'allow-openvmm': { type: 'boolean' },
  pretty: { type: 'boolean' },
} as const;

async function decodeCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    // Tokens keep the order of --hex values and bare bytes ("--hex 0e 00 00 00" is one message).
    parsed = parseArgs({ args, options: DECODE_OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    io.stderr(`vmbus-lab decode: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: v, tokens } = parsed;
  if (v.help) { io.stdout(USAGE); return 0; }
  const slot = !!v.slot, openvmm = !!v.openvmm || !!v['allow-openvmm'], pretty = !!v.pretty;
  const hexParts: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') hexParts.push(t.value);
    else if (t.kind === 'option' && t.name === 'hex' && t.value !== undefined) hexParts.push(t.value);
  }
  if (hexParts.some((h) => h.trim() === '')) { io.stderr(`vmbus-lab decode: --hex needs a value\n${USAGE}`); return 2; }
  let sawHex = hexParts.length > 0;
  if (!sawHex && io.stdin) {
    const piped = (await io.stdin())?.trim();
    if (piped) { sawHex = true; hexParts.push(piped); }
  }
  if (!sawHex || hexParts.length === 0) {
    io.stderr(`vmbus-lab decode: --hex <hex> is required\n${USAGE}`);
    return 2;
  }
  const hex = parseHex(hexParts.join(' '));
  if (!hex.ok) { io.stderr(formatError('decode', hex.error)); return 2; }
  const r = slot ? decodeSlot(hex.bytes, { allowOpenVmm: openvmm }) : decodeMessage(hex.bytes, { allowOpenVmm: openvmm });
  if (!r.ok) { io.stderr(formatError('decode', r.error)); return 2; }
  for (const w of r.warnings) io.stderr(`vmbus-lab decode: warning: ${w}\n`);
  io.stdout(JSON.stringify(r.value, null, pretty ? 2 : undefined) + '\n');
  return 0;
}

commands.set('decode', { summary: 'decode channel message bytes (or an hv_message slot) to JSON', handler: decodeCommand });
