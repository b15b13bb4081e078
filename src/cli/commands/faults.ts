// vmbus-lab faults [ID...] [--hostile | --environmental] [--json]
// The engine's fault catalogue: what each fault does, the triggers it honours, its parameters and
// what the Linux guest does about it. The same entries feed completion and hover in the editor.
import { parseArgs } from 'node:util';
import { commands, type CliIo } from '../cli';
import { FAULT_CATALOGUE, type FaultCatalogueEntry } from '../../simulator';

const USAGE = `usage: vmbus-lab faults [ID...] [--hostile | --environmental] [--json]
  ID               show only these faults (e.g. drop host-short-payload)
  --hostile        only the hostile-host behaviours
  --environmental  only the environmental faults (drop, delay, busy-slot ...)
  --json           the entries as one JSON array
Lists every fault a scenario can switch on with 'fault KIND [triggers] [key=value ...]'.
Unknown ID: error on stderr, exit code 2.
`;

const TRIGGER_WORDS: Record<FaultCatalogueEntry['triggers'][number], string> = {
  msgtype: 'on MSGTYPE', nth: 'nth N', phase: 'at PHASE', relid: 'relid N', device: 'device NAME',
};

/** One entry as indented text: the id line, then what it does, triggers, parameters, the guest's reaction. */
export function formatFault(f: FaultCatalogueEntry): string {
  const lines = [`${f.id}${f.hostile ? '  (hostile host)' : ''}`, `    ${f.description}`];
  lines.push(`    triggers: ${f.triggers.length ? f.triggers.map((t) => TRIGGER_WORDS[t]).join(', ') : 'none (a trigger is an error)'}`);
  if (f.params.length === 0) lines.push('    parameters: none');
  else {
    lines.push('    parameters:');
    for (const p of f.params) {
      const def = p.default === undefined ? '' : ` (default ${typeof p.default === 'number' && p.default >= 0x10000 ? '0x' + p.default.toString(16) : String(p.default)})`;
      lines.push(`      ${p.name}=<${p.type}>${def}  ${p.description}`);
    }
  }
  lines.push(`    guest: ${f.guestReaction}`);
  return lines.join('\n');
}

function faultsCommand(args: string[], io: CliIo): number {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (e) {
    io.stderr(`vmbus-lab faults: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) { io.stdout(USAGE); return 0; }
  if (values.hostile && values.environmental) {
    io.stderr(`vmbus-lab faults: --hostile and --environmental exclude each other\n${USAGE}`);
    return 2;
  }
  const unknown = positionals.filter((id) => !FAULT_CATALOGUE.some((f) => f.id === id));
  if (unknown.length) {
    io.stderr(`vmbus-lab faults: unknown fault ${unknown.map((u) => `'${u}'`).join(', ')}; 'vmbus-lab faults' lists them all\n`);
    return 2;
  }
  const list = FAULT_CATALOGUE.filter((f) => (positionals.length === 0 || positionals.includes(f.id))
    && (!values.hostile || f.hostile) && (!values.environmental || !f.hostile));
  if (values.json) {
    io.stdout(JSON.stringify(list) + '\n');
    return 0;
  }
  io.stdout(list.map(formatFault).join('\n\n') + '\n');
  return 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      hostile: { type: 'boolean' },
      environmental: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

commands.set('faults', { summary: 'list the fault catalogue: triggers, parameters, what the guest does', handler: faultsCommand });
