import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EtcdKv } from '../../adapters/etcd/etcd-kv.js';
import { SqliteRecordStore } from '../../adapters/store/sqlite-store.js';
import { ClusterCommitter } from '../../daemon/cluster/cluster-committer.js';
import { ClusterLayout } from '../../daemon/cluster/layout.js';
import { decodeStationEntry } from '../../daemon/cluster/station-entry.js';
import type { ClusterKv, KvPut } from '../../daemon/ports/cluster-kv.js';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { captureLogger, macOf, makeKeys, makeRecord, tempDir } from '../unit/store/fixtures.js';

// The cluster half of commit-before-relay (daemon/cluster/cluster-committer.ts) on a real etcd
// and real SQLite. etcd itself is what can refuse: a transaction of more than 128 operations, or
// one that names a key twice. The committer's own rule, one transaction in flight with the
// commits that arrive meanwhile gathered into the next, is seen through a counting wrapper
// around the real client (it only counts; every call goes to etcd).

const NOW = Date.now();

/** The real client, with the number of its transactions in flight and their sizes recorded. */
function counting(kv: EtcdKv): { kv: ClusterKv; maxInFlight: () => number; sizes: number[] } {
  let inFlight = 0;
  let max = 0;
  const sizes: number[] = [];
  const wrapped = Object.create(kv) as ClusterKv;
  wrapped.putAll = async (puts: KvPut[], timeoutMs: number) => {
    inFlight++;
    max = Math.max(max, inFlight);
    sizes.push(puts.length);
    try {
      return await kv.putAll(puts, timeoutMs);
    } finally {
      inFlight--;
    }
  };
  return { kv: wrapped, maxInFlight: () => max, sizes };
}

