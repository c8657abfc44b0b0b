import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { runEapolTest, calledStationId } from '../helpers/eapol-test.js';
import { startKms, metricValue, type KmsHandle } from '../helpers/kms.js';
import { canUseNetns, createNetns, createVeth, runChecked, type Netns, type VethPair } from '../helpers/netns.js';
import { openL2Socket, type L2Transport } from '../../adapters/rrb/l2-socket.js';
import { HostapdR1kh } from '../unit/rrb/hostapd-r1kh.js';
import { AKM, derivePmkR0, derivePmkR1 } from '../../daemon/keys/index.js';
import { macToBytes } from '../../daemon/common/mac.js';
import type { Placement } from '../../daemon/distribution/placement.js';
import { realtimePriorityOf } from '../../daemon/common/thread-priority.js';

// kmsd end to end with key distribution: a station authenticates (eapol_test, PEAP, FT-EAP)
// through kmsd to FreeRADIUS at "ap1"; kmsd PUSHes PMK-R1s over raw Ethernet to ap1's
// neighbours ap2 and ap3 before any roam, and answers a PULL from ap4, which is no neighbour.
// The APs here are the independent hostapd-like R1KH from the RRB tests on a bridged veth
// segment; the same with real hostapd runs in the virtual lab (test/lab/kms.test.ts).

const SSID = 'kms-lab';
const STA = '02:00:00:00:01:00';
const KEYS = { ap2: 'a2'.repeat(32), ap3: 'a3'.repeat(32), ap4: 'a4'.repeat(32) };
const MACS = { kms: '02:00:00:00:09:00', ap2: '02:00:00:00:04:00', ap3: '02:00:00:00:05:00', ap4: '02:00:00:00:06:00' };

