import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdKv } from '../../adapters/etcd/etcd-kv.js';
import { ClusterLayout } from '../../daemon/cluster/layout.js';
import { ReplicatedLedger } from '../../daemon/cluster/replicated-ledger.js';
import type { Placement } from '../../daemon/distribution/placement.js';
import { silentLog } from '../../daemon/log/log.js';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';

// The placement ledger against a real etcd, at the size a busy holder reaches: one turn's
// announcements of hundreds of PUSHes (found by the cluster-load bench: etcd refused the
// 256-placement transaction, "too many operations in txn request", and every PUSH waiting on its
// announcement was missed).

const placement = (i: number, state: Placement['state']): Placement => ({
  staMac: `02:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}:00`,
  ap: 'ap2',
  bssid: '02:00:00:00:01:00',
  kind: 'ft',
  keyName: 'ab'.repeat(16),
  state,
  via: 'push',
  placedAt: 1,
  expiresAt: Date.now() + 3_600_000,
  attempts: 1,
  lastError: null,
});

describe('ReplicatedLedger (real etcd)', () => {
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

  it('announces and records hundreds of placements of one turn, more than one etcd transaction holds', async () => {
    const prefix = `/ledger-${randomBytes(4).toString('hex')}/`;
    const local: Placement[] = [];
    const l = new ReplicatedLedger({
      kv,
      local: { savePlacements: (ps) => local.push(...ps), loadPlacements: () => local },
      layout: new ClusterLayout(prefix),
      member: 'a',
      others: ['b'],
      log: silentLog,
      timeoutMs: 5000,
    });
    try {
      await l.announce(Array.from({ length: 300 }, (_, i) => placement(i, 'sending')));
      expect(l.stats).toMatchObject({ failed: 0 });
      expect((await kv.list(`${prefix}placements/`, 5000)).entries).toHaveLength(300);
      l.savePlacements(Array.from({ length: 300 }, (_, i) => placement(i, 'sent')));
      await expect
        .poll(
          async () =>
            (await kv.list(`${prefix}placements/`, 5000)).entries.flatMap((e) =>
              JSON.parse(e.value.toString()).placements.map((p: Placement) => p.state),
            ),
          {
            timeout: 60_000,
          },
        )
        .toEqual(Array(300).fill('sent'));
      expect(l.stats).toMatchObject({ failed: 0 });
    } finally {
      await l.stop();
    }
  });
});
