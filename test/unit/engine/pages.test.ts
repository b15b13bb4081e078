// Page expectations: the scenario form `page ring(DEVICE) ...` (page id "DEVICE.ring") and the
// engine's own ids ("relidN.ring") name the same pages.
import * as assert from 'node:assert/strict';
import { runScenario } from '../../../src/simulator/engine/session';
import { parseScenario } from '../../../src/simulator/scenario/parser';
import type { Expectation } from '../../../src/simulator/model/config';
import { cfg } from './helpers';

function pageResults(patch: Parameters<typeof cfg>[0], pages: [string, 'encrypted' | 'host-visible'][]) {
  const r = runScenario(cfg((c) => {
    patch?.(c);
    c.expectations = pages.map(([page, visibility]): Expectation => ({ kind: 'page', page, visibility }));
  }));
  return r.expectationResults.map((x) => ({ ok: x.ok, detail: x.detail ?? '' }));
}

describe('engine: page expectations by device name', () => {
  it('DEVICE.ring resolves to the device\'s relid (paravisor-hosted 0x2 ring encrypted, relayed ring host-visible)', () => {
    // Default: SNP + OpenHCL; disk0 is paravisor-hosted with co_ring_buffer (relid 1); nic0 is
    // relayed from the host (confidential flags stripped, relid 2) with one receive buffer GPADL.
    const res = pageResults(undefined, [
      ['disk0.ring', 'encrypted'],
      ['relid1.ring', 'encrypted'],
      ['nic0.ring', 'host-visible'],
      ['relid2.ring', 'host-visible'],
      ['nic0.buf0', 'host-visible'],
      ['nic0.ring', 'encrypted'],
      ['nosuch.ring', 'encrypted'],
    ]);
    assert.deepEqual(res.map((x) => x.ok), [true, true, true, true, true, false, false]);
    assert.match(res[0].detail, /^relid1\.ring: encrypted/);
    assert.match(res[2].detail, /^relid2\.ring: host-visible/);
    assert.equal(res[6].detail, 'no such page');
  });

  it('a device with subchannels: every channel of the device must match', () => {
    const res = pageResults((c) => { c.devices[0].subchannels = 2; }, [['disk0.ring', 'encrypted']]);
    assert.equal(res[0].ok, true);
    // relid 1 (primary) and its subchannels 3 and 4 (nic0 is relid 2).
    assert.deepEqual(res[0].detail.split('; ').map((d) => d.split(':')[0]), ['relid1.ring', 'relid3.ring', 'relid4.ring']);
  });

  it('the language form `page ring(disk0) encrypted` holds end to end', () => {
    const text = [
      'scenario "pages"',
      'platform {',
      '  isolation snp',
      '}',
      'paravisor {',
      '  present yes',
      '  confidential_vmbus yes',
      '}',
      'device disk0 storvsc {',
      '  hosted_by paravisor',
      '  flags confidential_ring_buffer',
      '}',
      'device nic0 netvsc',
      'expect {',
      '  page ring(disk0) encrypted',
      '  page ring(nic0) host-visible',
      '  page ring(relid 1) encrypted',
      '}',
      '',
    ].join('\n');
    const p = parseScenario(text, 'pages.vmbus');
    assert.deepEqual(p.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
    const pages = p.config!.expectations.filter((e) => e.kind === 'page').map((e) => e.kind === 'page' && e.page);
    assert.deepEqual(pages, ['disk0.ring', 'nic0.ring', 'relid1.ring']);
    const r = runScenario(p.config!);
    assert.deepEqual(r.expectationResults.map((x) => `${x.ok} ${x.text}`), [
      'true page disk0.ring encrypted',
      'true page nic0.ring host-visible',
      'true page relid1.ring encrypted',
    ]);
  });
});