describe.skipIf(!canUseNetns())('kmsd places keys on neighbour APs', () => {
  let ns: Netns;
  const links: VethPair[] = [];
  const l2: L2Transport[] = [];
  const peers: Record<'ap2' | 'ap3' | 'ap4', HostapdR1kh> = {} as never;
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;

  beforeAll(async () => {
    ns = await createNetns('dist');
    await ns.run('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await ns.run('ip', ['link', 'set', 'br0', 'up']);
    for (const mac of [MACS.kms, MACS.ap2, MACS.ap3, MACS.ap4]) {
      const pair = await createVeth({ netns: ns }, { netns: null, mac });
      await runChecked('ip', ['-n', ns.name, 'link', 'set', pair.a.ifname, 'master', 'br0']);
      links.push(pair);
    }
    (['ap2', 'ap3', 'ap4'] as const).forEach((name, i) => {
      const sock = openL2Socket(links[i + 1]!.b.ifname);
      l2.push(sock);
      peers[name] = new HostapdR1kh(sock, MACS[name], { addr: MACS.kms, key: Buffer.from(KEYS[name], 'hex') });
    });
    aaa = await startFreeRadius({ secret: 'aaa' });
    const ap = (n: number, neighbors: string[], bssid: string, key: string) => ({
      name: `ap${n}`,
      nasIdentifier: `ap${n}.example.com`,
      radiusClient: `ap${n}`,
      rrbKey: key,
      bsses: [{ ifname: 'wlan0', bssid }],
      neighbors,
    });
    kms = await startKms({
      clients: [1, 2, 3, 4].map((n) => ({ name: `ap${n}`, address: `127.0.0.${n}`, secret: 'ap-secret' })),
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: 'aaa' }],
      distribution: {
        ssid: SSID,
        mobilityDomain: 'a1b2',
        kmsRadiusAddress: '127.0.0.1',
        rrb: { interface: links[0]!.b.ifname },
        keyLifetimeS: 1800,
        // RF discovery on: with no reports yet, the static lists act as pinned neighbours.
        neighbors: { enabled: true },
        aps: [
          ap(1, ['ap2', 'ap3'], '02:00:00:00:03:00', 'a1'.repeat(32)),
          ap(2, ['ap1'], MACS.ap2, KEYS.ap2),
          ap(3, ['ap1'], MACS.ap3, KEYS.ap3),
          ap(4, [], MACS.ap4, KEYS.ap4),
        ],
      },
    });
  });

  afterAll(async () => {
    await kms?.stop();
    await aaa?.stop();
    for (const s of l2) s.close();
    for (const l of links) await l.destroy();
    await ns?.destroy();
  });

  it('at start kmsd runs the sequence exchanges with every AP for the R0KH-IDs it will push under', async () => {
    // A site this small warms every pair: each AP learns the KMS under every other AP's R0KH-ID
    // (it asks for our state, answers our SEQ_REQ, then drops the probe, which names no station),
    // ap4 too, though it is nobody's neighbour: its roam-time PULL then waits for no exchange.
    for (const name of ['ap2', 'ap3', 'ap4'] as const) {
      await expect.poll(() => peers[name].log.filter((l) => l === 'drop PUSH without S1KH-ID').length, { timeout: 10_000 }).toBe(3);
      expect(peers[name].log.filter((l) => l === 'seq synced')).toHaveLength(3);
      expect(peers[name].stored).toEqual([]);
    }
  });

  it('answers R0KH-R1KH frames on a real-time thread raised above the service while the main thread runs nicer', () => {
    const open = kms
      .logs()
      .split('\n')
      .find((l) => l.includes('"R0KH-R1KH endpoint open"'))!;
    const tid = Number(JSON.parse(open).rrbThread);
    const pid = kms.process.pid!;
    const nice = (t: number) => {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16]);
    };
    expect(tid).not.toBe(pid);
    expect(nice(tid)).toBe(-10); // distribution.rrb.priorityBoost's default (root may)
    expect(nice(pid)).toBe(10);
    // distribution.rrb.realtimePriority's default: that thread alone runs SCHED_RR 1.
    expect(JSON.parse(open).realtime).toBe(1);
    expect(realtimePriorityOf(tid, pid)).toBe(1);
    expect(realtimePriorityOf(pid, pid)).toBeNull();
    // The main thread's store statements, and the adoption of each learned record (up to its
    // first PUSHes), run at that thread's nice value (the main thread's priority ceiling).
    const niced = kms
      .logs()
      .split('\n')
      .find((l) => l.includes('"main thread runs nicer than the RADIUS thread'))!;
    expect(JSON.parse(niced)).toMatchObject({ nice: 10, storeStatementsAt: -10, adoptionsAt: -10 });
  });

  it('a join at ap1 puts the right PMK-R1 on ap2 and ap3 before any roam, with VLAN and identity', async () => {
    const before = { ap2: peers.ap2.log.length, ap3: peers.ap3.log.length };
    const r = await runEapolTest({
      server: { address: '127.0.0.1', port: kms.authPort, secret: 'ap-secret' },
      identity: 'alice',
      password: 'password',
      caCertPath: aaa.caCertPath,
      nasIdentifier: 'ap1.example.com',
      calledStationId: calledStationId('02:00:00:00:03:00', SSID),
      stationMac: STA,
      mobilityDomainId: 'a1b2',
      akmSuite: AKM.FT_IEEE8021X,
      pairwiseCipher: 0x000fac04,
    });
    expect(r.success).toBe(true);
    await expect.poll(() => peers.ap2.stored.length + peers.ap3.stored.length, { timeout: 5000 }).toBe(2);
    const r0 = derivePmkR0({
      xxKey: r.msk!.subarray(32),
      ssid: Buffer.from(SSID),
      mdid: Buffer.from('a1b2', 'hex'),
      r0khId: Buffer.from('ap1.example.com'),
      s0khId: macToBytes(STA),
    });
    for (const name of ['ap2', 'ap3'] as const) {
      const [stored] = peers[name].stored;
      expect(stored).toMatchObject({ staMac: STA, r0khId: 'ap1.example.com' });
      expect(stored!.session.pmkR1.equals(derivePmkR1(r0.pmkR0, macToBytes(MACS[name]), macToBytes(STA)))).toBe(true);
      expect(stored!.session).toMatchObject({ pairwise: 0x10, expiresIn: 1800, vlan: { untagged: 100, tagged: [] } });
    }
    expect(peers.ap4.stored).toHaveLength(0);
    // Warmed up at start: each PUSH went straight in, no sequence exchange held it.
    expect(peers.ap2.log.slice(before.ap2)).toEqual(['stored PUSH']);
    expect(peers.ap3.log.slice(before.ap3)).toEqual(['stored PUSH']);
    const placements = await kms.kmsctlJson<Placement[]>(['placements', STA]);
    expect(placements.map((p) => [p.ap, p.kind, p.via, p.state]).sort()).toEqual([
      ['ap2', 'ft', 'push', 'sent'],
      ['ap3', 'ft', 'push', 'sent'],
    ]);
  });

  it('a PULL from an AP that is no neighbour is answered with the PMK-R1 for it', async () => {
    const rec = await kms.kmsctlJson<{ pmkR0Name: string }>(['station', STA]);
    const before = peers.ap4.log.length;
    const res = await peers.ap4.pull(STA, 'ap1.example.com', Buffer.from(rec.pmkR0Name, 'hex'), 4000);
    expect(res.ok).toBe(true);
    // Both sequence states were set up ahead: the PULL went out alone and its answer straight in.
    expect(peers.ap4.log.slice(before)).toEqual(['tx PULL']);
    const wrong = await peers.ap4.pull(STA, 'ap1.example.com', Buffer.alloc(16, 7), 4000);
    expect(wrong).toEqual({ ok: false, nak: true });
    // The R0KH-R1KH thread answers first; the ledger, the metrics and the log line follow on the main thread.
    await expect.poll(() => kms.logs(), { timeout: 10_000 }).toMatch(/PULL answered with NAK/);
    const m = await kms.metrics();
    expect(metricValue(m, 'kms_keys_placed_total', { kind: 'ft', via: 'push' })).toBe(2);
    expect(metricValue(m, 'kms_keys_placed_total', { kind: 'ft', via: 'pull' })).toBe(1);
  });

  it('kmsctl neighbors shows the graph, as a table and as an SVG picture', async () => {
    const table = await kms.kmsctl(['neighbors', 'ap1']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/ap2/);
    expect(table.stdout).toMatch(/ap3/);
    const svg = await kms.kmsctl(['neighbors', '--svg', '-']);
    expect(svg.stdout).toMatch(/^<\?xml|^<svg/);
    expect((svg.stdout.match(/<circle/g) ?? []).length).toBeGreaterThanOrEqual(4);
    const api = await kms.api<{ aps: { name: string; neighbors: { ap: string; pinned: boolean }[] }[] }>('/v1/neighbors');
    expect(
      api.body.aps
        .find((a) => a.name === 'ap1')!
        .neighbors.map((n) => [n.ap, n.pinned])
        .sort(),
    ).toEqual([
      ['ap2', true],
      ['ap3', true],
    ]);
  });

  it('a restarted kmsd does not push the same keys again', async () => {
    await kms.restart();
    // a re-authentication-free restart: nothing new to place, the ledger says they are there
    await new Promise((r) => setTimeout(r, 500));
    expect(peers.ap2.stored.length + peers.ap3.stored.length).toBe(2);
    const placements = await kms.kmsctlJson<Placement[]>(['placements', STA]);
    expect(placements.filter((p) => p.state === 'sent')).toHaveLength(3);
  });
});
