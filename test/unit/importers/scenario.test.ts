import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { importedToScenario, importLog, parseDmesg, parseLsvmbus } from '../../../src/simulator/importers/index';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { toTraceCmd } from '../../../src/simulator/trace/traceCmd';
import { parseGenerated, REAL, real, ROOT, runScenario, SYNTHETIC, synthetic } from './helpers';

describe('importers: importedToScenario', () => {
  const samples = [
    ...fs.readdirSync(REAL).map((f) => ({ name: f, text: real(f) })),
    ...fs.readdirSync(SYNTHETIC).map((f) => ({ name: f, text: synthetic(f) })),
  ];
  for (const s of samples) {
    it(`${s.name}: the generated scenario parses with zero errors and runs with every expectation holding`, () => {
      const r = importLog(s.text);
      const text = importedToScenario(r, { source: s.name });
      const config = parseGenerated(text);
      const res = runScenario(config);
      const failed = res.expectationResults.filter((e) => !e.ok);
      assert.deepEqual(failed.map((e) => `${e.text}: ${e.detail ?? ''}`), [], text);
    });
  }

  it('lsvmbus-1: 20 devices in relid order with their classes, real relids in comments, no guessed class', () => {
    const text = importedToScenario(parseLsvmbus(real('lsvmbus-1.txt')), { source: 'lsvmbus-1.txt' });
    const config = parseGenerated(text);
    assert.equal(config.devices.length, 20);
    assert.deepEqual(config.devices.map((d) => d.name).slice(0, 3), ['hv_balloon1', 'ide2', 'ide3']);
    assert.equal(config.devices[10].name, 'netvsc11');
    assert.equal(config.devices[10].classGuid, 'f8615163-df3e-46c5-913f-f2d2f965ed0e');
    assert.equal(config.devices[16].name, 'hv_pci47');
    assert.match(text, /^# relid 47, PCI Express pass-through \(hv_pci\) \(line 19\)$/m);
    assert.match(text, /^scenario "Imported: lsvmbus-1.txt"$/m);
    assert.match(text, /# guessed: no hardware isolation and no paravisor/);
    assert.equal(config.platform.isolation, 'none');
  });

  it('dmesg-1: the host accepts exactly 5.2 and the run negotiates 5.2; unknown classes are declared by GUID', () => {
    const text = importedToScenario(parseDmesg(real('dmesg-1.txt')), { source: 'dmesg-1.txt' });
    assert.match(text, /^ {2}versions 5\.2$/m);
    assert.match(text, /VMBus version 5\.2 negotiated \(line 2\)/);
    const config = parseGenerated(text);
    assert.equal(config.devices.length, 4);
    assert.ok(config.devices.some((d) => d.classGuid === 'dde9cbc0-5060-4436-9448-ea1254a5d177'));
    const res = runScenario(config);
    assert.equal(res.state.guest.version, 0x50002);
  });

  it('the -vv listing keeps instances, sub-channels and a VP count guessed from target_cpu', () => {
    const text = importedToScenario(importLog(synthetic('lsvmbus-vv-crlf.txt')), { source: 'vv' });
    const config = parseGenerated(text);
    const nic = config.devices.find((d) => d.name === 'netvsc14')!;
    assert.equal(nic.instanceGuid, '000d3a6e-4f21-000d-3a6e-4f21000d3a6e');
    assert.equal(nic.subchannels, 2);
    assert.equal(config.platform.vpCount, 4);
    assert.match(text, /vps 4 {2}# guessed: at least 4 \(the highest CPU in the log is 3\)/);
  });

  it('udev-2: devices without a class are listed as comments, not simulated', () => {
    const text = importedToScenario(importLog(real('udev-2.txt')), { source: 'udev-2.txt' });
    const config = parseGenerated(text);
    assert.equal(config.devices.length, 0);
    assert.equal((text.match(/not simulated: the log does not give its class/g) ?? []).length, 4);
  });

  it('a confidential trace gives an SNP + OpenHCL scenario that simulates the same channel set confidentially', () => {
    const abs = path.join(ROOT, 'examples/confidential-snp-openhcl.vmbus');
    const p = parseScenario(fs.readFileSync(abs, 'utf8'), abs, { readFile: (f) => fs.readFileSync(f, 'utf8'), workspaceRoot: ROOT });
    const first = runScenario(p.config!);
    const imported = importLog(toTraceCmd(first.events));
    assert.equal(imported.kind, 'trace');
    const text = importedToScenario(imported, { source: 'trace' });
    assert.match(text, /confidential_vmbus yes/);
    assert.match(text, /# guessed: SEV-SNP/);
    const again = runScenario(parseGenerated(text));
    assert.equal(again.state.guest.confidential, true);
    assert.equal(again.state.guest.version, first.state.guest.version);
    assert.deepEqual(again.expectationResults.filter((e) => !e.ok), []);
  });

  it('guesses [Reserved system device] and says so; escapes the scenario name', () => {
    const text = importedToScenario(parseLsvmbus('VMBUS ID 3: [Reserved system device]\n'), { source: 'a "quoted" name' });
    assert.match(text, /# guessed: '\[Reserved system device\]' is any of avma1, avma2, rdv; took avma1/);
    assert.match(text, /^scenario "Imported: a \\"quoted\\" name"$/m);
    parseGenerated(text);
  });
});
