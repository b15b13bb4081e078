#!/usr/bin/env node
// Import rules the type checker cannot state (run by `npm run lint`):
//  1. No import cycles among the TypeScript sources under src/ (type-only imports included: a
//     cycle of types is still two modules that cannot be read one without the other).
//  2. src/simulator/model/** never imports src/simulator/engine/** (the engine drives the model
//     through its ports; the model does not know who runs it).
//  3. src/extension/** and src/cli/** reach the simulator only through src/simulator/index.ts.
// Prints each violation with the files involved and exits 1 if there is any.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = process.env.VMBUS_CHECK_IMPORTS_ROOT ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SRC = path.join(ROOT, 'src');
const IMPORT_RE = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC_RE = /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|tsx|mts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function resolve(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base + '.ts', base + '.tsx', base + '.mts', path.join(base, 'index.ts')]) if (fs.existsSync(c)) return c;
  if (/\.(ts|tsx)$/.test(base) && fs.existsSync(base)) return base;
  return null;
}

const files = sourceFiles(SRC);
const graph = new Map();
for (const f of files) {
  const text = stripComments(fs.readFileSync(f, 'utf8'));
  const deps = new Set();
  for (const re of [IMPORT_RE, DYNAMIC_RE]) {
    re.lastIndex = 0;
    let m;
    while ((m = re.exec(text))) {
      const r = resolve(f, m[1]);
      if (r) deps.add(r);
    }
  }
  graph.set(f, deps);
}

const rel = (f) => path.relative(ROOT, f).split(path.sep).join('/');
const problems = [];

// 1. Cycles: Tarjan's strongly connected components.
let index = 0;
const idx = new Map(), low = new Map(), onStack = new Set(), stack = [];
function strong(v) {
  idx.set(v, index); low.set(v, index); index++;
  stack.push(v); onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
    if (comp.length > 1 || (graph.get(v)?.has(v) ?? false)) problems.push(`import cycle: ${comp.map(rel).sort().join(' <-> ')}`);
  }
}
for (const f of files) if (!idx.has(f)) strong(f);

// 2. and 3. Layering.
const inDir = (f, d) => rel(f).startsWith(d + '/');
const SIM_INDEX = 'src/simulator/index.ts';
for (const [f, deps] of graph) {
  for (const d of deps) {
    if (inDir(f, 'src/simulator/model') && inDir(d, 'src/simulator/engine')) problems.push(`${rel(f)} imports ${rel(d)}: model/ must not import engine/`);
    if ((inDir(f, 'src/extension') || inDir(f, 'src/cli')) && inDir(d, 'src/simulator') && rel(d) !== SIM_INDEX) {
      problems.push(`${rel(f)} imports ${rel(d)}: extension/ and cli/ import the simulator through ${SIM_INDEX}`);
    }
  }
}

if (problems.length) {
  for (const p of problems) console.error(p);
  console.error(`check-imports: ${problems.length} problem(s) in ${files.length} files`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, no import cycles, layering holds`);
