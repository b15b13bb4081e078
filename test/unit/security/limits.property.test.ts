// Issue 11: a property-based generator (fast-check) of valid scenarios whose values sit at and
// just beyond every limit of the limits table (settings and every fault parameter). Every case
// must end in a value (a config that runs without an exception, within an events budget) or in
// a diagnostic; a case with any value beyond its limit must not produce a config at all.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { FAULT_PARAM_RULES, GPADL_MAX_PAGES, SETTING_LIMITS, U16, U32, U8, type ParamRule } from '../../../src/simulator/scenario/limits';
import { FAULT_CATALOGUE } from '../../../src/simulator/engine/faults';
import { runScenario } from '../../../src/simulator/engine/session';

/** A value as written in the file and whether it lies beyond its limit. */
interface Val { text: string; beyond: boolean }

function atAndBeyond(min: number, max: number): fc.Arbitrary<Val> {
  const inRange = [min, max, Math.floor((min + max) / 2)].map((n) => ({ text: String(n), beyond: false }));
  const out = [max + 1, ...(min > 0 ? [min - 1] : [])].map((n) => ({ text: String(n), beyond: true }));
  // Mostly in range (at the edges), sometimes just beyond: a case then has a fair chance to run.
  return fc.oneof({ arbitrary: fc.constantFrom(...inRange), weight: 4 }, { arbitrary: fc.constantFrom(...out), weight: 1 }, { arbitrary: fc.integer({ min, max }).map((n) => ({ text: String(n), beyond: false })), weight: 2 });
}

const lim = (k: string) => SETTING_LIMITS[k];

const ring: fc.Arbitrary<{ text: string; beyond: boolean }> = fc.oneof(
  fc.constantFrom(
    { text: '8k', beyond: false }, { text: '64k', beyond: false }, { text: '16m', beyond: true }, { text: '1048576m', beyond: true },
    { text: '32752k 8k', beyond: false }, { text: '32756k 8k', beyond: true }, { text: '16380k 16380k', beyond: false },
    { text: `${(GPADL_MAX_PAGES - 2) * 4}k`, beyond: false }, { text: `${(GPADL_MAX_PAGES - 1) * 4}k`, beyond: true },
  ),
  fc.tuple(fc.integer({ min: 2, max: 8188 }), fc.integer({ min: 2, max: 8188 })).map(([a, b]) => ({ text: `${a * 4}k ${b * 4}k`, beyond: a + b > GPADL_MAX_PAGES })),
);

const mmio = fc.oneof(atAndBeyond(lim('device.mmio').min, lim('device.mmio').max), fc.constantFrom({ text: '65535m', beyond: false }, { text: '65536m', beyond: true }, { text: '1m', beyond: false }));

const device = (i: number) => fc.record({
  ring, mmio,
  gpadl: atAndBeyond(1, GPADL_MAX_PAGES),
  monitor: atAndBeyond(0, U8),
  sub: atAndBeyond(0, lim('device.subchannels').max),
  packets: fc.oneof(fc.constantFrom({ text: '0', beyond: false }, { text: '3', beyond: false }, { text: '100001', beyond: true })),
  flags: fc.oneof(fc.constantFrom({ text: '0x0', beyond: false }, { text: '0x2', beyond: false }, { text: '0x10000', beyond: true }, { text: String(U16), beyond: false })),
  host: fc.constantFrom('host', 'paravisor'),
}).map((d) => ({
  text: `device d${i} storvsc {\n  hosted_by ${d.host}\n  ring ${d.ring.text}\n  mmio ${d.mmio.text}\n  buffer_gpadl ${d.gpadl.text}\n  monitor ${d.monitor.text}\n  subchannels ${d.sub.text}\n  packets ${d.packets.text}\n  flags ${d.flags.text}\n}\n`,
  beyond: [d.ring, d.mmio, d.gpadl, d.monitor, d.sub, d.packets, d.flags].some((v) => v.beyond),
}));

