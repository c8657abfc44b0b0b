// The main thread's side of the R0KH-R1KH thread: the PUSHes asked for in one turn go in one
// message, their keys in one buffer of the message's own (a pooled Buffer would carry its whole
// 8 KiB pool, other data included, into the message), and the batched outcomes settle each
// caller's PUSH.
// The worker is a stand-in (an EventEmitter that keeps what it is sent): the real thread is
// started by the integration tests (test/integration/rrb-l2.test.ts, kms-ft.test.ts).
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { startRrbThread } from '../../../daemon/threads/rrb-thread.js';
import type { RrbWorkerData, ToRrbThread } from '../../../daemon/threads/rrb-messages.js';
import { pushEntry } from './push-fixtures.js';
import { silentLog } from '../../../daemon/log/log.js';

const turn = () => new Promise((r) => setImmediate(r));

const entry = pushEntry;

describe('the R0KH-R1KH thread, main side', () => {
  it("sends one turn's PUSHes in one message, each key in its own buffer, and settles each from the batched outcomes", async () => {
    const worker = Object.assign(new EventEmitter(), {
      sent: [] as ToRrbThread[],
      postMessage(m: ToRrbThread) {
        this.sent.push(m);
      },
      terminate: async () => 0,
    });
    const started = startRrbThread({ masterKey: new Uint8Array(32) } as RrbWorkerData, {
      spawn: () => worker as unknown as Worker,
      log: silentLog as never,
      onPull: () => {},
      onFrames: () => {},
      fatal: () => {},
    });
    worker.emit('message', { type: 'ready', mac: '02:00:00:00:09:00', tid: 1, priority: { nice: 0, realtime: null } });
    const rrb = await started;
    const peer = { mac: '02:00:00:00:01:02', r1khId: '02:00:00:00:01:02', key: Buffer.from('a1'.repeat(32), 'hex') };
    const first = rrb.push(peer, entry('02:00:00:00:03:01'));
    const second = rrb.push(peer, entry('02:00:00:00:03:02'));
    expect(worker.sent).toEqual([]);
    await turn();
    expect(worker.sent).toHaveLength(1);
    const m = worker.sent[0]!;
    if (m.type !== 'push') throw new Error(`sent ${m.type}`);
    expect(m.items.map((i) => i.entry.staMac)).toEqual(['02:00:00:00:03:01', '02:00:00:00:03:02']);
    for (const { peer: p, entry: e } of m.items) {
      // One buffer for the message's keys, nothing else in it (the stand-in keeps the message uncloned, wiped once sent).
      for (const b of [p.key, e.pmkR0Name, e.pmkR1, e.pmkR1Name]) expect(b.buffer).toBe(m.items[0]!.peer.key.buffer);
      expect(e.pmkR1.equals(Buffer.alloc(32))).toBe(true);
    }
    expect(m.items[0]!.peer.key.buffer.byteLength).toBe(2 * (32 + 16 + 32 + 16));
    const [a, b] = m.items;
    worker.emit('message', {
      type: 'pushed',
      outcomes: [
        { id: b!.id, outcome: { ok: false, reason: 'fenced' } },
        { id: a!.id, outcome: { ok: true } },
      ],
    });
    await expect(first).resolves.toEqual({ ok: true });
    await expect(second).resolves.toEqual({ ok: false, reason: 'fenced' });
  });
});
