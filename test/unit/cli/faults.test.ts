// vmbus-lab faults: the catalogue as a user reads it (issue 13, "Add vmbus-lab faults").
import * as assert from 'node:assert/strict';
import { runCli } from '../../../src/cli/cli';
import '../../../src/cli/commands/faults';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAULT_CATALOGUE } from '../../../src/simulator/engine/faults';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await runCli(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
  return { code, out, err };
}

describe('cli: faults', () => {
  it('lists every catalogue entry with its triggers, parameters and the guest\'s reaction', async () => {
    const r = await cli('faults');
    assert.equal(r.code, 0, r.err);
    const ids = r.out.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(ids, FAULT_CATALOGUE.map((f) => f.id));
    assert.equal((r.out.match(/^ {4}guest: /gm) ?? []).length, FAULT_CATALOGUE.length);
  });

  it('shows one fault: the message-too-short WARN_ONCE text of vmbus_on_msg_dpc (linux §1.1) and its size parameter', async () => {
    const r = await cli('faults', 'host-short-payload');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^host-short-payload {2}\(hostile host\)$/m);
    assert.match(r.out, /triggers: on MSGTYPE, nth N, at PHASE, relid N, device NAME/);
    assert.match(r.out, /size=<number> \(default 12\)/);
    assert.match(r.out, /message too short: msgtype=<t> len=<n>/);
  });

  it('filters hostile / environmental, prints JSON, and refuses unknown ids and options', async () => {
    const h = await cli('faults', '--hostile', '--json');
    assert.equal(h.code, 0);
    const list = JSON.parse(h.out) as { id: string; hostile: boolean }[];
    assert.ok(list.length > 0 && list.every((f) => f.hostile));
    const e = await cli('faults', '--environmental', '--json');
    assert.ok((JSON.parse(e.out) as { hostile: boolean }[]).every((f) => !f.hostile));
    const u = await cli('faults', 'drpo');
    assert.equal(u.code, 2);
    assert.match(u.err, /unknown fault 'drpo'/);
    const o = await cli('faults', '--bogus');
    assert.equal(o.code, 2);
  });

  it('docs/faults.md has a row per fault with the triggers it honours', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../../docs/faults.md'), 'utf8');
    const word: Record<string, string> = { msgtype: 'on', nth: 'nth', phase: 'at', relid: 'relid', device: 'device' };
    for (const f of FAULT_CATALOGUE) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${f.id}\` |`));
      assert.ok(row, f.id);
      const trig = row.split(' | ')[2];
      assert.equal(trig, f.triggers.length ? f.triggers.map((t) => `\`${word[t]}\``).join(', ') : 'none', f.id);
    }
  });
});
