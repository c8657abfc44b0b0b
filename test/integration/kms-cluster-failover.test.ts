import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { calledStationId, runEapolTest } from '../helpers/eapol-test.js';
import { startKms, type KmsHandle } from '../helpers/kms.js';
import { canUseNetns, createNetns, createVeth, runChecked, type Netns, type VethPair } from '../helpers/netns.js';
import { openL2Socket, type L2Transport } from '../../adapters/rrb/l2-socket.js';
import { HostapdR1kh } from '../unit/rrb/hostapd-r1kh.js';
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
      cluster: {
        member: name,
        members: [
          { name: 'a', radiusAddress: '127.0.0.1' },
          { name: 'b', radiusAddress: '127.0.0.1' },
        ],
        etcd: { endpoints: etcd.endpoints(), prefix: '/failover-test/' },
        leaseTtlS: 3,
      },
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
    expect(kms.a.logs()).toMatch(/"key sent"/);
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
});
