// The R0KH-R1KH thread's side of PUSHes: a message from the main thread carries every PUSH of one
// turn, and one message back carries every outcome that came in one turn of this thread (a
// message each way per PUSH cost the main thread more than the PUSH itself). The transport is a
// stand-in that records what it was asked: the real endpoint is exercised in
// test/integration/rrb-l2.test.ts; what is checked here is the batching and the key wipe.
import { describe, expect, it } from 'vitest';
import { RrbThreadService } from '../../../daemon/threads/rrb-service.js';
import { Topology } from '../../../daemon/distribution/topology.js';
import type { FromRrbThread, PushItem } from '../../../daemon/threads/rrb-messages.js';
import type { PmkR1Entry, PushOutcome, RrbPeer } from '../../../daemon/ports/pmk-r1-transport.js';
import { pushEntry } from './push-fixtures.js';

const entry = (i: number): PmkR1Entry => pushEntry(`02:00:00:00:03:0${i}`);

const item = (id: number): PushItem => ({
  id,
  peer: { mac: '02:00:00:00:01:02', r1khId: '02:00:00:00:01:02', key: Buffer.alloc(32, 9) },
  entry: entry(id),
});

function service() {
  const posts: FromRrbThread[] = [];
  const s = new RrbThreadService(
    {
      store: { loadStationRow: () => undefined, loadKeys: () => undefined } as never,
      topology: new Topology([]),
      policy: { keyLifetimeS: 3600, ssid: 's', mobilityDomain: 'a1b2' },
      post: (m) => posts.push(m),
    },
    [],
  );
  return { s, posts };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('the R0KH-R1KH thread service', () => {
  it('carries out every PUSH of one message and answers them in one message, wiping each PMK-R1 once sent', async () => {
    const { s, posts } = service();
    const asked: { peer: RrbPeer; entry: PmkR1Entry; pmkR1: string }[] = [];
    s.attach({
      push: async (peer, e) => {
        asked.push({ peer, entry: e, pmkR1: e.pmkR1.toString('hex') });
        return e.staMac.endsWith('2') ? { ok: false, reason: 'no SEQ yet' } : ({ ok: true } as PushOutcome);
      },
      probe: () => {},
    });
    expect(s.handle({ type: 'push', items: [item(1), item(2), item(3)] })).toBe(true);
    await turn();
    await turn();
    expect(asked.map((a) => a.entry.staMac)).toEqual(['02:00:00:00:03:01', '02:00:00:00:03:02', '02:00:00:00:03:03']);
    expect(asked.every((a) => a.pmkR1 === 'ee'.repeat(32))).toBe(true);
    expect(asked.every((a) => a.entry.pmkR1.equals(Buffer.alloc(32)))).toBe(true);
    expect(posts).toEqual([
      {
        type: 'pushed',
        outcomes: [
          { id: 1, outcome: { ok: true } },
          { id: 2, outcome: { ok: false, reason: 'no SEQ yet' } },
          { id: 3, outcome: { ok: true } },
        ],
      },
    ]);
  });

  it('answers every PUSH of a message at once while silent (another member holds the work)', async () => {
    const { s, posts } = service();
    s.attach(null);
    expect(s.handle({ type: 'push', items: [item(1), item(2)] })).toBe(true);
    await turn();
    expect(posts).toHaveLength(1);
    const m = posts[0] as Extract<FromRrbThread, { type: 'pushed' }>;
    expect(m.outcomes.map((o) => [o.id, o.outcome.ok])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(m.outcomes[0]!.outcome).toMatchObject({ reason: expect.stringContaining('another cluster member holds') });
  });
});