describe('ClusterCommitter (real etcd, real SQLite)', () => {
  let etcd: EtcdCluster;
  let client: EtcdKv;
  let tmp: ReturnType<typeof tempDir>;
  let store: SqliteRecordStore;
  let prefix: string;
  beforeAll(async () => {
    etcd = await startEtcdCluster({ size: 1 });
    client = new EtcdKv({ endpoints: etcd.endpoints() });
  }, 120_000);
  afterAll(async () => {
    await client?.close();
    await etcd?.stop();
  });
  beforeEach(() => {
    tmp = tempDir();
    store = new SqliteRecordStore(join(tmp.dir, 'a.sqlite'), randomBytes(32), { logger: captureLogger() });
    prefix = `/committer-${randomBytes(4).toString('hex')}/`;
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  const committer = (kv: ClusterKv, commitTimeoutMs = 5000, maxInFlight?: number) =>
    new ClusterCommitter({
      kv,
      journal: store.cluster,
      layout: new ClusterLayout(prefix),
      member: 'a',
      commitTimeoutMs,
      log: captureLogger(),
      ...(maxInFlight ? { maxInFlight } : {}),
    });
  const writes = (from: number, n: number, at = NOW) =>
    Array.from({ length: n }, (_, i) => ({ record: makeRecord(macOf(from + i), at, { authenticatedAt: at }), keys: makeKeys() }));

  it('commits a group larger than one etcd transaction may hold, every record before it resolves', async () => {
    const c = counting(client);
    const k = committer(c.kv);
    await k.commit(writes(0, 300));
    const { entries } = await client.list(`${prefix}stations/`, 5000);
    expect(entries).toHaveLength(300);
    expect(Math.max(...c.sizes)).toBeLessThanOrEqual(128);
    expect(k.status()).toMatchObject({ state: 'up', committed: 300, relayedUncommitted: 0 });
  });

  it('keeps at most maxInFlight transactions in flight and gathers the commits that arrive meanwhile', async () => {
    const c = counting(client);
    const k = committer(c.kv, 5000, 2);
    // 100 group commits of one record each, all requested before the first transaction returns
    // (fewer than one transaction holds, so each gather is one transaction).
    await Promise.all(Array.from({ length: 100 }, (_, i) => k.commit(writes(1000 + i, 1))));
    expect(c.maxInFlight()).toBe(2);
    expect(c.sizes.length).toBeLessThan(100);
    expect(c.sizes.reduce((a, b) => a + b, 0)).toBe(100);
    const { entries } = await client.list(`${prefix}stations/`, 5000);
    expect(entries).toHaveLength(100);
    expect(k.status()).toMatchObject({ state: 'up', committed: 100 });
  });

  it('puts one station named twice in a gather once, as its latest row', async () => {
    const k = committer(client);
    const sta = macOf(7);
    const first = makeRecord(sta, NOW, { authenticatedAt: NOW });
    const second = makeRecord(sta, NOW, { authenticatedAt: NOW + 1000 });
    // The first commit holds the transaction slot; the two that arrive meanwhile share the next one.
    await Promise.all([
      k.commit(writes(3000, 1)),
      k.commit([{ record: first, keys: makeKeys() }]),
      k.commit([{ record: second, keys: makeKeys() }]),
    ]);
    const third = makeRecord(sta, NOW, { authenticatedAt: NOW + 2000 });
    const fourth = makeRecord(sta, NOW, { authenticatedAt: NOW + 3000 });
    await k.commit([
      { record: third, keys: makeKeys() },
      { record: fourth, keys: makeKeys() },
    ]);
    expect(k.status()).toMatchObject({ state: 'up', relayedUncommitted: 0 });
    const there = await client.get(`${prefix}stations/${sta}`, 5000);
    const d = decodeStationEntry(there!.value, sta);
    expect(d.ok && d.entry.row.authenticatedAt).toBe(NOW + 3000);
  });

  it('relays within commitTimeoutMs when etcd does not answer, and keeps the records in the outbox', async () => {
    const dead = new EtcdKv({ endpoints: ['http://127.0.0.1:9'] });
    try {
      const k = committer(dead, 300);
      const started = performance.now();
      await Promise.all([k.commit(writes(2000, 1)), k.commit(writes(2001, 1)), k.commit(writes(2002, 1))]);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(k.status()).toMatchObject({ state: 'degraded', relayedUncommitted: 3, queued: 3 });
      // Degraded: relayed at once, without asking etcd.
      await k.commit(writes(2003, 1));
      expect(k.status()).toMatchObject({ relayedUncommitted: 4, queued: 4 });
    } finally {
      await dead.close();
    }
  });

  it('replays an outbox in batched transactions, leaving a newer record another member put', async () => {
    const dead = new EtcdKv({ endpoints: ['http://127.0.0.1:9'] });
    try {
      await committer(dead, 300).commit(writes(4000, 300));
    } finally {
      await dead.close();
    }
    expect(store.cluster.queuedCount()).toBe(300);
    // Meanwhile another member committed a later login of one of these stations.
    const otherTmp = tempDir();
    const other = new SqliteRecordStore(join(otherTmp.dir, 'b.sqlite'), randomBytes(32), { logger: captureLogger() });
    try {
      const b = new ClusterCommitter({
        kv: client,
        journal: other.cluster,
        layout: new ClusterLayout(prefix),
        member: 'b',
        commitTimeoutMs: 5000,
        log: captureLogger(),
      });
      await b.commit([{ record: makeRecord(macOf(4000), NOW, { authenticatedAt: NOW + 5000 }), keys: makeKeys() }]);
    } finally {
      other.close();
      otherTmp.cleanup();
    }
    let transactions = 0;
    const kv = Object.create(client) as ClusterKv;
    kv.putAllIfUnchanged = (items, timeoutMs) => {
      transactions++;
      return client.putAllIfUnchanged(items, timeoutMs);
    };
    // Its clock is ahead, so every queued row is old enough to be the replay's.
    const a = new ClusterCommitter({
      kv,
      journal: store.cluster,
      layout: new ClusterLayout(prefix),
      member: 'a',
      commitTimeoutMs: 5000,
      log: captureLogger(),
      replayIntervalMs: 50,
      now: () => Date.now() + 60_000,
    });
    a.start();
    try {
      for (let d = 10; store.cluster.queuedCount() > 0; d = Math.min(200, d * 2)) await new Promise((r) => setTimeout(r, d));
    } finally {
      a.stop();
    }
    expect(a.status()).toMatchObject({ replayed: 299, superseded: 1 });
    expect(transactions).toBe(3);
    const { entries } = await client.list(`${prefix}stations/`, 5000);
    expect(entries).toHaveLength(300);
    const kept = decodeStationEntry(entries.find((e) => e.key.endsWith(macOf(4000)))!.value, macOf(4000));
    expect(kept.ok && kept.entry.member).toBe('b');
  });
});
