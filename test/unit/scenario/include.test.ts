import * as assert from 'node:assert/strict';
import { parseScenario } from '../../../src/simulator/scenario/index';
import { definitionAt } from '../../../src/simulator/scenario/services';
import { parseMem } from './helpers';

describe('scenario includes', () => {
  const shared = 'platform {\n  isolation snp\n}\nparavisor {\n  confidential_vmbus yes\n}\n';

  it('reads an included file relative to the including one; later lines override it', () => {
    const r = parseMem('include "shared/p.vmbus"\nplatform {\n  vps 3\n}\n', { '/ws/shared/p.vmbus': shared });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.config!.platform.isolation, 'snp');
    assert.equal(r.config!.platform.vpCount, 3);
    assert.equal(r.config!.platform.paravisor.confidentialVmbus, true);
    assert.equal(r.config!.sections?.platform?.file, '/ws/shared/p.vmbus');
    assert.deepEqual(r.ast.includes.map((i) => [i.path, i.resolved, i.ok]), [['shared/p.vmbus', '/ws/shared/p.vmbus', true]]);
    assert.deepEqual(definitionAt(r.ast, 0, 12), { file: '/ws/shared/p.vmbus', range: { line: 0, column: 0, endLine: 0, endColumn: 0 } });
  });

  it('resolves nested includes relative to each file', () => {
    const r = parseMem('include "a/one.vmbus"\n', { '/ws/a/one.vmbus': 'include "../b/two.vmbus"\n', '/ws/b/two.vmbus': 'seed 9\n' });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.config!.seed, 9);
  });

  it('reports missing, absolute, outside-the-workspace and cyclic includes on the include line', () => {
    const r = parseMem('include "nope.vmbus"\ninclude "/etc/passwd"\ninclude "../outside.vmbus"\ninclude "self.vmbus"\n', {
      '/ws/self.vmbus': 'include "test.vmbus"\n',
      '/outside.vmbus': 'seed 1\n',
    });
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.file, d.range.line, d.range.column]), [
      ['include.missing', '/ws/test.vmbus', 0, 8],
      ['include.absolute', '/ws/test.vmbus', 1, 8],
      ['include.outside', '/ws/test.vmbus', 2, 8],
      ['include.errors', '/ws/test.vmbus', 3, 8],
      ['include.cycle', '/ws/self.vmbus', 0, 8],
    ]);
  });

  it('carries an included file\'s errors with its own path and flags the include', () => {
    const r = parseMem('include "bad.vmbus"\n', { '/ws/bad.vmbus': 'platform {\n  isolation sev\n}\n' });
    assert.deepEqual(r.diagnostics.map((d) => [d.file, d.range.line, d.code]), [['/ws/test.vmbus', 0, 'include.errors'], ['/ws/bad.vmbus', 1, 'syntax']]);
  });

  it('without a reader, an include is an error rather than a silent skip', () => {
    const r = parseScenario('include "x.vmbus"\n', '/ws/t.vmbus');
    assert.equal(r.diagnostics[0].code, 'include.unreadable');
  });

  it('works with Windows paths', () => {
    const r = parseScenario('include "shared\\\\p.vmbus"\n', 'C:\\ws\\t.vmbus', { readFile: (p) => (p === 'C:\\ws\\shared\\p.vmbus' ? 'seed 4\n' : undefined), workspaceRoot: 'C:\\ws' });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.config!.seed, 4);
  });
});
