// Issue 11 for the log commands (run --log, check, whatif): the log is read only if it is a
// regular file within the budget (a FIFO would block, /dev/zero never ends), and check's
// --scenario reads its includes through the contained loader like `run` does.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli } from '../cli/runCliForTest';

const ROOT = path.resolve(__dirname, '../../../..');
const DMESG = path.join(ROOT, 'test/fixtures/real/dmesg-1.txt');

describe('security: the log commands read only regular files within the budget', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-log-sec-')));
    execFileSync('mkfifo', [path.join(dir, 'fifo.log')]);
    fs.mkdirSync(path.join(dir, 'ws'));
    fs.mkdirSync(path.join(dir, 'outside'));
    fs.writeFileSync(path.join(dir, 'outside', 'secret.txt'), 'SECRET-WORDS here\n');
    fs.symlinkSync(path.join(dir, 'outside', 'secret.txt'), path.join(dir, 'ws', 'leak.vmbus'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'ws', 'zero.vmbus'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const cmd of [['run', '--log'], ['check'], ['whatif']]) {
    it(`${cmd.join(' ')} on /dev/zero and on a FIFO: exit 2, "not a regular file", no hang`, async () => {
      for (const target of ['/dev/zero', path.join(dir, 'fifo.log')]) {
        const r = await cli([...cmd, target]);
        assert.equal(r.code, 2, r.err);
        assert.match(r.err, /cannot read: not a regular file/);
      }
    });
  }

  it('check --scenario: an include leaving the folder or naming /dev/zero is refused on its line', async () => {
    assert.ok(fs.existsSync(DMESG), DMESG);
    const s = path.join(dir, 'ws', 'model.vmbus');
    fs.writeFileSync(s, 'scenario "s"\ninclude "leak.vmbus"\ninclude "zero.vmbus"\nplatform {\n  isolation none\n}\n');
    const r = await cli(['check', DMESG, '--scenario', s]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /model\.vmbus:2:/);
    assert.match(r.err, /model\.vmbus:3:/);
    assert.doesNotMatch(r.err + r.out, /SECRET-WORDS/);
  });
});
