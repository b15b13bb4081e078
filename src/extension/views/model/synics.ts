// SynICs view: per VP, the hypervisor's and the paravisor's SynIC with SCONTROL, SIMP, SIEFP,
// SINT0-15 (SINT2 expanded into its fields, proxy bit shown), EOM writes, the message slots and
// the event flags, each register with the access path that last configured it.
import type { RegisterView, SynicView } from '../../../simulator';
import { ModelBuilder, type TreeModel } from './node';
import { fieldValue, hex, pathLabel, pathShort } from './format';

/** SINT bit 20 (union hv_synic_sint .proxy). */
const SINT_PROXY_BIT = 20n;
const VMBUS_SINT = 2;

function bigValue(v: string): bigint | undefined {
  try {
    return BigInt(v);
  } catch {
    return undefined;
  }
}

/** The fields of a SINT, with the proxy bit always present (decoded from the value if the engine left it out). */
export function sintFields(reg: RegisterView): Record<string, number | boolean | string> {
  const f = { ...reg.fields };
  if (!('proxy' in f)) {
    const v = bigValue(reg.value);
    if (v !== undefined) f.proxy = ((v >> SINT_PROXY_BIT) & 1n) === 1n;
  }
  return f;
}

function bit(v: number | boolean | string | undefined): string {
  if (v === undefined) return '?';
  return fieldValue('', v);
}

function enabledOf(reg: RegisterView): boolean | undefined {
  const f = reg.fields;
  for (const k of ['enable', 'enabled', 'simp_enabled', 'siefp_enabled']) {
    if (k in f) return f[k] === true || f[k] === 1;
  }
  const v = bigValue(reg.value);
  return v === undefined ? undefined : (v & 1n) === 1n;
}

function gpaOf(reg: RegisterView): string | undefined {
  const f = reg.fields;
  for (const k of ['base_gpa', 'gpa', 'base_simp_gpa', 'base_siefp_gpa']) {
    if (k in f) return typeof f[k] === 'number' ? hex(f[k] as number) : String(f[k]);
  }
  return undefined;
}

function registerTooltip(owner: string, reg: RegisterView): string {
  const fields = Object.entries(reg.fields)
    .map(([k, v]) => `- ${k}: \`${fieldValue(k, v)}\``)
    .join('\n');
  return `**${reg.name}** (MSR \`${hex(reg.msr)}\`) on the ${owner} SynIC\n\nvalue \`${reg.value}\`, ${pathLabel(reg.path)}${fields ? '\n\n' + fields : ''}`;
}

function sintSummary(reg: RegisterView): string {
  const f = sintFields(reg);
  if (reg.path === null) return `${reg.value} · not written`;
  const parts = [reg.value];
  if ('vector' in f) parts.push(`vector ${fieldValue('vector', f.vector)}`);
  if ('masked' in f) parts.push(f.masked === true || f.masked === 1 ? 'masked' : 'unmasked');
  parts.push(`proxy: ${bit(f.proxy)}`);
  parts.push(pathShort(reg.path));
  return parts.join(' · ');
}

function pageRegSummary(reg: RegisterView): string {
  if (reg.path === null) return `${reg.value} · not written`;
  const en = enabledOf(reg);
  const gpa = gpaOf(reg);
  return [reg.value, en === undefined ? undefined : en ? 'enabled' : 'disabled', gpa ? `GPA ${gpa}` : undefined, pathShort(reg.path)]
    .filter((x): x is string => x !== undefined)
    .join(' · ');
}

/** SINT0-15 in order; the ones the engine does not report were never written (reset value: masked). */
function allSints(sints: readonly RegisterView[]): RegisterView[] {
  const byNo = new Map<number, RegisterView>();
  for (const r of sints) byNo.set(Number(/(\d+)$/.exec(r.name)?.[1] ?? -1), r);
  const out: RegisterView[] = [];
  for (let i = 0; i < 16; i++) {
    out.push(byNo.get(i) ?? { name: `SINT${i}`, msr: 0x40000090 + i, value: '0x10000', fields: { masked: true }, path: null });
  }
  return out;
}

const OWNER_LABEL: Record<string, string> = { hypervisor: 'Hypervisor SynIC', paravisor: 'Paravisor SynIC' };

