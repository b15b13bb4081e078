import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { runScenario } from '../../../src/simulator/engine/session';
import { detectFormat, parseTrace } from '../../../src/simulator/importers/index';
import { formatTraceCmdBody, parseTraceCmdBody, TRACE_CMD_FORMATS, toTraceCmd, traceCmdRecords } from '../../../src/simulator/trace/traceCmd';
import type { MessageEvent } from '../../../src/simulator/trace/events';
import { assertDiagnosticsValid, ROOT } from './helpers';

const EXAMPLES = path.join(ROOT, 'examples');

function runExample(file: string) {
  const abs = path.join(EXAMPLES, file);
  const p = parseScenario(fs.readFileSync(abs, 'utf8'), abs, { readFile: (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return undefined; } }, workspaceRoot: ROOT });
  assert.ok(p.config, file);
  return runScenario(p.config!);
}

describe('trace-cmd text: export (trace/traceCmd.ts) and import', () => {
  it('knows the 22 hyperv:vmbus_* events of hv_trace.h', () => {
    assert.equal(TRACE_CMD_FORMATS.length, 22);
    for (const f of TRACE_CMD_FORMATS) assert.equal((f.format.match(/%(?:llx|pUl|[udx])/g) ?? []).length, f.fields.length, f.name);
  });

  it('prints the TP_printk formats exactly (no comma before rangecount; decimal version; u64 pages)', () => {
    assert.equal(formatTraceCmdBody('vmbus_establish_gpadl_header', { child_relid: 1, gpadl: 0xe1e10, range_buflen: 264, rangecount: 1, ret: 0 }),
      'sending child_relid 0x1, gpadl 0xe1e10, range_buflen 264 rangecount 1, ret 0');
    assert.equal(formatTraceCmdBody('vmbus_negotiate_version', { vmbus_version_requested: 0x60000, target_vcpu: 0, int_page: '0x1000000002', mon_page1: '0x102f8000', mon_page2: '0x102fa000', ret: 0 }),
      'sending vmbus_version_requested 393216, target_vcpu 0x0, pages 1000000002:102f8000:102fa000, ret 0');
    assert.equal(formatTraceCmdBody('vmbus_send_modifychannel', { child_relid: 5, target_vp: 3, ret: -22 }), 'binding child_relid 0x5 to target_vp 0x3, ret -22');
    assert.deepEqual(parseTraceCmdBody('vmbus_onopen_result', 'child_relid 0xe, openid 14, status 0'), { child_relid: 14, openid: 14, status: 0 });
    assert.equal(parseTraceCmdBody('vmbus_onopen_result', 'child_relid 0xe, openid 14'), undefined);
  });

  it('exports a confidential run in trace-cmd report layout', () => {
    const res = runExample('confidential-snp-openhcl.vmbus');
    const text = toTraceCmd(res.events);
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0], /^cpus=\d+$/);
    assert.match(lines[1], /^\s+\S+-\d+\s+\[\d{3}\]\s+\d+\.\d{6}: vmbus_negotiate_version:\s+sending vmbus_version_requested 393216, target_vcpu 0x0, pages 1000000002:[0-9a-f]+:[0-9a-f]+, ret 0$/);
    assert.ok(lines.some((l) => / vmbus_onoffer: +child_relid 0x\d+, monitorid 0x[0-9a-f]+, is_dedicated \d, connection_id 0x[0-9a-f]+, if_type ba6163d9-04a1-4d29-b605-72e2ffb1dc7f, if_instance [0-9a-f-]{36}, chn_flags 0x2, mmio_megabytes 0, sub_channel_index 0$/.test(l)));
    assert.ok(lines.some((l) => / vmbus_onopen_result: +child_relid 0x1, openid 1, status 0$/.test(l)));
    assert.ok(lines.some((l) => / vmbus_establish_gpadl_header: +sending child_relid 0x1, gpadl 0x[0-9a-f]+, range_buflen \d+ rangecount 1, ret 0$/.test(l)));
  });

  const examples = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.vmbus'));
  for (const f of examples) {
    it(`round-trips examples/${f}: export → import gives the same events, channel set and version`, () => {
      const res = runExample(f);
      const records = traceCmdRecords(res.events);
      const text = toTraceCmd(res.events);
      assert.equal(detectFormat(text), 'trace');
      const r = parseTrace(text);
      assertDiagnosticsValid(r, text);
      assert.deepEqual(r.diagnostics, []);
      assert.equal(r.events.length, records.length);
      r.events.forEach((e, i) => {
        const rec = records[i];
        assert.equal(e.name, rec.name);
        assert.equal(e.cpu, rec.cpu);
        assert.equal(e.line, i + 2);
        assert.equal(formatTraceCmdBody(e.name, e.fields), formatTraceCmdBody(rec.name, rec.values));
        assert.ok(Math.abs(e.time! * 1e9 - rec.time) < 1000, `time ${e.time} vs ${rec.time}ns`);
      });
      // Channel set: every primary offer the guest received, with class and instance.
      const offers = res.events.filter((e): e is MessageEvent => e.kind === 'message' && e.to === 'guest' && e.synic !== null && e.status === 'HV_STATUS_SUCCESS' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL');
      const primaries = offers.filter((o) => Number((o.decoded.offer as Record<string, unknown>).sub_channel_index) === 0);
      const want = primaries.map((o) => [Number(o.decoded.child_relid), String((o.decoded.offer as Record<string, unknown>).if_type), String((o.decoded.offer as Record<string, unknown>).if_instance)]).sort((a, b) => Number(a[0]) - Number(b[0]));
      const got = r.devices.filter((d) => d.relid !== undefined).map((d) => [d.relid!, d.classGuid!, d.instanceGuid!]);
      assert.deepEqual(got, want);
      const subs = offers.length - primaries.length;
      assert.equal(r.devices.reduce((n, d) => n + (d.subchannels ?? 0), 0), subs);
      if (res.state.guest.version !== null && res.state.guest.connectionState === 'connected') assert.equal(r.version?.value, res.state.guest.version);
    });
  }

  it('reads ftrace text (flags column, header comments) and a hyperv: prefix, keeping other events', () => {
    const text = [
      '# tracer: nop',
      '#',
      '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
      '#              | |         |   |||||     |         |',
      '          <idle>-0       [001] d.h1.   512.123456: vmbus_on_msg_dpc: msgtype=1',
      '     kworker/1:2-98      [001] .....   512.123470: hyperv:vmbus_onoffer: child_relid 0xe, monitorid 0x1, is_dedicated 0, connection_id 0x2000e, if_type f8615163-df3e-46c5-913f-f2d2f965ed0e, if_instance 000d3a6e-4f21-000d-3a6e-4f21000d3a6e, chn_flags 0x0, mmio_megabytes 0, sub_channel_index 0',
      '     kworker/1:2-98      [001] .....   512.123480: vmbus_onoffer: child_relid 0x1e, monitorid 0xff, is_dedicated 0, connection_id 0x2001e, if_type f8615163-df3e-46c5-913f-f2d2f965ed0e, if_instance 000d3a6e-4f21-000d-3a6e-4f21000d3a6e, chn_flags 0x0, mmio_megabytes 0, sub_channel_index 1',
      '   systemd-udevd-211     [002] .....   512.200000: vmbus_open: sending child_relid 0xe, openid 14, gpadlhandle 0xe1e10, target_vp 0x2, offset 0x10, ret 0',
      '          <idle>-0       [000] d.h1.   512.300000: vmbus_onopen_result: child_relid 0xe, openid 14, status 0',
      '          <idle>-0       [000] d.h1.   512.400000: sched_switch: prev_comm=swapper/0 prev_pid=0',
      '          <idle>-0       [000] d.h1.   512.500000: vmbus_onversion_response: version_supported',
    ].join('\n');
    const r = parseTrace(text);
    assert.equal(detectFormat(text), 'trace');
    assert.equal(r.devices.length, 1);
    const d = r.devices[0];
    assert.equal(d.relid, 14);
    assert.equal(d.className, 'netvsc');
    assert.equal(d.monitorId, 1);
    assert.equal(d.state, 'open');
    assert.equal(d.subchannels, 1);
    assert.deepEqual(d.channels, [{ relid: 14, subchannelIndex: 0, targetCpu: 2 }, { relid: 30, subchannelIndex: 1 }]);
    assert.equal(r.events.length, 7);
    assert.deepEqual(r.diagnostics.map((x) => [x.line, x.severity]), [[10, 'info'], [11, 'warning']]);
    assert.equal(r.stats.comments, 4);
  });
});
