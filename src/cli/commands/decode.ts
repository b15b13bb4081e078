// vmbus-lab decode [--hex] <hex> [--slot] [--openvmm] [--pretty]   (or the hex on standard input)
// Prints the channel message (or, with --slot, the whole 256-byte hv_message slot) as one JSON object.
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

async function decodeCommand(args: string[], io: CliIo): Promise<number> {
  let slot = false, openvmm = false, pretty = false;
  const hexParts: string[] = [];
  let sawHex = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') { io.stdout(USAGE); return 0; }
    if (a === '--slot') { slot = true; continue; }
    if (a === '--openvmm' || a === '--allow-openvmm') { openvmm = true; continue; }
    if (a === '--pretty') { pretty = true; continue; }
    if (a === '--hex' || a.startsWith('--hex=')) {
      sawHex = true;
      if (a.startsWith('--hex=')) { hexParts.push(a.slice(6)); continue; }
      while (i + 1 < args.length && !args[i + 1].startsWith('--')) hexParts.push(args[++i]);
      continue;
    }
    if (!a.startsWith('-')) { sawHex = true; hexParts.push(a); continue; } // the bytes without --hex
    io.stderr(`vmbus-lab decode: unknown argument '${a}'\n${USAGE}`);
    return 2;
  }
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
