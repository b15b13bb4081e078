import * as assert from 'node:assert/strict';
import { lex } from '../../../src/simulator/scenario/lexer';

describe('scenario lexer', () => {
  const kinds = (s: string) => lex(s).filter((t) => t.kind !== 'newline').map((t) => `${t.kind}:${t.text}`);

  it('recognises versions, sizes, hex, decimals and GUIDs', () => {
    assert.deepEqual(kinds('6.0 64k 1M 0x2F 42 ba6163d9-04a1-4d29-b605-72e2ffb1dc7f {BA6163D9-04A1-4D29-B605-72E2FFB1DC7F}'), [
      'version:6.0', 'size:64k', 'size:1M', 'number:0x2F', 'number:42',
      'guid:ba6163d9-04a1-4d29-b605-72e2ffb1dc7f', 'guid:{BA6163D9-04A1-4D29-B605-72E2FFB1DC7F}',
    ]);
    const t = lex('6.0 5.3 64k 0x2F');
    assert.equal(t[0].value, 0x00060000);
    assert.equal(t[1].value, 0x00050003);
    assert.equal(t[2].value, 65536);
    assert.equal(t[3].value, 0x2f);
    assert.equal(lex('{BA6163D9-04A1-4D29-B605-72E2FFB1DC7F}')[0].str, 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f');
  });

  it('keeps hyphenated identifiers (fault ids) whole', () => {
    assert.deepEqual(kinds('host-offer-co-external-without-ring device nic0'), ['ident:host-offer-co-external-without-ring', 'ident:device', 'ident:nic0']);
  });

  it('reads strings with escapes and flags unterminated ones', () => {
    const [s] = lex('"a \\"b\\" c"');
    assert.equal(s.str, 'a "b" c');
    const [u] = lex('"open');
    assert.equal(u.kind, 'string');
    assert.ok(u.error);
    assert.equal(u.endCol, 5);
  });

  it('turns bad characters and malformed numbers into error tokens with ranges', () => {
    const t = lex('vps 2x @@ ok');
    assert.equal(t[1].kind, 'error');
    assert.deepEqual([t[1].col, t[1].endCol], [4, 6]);
    assert.equal(t[2].kind, 'error');
    assert.deepEqual([t[2].col, t[2].endCol], [7, 9]);
    assert.equal(t[3].text, 'ok');
  });

  it('tracks lines across \\n, \\r\\n and \\r and comments', () => {
    const t = lex('a # c\r\nb\rc\n');
    const words = t.filter((x) => x.kind === 'ident' || x.kind === 'comment').map((x) => `${x.line}:${x.col}:${x.text}`);
    assert.deepEqual(words, ['0:0:a', '0:2:# c', '1:0:b', '2:0:c']);
  });
});
