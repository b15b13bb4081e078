// Conformance (vmbus-lab check): a log changed by hand in one field is reported at exactly that
// line; an unmodified export of a run has no difference against its own scenario.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importLog } from '../../../src/simulator/importers/index';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { runScenario } from '../../../src/simulator/engine/session';
import { toTraceCmd } from '../../../src/simulator/trace/traceCmd';
import { checkLog, openLog, type CheckDifference } from '../../../src/simulator/logtrace/index';
import { cli } from '../cli/runCliForTest';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');
const key = (d: CheckDifference): string => JSON.stringify([d.kind, d.logLine, d.field, d.real, d.model, d.message]);

function runFile(rel: string) {
  const abs = path.join(ROOT, rel);
  const p = parseScenario(fs.readFileSync(abs, 'utf8'), abs, { readFile: (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return undefined; } }, workspaceRoot: ROOT });
  assert.ok(p.config, rel);
  return runScenario(p.config!);
}

describe('logtrace: conformance', function () {
  this.timeout(60000);

  it('names exactly the hand-changed line of the real dmesg-1 (Vmbus version:5.2 → 5.3)', () => {
    const original = read('test/fixtures/real/dmesg-1.txt');
    const changed = original.replace('Vmbus version:5.2', 'Vmbus version:5.3');
    assert.notEqual(changed, original);
    // The model: the scenario imported from the unmodified log (host offers 5.2 only).
    const model = runScenario(openLog(original, 'dmesg-1.txt').scenario!).events;
    const before = new Set(checkLog(importLog(original), model).differences.map(key));
    const after = checkLog(importLog(changed), model).differences.filter((d) => !before.has(key(d)));
    assert.equal(after.length, 1, JSON.stringify(after));
    assert.equal(after[0].logLine, 2);
    assert.equal(after[0].kind, 'field');
    assert.equal(after[0].field, 'minor');
    assert.equal(after[0].real, 3);
    assert.equal(after[0].model, 2);
  });

  it('reports what the older WSL2 kernel of dmesg-1 logs and the model does not: Unknown GUID for IMC (line 3)', () => {
    // linux-vmbus.md: current kernels list IMC in vmbus_unsupported_devs[] (no message); old ones printed "Unknown GUID".
    const original = read('test/fixtures/real/dmesg-1.txt');
    const model = runScenario(openLog(original, 'dmesg-1.txt').scenario!).events;
    const diffs = checkLog(importLog(original), model).differences;
    const imc = diffs.filter((d) => d.logLine === 3);
    assert.equal(imc.length, 1);
    assert.equal(imc[0].kind, 'missing-in-model');
  });

  it('finds nothing in an unmodified export of plain-vm, and exactly the changed vmbus_open line when target_vp is edited', () => {
    const run = runFile('examples/plain-vm.vmbus');
    const text = toTraceCmd(run.events);
    assert.deepEqual(checkLog(importLog(text), run.events).differences, []);
    const lines = text.split('\n');
    const at = lines.findIndex((l) => / vmbus_open: .* target_vp 0x0,/.test(l));
    assert.ok(at > 0);
    lines[at] = lines[at].replace('target_vp 0x0,', 'target_vp 0x1,');
    const r = checkLog(importLog(lines.join('\n')), run.events);
    assert.equal(r.differences.length, 1, JSON.stringify(r.differences));
    const d = r.differences[0];
    assert.deepEqual([d.kind, d.logLine, d.field, d.real, d.model], ['field', at + 1, 'target_vp', 1, 0]);
    assert.ok(d.modelSeq !== undefined && run.events.at(d.modelSeq)?.kind === 'message');
  });

  it('reports a record the model did not produce as missing, at its line', () => {
    const run = runFile('examples/plain-vm.vmbus');
    const lines = toTraceCmd(run.events).split('\n');
    // A second vmbus_request_offers, pasted by hand after the first.
    const at = lines.findIndex((l) => / vmbus_request_offers: /.test(l));
    lines.splice(at + 1, 0, lines[at]);
    const r = checkLog(importLog(lines.join('\n')), run.events);
    assert.equal(r.differences.length, 1, JSON.stringify(r.differences));
    assert.equal(r.differences[0].kind, 'missing-in-model');
    assert.ok(r.differences[0].logLine === at + 1 || r.differences[0].logLine === at + 2);
  });

  // A trace started mid version walk-down. plain-vm with a host that accepts 5.2 at most: the
  // guest asks 6.0, then 5.3, then 5.2 (Linux vmbus_connect walks vmbus_versions[] newest first,
  // linux-vmbus.md "version negotiation"; the host answers version_supported 0 to the first two).
  function walkDownRun() {
    const abs = path.join(ROOT, 'examples/plain-vm.vmbus');
    const text = fs.readFileSync(abs, 'utf8').replace('versions 5.3 5.2 5.1 5.0 4.1 4.0 3.0 2.4', 'versions 5.2 5.1 5.0 4.1 4.0 3.0 2.4').replace('version 5.3\n', 'version 5.2\n');
    const p = parseScenario(text, abs, { readFile: (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return undefined; } }, workspaceRoot: ROOT });
    assert.ok(p.config);
    return runScenario(p.config!);
  }
  /** The exported trace cut by hand: its header, then everything from the `nth` INITIATE_CONTACT (0-based) on. */
  function cutAt(text: string, pattern: RegExp, nth: number): string[] {
    const lines = text.split('\n');
    const at = lines.map((l, i) => (pattern.test(l) ? i : -1)).filter((i) => i >= 0)[nth];
    assert.ok(at !== undefined && at > 0, `no ${pattern} #${nth}`);
    return [lines[0], ...lines.slice(at)];
  }

  it('a log cut at the third INITIATE_CONTACT of the walk-down (6.0, 5.3, 5.2) has no differences: the model\'s earlier attempts are before the cut', () => {
    const run = walkDownRun();
    const full = toTraceCmd(run.events);
    // The walk-down the exported run holds: 6.0 (393216), 5.3 (327683), 5.2 (327682) requested.
    const asked = [...full.matchAll(/vmbus_version_requested (\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(asked, [0x60000, 0x50003, 0x50002]);
    const cut = cutAt(full, / vmbus_negotiate_version: /, 2);
    assert.match(cut[1], /vmbus_version_requested 327682,/);
    const r = checkLog(importLog(cut.join('\n')), run.events);
    assert.deepEqual(r.differences, []);
    // The two earlier INITIATE_CONTACTs and their two VERSION_RESPONSEs are left out as before the cut.
    assert.equal(r.cut?.modelRecords, 4);
    assert.equal(r.hidden.cut, 4);
  });

  it('a log that starts with a VERSION_RESPONSE (the second refusal) has no differences either', () => {
    const run = walkDownRun();
    const cut = cutAt(toTraceCmd(run.events), / vmbus_onversion_response: /, 1);
    assert.match(cut[1], /version_supported 0/);
    const r = checkLog(importLog(cut.join('\n')), run.events);
    assert.deepEqual(r.differences, []);
    // Left out: INITIATE_CONTACT 6.0, its VERSION_RESPONSE, INITIATE_CONTACT 5.3.
    assert.equal(r.cut?.modelRecords, 3);
  });

  it('the cut log with its first INITIATE_CONTACT changed by hand (5.2 → 5.1) reports exactly that line', () => {
    const run = walkDownRun();
    const cut = cutAt(toTraceCmd(run.events), / vmbus_negotiate_version: /, 2);
    cut[1] = cut[1].replace('vmbus_version_requested 327682,', 'vmbus_version_requested 327681,');
    const r = checkLog(importLog(cut.join('\n')), run.events);
    assert.equal(r.differences.length, 1, JSON.stringify(r.differences));
    const d = r.differences[0];
    // Line 2 of the cut file (line 1 is the cpus= header).
    assert.deepEqual([d.kind, d.logLine, d.field, d.real, d.model], ['field', 2, 'vmbus_version_requested', 0x50001, 0x50002]);
    assert.equal(r.cut?.modelRecords, 4);
  });

  it('a full log is not cut: its first INITIATE_CONTACT stays aligned with the model\'s first', () => {
    const run = walkDownRun();
    const r = checkLog(importLog(toTraceCmd(run.events)), run.events);
    assert.deepEqual(r.differences, []);
    assert.equal(r.cut, undefined);
  });

  it('vmbus-lab check: exit 0 when they agree, 1 with the log line when not, 2 for a listing', async () => {
    const run = runFile('examples/plain-vm.vmbus');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-check-'));
    const good = path.join(dir, 'plain.trace');
    fs.writeFileSync(good, toTraceCmd(run.events));
    const ok = await cli(['check', good, '--scenario', path.join(ROOT, 'examples/plain-vm.vmbus')]);
    assert.equal(ok.code, 0, ok.err + ok.out);
    assert.match(ok.out, /0 differences/);
    const bad = path.join(dir, 'changed.trace');
    const lines = toTraceCmd(run.events).split('\n');
    const at = lines.findIndex((l) => / vmbus_open: .* target_vp 0x0,/.test(l));
    lines[at] = lines[at].replace('target_vp 0x0,', 'target_vp 0x1,');
    fs.writeFileSync(bad, lines.join('\n'));
    const no = await cli(['check', bad, '--scenario', path.join(ROOT, 'examples/plain-vm.vmbus')]);
    assert.equal(no.code, 1);
    assert.ok(no.out.startsWith(`${bad}:${at + 1}: field: vmbus_open target_vp`), no.out);
    const listing = await cli(['check', path.join(ROOT, 'test/fixtures/real/lsvmbus-1.txt')]);
    assert.equal(listing.code, 2);
  });

  it('vmbus-lab run --log prints the log as a trace with its lines, times and CPUs', async () => {
    const r = await cli(['run', '--log', path.join(ROOT, 'test/fixtures/logtrace/netvsc-open.trace')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ +10 +1\.203211 +\[000\] +host\? → guest +OFFERCHANNEL child_relid=0xe /m);
    assert.match(r.out, /^ +14 +1\.410100 +\[001\] +guest → host\? +OPENCHANNEL .*target_vp=0x1/m);
  });
});
