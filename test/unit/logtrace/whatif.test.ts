// What if confidential: the real lsvmbus-1 sample (an Azure VM, 20 devices) on SNP and TDX with
// OpenHCL. Expected outcomes from the references, not from the engine: linux-vmbus.md lists
// vmbus_devs[].allowed_in_isolated (true for SCSI, NIC, PCIE, TS, HB, SHUTDOWN; false for IDE,
// FB, KBD, MOUSE, KVP, DM ...), openvmm-vmbus.md the VSPs OpenHCL hosts (storvsp, netvsp).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatWhatIf, openLog, whatIfConfidential } from '../../../src/simulator/logtrace/index';
import { runCli } from '../../../src/cli/cli';
import '../../../src/cli/commands/index';

const ROOT = path.resolve(__dirname, '../../../..');
const text = fs.readFileSync(path.join(ROOT, 'test/fixtures/real/lsvmbus-1.txt'), 'utf8');

describe('logtrace: what if confidential (lsvmbus-1)', function () {
  this.timeout(60000);
  const r = whatIfConfidential(openLog(text, 'lsvmbus-1.txt').scenario!);

  it('runs the VM as logged, on SEV-SNP and on TDX', () => {
    assert.deepEqual(r.runs.map((x) => x.platform), ['as-logged', 'snp', 'tdx']);
  });

  for (const platform of ['snp', 'tdx'] as const) {
    it(`${platform}: storage and network paravisor-hosted, the isolated-allowed rest relayed, the others refused`, () => {
      const run = r.runs.find((x) => x.platform === platform)!;
      const by = (o: string) => run.devices.filter((d) => d.outcome === o).map((d) => d.name).sort();
      assert.deepEqual(by('paravisor-hosted'), ['netvsc11', 'netvsc12', 'netvsc13', 'netvsc14', 'storvsc15', 'storvsc16']);
      assert.deepEqual(by('relayed'), ['heartbeat7', 'hv_pci47', 'hv_pci48', 'hv_pci49', 'hv_pci50', 'shutdown9', 'timesync10']);
      assert.deepEqual(by('refused'), ['hid_hyperv4', 'hv_balloon1', 'hyperv_keyboard5', 'ide2', 'ide3', 'kvp8', 'synthvid6']);
      // Linux's words (channel_mgmt.c): "Invalid offer %d from the host supporting isolation".
      for (const d of run.devices.filter((x) => x.outcome === 'refused')) assert.match(d.refusal ?? '', /^hv_vmbus: Invalid offer \d+ from the host supporting isolation$/);
      assert.equal(run.confidentialVmbus, true);
      assert.equal(run.version, '6.0');
      assert.ok(run.featureFlags & 0x10, 'CONFIDENTIAL_CHANNELS granted');
    });
  }

  it('shows the exposure difference: every page host-readable as logged, fewer on a confidential VM', () => {
    const [before, snp] = r.runs;
    assert.ok(before.pages > 0);
    assert.equal(before.hostReadablePages, before.pages);
    assert.ok(snp.hostReadablePages < before.hostReadablePages);
    assert.ok(snp.hostReadablePages > 0, 'relayed rings and monitor pages stay host-visible');
    const md = formatWhatIf(r, 'lsvmbus-1.txt');
    assert.ok(md.includes(`The host can read ${before.hostReadablePages} of ${before.pages} pages before, ${snp.hostReadablePages} of ${snp.pages} after (SEV-SNP).`));
  });

  it('vmbus-lab whatif prints the summary; a log without a device class is refused with exit 2', async () => {
    let out = '';
    const code = await runCli(['whatif', path.join(ROOT, 'test/fixtures/real/lsvmbus-1.txt')], { stdout: (s) => { out += s; }, stderr: () => undefined });
    assert.equal(code, 0);
    assert.match(out, /^\| netvsc11 \| netvsc \| host \(open\) \| paravisor-hosted, encrypted ring \| paravisor-hosted, encrypted ring \|$/m);
    let err = '';
    const bad = await runCli(['whatif', path.join(ROOT, 'test/fixtures/real/udev-2.txt')], { stdout: () => undefined, stderr: (s) => { err += s; } });
    assert.equal(bad, 2, err);
  });
});
