import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { EtcdKv } from '../../adapters/etcd/etcd-kv.js';
import { followPrefix } from '../../daemon/cluster/follow-prefix.js';

// Following a prefix (what replication and the placement ledger stand on) against a real etcd: a
// member whose revision etcd compacted away hears a watch error, reads the prefix whole and goes
// on watching after that read.

describe('followPrefix (real etcd)', () => {
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

  it('reads the prefix whole again after etcd compacted the revision it was to resume from', async () => {
    const put = (k: string) => kv.putAll([{ key: `/fp/${k}`, value: Buffer.from(k) }], 5000);
    const old = await put('k0');
    await put('k1');
    const latest = await put('k2');
    await etcd.ctl(['compact', latest]); // the changes after `old` (k1's) are gone

    const events: string[] = [];
    const f = followPrefix({
      kv,
      prefix: '/fp/',
      after: old,
      listTimeoutMs: 5000,
      retryMs: 100,
      onSnapshot: (entries, revision) => events.push(`snapshot ${entries.map((e) => e.key).join(',')} @${revision}`),
      onChanges: (changes) => events.push(`changes ${changes.map((c) => c.key).join(',')}`),
      onRetry: (reason) => events.push(`retry ${reason}`),
    });
    await f.started;
    const poll = { timeout: 30_000, interval: 20 };
    await expect.poll(() => events.some((e) => e.startsWith('snapshot')), poll).toBe(true);
    await expect.poll(() => f.watching, poll).toBe(true); // set up after the read
    const k3 = await put('k3');
    await expect.poll(() => events.some((e) => e.startsWith('changes')), poll).toBe(true);
    expect(f.revision).toBe(k3);
    await f.close();
    expect(f.watching).toBe(false);

    expect(events).toHaveLength(3);
    // etcd 3.4 gives no cancel reason for a compacted revision: the watch error says only that it ended.
    expect(events[0]).toMatch(/^retry etcd cancelled the watch from revision \d+ \(compacted away\?\)/);
    expect(events[1]).toBe(`snapshot /fp/k0,/fp/k1,/fp/k2 @${latest}`);
    expect(events[2]).toBe('changes /fp/k3');
  }, 60_000);

  it('hears a change again when the caller could not apply it, and goes on from the last one applied', async () => {
    const put = (k: string) => kv.putAll([{ key: `/fa/${k}`, value: Buffer.from(k) }], 5000);
    const start = await put('k0');
    const applied: string[] = [];
    const retries: string[] = [];
    let refuse = true;
    const f = followPrefix({
      kv,
      prefix: '/fa/',
      after: start,
      listTimeoutMs: 5000,
      retryMs: 100,
      onSnapshot: () => applied.push('snapshot'),
      onChanges: (changes) => {
        // The first delivery fails as a busy store would (better-sqlite3 throws such an object).
        if (refuse) {
          refuse = false;
          throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        }
        applied.push(...changes.map((c) => c.key));
      },
      onRetry: (reason) => retries.push(reason),
    });
    await f.started;
    await expect.poll(() => f.watching, { timeout: 30_000, interval: 20 }).toBe(true);
    await put('k1');
    await expect.poll(() => applied, { timeout: 30_000, interval: 20 }).toEqual(['/fa/k1']);
    const k2 = await put('k2');
    await expect.poll(() => f.revision, { timeout: 30_000, interval: 20 }).toBe(k2);
    await f.close();
    expect(applied).toEqual(['/fa/k1', '/fa/k2']);
    expect(retries).toEqual(['cannot apply changes: database is locked']);
  }, 60_000);
});
