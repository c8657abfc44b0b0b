import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdKv } from '../../adapters/etcd/etcd-kv.js';
import { ClusterLayout } from '../../daemon/cluster/layout.js';
import { RfEvidenceRelay, encodeRfEvidence, parseRfEvidence } from '../../daemon/cluster/rf-evidence-relay.js';
import type { RfEvidence } from '../../daemon/neighbors/evidence.js';
import { silentLog } from '../../daemon/log/log.js';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';

// RF evidence between two members through a real etcd: what one member saw reaches the other's
// neighbour service, batched, never back to itself; a member that starts later reads the recent
// evidence; an entry under a member's name that another wrote, or that cannot be read, is refused.

describe('RfEvidenceRelay (real etcd)', () => {
  let etcd: EtcdCluster;
  let kv: EtcdKv;
  beforeAll(async () => {
    etcd = await startEtcdCluster({ size: 1 });
    kv = new EtcdKv({ endpoints: etcd.endpoints() });
  }, 120_000);
  afterAll(async () => {
    await kv?.close();
    await etcd?.stop();
  });

  const relay = (layout: ClusterLayout, member: string, others: string[]) =>
    new RfEvidenceRelay({ kv, layout, member, others, log: silentLog, timeoutMs: 5000 });

  it("carries one member's evidence to the others, not back to itself, and to a member that starts later", async () => {
    const layout = new ClusterLayout(`/rf-${randomBytes(4).toString('hex')}/`);
    const a = relay(layout, 'a', ['b']);
    const b = relay(layout, 'b', ['a']);
    const atA: RfEvidence[] = [];
    const atB: RfEvidence[] = [];
    a.subscribe((e) => atA.push(e));
    b.subscribe((e) => atB.push(e));
    let late: RfEvidenceRelay | null = null;
    try {
      await Promise.all([a.start(), b.start()]);
      const seen: RfEvidence[] = [
        { kind: 'roam', sta: '02:00:00:00:00:41', from: 'ap1', to: 'ap2', at: Date.now() },
        { kind: 'beacon', ap: 'ap2', bssid: '02:00:00:00:03:00', dbm: -61, at: Date.now() },
        { kind: 'beacon', ap: 'ap2', bssid: '02:00:00:00:01:00', dbm: null, at: Date.now() },
      ];
      for (const e of seen) a.publish(e);
      await expect.poll(() => atB, { timeout: 20_000 }).toEqual(seen);
      expect(atA).toEqual([]);
      expect(a.stats).toMatchObject({ sent: 3, dropped: 0 });
      // One entry for the batch, under a's name.
      const entries = (await kv.list(layout.rfEvidenceOf('a'), 5000)).entries;
      expect(entries).toHaveLength(1);
      expect(parseRfEvidence(entries[0]!.value)).toEqual({ member: 'a', evidence: seen });

      late = relay(layout, 'c', ['a', 'b']);
      const atC: RfEvidence[] = [];
      late.subscribe((e) => atC.push(e));
      await late.start();
      expect(atC).toEqual(seen);
    } finally {
      await Promise.all([a.stop(), b.stop(), late?.stop()]);
    }
  });

  it("refuses an entry under a member's name that another wrote or that cannot be read", async () => {
    const layout = new ClusterLayout(`/rf-${randomBytes(4).toString('hex')}/`);
    const roam: RfEvidence = { kind: 'roam', sta: '02:00:00:00:00:42', from: 'ap1', to: 'ap3', at: Date.now() };
    const lease = await kv.expiringLease(60, 5000);
    await kv.putAll(
      [
        { key: `${layout.rfEvidenceOf('a')}x-0`, value: encodeRfEvidence('b', [roam]), lease },
        { key: `${layout.rfEvidenceOf('a')}x-1`, value: Buffer.from('{"v":1,"member":"a","evidence":[{"kind":"roam","at":1}]}'), lease },
        { key: `${layout.rfEvidenceOf('a')}x-2`, value: Buffer.from('not json'), lease },
        { key: `${layout.rfEvidenceOf('a')}x-3`, value: encodeRfEvidence('a', [roam]), lease },
      ],
      5000,
    );
    const b = relay(layout, 'b', ['a']);
    const atB: RfEvidence[] = [];
    b.subscribe((e) => atB.push(e));
    try {
      await b.start();
      expect(atB).toEqual([roam]);
      expect(b.stats).toMatchObject({ applied: 1, rejected: 3 });
    } finally {
      await b.stop();
    }
  });
});
