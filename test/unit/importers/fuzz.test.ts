// 5,000 mutated inputs built from the real samples, the synthetic fixtures and an exported trace:
// no importer throws, every diagnostic names a real line, every generated scenario parses with
// zero errors (and a sample of them runs).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { importedToScenario, importLog, IMPORT_FORMATS, PARSERS } from '../../../src/simulator/importers/index';
import { toTraceCmd } from '../../../src/simulator/trace/traceCmd';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { assertDiagnosticsValid, parseGenerated, REAL, real, runScenario, SYNTHETIC, synthetic } from './helpers';
import { prng } from '../../../src/simulator/util/prng';


const PIECES = ['\r', '\n', '\r\n', '\t', '#', ':', '{', '}', '-', '0', '7', 'f', 'x', ' ', '\\', '\\r\\n\\t', '[', ']', '=', ',', '/', 'é', '\u0000', '99999999999999999999',
  'VMBUS ID ', 'Rel_ID=', 'hv_vmbus: ', '/channels/', 'KERNEL[', ': vmbus_onoffer: ', '0x', 'c376c1c3-d276-48d2-90a9-c04748072c60', '$ ', 'root@vm:~# '];

function mutate(text: string, pool: readonly string[], next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  let t = text;
  const n = 1 + Math.floor(next() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(next() * (t.length + 1));
    const lines = t.split('\n');
    switch (Math.floor(next() * 10)) {
      case 0: t = t.slice(0, at) + pick(PIECES) + t.slice(at); break;
      case 1: t = t.slice(0, at) + t.slice(Math.min(t.length, at + 1 + Math.floor(next() * 40))); break;
      case 2: { const i = Math.floor(next() * lines.length); lines.splice(i, 0, lines[i] ?? ''); t = lines.join('\n'); break; }
      case 3: t = t.slice(0, at); break;
      case 4: { const i = Math.floor(next() * lines.length), j = Math.floor(next() * lines.length); [lines[i], lines[j]] = [lines[j], lines[i]]; t = lines.join('\n'); break; }
      case 5: { const other = pick(pool).split('\n'); const s = Math.floor(next() * other.length); lines.splice(Math.floor(next() * lines.length), 0, ...other.slice(s, s + 1 + Math.floor(next() * 5))); t = lines.join('\n'); break; }
      case 6: t = t.replace(/\d+/g, (d) => (next() < 0.2 ? pick(['0', '4294967296', '99999999999999999999', '-1', '65', '2048']) : d)); break;
      case 7: { const i = Math.floor(next() * lines.length); lines[i] = '# ' + (lines[i] ?? ''); t = lines.join('\n'); break; }
      case 8: t = next() < 0.5 ? t.replace(/\n/g, '\r\n') : t.replace(/\n/g, '\\r\\n\\t'); break;
      default: { const c = t.charCodeAt(at); if (!Number.isNaN(c)) t = t.slice(0, at) + String.fromCharCode((c + 1 + Math.floor(next() * 50)) % 0x3000) + t.slice(at + 1); }
    }
  }
  return t;
}

describe('importers: fuzz', function () {
  this.timeout(120000);
  const pool = [
    ...fs.readdirSync(REAL).map((f) => real(f)),
    ...fs.readdirSync(SYNTHETIC).map((f) => synthetic(f)),
  ];

  it('5,000 mutated inputs: never throws, diagnostics on valid lines, scenarios parse without errors', () => {
    const plain = `${__dirname}/../../../../examples/plain-vm.vmbus`;
    const cfg = parseScenario(fs.readFileSync(plain, 'utf8'), plain).config!;
    pool.push(toTraceCmd(runScenario(cfg).events));
    const next = prng(0x5eed);
    let ran = 0;
    for (let i = 0; i < 5000; i++) {
      const base = pool[i % pool.length];
      const text = mutate(base, pool, next);
      const ctx = `input #${i}: ${JSON.stringify(text.slice(0, 300))}`;
      try {
        const r = importLog(text);
        assertDiagnosticsValid(r, text);
        const forced = PARSERS[IMPORT_FORMATS[i % IMPORT_FORMATS.length]](text);
        assertDiagnosticsValid(forced, text);
        for (const u of [...r.unrecognized, ...forced.unrecognized]) {
          assert.ok((r.diagnostics.concat(forced.diagnostics)).some((d) => d.line === u.line), `unrecognised line ${u.line} is reported`);
        }
        const scenario = importedToScenario(r, { source: `fuzz ${i}` });
        const config = parseGenerated(scenario);
        if (i % 100 === 0) { runScenario(config); ran++; }
      } catch (e) {
        assert.fail(`${ctx}\n${e instanceof Error ? e.stack : String(e)}`);
      }
    }
    assert.equal(ran, 50);
  });
});
