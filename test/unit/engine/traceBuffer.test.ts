// The compact trace (trace/buffer.ts): data-path events stored as numbers must read back as the
// same plain events, byte for byte, as when every event is kept as an object.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSession } from '../../../src/simulator/engine/session';
import { defaultConfig, NETVSC_CLASS, STORVSC_CLASS } from '../../../src/simulator/engine/defaults';
import { parseScenario } from '../../../src/simulator/scenario/parser';
import { toJsonLines } from '../../../src/simulator/trace/store';
import { findLastOfKind, TraceBuffer } from '../../../src/simulator/trace/buffer';
import { seek, singleRunColumns, sliceWindow } from '../../../src/shared/timelineData';
import { findPhaseBegins } from '../../../src/extension/debug/threads';
import type { ScenarioConfig } from '../../../src/simulator/model/config';
import type { HypercallEvent, InterruptEvent, MessageEvent, PacketEvent, TraceEvent } from '../../../src/simulator/trace/events';

const ROOT = path.resolve(__dirname, '../../../..');

function jsonOf(cfg: ScenarioConfig, compactTrace: boolean, design?: 'probe' | 'cpuid'): string {
  const s = createSession(cfg, { compactTrace, design });
  s.runToEnd();
  return toJsonLines(s.events());
}

/** Many channels with packets, both hosts, plus faults on the data path. */
function dataConfig(): ScenarioConfig {
  const c = defaultConfig();
  c.devices = [];
  for (let i = 0; i < 6; i++) {
    c.devices.push({
      name: `dev${i}`, classGuid: i % 2 ? NETVSC_CLASS : STORVSC_CLASS, instanceGuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      host: i % 2 ? 'host' : 'paravisor', chnFlags: i % 2 ? 0 : 2, subchannels: 0, sendRingBytes: 0x2000, recvRingBytes: 0x2000,
      bufferGpadlPages: [], packets: 300, mmioMegabytes: 0, open: true,
    });
  }
  c.faults = [{ kind: 'lost-interrupt', trigger: { device: 'dev1' }, params: {} }];
  return c;
}

