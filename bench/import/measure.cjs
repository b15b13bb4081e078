// Child process of bench/import/run.ts: runs one measured thing and reports, on exit, its own peak
// memory (maxRSS) and CPU time as a "BENCH {json}" line on stderr.
//   node measure.cjs split FILE            the baseline: a plain Node line split of the file
//   node measure.cjs cli FILE [args...]    `vmbus-lab import FILE [args...]` (dist/cli.js), stdout discarded by the parent
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const [mode, file, ...rest] = process.argv.slice(2);
process.on('exit', () => {
  const cpu = process.cpuUsage();
  process.stderr.write(`BENCH ${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
});
if (mode === 'split') {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  process.stdout.write(`${lines.length}\n`);
} else if (mode === 'cli') {
  process.argv = [process.argv[0], path.resolve(__dirname, '../../dist/cli.js'), 'import', file, ...rest];
  require(path.resolve(__dirname, '../../dist/cli.js'));
} else {
  process.stderr.write(`measure.cjs: unknown mode ${mode}\n`);
  process.exitCode = 2;
}
