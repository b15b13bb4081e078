import * as assert from 'node:assert/strict';
import { dirname, isInside, joinPath, normalizePath } from '../../../src/simulator/scenario/paths';

// Include paths are joined as text (no node:path: the language runs in the web worker too). A
// scenario the debugger gets by URI string (a file outside a virtual workspace's file system, in
// VS Code for the Web) must keep its scheme://authority through the join and the containment check.
describe('scenario include paths', () => {
  it('joins and normalises plain paths, POSIX and Windows', () => {
    assert.equal(joinPath('/w/ex', 'shared/a.vmbus'), '/w/ex/shared/a.vmbus');
    assert.equal(joinPath('/w/ex', '../a.vmbus'), '/w/a.vmbus');
    assert.equal(joinPath('/', '../../a.vmbus'), '/a.vmbus');
    assert.equal(joinPath('C:\\w\\ex', 'shared\\a.vmbus'), 'C:\\w\\ex\\shared\\a.vmbus');
  });

  it('keeps a URI string\'s scheme and authority (vscode-remote://host:port/…)', () => {
    const program = 'vscode-remote://127.0.0.1:39671/work/ext/examples/mixed.vmbus';
    assert.equal(dirname(program), 'vscode-remote://127.0.0.1:39671/work/ext/examples');
    assert.equal(joinPath(dirname(program), 'shared/openhcl-snp.vmbus'), 'vscode-remote://127.0.0.1:39671/work/ext/examples/shared/openhcl-snp.vmbus');
    assert.equal(joinPath('vscode-remote://h/w', './x/../y.vmbus'), 'vscode-remote://h/w/y.vmbus');
    assert.equal(normalizePath('vmbusvfs://fixtures/a//b/./c.vmbus'), 'vmbusvfs://fixtures/a/b/c.vmbus');
  });

  it('never climbs above a URI\'s authority', () => {
    assert.equal(joinPath('vscode-remote://h/w', '../../../etc/passwd'), 'vscode-remote://h/etc/passwd');
  });

  it('checks containment of URI strings against a URI root', () => {
    const root = 'vscode-remote://h/work/ext/examples';
    assert.equal(isInside(root, 'vscode-remote://h/work/ext/examples/shared/a.vmbus'), true);
    assert.equal(isInside(root, 'vscode-remote://h/work/ext/other.vmbus'), false);
    assert.equal(isInside(root, joinPath(root, '../../secret.vmbus')), false);
    assert.equal(isInside(root, 'vscode-remote://other/work/ext/examples/a.vmbus'), false);
    assert.equal(isInside(root, '/work/ext/examples/a.vmbus'), false);
  });
});
