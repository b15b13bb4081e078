// The chunked trace import (vmbus-lab import of a large file) gives exactly the whole-text import:
// same lines (any line ending, a BOM, breaks split across chunks), same result; --json streamed
// is the same JSON as the result built in memory.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChunkedLines, splitLines, logicalLines, type SourceLine } from '../../../src/simulator/importers/common';
import { importTraceChunks, parseTrace } from '../../../src/simulator/importers/index';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { runScenario } from '../../../src/simulator/engine/session';
import { toTraceCmd } from '../../../src/simulator/trace/traceCmd';
import { runCli } from '../../../src/cli/cli';
import '../../../src/cli/commands/index';
import { prng } from '../../../src/simulator/util/prng';

const ROOT = path.resolve(__dirname, '../../../..');

function chunked(text: string, sizes: () => number): SourceLine[] {
  const out: SourceLine[] = [];
  const lines = new ChunkedLines((raw, no) => logicalLines(raw, no, out));
  for (let i = 0; i < text.length;) { const n = Math.max(1, sizes()); lines.push(text.slice(i, i + n)); i += n; }
  lines.end();
  return out;
}

function exported(): string {
  const file = path.join(ROOT, 'examples/confidential-snp-openhcl.vmbus');
  const p = parseScenario(fs.readFileSync(file, 'utf8'), file, { readFile: (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return undefined; } }, workspaceRoot: ROOT });
  return toTraceCmd(runScenario(p.config!).events);
}

describe('importers: chunked reading', () => {
  it('numbers lines as splitLines does, whatever the chunk boundaries (CRLF, CR, LF, BOM, no final break)', () => {
    const next = prng(7);
    const samples = ['\uFEFFa\r\nb\rc\nd', 'x\r\n\r\ny\r', 'one\n', '\n\n\n', 'tab\tline\\r\\n\\tpiece\n# c\\r\\n\n', exported().replace(/\n/g, '\r\n').slice(0, 5000)];
    for (const s of samples) {
      const want = splitLines(s);
      for (let k = 0; k < 50; k++) assert.deepEqual(chunked(s, () => 1 + Math.floor(next() * 7)), want, JSON.stringify(s.slice(0, 40)));
      assert.deepEqual(chunked(s, () => 1), want);
    }
  });

  it('imports a trace in chunks to the same result as the whole text', () => {
    const text = exported();
    const whole = parseTrace(text);
    const next = prng(11);
    const pieces: string[] = [];
    for (let i = 0; i < text.length;) { const n = 1 + Math.floor(next() * 4000); pieces.push(text.slice(i, i + n)); i += n; }
    assert.deepEqual(importTraceChunks(pieces), whole);
    // Without keeping the events: the same result less the events, which are counted.
    const lean = importTraceChunks(pieces, { keepEvents: false });
    assert.deepEqual(lean.events, []);
    assert.equal(lean.stats.events, whole.events.length);
    assert.deepEqual({ ...lean, events: whole.events }, whole);
  });

  it('vmbus-lab import --json of a trace (streamed) prints the same JSON as the in-memory result', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-stream-'));
    const file = path.join(dir, 'run.trace');
    const text = exported();
    fs.writeFileSync(file, text);
    let out = '';
    const code = await runCli(['import', file, '--json'], { stdout: (s) => { out += s; }, stderr: () => undefined });
    assert.equal(code, 0);
    const got = JSON.parse(out) as Record<string, unknown>;
    const want = parseTrace(text);
    assert.deepEqual(got, { file, detected: true, ...want });
  });
});
