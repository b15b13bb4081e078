import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { completeAt, foldingRanges, hoverAt, definitionAt, flattenSymbols } from '../../../src/simulator/scenario/services';
import { DEVICE_CLASSES } from '../../../src/simulator/protocol/guid';
import { MessageType } from '../../../src/simulator/protocol/constants';
import { FAULT_CATALOGUE } from '../../../src/simulator/engine/faults';
import { MINIMAL, ROOT, parseMem } from './helpers';

const labels = (text: string, line: number, ch: number) => completeAt(text, line, ch).map((c) => c.label);

describe('scenario editor services', () => {
  it('completes top-level keywords, section settings and block items', () => {
    assert.ok(labels('', 0, 0).includes('platform'));
    assert.ok(labels('platform {\n  \n}', 1, 2).includes('isolation'));
    assert.ok(labels('device d storvsc {\n  \n}', 1, 2).includes('hosted_by'));
    assert.ok(labels('expect {\n  \n}', 1, 2).includes('offer'));
    assert.ok(labels('run {\n  \n}', 1, 2).includes('rescind'));
  });

  it('completes device classes with their GUIDs', () => {
    const items = completeAt('device disk0 ', 0, 13);
    for (const c of DEVICE_CLASSES) assert.ok(items.some((i) => i.label === c.name && i.detail === `{${c.guid}}`), c.name);
    assert.ok(items.some((i) => i.label === 'hv_sock'));
  });

  it('completes flags with their values, message types, fault names and values', () => {
    const flags = completeAt('device d storvsc {\n  flags \n}', 1, 8);
    assert.ok(flags.some((f) => f.label === 'confidential_ring_buffer' && f.detail?.startsWith('0x0002')));
    assert.ok(labels('fault drop on ', 0, 14).includes('CHANNELMSG_OFFERCHANNEL'));
    const faults = labels('faults {\n  \n}', 1, 2);
    for (const f of FAULT_CATALOGUE) assert.ok(faults.includes(f.id), f.id);
    assert.deepEqual(labels('platform {\n  isolation \n}', 1, 12), ['none', 'vbs', 'snp', 'tdx']);
    assert.ok(labels('device disk0 storvsc\nexpect {\n  offer \n}', 2, 8).includes('disk0'));
    assert.ok(labels('host {\n  features \n}', 1, 11).includes('confidential_channels'));
    assert.deepEqual(labels('# platform ', 0, 11), []);
  });

  it('finds the block and the names around the cursor without lexing the file (braces in comments, strings and GUIDs, CRLF)', () => {
    // Only a real '{' opens a block: not one in a comment or a string, nor a braced GUID.
    assert.ok(labels('# device x {\n', 1, 0).includes('platform'));
    assert.ok(labels('scenario "a { b"\n', 1, 0).includes('platform'));
    assert.ok(labels("scenario 'a { b'\n", 1, 0).includes('platform'));
    assert.ok(labels('device d {f8615163-df3e-46c5-913f-f2d2f965ed0e}\n', 1, 0).includes('platform'));
    assert.ok(labels('device d {f8615163-df3e-46c5-913f-f2d2f965ed0e} {\n  \n}', 1, 2).includes('hosted_by'));
    // A block opened and closed on an earlier line is left; one still open is the context.
    assert.ok(labels('platform { vps 2 }\n', 1, 0).includes('device'));
    assert.ok(labels('device d storvsc {\r\n  \r\n}', 1, 2).includes('hosted_by'));
    assert.ok(labels('device d storvsc {\r  \r}', 1, 2).includes('hosted_by'));
    assert.ok(!labels('device d storvsc {\n}\n', 2, 0).includes('hosted_by'));
    // Names come from the whole file, also below the cursor, and from after a closing brace.
    assert.deepEqual(labels('expect {\n  offer \n}\ndevice late storvsc\n', 1, 8), ['late']);
    assert.deepEqual(labels('platform { vps 2 } device d2 netvsc\nexpect channel ', 1, 15), ['d2']);
    assert.deepEqual(labels('run {\n  stop s1 at phase offers\n  stop at phase open\n  rescind d after \n}', 3, 18).filter((l) => l !== 'phase' && l !== 'message'), ['s1']);
    // A '#' inside a string is not a comment.
    assert.ok(labels('log "#x" \ndevice d storvsc {\n  \n}', 2, 2).includes('hosted_by'));
  });

  it('hovers keywords, flags, classes, message types, versions and faults with values', () => {
    const text = MINIMAL + 'fault drop on CHANNELMSG_OFFERCHANNEL\nhost {\n  versions 6.0\n}\n';
    const ast = parseMem(text).ast;
    const hover = (line: number, ch: number) => hoverAt(ast, line, ch)?.markdown ?? '';
    assert.match(hover(2, 2), /isolation none \| vbs \| snp \| tdx/);
    assert.match(hover(10, 10), /confidential_ring_buffer\*\* = `0x0002`/);
    assert.match(hover(8, 15), /storvsc.*Synthetic SCSI Controller[\s\S]*ba6163d9-04a1-4d29-b605-72e2ffb1dc7f/);
    assert.match(hover(15, 20), new RegExp(`CHANNELMSG_OFFERCHANNEL\\*\\* = ${MessageType.CHANNELMSG_OFFERCHANNEL}`));
    assert.match(hover(15, 7), /drop/);
    assert.match(hover(17, 12), /6\.0\*\* = `0x00060000` \(VERSION_WIN10_V6_0/);
    assert.equal(hoverAt(ast, 100, 0), undefined);
  });

  it('gives an outline with sections, devices and expectations', () => {
    const syms = parseMem(MINIMAL).ast.symbols;
    assert.deepEqual(syms.map((s) => `${s.kind}:${s.name}`), ['scenario:t', 'section:platform', 'section:paravisor', 'device:disk0', 'section:expect']);
    assert.deepEqual(syms[4].children.map((s) => s.name), ['offer disk0 accepted with confidential ring']);
    assert.equal(flattenSymbols(syms).length, 6);
  });

  it('folds blocks and comment runs, and jumps from a device reference to its definition', () => {
    const text = '# a\n# b\n' + MINIMAL;
    const ast = parseMem(text).ast;
    const folds = foldingRanges(ast).map((f) => `${f.start}-${f.end}${f.kind ? ':' + f.kind : ''}`);
    assert.deepEqual(folds.sort(), ['0-1:comment', '10-13', '14-16', '3-6', '7-9'].sort());
    assert.deepEqual(definitionAt(ast, 15, 10), { file: '/ws/test.vmbus', range: { line: 10, column: 7, endLine: 10, endColumn: 12 } });
  });

  it('the TextMate grammar knows every device class name and alias', () => {
    const grammar = fs.readFileSync(path.join(ROOT, 'syntaxes/vmbus.tmLanguage.json'), 'utf8');
    for (const c of DEVICE_CLASSES) for (const n of [c.name, ...c.aliases]) assert.ok(grammar.includes(n), n);
  });
});
