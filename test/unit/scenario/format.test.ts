import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { formatScenario } from '../../../src/simulator/scenario/index';
import { exampleFiles } from './helpers';

describe('scenario formatter', () => {
  it('leaves every example unchanged (they are in canonical form)', () => {
    for (const f of exampleFiles()) {
      const text = fs.readFileSync(f, 'utf8');
      assert.equal(formatScenario(text), text, f);
    }
  });

  it('re-indents, normalises spacing, hex and GUIDs, and separates top-level blocks', () => {
    const messy = '\n\n  scenario   "x"   # name\nplatform{\n\tisolation    snp\n\n\n      vps 2\n\n}\ndevice d storvsc {\ninstance {BA6163D9-04A1-4D29-B605-72E2FFB1DC7F}\n flags 0X1F , 0x2\n}\nfaults {\n drop   on CHANNELMSG_OFFERCHANNEL us = 5\n}\nexpect page ring( relid 5 ) encrypted   \n';
    assert.equal(formatScenario(messy), [
      'scenario "x" # name',
      '',
      'platform {',
      '  isolation snp',
      '',
      '  vps 2',
      '}',
      '',
      'device d storvsc {',
      '  instance {ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}',
      '  flags 0x1f, 0x2',
      '}',
      '',
      'faults {',
      '  drop on CHANNELMSG_OFFERCHANNEL us=5',
      '}',
      '',
      'expect page ring(relid 5) encrypted',
      '',
    ].join('\n'));
  });

  it('is idempotent and keeps every word, even on broken input', () => {
    const inputs = ['}}}\n{{\nfoo { bar\n', 'device "x\n  @@ }\n', 'a\r\nb\rc', '', '\n\n\n'];
    for (const s of inputs) {
      const once = formatScenario(s);
      assert.equal(formatScenario(once), once, JSON.stringify(s));
      const words = (t: string) => t.split(/\s+/).filter(Boolean).join(' ').replace(/\s/g, '');
      assert.equal(words(once), words(s).replace(/\s/g, ''), JSON.stringify(s));
    }
  });
});
