import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { ChnFlags, FeatureFlags } from '../../../src/simulator/protocol/constants';
import { MINIMAL, ROOT, at, diskReader, errors, exampleFiles, parseMem } from './helpers';

describe('scenario parser', () => {
  it('parses every example without diagnostics', () => {
    const files = exampleFiles();
    assert.ok(files.length >= 9, `expected the examples, found ${files.length}`);
    for (const f of files) {
      const r = parseScenario(fs.readFileSync(f, 'utf8'), f, { readFile: diskReader, workspaceRoot: ROOT });
      assert.deepEqual(r.diagnostics.map((d) => `${d.file}:${d.range.line + 1}: ${d.message}`), [], path.basename(f));
      assert.ok(r.config, path.basename(f));
      assert.ok(r.config.expectations.length > 0, `${path.basename(f)} has expectations`);
    }
  });

  it('builds the platform, paravisor, host and device config', () => {
    const r = parseMem(`scenario "x"
seed 7
platform {
  isolation tdx
  vps 4
  design probe
  max_version 5.3
  auto_eoi yes
}
paravisor {
  confidential_vmbus yes
  versions 6.0 5.3
}
host {
  versions 6.0 5.2
  features guest_specified_signal_parameters confidential_channels
}
device d storvsc {
  instance 11111111-2222-4333-8444-555555555555
  hosted_by paravisor
  flags confidential_ring_buffer 0x10
  monitor 3
  subchannels 2
  ring 64k 128k
  buffer_gpadl 16 32
  packets 4
  mmio 8
  open no
}
`);
    assert.deepEqual(errors(r), []);
    const c = r.config!;
    assert.equal(c.name, 'x');
    assert.equal(c.seed, 7);
    assert.deepEqual(c.platform, {
      isolation: 'tdx', vpCount: 4, design: 'probe', guestMaxVersion: 0x00050003, autoEoi: true,
      paravisor: { present: true, confidentialVmbus: true, versions: [0x60000, 0x50003] },
      hostVersions: [0x60000, 0x50002],
      hostFeatureFlags: FeatureFlags.GUEST_SPECIFIED_SIGNAL_PARAMETERS | FeatureFlags.CONFIDENTIAL_CHANNELS,
    });
    const d = c.devices[0];
    assert.equal(d.classGuid, 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f');
    assert.equal(d.className, 'storvsc');
    assert.equal(d.instanceGuid, '11111111-2222-4333-8444-555555555555');
    assert.equal(d.host, 'paravisor');
    assert.equal(d.chnFlags, ChnFlags.CONFIDENTIAL_RING_BUFFER | 0x10);
    assert.equal(d.monitorId, 3);
    assert.equal(d.subchannels, 2);
    assert.equal(d.sendRingBytes, 65536);
    assert.equal(d.recvRingBytes, 131072);
    assert.deepEqual(d.bufferGpadlPages, [16, 32]);
    assert.equal(d.packets, 4);
    assert.equal(d.mmioMegabytes, 8);
    assert.equal(d.open, false);
    assert.deepEqual(d.source && [d.source.line, d.source.endLine], [17, 28]);
  });

  it('records 0-based SourceRefs for devices, expectations, stops, steps and sections', () => {
    const r = parseMem(MINIMAL + `run {\n  stop offers at phase offers\n  rescind disk0 after offers\n}\nfault drop on CHANNELMSG_OFFERCHANNEL nth 1\n`);
    assert.deepEqual(errors(r), []);
    const c = r.config!;
    assert.deepEqual(c.expectations[0].source, { file: '/ws/test.vmbus', line: 13, column: 2, endLine: 13, endColumn: 45 });
    assert.equal(c.stops[0].source?.line, 16);
    assert.equal(c.steps[0].source?.line, 17);
    assert.equal(c.faults[0].source?.line, 19);
    assert.deepEqual(c.faults[0].trigger, { msgtype: 'CHANNELMSG_OFFERCHANNEL', nth: 1 });
    assert.equal(c.sections?.platform?.line, 1);
    assert.equal(c.sections?.devices?.line, 8);
    assert.equal(c.sections?.run?.line, 15);
    assert.equal(c.source?.line, 0);
    const step = c.steps[0];
    assert.equal(step.kind, 'rescind');
    assert.equal(step.kind === 'rescind' && step.after?.label, 'offers');
  });

  it('generates instance GUIDs deterministically from the seed', () => {
    const a = parseMem('seed 1\ndevice d storvsc\n').config!.devices[0].instanceGuid;
    const b = parseMem('seed 1\ndevice d storvsc\n').config!.devices[0].instanceGuid;
    const c = parseMem('seed 2\ndevice d storvsc\n').config!.devices[0].instanceGuid;
    const d = parseScenario('seed 1\ndevice d storvsc\n', '/ws/x.vmbus', { seed: 2 }).config!.devices[0].instanceGuid;
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.equal(c, d);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('defaults paravisor-hosted devices to the confidential ring flag and hv_sock to its pipe flags', () => {
    const c = parseMem('paravisor {\n  confidential_vmbus yes\n}\ndevice d storvsc {\n  hosted_by paravisor\n}\ndevice s hv_sock\n').config!;
    assert.equal(c.devices[0].chnFlags, ChnFlags.CONFIDENTIAL_RING_BUFFER);
    assert.equal(c.devices[1].chnFlags, ChnFlags.ENUMERATE_DEVICE_INTERFACE | ChnFlags.NAMED_PIPE_MODE | ChnFlags.TLNPI_PROVIDER_OFFER);
    assert.equal(c.devices[1].className, 'hv_sock');
  });

  it('parses every expectation form', () => {
    const r = parseMem(`device disk0 storvsc
device nic0 netvsc
expect {
  offer disk0 accepted with confidential ring and confidential external
  offer storvsc rejected
  offer nic0 accepted with shared ring
  fallback
  no fallback
  confidential
  not confidential
  version 6.0
  log "Invalid offer relid=5"
  no log "x"
  page ring(relid 5) encrypted
  page "vp0.para.simp" host-visible
  message CHANNELMSG_VERSION_RESPONSE on paravisor SynIC
  no message OFFERCHANNEL from host to guest
  channel disk0 open
  invariants hold
}
`);
    assert.deepEqual(errors(r), []);
    const e = r.config!.expectations.map(({ source: _s, ...x }) => x);
    assert.deepEqual(e, [
      { kind: 'offer', device: 'disk0', outcome: 'accepted', confidentialRing: true, confidentialExternal: true },
      { kind: 'offer', device: 'disk0', outcome: 'rejected' },
      { kind: 'offer', device: 'nic0', outcome: 'accepted', confidentialRing: false },
      { kind: 'fallback', taken: true },
      { kind: 'fallback', taken: false },
      { kind: 'confidential', value: true },
      { kind: 'confidential', value: false },
      { kind: 'version', version: 0x60000 },
      { kind: 'log', text: 'Invalid offer relid=5', present: true },
      { kind: 'log', text: 'x', present: false },
      { kind: 'page', page: 'relid5.ring', visibility: 'encrypted' },
      { kind: 'page', page: 'vp0.para.simp', visibility: 'host-visible' },
      { kind: 'message', msgtype: 'CHANNELMSG_VERSION_RESPONSE', present: true, synic: 'paravisor' },
      { kind: 'message', msgtype: 'CHANNELMSG_OFFERCHANNEL', present: false, from: 'host', to: 'guest' },
      { kind: 'channel-state', device: 'disk0', state: 'open' },
      { kind: 'invariants', hold: true },
    ]);
  });

  it('parses faults with triggers and parameters', () => {
    const r = parseMem(`device nic0 netvsc
faults {
  delay on CHANNELMSG_OFFERCHANNEL nth 2 us=500
  corrupt on OFFERCHANNEL field="offer.chn_flags" value=0x4
  open-fails device nic0 status=0xc0000001
}
`);
    assert.deepEqual(errors(r), []);
    assert.deepEqual(r.config!.faults.map(({ source: _s, ...f }) => f), [
      { kind: 'delay', trigger: { msgtype: 'CHANNELMSG_OFFERCHANNEL', nth: 2 }, params: { us: 500 } },
      { kind: 'corrupt', trigger: { msgtype: 'CHANNELMSG_OFFERCHANNEL' }, params: { field: 'offer.chn_flags', value: 4 } },
      { kind: 'open-fails', trigger: { device: 'nic0' }, params: { status: 0xc0000001 } },
    ]);
  });

  it('reports syntax errors at exact ranges and keeps parsing', () => {
    const r = parseMem(`platform {
  isolation sev
  vps two
  desing cpuid
}
device d1 storvscc
device d2 netvsc {
  ring 5000
}
isolation snp
}
expect {
  log "open
  message CHANNELMSG_FOO
`);
    assert.deepEqual(at(r, 'error'), [
      '1:12-1:15 syntax',
      '2:6-2:9 syntax',
      '3:2-3:8 syntax',
      '5:10-5:18 unknown.class',
      '7:7-7:11 range.ring',
      '9:0-9:9 syntax',
      '10:0-10:1 syntax.brace',
      '11:7-11:8 syntax.unclosed',
      '12:6-12:11 syntax.string',
      '13:10-13:24 unknown.message',
    ]);
    assert.match(r.diagnostics.find((d) => d.code === 'unknown.class')!.message, /did you mean 'storvsc'/);
    assert.match(r.diagnostics.find((d) => d.range.line === 3)!.message, /did you mean 'design'/);
    assert.match(r.diagnostics.find((d) => d.range.line === 9)!.message, /belongs in a platform/);
    assert.equal(r.config, undefined);
  });

  it('reports unknown flags, features, faults, devices and stop labels', () => {
    const r = parseMem(`host {
  features confidential_chanels
}
device d storvsc {
  flags confidential_rng_buffer
}
fault nosuch on OFFERCHANNEL
expect offer d9 accepted
run {
  rescind d after nowhere
}
`);
    assert.deepEqual(at(r, 'error'), ['1:11-1:31 unknown.feature', '4:8-4:31 unknown.flag', '6:6-6:12 unknown.fault', '7:13-7:15 unknown.device', '9:18-9:25 unknown.stop']);
  });

  it('rejects duplicate devices and instances, and a second scenario line', () => {
    const r = parseMem(`scenario "a"
scenario "b"
device d storvsc {
  instance 11111111-2222-4333-8444-555555555555
}
device e storvsc {
  instance 11111111-2222-4333-8444-555555555555
}
device d netvsc
`);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['scenario.duplicate', 'duplicate.instance', 'duplicate.device']);
    assert.deepEqual(r.diagnostics.find((d) => d.code === 'duplicate.instance')!.range, { line: 6, column: 11, endLine: 6, endColumn: 47 });
  });

  it('resolves a device by its class name when it is unique, and says when it is ambiguous', () => {
    const ok = parseMem('device disk0 storvsc\nexpect channel storvsc open\n');
    assert.deepEqual(errors(ok), []);
    assert.equal(ok.config!.expectations[0].kind === 'channel-state' && ok.config!.expectations[0].device, 'disk0');
    const amb = parseMem('device a storvsc\ndevice b storvsc\nexpect channel storvsc open\n');
    assert.match(errors(amb)[0], /matches 2 devices/);
  });
});
