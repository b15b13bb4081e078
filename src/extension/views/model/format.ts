// Small display helpers shared by the tree models (no vscode).
import { type AccessPath, CHN_FLAG_INFO, hexNum as hex } from '../../../simulator';


export { hex };

export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How an access reached its target, in the words a kernel developer uses. */
export function pathLabel(path: AccessPath | null): string {
  switch (path) {
    case null:
      return 'not written';
    case 'msr':
      return 'via wrmsr (hypervisor)';
    case 'hypercall':
      return 'via hypercall';
    case 'ghcb':
      return 'via GHCB (hypervisor)';
    case 'tdcall':
      return 'via tdcall (hypervisor)';
    case 'trapped':
      return 'via wrmsr trapped by the paravisor';
    case 'internal':
      return 'internal';
    default:
      return `via ${String(path)}`;
  }
}

/** Short form for descriptions. */
export function pathShort(path: AccessPath | null): string {
  switch (path) {
    case null:
      return 'not written';
    case 'msr':
      return 'wrmsr';
    case 'trapped':
      return 'trapped';
    case 'ghcb':
      return 'GHCB';
    default:
      return String(path);
  }
}

/** Set chn_flags bits with their Linux names (from the protocol module) and plain words. */
export function decodeFlags(flags: number): { bit: number; name: string; text: string }[] {
  const out: { bit: number; name: string; text: string }[] = [];
  let known = 0;
  for (const f of CHN_FLAG_INFO) {
    known |= f.bit;
    if ((flags & f.bit) === 0) continue;
    out.push({ bit: f.bit, name: f.linuxName ?? f.openVmmName ?? f.key, text: f.key.toLowerCase().replace(/_/g, ' ').replace('tlnpi provider offer', 'hv_sock provider offer') });
  }
  const rest = flags & ~known & 0xffff;
  if (rest) out.push({ bit: rest, name: `unknown ${hex(rest, 4)}`, text: `unknown bits ${hex(rest, 4)}` });
  return out;
}

/** Render a register field value: booleans as bits, numbers in hex when they are addresses/vectors. */
export function fieldValue(key: string, v: number | boolean | string): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (/gpa|vector|base|addr/i.test(key)) return hex(v);
    return String(v);
  }
  return v;
}

export function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => '\\' + c);
}
