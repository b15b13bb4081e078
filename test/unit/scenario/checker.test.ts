import * as assert from 'node:assert/strict';
import { parseMem } from './helpers';

const base = (devices: string, platform = 'isolation snp', paravisor = 'paravisor {\n  confidential_vmbus yes\n}') =>
  `platform {\n  ${platform}\n}\n${paravisor}\n${devices}`;

describe('scenario checker', () => {
  it('warns, in Linux words, about confidential external memory without the ring flag', () => {
    const r = parseMem(base('device d storvsc {\n  hosted_by paravisor\n  flags confidential_external_memory\n}\n'));
    const w = r.diagnostics.filter((d) => d.code === 'combo.co-external-without-ring');
    assert.equal(w.length, 1);
    assert.equal(w[0].severity, 'warning');
    assert.match(w[0].message, /Invalid offer relid=N: the ring buffer isn't encrypted/);
    assert.deepEqual(w[0].range, { line: 8, column: 2, endLine: 8, endColumn: 36 });
    assert.ok(r.config, 'a warning does not invalidate the scenario');
  });

  it('explains confidential flags on host offers: stripped by the relay, masked by the host\'s server without a paravisor', () => {
    const relay = parseMem(base('device n netvsc {\n  flags confidential_ring_buffer\n}\n'));
    assert.equal(relay.diagnostics[0]?.code, 'combo.relay-strips');
    // openvmm §1.4 "Masking when the offer is sent": without confidential_channels negotiated,
    // send_offer clears 0x2/0x4, so the guest sees chn_flags 0 and accepts; only a hostile host
    // (fault host-offer-confidential-flags) makes Linux say "no support for confidential VMBus".
    const none = parseMem(base('device n netvsc {\n  flags confidential_ring_buffer\n}\n', 'isolation snp', 'paravisor none'));
    assert.deepEqual(none.diagnostics.map((d) => [d.severity, d.code]), [['info', 'combo.flags-masked']]);
    assert.match(none.diagnostics[0].message, /chn_flags 0x0/);
    // The same masking hides 0x4 without 0x2 from the guest: no "ring buffer isn't encrypted" warning.
    const ext = parseMem(base('device n netvsc {\n  flags confidential_external_memory\n}\n', 'isolation snp', 'paravisor none'));
    assert.deepEqual(ext.diagnostics.map((d) => [d.severity, d.code]), [['info', 'combo.flags-masked']]);
  });

  it('refuses a paravisor-hosted device when there is no paravisor', () => {
    const r = parseMem(base('device d storvsc {\n  hosted_by paravisor\n}\n', 'isolation snp', 'paravisor none'));
    assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code, d.range.line]), [['error', 'combo.host', 5]]);
  });

  it('warns about Confidential VMBus without hardware isolation', () => {
    const r = parseMem(base('', 'isolation none'));
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['combo.isolation']);
    assert.equal(r.diagnostics[0].range.line, 4);
  });

  it('warns about a version too old for an isolated VM, with Linux\'s message', () => {
    const r = parseMem('platform {\n  isolation snp\n  max_version 5.0\n}\n');
    assert.match(r.diagnostics[0].message, /Invalid VMBus version 5\.0 \(expected >= 5\.2\) from the host supporting isolation/);
    assert.equal(r.diagnostics[0].range.line, 2);
  });

  it('warns about classes Linux refuses in isolated VMs', () => {
    const r = parseMem('platform {\n  isolation tdx\n}\ndevice fb synthvid\n');
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.range.line, d.range.column]), [['combo.isolated-class', 3, 10]]);
    assert.match(r.diagnostics[0].message, /from the host supporting isolation/);
  });

  it('flags bad ring sizes and shared monitor ids', () => {
    const r = parseMem('device a storvsc {\n  ring 4k 12000\n  monitor 1\n}\ndevice b netvsc {\n  monitor 1\n}\n');
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.range.line, d.range.column]), [['range.ring', 1, 7], ['range.ring', 1, 10], ['duplicate.monitor', 5, 2]]);
  });

  it('checks fault parameters and triggers against the catalogue', () => {
    const r = parseMem('device d storvsc\nfault drop device d bogus=1\nfault open-fails on OFFERCHANNEL device d\n');
    assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.code, d.range.line]), [['warning', 'unknown.param', 1], ['error', 'fault.trigger', 2]]);
  });
});
