// The timeline's data path over real engine traces: every example scenario runs to its end, its
// trace is served in windows, exported as Mermaid, and the probe design is aligned against the
// CPUID design the way vmbus.compareDesigns does.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { createSession } from '../../../src/simulator/engine/session';
import { alignRuns, singleRunColumns, sliceWindow } from '../../../src/shared/timelineData';
import { toMermaid } from '../../../src/simulator/trace/mermaid';
import { buildLanes, fitAll, shapeOf } from '../../../src/webview/timeline/layout';
import type { ScenarioConfig } from '../../../src/simulator/model/config';

const examples = path.resolve(__dirname, '../../../../examples');

function load(file: string): ScenarioConfig | undefined {
  const p = path.join(examples, file);
  const res = parseScenario(fs.readFileSync(p, 'utf8'), p, { readFile: (f: string) => { try { return fs.readFileSync(f, 'utf8'); } catch { return undefined; } } });
  return res.config && !res.diagnostics.some((d) => d.severity === 'error') ? res.config : undefined;
}

describe('timeline over real engine traces', () => {
  const files = fs.existsSync(examples) ? fs.readdirSync(examples).filter((f) => f.endsWith('.vmbus')) : [];

  it('has example scenarios to run', () => {
    assert.ok(files.length > 0);
  });

  for (const f of files) {
    it(`${f}: windows, shapes and Mermaid`, () => {
      const config = load(f);
      if (!config) return; // the scenario suites report parse errors
      const s = createSession(config);
      s.runToEnd();
      const events = s.events();
      assert.ok(events.length > 0);
      const cols = singleRunColumns(events);
      const w = sliceWindow(cols, 0, events.length, {}, 100000);
      assert.strictEqual(w.items.length, events.length);
      const layout = buildLanes(config.platform.vpCount, [config.name]);
      const v = fitAll(events.length, 1400, 400);
      for (const it of w.items) {
        const sh = shapeOf(it, layout, v);
        const e = it.event;
        if (e.kind === 'message') assert.ok(sh && sh.type === 'arrow', `message ${e.seq} drawn as an arrow`);
      }
      const mermaid = toMermaid(events);
      const lines = mermaid.trim().split('\n');
      assert.strictEqual(lines[0], 'sequenceDiagram');
      const bad = lines.slice(1).filter((l) => !/^ {2}(participant [GPHV] as .+|[GPHV](->>|-->>|-x|-\))[GPHV]: (?:[^#;]|#\d+;)*|Note over G,V: (?:[^#;]|#\d+;)*|%% .*)$/.test(l));
      assert.deepStrictEqual(bad, []);
    });
  }

  it('aligns the probe design against the CPUID design with differences marked', () => {
    const f = files.find((x) => x === 'fallback-probe.vmbus') ?? files[0];
    const config = load(f);
    if (!config) return;
    const run = (design: 'probe' | 'cpuid') => { const s = createSession(config, { design }); s.runToEnd(); return s.events(); };
    const a = run('probe');
    const b = run('cpuid');
    const rows = alignRuns(a, b);
    assert.strictEqual(rows.filter((r) => r.a).length, a.length);
    assert.strictEqual(rows.filter((r) => r.b).length, b.length);
    assert.ok(rows.some((r) => r.a && r.b), 'the runs share events');
  });
});