describe('engine: compact trace storage', () => {
  it('reads a packet, a signal and an event interrupt back as the plain events, keys in order', () => {
    const s = createSession(defaultConfig());
    s.runToEnd();
    const evs = s.events();
    const offer = evs.find((e): e is MessageEvent => e.kind === 'message' && e.msgtype === 'CHANNELMSG_OFFERCHANNEL' && e.to === 'guest' && e.decoded.child_relid === 1)!;
    const pk = evs.filter((e): e is PacketEvent => e.kind === 'packet' && e.relid === 1);
    // Written from the ring arithmetic: in-band packet 16 + 48 + 8 = 72 bytes; the first packet
    // of each ring lands at write index 72 and signals (the ring was empty, interrupt_mask 0).
    assert.deepEqual(Object.keys(pk[0]), ['seq', 'time', 'vp', 'granularity', 'phase', 'kind', 'relid', 'from', 'to', 'ring', 'packetType', 'bytes', 'transactionId', 'writeIndex', 'signaled', 'confidential']);
    const { seq: _s, time: _t, phase, ...rest } = pk[0];
    assert.deepEqual(rest, {
      vp: 0, granularity: 'event', kind: 'packet', relid: 1, from: 'guest', to: 'paravisor', ring: 'outbound', packetType: 'VM_PKT_DATA_INBAND',
      bytes: 72, transactionId: '0', writeIndex: 72, signaled: true, confidential: true,
    });
    assert.equal(phase[phase.length - 1], 'data');
    assert.deepEqual([pk[1].from, pk[1].to, pk[1].ring, pk[1].transactionId, pk[1].writeIndex], ['paravisor', 'guest', 'inbound', '1', 72]);
    // The relayed NIC's ring is host-visible.
    const nic = evs.find((e): e is PacketEvent => e.kind === 'packet' && e.relid === 2)!;
    assert.deepEqual([nic.from, nic.to, nic.confidential], ['guest', 'host', false]);

    // The guest's signal for the first packet: HvSignalEvent through the GHCB (SNP with a
    // paravisor), to the channel's connection id from its offer.
    const sig = evs.at(pk[0].seq + 1) as HypercallEvent;
    assert.deepEqual(Object.keys(sig), ['kind', 'name', 'code', 'path', 'by', 'target', 'status', 'connectionId', 'vp', 'granularity', 'phase', 'seq', 'time']);
    assert.deepEqual([sig.name, sig.code, sig.path, sig.by, sig.target, sig.status, sig.connectionId, sig.granularity, sig.seq],
      ['HvSignalEvent', 0x5d, 'ghcb', 'guest', 'paravisor', 'HV_STATUS_SUCCESS', offer.decoded.connection_id, 'substep', pk[0].seq + 1]);

    // The paravisor's reply sets relid 1's flag in the paravisor SynIC's event page.
    const irq = evs.find((e): e is InterruptEvent => e.kind === 'interrupt' && e.via === 'event' && e.relid === 1)!;
    assert.deepEqual(Object.keys(irq), ['kind', 'synic', 'sint', 'via', 'delivered', 'vp', 'granularity', 'relid', 'seq', 'time', 'phase']);
    assert.deepEqual([irq.synic, irq.sint, irq.delivered, irq.vp, irq.granularity], ['paravisor', 2, true, 0, 'substep']);
  });

  it('gives the same JSON lines as object storage: every example, both designs', function () {
    this.timeout(60_000);
    const dir = path.join(ROOT, 'examples');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.vmbus'));
    assert.ok(files.length >= 8);
    for (const f of files) {
      const file = path.join(dir, f);
      const r = parseScenario(fs.readFileSync(file, 'utf8'), file, { readFile: (p) => fs.readFileSync(p, 'utf8') });
      assert.ok(r.config, f);
      for (const design of ['probe', 'cpuid'] as const) {
        assert.equal(jsonOf(r.config, true, design), jsonOf(r.config, false, design), `${f} (${design})`);
      }
    }
  });

  it('gives the same JSON lines on a busy data path with a lost interrupt', () => {
    const compact = jsonOf(dataConfig(), true);
    assert.equal(compact, jsonOf(dataConfig(), false));
    // The comparison covers what it should: thousands of packets, signals and interrupts.
    const kinds = compact.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as TraceEvent).kind);
    assert.equal(kinds.filter((k) => k === 'packet').length, 6 * 300);
    assert.ok(kinds.filter((k) => k === 'interrupt').length > 300);
    assert.ok(compact.includes('"fault":"lost-interrupt"'));
  });

  it('regenerates the same trace after an edit in the middle of the data phase', () => {
    const runEdited = (compactTrace: boolean): string => {
      const s = createSession(dataConfig(), { compactTrace });
      s.runUntil((e) => e.kind === 'packet' && e.relid === 3 && e.transactionId === '40');
      assert.deepEqual(s.inject({ kind: 'rescind', relid: 3 }), { ok: true });
      s.runToEnd();
      return toJsonLines(s.events());
    };
    const compact = runEdited(true);
    assert.equal(compact, runEdited(false));
    assert.ok(compact.includes('CHANNELMSG_RESCIND_CHANNELOFFER'));
  });

  it('the timeline thins and seeks a compact trace exactly as it does the same events in an array', () => {
    const s = createSession(dataConfig());
    s.runToEnd();
    const compact = singleRunColumns(s.events());
    const plain = singleRunColumns(s.events().slice());
    assert.equal(plain.events!.kindAt, undefined); // the array takes the general path
    const n = compact.total;
    for (const [from, to, max] of [[0, n, 300], [0, n, 64], [1000, 5000, 100], [200, 260, 1000]] as const) {
      for (const filter of [{}, { hiddenKinds: ['packet' as const] }, { relid: 2 }]) {
        const a = sliceWindow(compact, from, to, filter, max);
        const b = sliceWindow(plain, from, to, filter, max);
        assert.deepEqual(a, b, `window ${from}-${to}/${max} ${JSON.stringify(filter)}`);
      }
    }
    // The window over the whole run keeps the lost-interrupt fault (an alarm) visible.
    assert.ok(sliceWindow(compact, 0, n, {}, 64).items.some((it) => it.event.kind === 'fault'));
    const matches = [{ by: 'kind', kind: 'fault' }, { by: 'kind', kind: 'interrupt' }, { by: 'msgtype', msgtype: 'CHANNELMSG_CLOSECHANNEL' }, { by: 'msgtype', msgtype: 'CHANNELMSG_NONE' }] as const;
    for (const m of matches) {
      for (const [from, dir] of [[-1, 1], [n, -1], [n >> 1, 1]] as const) {
        assert.equal(seek(compact, from, dir, m, {}), seek(plain, from, dir, m, {}), `seek ${JSON.stringify(m)} from ${from} dir ${dir}`);
      }
    }
    assert.equal(seek(compact, -1, 1, { by: 'msgtype', msgtype: 'CHANNELMSG_NONE' }, {}), null);
  });

  it('finds the last event of a kind before a position the same way in a compact trace and an array', () => {
    const s = createSession(dataConfig());
    s.runToEnd();
    const t = s.events();
    const arr = t.slice();
    const n = t.length;
    const lastMessage = arr.filter((e) => e.kind === 'message').pop()!;
    // The data phase comes after the last message: the search has to look back past it.
    assert.ok(n - lastMessage.seq > 10, `${n} events, last message at ${lastMessage.seq}`);
    for (const from of [n - 1, n >> 1, 500, 0, -1]) {
      for (const kind of ['message', 'packet', 'interrupt', 'fault'] as const) {
        assert.deepEqual(findLastOfKind(t, kind, from), findLastOfKind(arr, kind, from), `${kind} before ${from}`);
      }
      const pk = (e: PacketEvent) => e.relid === 3 && e.ring === 'inbound';
      assert.deepEqual(findLastOfKind(t, 'packet', from, pk), findLastOfKind(arr, 'packet', from, pk));
    }
    assert.equal(findLastOfKind(t, 'message', n - 1)!.seq, arr.filter((e) => e.kind === 'message' && e.seq < n).pop()!.seq);
    assert.equal(findLastOfKind(t, 'packet', -1), undefined);
    // The debugger's stack: the begin events of the phases around a position deep in the data phase.
    const deep = arr.findIndex((e, i) => e.kind === 'packet' && i > (n * 3) / 4);
    const phases = arr[deep].phase;
    const begins = findPhaseBegins(t, deep, phases);
    assert.deepEqual(begins, findPhaseBegins(arr, deep, phases));
    assert.deepEqual(begins.map((b) => b?.kind === 'phase' ? b.name : undefined), phases);
  });

  it('keeps u32 fields whole: relids, connection ids and write indices up to 0xffffffff', () => {
    const b = new TraceBuffer();
    const ref = new TraceBuffer(false);
    const phase = ['data'];
    for (const t of [b, ref]) {
      t.pushPacket(5, phase, 0xfffffffe, 'host', false, 72, 0x7fffffff, 0xfffffff8, true, false);
      t.pushSignal(6, phase, 'tdcall', 0x5d, 'host', 0xffffffff, 3);
      t.pushInterrupt(7, phase, 'hypervisor', 'message', false, 1, 0x80000000);
    }
    assert.deepEqual(b.slice(), ref.slice());
    const [p, sig, irq] = b.slice() as [PacketEvent, HypercallEvent, InterruptEvent];
    assert.deepEqual([p.relid, p.writeIndex, p.transactionId, p.from, p.to, p.ring], [0xfffffffe, 0xfffffff8, '2147483647', 'host', 'guest', 'inbound']);
    assert.deepEqual([sig.connectionId, sig.path, sig.vp, sig.target], [0xffffffff, 'tdcall', 3, 'host']);
    assert.deepEqual([irq.relid, irq.via, irq.delivered, irq.vp, irq.synic], [0x80000000, 'message', false, 1, 'hypervisor']);
  });

  it('reads like an array: at, negative at, slice, iteration, filter with indices', () => {
    const s = createSession(dataConfig());
    s.runToEnd();
    const t = s.events();
    assert.ok(t instanceof TraceBuffer);
    const n = t.length;
    assert.equal(t.at(n), undefined);
    assert.equal(t.at(-1)!.seq, n - 1);
    assert.equal(t.at(0)!.seq, 0);
    let k = 0;
    for (const e of t) assert.equal(e.seq, k++);
    assert.equal(k, n);
    const mid = t.slice(1000, 1010);
    assert.deepEqual(mid.map((e) => e.seq), [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009]);
    assert.deepEqual(t.slice(-2).map((e) => e.seq), [n - 2, n - 1]);
    assert.ok(t.filter((e, i) => e.seq !== i).length === 0);
    for (let i = 0; i < n; i += 97) {
      assert.equal((t as TraceBuffer).kindAt(i), t.at(i)!.kind);
      assert.equal((t as TraceBuffer).timeAt(i), t.at(i)!.time);
    }
  });
});
