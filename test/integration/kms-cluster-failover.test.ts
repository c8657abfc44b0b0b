import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { calledStationId, runEapolTest } from '../helpers/eapol-test.js';
import { clusterOptions, startKms, type KmsHandle } from '../helpers/kms.js';
import { canUseNetns, createNetns, createVeth, runChecked, type Netns, type VethPair } from '../helpers/netns.js';
import { openL2Socket, type L2Transport } from '../../adapters/rrb/l2-socket.js';
import { HostapdR1kh } from '../unit/rrb/hostapd-r1kh.js';
import { startTcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { AKM } from '../../daemon/keys/index.js';

// Exactly-once work in a cluster (docs/cluster.md): two kmsd members share the KMS's one R0KH-R1KH
// MAC on a bridged segment with three R1KHs (the hostapd-like peer of the RRB tests). Only the
// member holding the work claim speaks on the segment; it places the keys of stations that logged
// in through either member, once each. When it is killed with -9 the other takes the claim over
// within a few seconds, places what was left, places nothing twice, and answers PULLs.

const SSID = 'kms-lab';
const KEYS = { ap2: 'a2'.repeat(32), ap3: 'a3'.repeat(32), ap4: 'a4'.repeat(32) };
const MACS = { kms: '02:00:00:00:09:00', ap2: '02:00:00:00:04:00', ap3: '02:00:00:00:05:00', ap4: '02:00:00:00:06:00' };
const MASTER = randomBytes(32).toString('hex');
const STA1 = '02:00:00:00:01:01';
const STA2 = '02:00:00:00:01:02';
const STA3 = '02:00:00:00:01:03';

interface ClusterView {
  members: { name: string; registered: boolean | null }[];
  work: { holder: string | null; self: boolean };
}

describe.skipIf(!canUseNetns())('cluster: one member does the exactly-once work, another takes it over', () => {
  let ns: Netns;
  const links: VethPair[] = [];
  const l2: L2Transport[] = [];
  const peers: Record<'ap2' | 'ap3' | 'ap4', HostapdR1kh> = {} as never;
  let etcd: EtcdCluster;
  let aaa: FreeRadiusHandle;
  const kms: Record<'a' | 'b', KmsHandle> = {} as never;
  /** Each member reaches etcd through relays of its own, so that one member can be cut off. */
  const relays: Record<'a' | 'b', TcpRelay[]> = { a: [], b: [] };

  const member = (name: 'a' | 'b', link: VethPair) => {
    const ap = (n: number, neighbors: string[], bssid: string, key: string) => ({
      name: `ap${n}`,
      nasIdentifier: `ap${n}.example.com`,
      radiusClient: `ap${n}`,
      rrbKey: key,
      bsses: [{ ifname: 'wlan0', bssid }],
      neighbors,
    });
    return startKms({
      masterKeyHex: MASTER,
      clients: [1, 2, 3, 4].map((n) => ({ name: `ap${n}`, address: `127.0.0.${n}`, secret: 'ap-secret' })),
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: 'aaa' }],
      distribution: {
        ssid: SSID,
        mobilityDomain: 'a1b2',
        kmsRadiusAddress: '127.0.0.1',
        // Both members speak from the one KMS MAC, each on its own port of the segment.
        rrb: { interface: link.b.ifname, mac: MACS.kms },
        keyLifetimeS: 1800,
        aps: [
          ap(1, ['ap2', 'ap3'], '02:00:00:00:03:00', 'a1'.repeat(32)),
          ap(2, ['ap1'], MACS.ap2, KEYS.ap2),
          ap(3, ['ap1'], MACS.ap3, KEYS.ap3),
          ap(4, [], MACS.ap4, KEYS.ap4),
        ],
      },
      cluster: clusterOptions({ member: name, endpoints: relays[name].map((r) => r.url), prefix: '/failover-test/' }),
    });
  };

  const view = (k: KmsHandle) => k.kmsctlJson<ClusterView>(['cluster']);
  const holderIs = async (k: KmsHandle, name: string, timeout = 30_000) =>
    expect.poll(async () => (await view(k)).work.holder, { timeout, interval: 100 }).toBe(name);

  const login = (k: KmsHandle, sta: string) =>
    runEapolTest({
      server: { address: '127.0.0.1', port: k.authPort, secret: 'ap-secret' },
      identity: 'alice',
      password: 'password',
      caCertPath: aaa.caCertPath,
      nasIdentifier: 'ap1.example.com',
      calledStationId: calledStationId('02:00:00:00:03:00', SSID),
      stationMac: sta,
      mobilityDomainId: 'a1b2',
      akmSuite: AKM.FT_IEEE8021X,
      pairwiseCipher: 0x000fac04,
    });
  const storedFor = (sta: string) => ({
    ap2: peers.ap2.stored.filter((s) => s.staMac === sta).length,
    ap3: peers.ap3.stored.filter((s) => s.staMac === sta).length,
    ap4: peers.ap4.stored.filter((s) => s.staMac === sta).length,
  });

  beforeAll(async () => {
    ns = await createNetns('ha');
    await ns.run('ip', ['link', 'add', 'br0', 'type', 'bridge', 'ageing_time', '0']);
    await ns.run('ip', ['link', 'set', 'br0', 'up']);
    // Ports: member a, member b, ap2, ap3, ap4.
    for (const mac of ['02:00:00:00:0a:0a', '02:00:00:00:0b:0b', MACS.ap2, MACS.ap3, MACS.ap4]) {
      const pair = await createVeth({ netns: ns }, { netns: null, mac });
      await runChecked('ip', ['-n', ns.name, 'link', 'set', pair.a.ifname, 'master', 'br0']);
      links.push(pair);
    }
    (['ap2', 'ap3', 'ap4'] as const).forEach((name, i) => {
      const sock = openL2Socket(links[i + 2]!.b.ifname);
      l2.push(sock);
      peers[name] = new HostapdR1kh(sock, MACS[name], { addr: MACS.kms, key: Buffer.from(KEYS[name], 'hex') });
    });
    etcd = await startEtcdCluster({ size: 3 });
    aaa = await startFreeRadius({ secret: 'aaa' });
    for (const name of ['a', 'b'] as const) {
      for (const url of etcd.endpoints()) {
        const u = new URL(url);
        relays[name].push(await startTcpRelay(u.hostname, Number(u.port)));
      }
    }
    kms.a = await member('a', links[0]!);
    // A first, so that it is the one holding the work when B joins.
    for (const deadline = Date.now() + 60_000; (await view(kms.a)).work.holder !== 'a'; ) {
      if (Date.now() > deadline) throw new Error(`member a did not take the work claim:\n${kms.a.logs().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    kms.b = await member('b', links[1]!);
  }, 300_000);

  afterAll(async () => {
    await kms.a?.stop();
    await kms.b?.stop();
    await aaa?.stop();
    for (const r of [...relays.a, ...relays.b]) await r.close();
    await etcd?.stop();
    for (const s of l2) s.close();
    for (const l of links) await l.destroy();
    await ns?.destroy();
  });

  it('the holder places the keys of a login made through the other member, once on each neighbour', async () => {
    const v = await view(kms.b);
    expect(v.work).toEqual({ holder: 'a', self: false });
    const r = await login(kms.b, STA1);
    expect(r.success).toBe(true);
    await expect.poll(() => storedFor(STA1), { timeout: 15_000 }).toEqual({ ap2: 1, ap3: 1, ap4: 0 });
    // The ledger's log line follows the frame (the R0KH-R1KH thread reports back to the main one).
    await expect.poll(() => kms.a.logs(), { timeout: 10_000 }).toMatch(/"key sent"/);
    // The member without the claim sent nothing: no PUSH, no sequence exchange.
    expect(kms.b.logs()).not.toMatch(/"key sent"/);
  });

  it('kill -9 of the holder: the other member takes the work over within seconds and pushes nothing twice', async () => {
    const killedAt = Date.now();
    await kms.a.kill9();
    await holderIs(kms.b, 'b', 20_000);
    const tookMs = Date.now() - killedAt;
    // One lease TTL (3 s) plus the claim's poll and kmsctl's own start; a bound, not a benchmark.
    expect(tookMs).toBeLessThan(15_000);
    await expect.poll(() => kms.b.logs(), { timeout: 10_000 }).toMatch(/exactly-once work taken over/);
    expect(storedFor(STA1)).toEqual({ ap2: 1, ap3: 1, ap4: 0 });

    // A login while A is down: B places it, once.
    const r = await login(kms.b, STA2);
    expect(r.success).toBe(true);
    await expect.poll(() => storedFor(STA2), { timeout: 15_000 }).toEqual({ ap2: 1, ap3: 1, ap4: 0 });

    // A PULL for the station A placed is answered by B, from the same KMS MAC.
    const rec = await kms.b.kmsctlJson<{ pmkR0Name: string }>(['station', STA1]);
    const res = await peers.ap4.pull(STA1, 'ap1.example.com', Buffer.from(rec.pmkR0Name, 'hex'), 4000);
    expect(res.ok).toBe(true);
    // ap4 stored the answer; nothing else arrived twice.
    expect(storedFor(STA1)).toEqual({ ap2: 1, ap3: 1, ap4: 1 });
  });

  it('the old holder comes back as a member without the work, and pushes nothing', async () => {
    const before = peers.ap2.stored.length + peers.ap3.stored.length;
    await kms.a.restart();
    await expect.poll(async () => (await view(kms.a)).members.every((m) => m.registered), { timeout: 30_000, interval: 200 }).toBe(true);
    expect((await view(kms.a)).work).toEqual({ holder: 'b', self: false });
    await new Promise((r) => setTimeout(r, 1000));
    expect(peers.ap2.stored.length + peers.ap3.stored.length).toBe(before);
  });

  it('a holder cut off from etcd stops the work before the other member takes it, and rejoins cleanly', async () => {
    const holds = async (k: KmsHandle) => (await k.api<{ cluster: { holdsWork: boolean } }>('/v1/health')).body.cluster.holdsWork;
    expect(await holds(kms.b)).toBe(true);
    const samples: [boolean, boolean][] = [];
    for (const r of relays.b) r.cut();
    // Both members' own view, sampled through the change-over: never both at once.
    for (const deadline = Date.now() + 30_000; ; ) {
      const s: [boolean, boolean] = [await holds(kms.a), await holds(kms.b)];
      samples.push(s);
      if (s[0] && !s[1]) break;
      if (Date.now() > deadline) throw new Error(`no take-over after the cut: ${JSON.stringify(samples.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(samples.filter(([a, b]) => a && b)).toEqual([]);
    // And by the members' own clocks (one machine): b let go before a took it.
    const at = (logs: string, msg: string) =>
      logs
        .split('\n')
        .filter((l) => l.includes(msg))
        .map((l) => Date.parse(JSON.parse(l).time as string))
        .pop()!;
    const bStopped = at(kms.b.logs(), 'cluster: this member stops the exactly-once work');
    const aTook = at(kms.a.logs(), 'cluster: this member takes the exactly-once work');
    expect(bStopped).toBeLessThan(aTook);

    // A login through the cut-off member still works; its record waits in b's outbox.
    const r = await login(kms.b, STA3);
    expect(r.success).toBe(true);
    // The RADIUS thread reports its commit state a few times a second.
    await expect
      .poll(async () => (await kms.b.api<{ cluster: { state: string; queued: number } }>('/v1/health')).body.cluster.state, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe('degraded');
    expect((await kms.b.api<{ cluster: { queued: number } }>('/v1/health')).body.cluster.queued).toBeGreaterThanOrEqual(1);
    expect(storedFor(STA3)).toEqual({ ap2: 0, ap3: 0, ap4: 0 });

    for (const r of relays.b) r.restore();
    // Back: b's outbox reaches etcd, a (the holder) imports the station and places its keys, once.
    await expect
      .poll(async () => (await kms.b.api<{ cluster: { state: string; queued: number } }>('/v1/health')).body.cluster, {
        timeout: 60_000,
        interval: 200,
      })
      .toMatchObject({ state: 'ok', queued: 0 });
    await expect.poll(() => storedFor(STA3), { timeout: 20_000 }).toEqual({ ap2: 1, ap3: 1, ap4: 0 });
    await expect.poll(async () => (await view(kms.b)).members.every((m) => m.registered), { timeout: 30_000, interval: 200 }).toBe(true);
    expect((await view(kms.b)).work).toEqual({ holder: 'a', self: false });
    expect(storedFor(STA1)).toEqual({ ap2: 1, ap3: 1, ap4: 1 });
    expect(storedFor(STA2)).toEqual({ ap2: 1, ap3: 1, ap4: 0 });
  });
});
