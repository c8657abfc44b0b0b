import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { EtcdKv, prefixEnd } from '../../adapters/etcd/etcd-kv.js';
import type { KvChange } from '../../daemon/ports/cluster-kv.js';
import { spawnManaged } from '../helpers/netns.js';
import { join } from 'node:path';
import { getPriority } from 'node:os';

const REPO = join(import.meta.dirname, '../..');

// The cluster store's adapter against a real 3-member etcd: what the HA design stands on
// (docs/cluster.md) — atomic batches, exclusive claims, leases that lapse when their holder stops,
// watches that resume from a revision, and a bounded wait when there is no quorum.

const waitFor = async (what: string, ok: () => boolean, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  for (let d = 10; !ok(); d = Math.min(200, d * 2)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, d));
  }
};

describe('EtcdKv (real etcd cluster)', () => {
  let etcd: EtcdCluster;
  const clients: EtcdKv[] = [];
  const kv = () => {
    const c = new EtcdKv({ endpoints: etcd.endpoints() });
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    etcd = await startEtcdCluster({ size: 3 });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await etcd?.stop();
  });

  it('computes prefix range ends as etcd expects', () => {
    expect(prefixEnd('/a/')).toEqual(Buffer.from('/a0'));
    expect(prefixEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from('b'));
    expect(prefixEnd(Buffer.from([0xff]))).toEqual(Buffer.from([0]));
  });

  it('writes a batch in one transaction that another client reads whole, with its revision', async () => {
    const a = kv();
    const b = kv();
    const puts = Array.from({ length: 50 }, (_, i) => ({
      key: `/t1/stations/${String(i).padStart(3, '0')}`,
      value: Buffer.from([i, 0xff, 0]),
    }));
    const rev = await a.putAll(puts, 5000);
    const { entries, revision } = await b.list('/t1/stations/', 5000);
    expect(entries.map((e) => e.key)).toEqual(puts.map((p) => p.key));
    expect(entries.every((e) => e.modRevision === rev)).toBe(true); // one transaction, one revision
    expect(entries[7]!.value).toEqual(Buffer.from([7, 0xff, 0]));
    expect(BigInt(revision)).toBeGreaterThanOrEqual(BigInt(rev));
  });

  it('lets exactly one of two racing members create a claim, every time', async () => {
    const a = kv();
    const b = kv();
    for (let i = 0; i < 20; i++) {
      const key = `/t2/claims/ap${i}`;
      const [x, y] = await Promise.all([
        a.createIfAbsent({ key, value: Buffer.from('a') }, 5000),
        b.createIfAbsent({ key, value: Buffer.from('b') }, 5000),
      ]);
      expect([x, y].filter(Boolean)).toHaveLength(1);
    }
  });

  it("drops a killed member's claims once its lease lapses, so another can take them", async () => {
    // The holder is a process of its own, killed with SIGKILL like a kmsd: no revoke, no goodbye.
    const adapter = join(REPO, 'dist/adapters/etcd/etcd-kv.js');
    const script = `const { EtcdKv } = await import(${JSON.stringify(adapter)});
      const kv = new EtcdKv({ endpoints: ${JSON.stringify(etcd.endpoints())} });
      const lease = await kv.lease(2);
      const ok = await kv.createIfAbsent({ key: '/t3/claims/ap1', value: Buffer.from('holder'), lease: lease.id }, 5000);
      console.log(ok ? 'claimed' : 'refused');
      setInterval(() => {}, 1000);`;
    const holder = spawnManaged(process.execPath, ['--input-type=module', '-e', script]);
    await holder.waitForLine(/^(claimed|refused)$/, { timeoutMs: 30_000 });
    expect(holder.output()).toContain('claimed');
    const other = kv();
    expect(await other.createIfAbsent({ key: '/t3/claims/ap1', value: Buffer.from('other') }, 5000)).toBe(false);
    process.kill(holder.pid, 'SIGKILL');
    await holder.exited;
    // The claim lapses with the lease (TTL 2 s); then exactly one create succeeds.
    let got = false;
    for (const t0 = Date.now(); !got && Date.now() - t0 < 30_000; ) {
      got = await other.createIfAbsent({ key: '/t3/claims/ap1', value: Buffer.from('other') }, 5000);
      if (!got) await new Promise((r) => setTimeout(r, 200));
    }
    expect(got).toBe(true);
  }, 60_000);

  it('keeps a lease alive while the thread that took it is blocked for longer than its TTL', async () => {
    // The member lease decides who holds the exactly-once work; kmsd's main thread, which takes
    // it, runs niced and can be late by more than a TTL on a loaded machine. Renewals come from the
    // adapter's lease thread, so a blocked event loop here costs nothing.
    const holder = kv();
    const lease = await holder.lease(2);
    await holder.putAll([{ key: '/t6/alive', value: Buffer.from('1'), lease: lease.id }], 5000);
    const granted = lease.renewedAt();
    // 3 s without running this thread's event loop: longer than the 2 s TTL.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
    // Read on the shared clock, as the work claim reads it: renewed while this thread was blocked.
    expect(lease.renewedAt()).toBeGreaterThan(granted);
    expect(await kv().get('/t6/alive', 5000)).toBeDefined();
    // A revoke still ends it at once, and every key bound to it with it.
    await lease.revoke();
    expect(await kv().get('/t6/alive', 5000)).toBeUndefined();
  }, 60_000);

  it("sets the lease thread's priority, and says so", async () => {
    const mine = getPriority();
    const nicer = Math.min(19, mine + 3); // raising a nice value needs no privilege
    const c = new EtcdKv({ endpoints: etcd.endpoints(), leaseThreadNice: nicer });
    clients.push(c);
    expect(c.leaseThreadNice).toBeNull();
    const lease = await c.lease(2);
    expect(c.leaseThreadNice).toBe(nicer);
    expect(getPriority()).toBe(mine);
    await lease.revoke();
  });

  it('watches changes in order and resumes from the revision it last applied', async () => {
    const writer = kv();
    const reader = kv();
    const start = (await reader.list('/t4/', 5000)).revision;
    const seen: KvChange[] = [];
    const w = await reader.watch('/t4/', start, (c) => seen.push(...c));
    for (let i = 0; i < 5; i++) await writer.putAll([{ key: `/t4/k${i}`, value: Buffer.from([i]) }], 5000);
    await waitFor('five changes', () => seen.length >= 5);
    await w.close();
    const last = seen[2]!.modRevision; // as if the reader had applied three and restarted
    for (let i = 5; i < 7; i++) await writer.putAll([{ key: `/t4/k${i}`, value: Buffer.from([i]) }], 5000);
    const again: KvChange[] = [];
    const w2 = await reader.watch('/t4/', last, (c) => again.push(...c));
    await waitFor('the changes after the resume point', () => again.length >= 4);
    await w2.close();
    expect(again.map((c) => c.key)).toEqual(['/t4/k3', '/t4/k4', '/t4/k5', '/t4/k6']);
    expect(seen.slice(0, 5).map((c) => c.key)).toEqual(['/t4/k0', '/t4/k1', '/t4/k2', '/t4/k3', '/t4/k4']);
  });

  it('survives the leader, and without a quorum fails a write within its bound instead of hanging', async () => {
    const c = kv();
    const leader = await etcd.leader();
    await leader.kill9();
    await etcd.waitHealthy(60_000, 2);
    await c.putAll([{ key: '/t5/after-leader', value: Buffer.from('1') }], 10_000);

    const second = etcd.members.find((m) => m !== leader && m.process())!;
    await second.kill9(); // one member of three: no quorum
    const t0 = Date.now();
    await expect(c.putAll([{ key: '/t5/no-quorum', value: Buffer.from('1') }], 1000)).rejects.toThrow(/within 1000 ms|deadline/i);
    const waited = Date.now() - t0;
    // The bound, not a hang (a generous ceiling: a busy machine is slow to fire timers too).
    expect(waited).toBeLessThan(10_000);

    await leader.restart();
    await second.restart();
    await etcd.waitHealthy(60_000, 3);
    await c.putAll([{ key: '/t5/back', value: Buffer.from('1') }], 10_000);
    expect((await c.list('/t5/', 5000)).entries.map((e) => e.key)).toContain('/t5/back');
  }, 240_000);
});