export function buildSynicsModel(synics: readonly SynicView[], opts: { confidential?: boolean } = {}): TreeModel {
  const b = new ModelBuilder();
  const vps = [...new Set(synics.map((s) => s.vp))].sort((a, c) => a - c);
  let eoms = 0;
  for (const vp of vps) {
    const vid = `vp:${vp}`;
    const mine = synics.filter((s) => s.vp === vp).sort((a, c) => (a.owner === c.owner ? 0 : a.owner === 'hypervisor' ? -1 : 1));
    b.add({ id: vid, label: `VP ${vp}`, icon: { id: 'chip' }, expand: vp === vps[0] ? 'expanded' : 'collapsed' }, undefined);
    for (const s of mine) {
      eoms += s.eomCount;
      const sid = `syn:${vp}:${s.owner}`;
      const enabled = enabledOf(s.scontrol);
      const interrupts = enabled ? 'delivers interrupts' : 'SCONTROL off';
      b.add(
        {
          id: sid,
          label: OWNER_LABEL[s.owner] ?? s.owner,
          description: s.scontrol.path === null && s.simp.path === null ? 'not set up' : interrupts,
          tooltip:
            s.owner === 'paravisor'
              ? 'The SynIC the paravisor emulates. With Confidential VMBus its SCONTROL is enabled and it signals every interrupt; its SINT2 proxy bit is 0.'
              : 'The hypervisor SynIC, reached through GHCB/tdcall when a paravisor is present. Messages from the host still arrive here.',
          icon: { id: s.owner === 'paravisor' ? 'shield' : 'server-environment', color: enabled ? 'charts.green' : undefined },
          expand: vp === vps[0] ? 'expanded' : 'collapsed',
        },
        vid,
      );
      const regs: RegisterView[] = [s.scontrol, s.simp, s.siefp];
      for (const r of regs) {
        b.add(
          {
            id: `${sid}/${r.name}`,
            label: r.name,
            description: pageRegSummary(r),
            tooltip: registerTooltip(s.owner, r),
            icon: { id: r.path === null ? 'circle-small' : 'symbol-variable' },
            contextValue: 'vmbusRegister',
          },
          sid,
        );
      }
      for (const r of allSints(s.sints)) {
        const sintNo = Number(/(\d+)$/.exec(r.name)?.[1] ?? -1);
        const isVmbus = sintNo === VMBUS_SINT;
        const rid = `${sid}/${r.name}`;
        const fields = sintFields(r);
        b.add(
          {
            id: rid,
            label: isVmbus ? `${r.name} (VMBus)` : r.name,
            description: sintSummary(r),
            tooltip: registerTooltip(s.owner, r),
            icon: { id: r.path === null ? 'circle-small' : 'symbol-variable', color: isVmbus ? 'charts.blue' : undefined },
            contextValue: 'vmbusRegister',
            expand: isVmbus ? 'expanded' : 'none',
          },
          sid,
        );
        if (isVmbus || r.path !== null) {
          for (const [k, v] of Object.entries(fields)) {
            b.add(
              {
                id: `${rid}/${k}`,
                label: `${k}: ${fieldValue(k, v)}`,
                description:
                  k === 'proxy' && s.owner === 'paravisor'
                    ? v === true || v === 1
                      ? 'the paravisor proxies the host\'s interrupts (non-confidential)'
                      : 'the paravisor SynIC signals the guest itself (Confidential VMBus)'
                    : undefined,
                icon: { id: k === 'proxy' ? 'arrow-swap' : 'symbol-field' },
              },
              rid,
            );
          }
          const node = b.get(rid);
          if (node && !isVmbus) node.expand = 'collapsed';
        }
      }
      b.add({ id: `${sid}/EOM`, label: 'EOM writes', description: String(s.eomCount), icon: { id: 'check-all' } }, sid);
      for (const slot of s.slots) {
        if (slot.sint !== VMBUS_SINT && !slot.msgtype && !slot.queued) continue;
        const desc = slot.msgtype ? `${slot.msgtype}${slot.pending ? ' · msg_pending' : ''}` : 'empty';
        b.add(
          {
            id: `${sid}/slot/${slot.sint}`,
            label: `message slot SINT${slot.sint}`,
            description: slot.queued ? `${desc} · ${slot.queued} queued` : desc,
            icon: { id: slot.msgtype ? 'mail' : 'mail-read' },
          },
          sid,
        );
      }
      for (const ef of s.eventFlags) {
        if (ef.sint !== VMBUS_SINT && !ef.bits.length) continue;
        b.add(
          {
            id: `${sid}/flags/${ef.sint}`,
            label: `event flags SINT${ef.sint}`,
            description: ef.bits.length ? `relid ${ef.bits.slice(0, 16).join(', ')}${ef.bits.length > 16 ? ` … (${ef.bits.length})` : ''}` : 'none set',
            icon: { id: ef.bits.length ? 'bell-dot' : 'bell' },
          },
          sid,
        );
      }
    }
  }
  if (!synics.length) return b.build();
  const mode = opts.confidential === undefined ? '' : opts.confidential ? 'Confidential VMBus · ' : 'non-confidential · ';
  return b.build(`${mode}${vps.length} VP${vps.length === 1 ? '' : 's'} · ${eoms} EOM`);
}
