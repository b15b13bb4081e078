// `hvsock connect` in the scenario language: which hv_sock devices listen, the service ids a Linux
// guest can use (net/vmw_vsock/hyperv_transport.c: hvs_connect builds <port>-facb-11e6-bd58-64006a7986d3,
// hvs_open_connection ignores an offer whose if_type is not of that form, is_valid_srv_id), and a
// paravisor-hosted listener (OpenHCL's server hands every connect to vmbus_relay, i.e. the host).
import * as assert from 'node:assert/strict';
import { at, errors, parseMem } from './helpers';

describe('scenario language: hvsock connect', () => {
  it('a device a connect names listens (offered per connect); another hv_sock device keeps its boot offer', () => {
    const r = parseMem('device a hv_sock\ndevice b hv_sock\nrun {\n  hvsock connect a\n}\n');
    assert.deepEqual(errors(r), []);
    const [a, b] = r.config!.devices;
    assert.equal(a.hvsockListen, true);
    assert.equal(b.hvsockListen, undefined);
  });

  it('a connect by service GUID makes the device with that service listen', () => {
    const r = parseMem('device a hv_sock {\n  service 00000050-facb-11e6-bd58-64006a7986d3\n}\nrun {\n  hvsock connect service 00000050-facb-11e6-bd58-64006a7986d3\n}\n');
    assert.deepEqual(at(r), []);
    assert.equal(r.config!.devices[0].hvsockListen, true);
  });

  it('warns about a service id a Linux guest cannot send or open (is_valid_srv_id), on the GUID and on the device reference', () => {
    const r = parseMem('device a hv_sock {\n  service 11111111-2222-4333-8444-555555555555\n}\nrun {\n  hvsock connect a\n  hvsock connect service 22222222-2222-4333-8444-555555555555\n}\n');
    assert.deepEqual(errors(r), []);
    assert.deepEqual(at(r, 'warning'), ['4:17-4:18 hvsock.service', '5:25-5:61 hvsock.service']);
  });

  it('warns that a paravisor-hosted listener is never asked', () => {
    const r = parseMem('platform {\n  isolation snp\n}\nparavisor {\n  confidential_vmbus yes\n}\ndevice a hv_sock {\n  hosted_by paravisor\n}\nrun {\n  hvsock connect a\n}\n');
    assert.deepEqual(errors(r), []);
    assert.ok(at(r, 'warning').includes('10:17-10:18 hvsock.paravisor'), at(r, 'warning').join(', '));
  });
});
