// Issue 11, item 7: the stand-alone debug adapter (the process dist/debugAdapter.js runs; here its
// compiled entry) fed malformed frames and malformed requests over stdin. It must answer every
// request it can identify with an error response without a stack trace, survive bad JSON, a null
// body and a short Content-Length, keep serving afterwards, and never read outside the workspace.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');
const ENTRY = path.join(ROOT, 'out/src/extension/debug/debugAdapterMain.js');

interface Msg { type: string; seq: number; command?: string; request_seq?: number; success?: boolean; message?: string; event?: string; body?: { output?: string; error?: { format?: string } } }

class Client {
  readonly messages: Msg[] = [];
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const n = Number(/Content-Length: (\d+)/.exec(this.buf.subarray(0, end).toString())![1]);
        if (this.buf.length < end + 4 + n) break;
        this.messages.push(JSON.parse(this.buf.subarray(end + 4, end + 4 + n).toString()));
        this.buf = this.buf.subarray(end + 4 + n);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }
  raw(s: string): void { this.proc.stdin.write(s); }
  frame(body: string): void { this.raw(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`); }
  request(seq: number, command: string, args?: unknown): void {
    this.frame(JSON.stringify(args === undefined ? { seq, type: 'request', command } : { seq, type: 'request', command, arguments: args }));
  }
  async response(seq: number, timeoutMs = 10000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find((x) => x.type === 'response' && x.request_seq === seq);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no response to request ${seq}; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 200); });
    }
  }
}

const NO_STACK = /\n\s+at |\.js:\d+|TypeError/;

describe('security: the stand-alone debug adapter on malformed input', function () {
  this.timeout(30000);
  let tmp: string;
  let c: Client;
  let stderr = '';

  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'vmbus-dap-')));
    fs.mkdirSync(path.join(tmp, 'ws'));
    fs.mkdirSync(path.join(tmp, 'outside'));
    fs.writeFileSync(path.join(tmp, 'outside', 'secret.txt'), 'TOPSECRET words here\n');
    fs.writeFileSync(path.join(tmp, 'ws', 'leak.vmbus'), 'scenario "leak"\ninclude "../outside/secret.txt"\n');
    if (process.platform !== 'win32') fs.symlinkSync(path.join(tmp, 'outside', 'secret.txt'), path.join(tmp, 'ws', 'link.vmbus'));
    fs.writeFileSync(path.join(tmp, 'ws', 'linked.vmbus'), 'scenario "linked"\ninclude "link.vmbus"\n');
    const proc = spawn(process.execPath, [ENTRY], { cwd: path.join(tmp, 'ws') });
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    c = new Client(proc);
  });
  after(() => {
    c.proc.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('survives bad JSON, a null body and a short Content-Length, then answers the next request', async () => {
    c.frame('{"seq": 1, "type": "request", nope');
    c.frame('null');
    const good = JSON.stringify({ seq: 2, type: 'request', command: 'initialize', arguments: { adapterID: 'vmbus', pathFormat: 'path' } });
    c.raw(`Content-Length: 10\r\n\r\n${good}`); // claims 10 bytes, sends the whole request
    c.request(3, 'initialize', { adapterID: 'vmbus', pathFormat: 'path' });
    const r = await c.response(3);
    assert.equal(r.success, true);
    assert.equal(c.proc.exitCode, null);
    const notes = c.messages.filter((m) => m.event === 'output').map((m) => m.body?.output ?? '').join('');
    assert.match(notes, /ignored a message that is not JSON/);
    assert.match(notes, /ignored a message that is not a JSON object/);
  });

  it('answers malformed requests with error responses without stacks', async () => {
    c.frame(JSON.stringify({ seq: 10, type: 'request' }));
    c.request(11, 'launch', null);
    c.request(12, 'launch', { program: 123 });
    c.request(13, 'launch', { program: 'x.vmbus', seed: -1 });
    c.request(14, 'launch', { program: 'x.vmbus', design: 'fast' });
    c.request(15, 'setBreakpoints', { breakpoints: 5 });
    c.request(16, 'restart', null);
    const expected: [number, RegExp][] = [
      [10, /malformed request: it needs a numeric "seq" and a "command" string/],
      [11, /"arguments" must be an object/],
      [12, /set "program" to the path of a \.vmbus file/],
      [13, /"seed" must be a whole number/],
      [14, /"design" must be "probe" or "cpuid"/],
      [15, /'setBreakpoints' failed/],
      [16, /"arguments" must be an object/],
    ];
    for (const [seq, re] of expected) {
      const r = await c.response(seq);
      assert.equal(r.success, false, `request ${seq}`);
      assert.match(r.message ?? '', re, `request ${seq}`);
      assert.doesNotMatch(JSON.stringify(r), NO_STACK, `request ${seq}`);
    }
    assert.equal(c.proc.exitCode, null, stderr);
  });

  it('never reads an include outside the workspace (by path or by symbolic link); its words never appear', async () => {
    c.request(20, 'launch', { program: path.join(tmp, 'ws', 'leak.vmbus') });
    const r = await c.response(20);
    assert.equal(r.success, false);
    if (process.platform !== 'win32') {
      c.request(21, 'launch', { program: path.join(tmp, 'ws', 'linked.vmbus') });
      const r2 = await c.response(21);
      assert.equal(r2.success, false);
      assert.match(JSON.stringify(c.messages), /link\.vmbus': it leads outside the workspace/);
    }
    assert.match(JSON.stringify(c.messages), /outside the workspace/);
    assert.doesNotMatch(JSON.stringify(c.messages) + stderr, /TOPSECRET/);
  });

  it('a FIFO as the program is refused at once, not waited on', async function () {
    if (process.platform === 'win32') this.skip();
    const fifo = path.join(tmp, 'ws', 'fifo.vmbus');
    execFileSync('mkfifo', [fifo]);
    c.request(30, 'launch', { program: fifo });
    const r = await c.response(30, 5000);
    assert.equal(r.success, false);
    assert.match(r.message ?? '', /not a regular file/);
  });
});