function paramValue(rule: ParamRule): fc.Arbitrary<Val> {
  switch (rule.kind) {
    case 'int': return atAndBeyond(rule.min, rule.max);
    case 'int-or-hex': return fc.oneof(atAndBeyond(rule.min, rule.max), fc.constantFrom({ text: '"0xff"', beyond: false }, { text: '"zz"', beyond: true }));
    case 'version': return fc.constantFrom({ text: '"6.0"', beyond: false }, { text: '"0x50002"', beyond: false }, { text: '"six"', beyond: true });
    case 'message-name': return fc.constantFrom({ text: 'CHANNELMSG_REQUESTOFFERS', beyond: false }, { text: '"nope"', beyond: true });
    case 'hv-status': return fc.constantFrom({ text: 'HV_STATUS_INSUFFICIENT_BUFFERS', beyond: false }, { text: '11', beyond: false }, { text: String(U16 + 1), beyond: true }, { text: '"x y"', beyond: true });
    case 'text': return fc.constantFrom({ text: '"chn_flags"', beyond: false });
  }
}

const fault = fc.constantFrom(...FAULT_CATALOGUE.map((f) => f.id)).chain((id) => {
  const rules = FAULT_PARAM_RULES[id] ?? {};
  const names = Object.keys(rules).filter((n) => !(id === 'host-offer-disallowed-class' && n === 'class'));
  return fc.tuple(...names.map((n) => fc.option(paramValue(rules[n]), { nil: undefined }))).map((vals) => {
    const parts = names.map((n, i) => (vals[i] ? `${n}=${vals[i]!.text}` : '')).filter(Boolean);
    return { text: `fault ${id} ${parts.join(' ')}\n`.replace(/ +\n/, '\n'), beyond: vals.some((v) => v?.beyond) };
  });
});

const scenario = fc.record({
  isolation: fc.constantFrom('none', 'snp', 'tdx'),
  vps: atAndBeyond(lim('platform.vps').min, lim('platform.vps').max),
  seed: atAndBeyond(0, U32),
  devices: fc.integer({ min: 0, max: 2 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => device(i)))),
  faults: fc.array(fault, { maxLength: 2 }),
}).map((s) => ({
  text: `scenario "generated"\nseed ${s.seed.text}\nplatform {\n  isolation ${s.isolation}\n  vps ${s.vps.text}\n}\nparavisor {\n  confidential_vmbus yes\n}\n${s.devices.map((d) => d.text).join('')}${s.faults.map((f) => f.text).join('')}`,
  beyond: s.vps.beyond || s.seed.beyond || s.devices.some((d) => d.beyond) || s.faults.some((f) => f.beyond),
}));

/** Cases per run: "a few thousand" (VMBUS_PROPERTY_RUNS overrides, e.g. for a longer soak). */
export const PROPERTY_RUNS = Number(process.env.VMBUS_PROPERTY_RUNS ?? 3000);

describe('security: generated scenarios at and beyond every limit', function () {
  this.timeout(600000);
  it(`${PROPERTY_RUNS} cases: each ends in a run or a diagnostic, never an exception; a value beyond a limit is always an error`, () => {
    let ran = 0;
    let refused = 0;
    fc.assert(fc.property(scenario, (s) => {
      const r = parseScenario(s.text, '/ws/generated.vmbus');
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      if (s.beyond) assert.ok(errors.length > 0 && !r.config, `a value beyond its limit was accepted:\n${s.text}`);
      if (!r.config) { assert.ok(errors.length > 0, 'no config and no error'); refused++; return; }
      const run = runScenario(r.config, { maxEvents: 3000 });
      assert.ok(run.events.length > 0);
      ran++;
    }), { numRuns: PROPERTY_RUNS, seed: 11 });
    // Both outcomes are exercised (the generator is not degenerate).
    assert.ok(ran > PROPERTY_RUNS / 20 && refused > PROPERTY_RUNS / 20, `ran ${ran}, refused ${refused}`);
    if (process.env.VMBUS_PROPERTY_REPORT) console.log(`      ${ran} ran, ${refused} refused with a diagnostic`);
  });
});
