import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { calledStationId, runEapolTest } from '../helpers/eapol-test.js';
import { clusterOptions, metricValue, startKms, type KmsHandle } from '../helpers/kms.js';
import { papRequest } from '../helpers/radius-client.js';
import { Code } from '../../adapters/radius/codes.js';
import { EtcdKv } from '../../adapters/etcd/etcd-kv.js';
import { AKM } from '../../daemon/keys/index.js';
import type { StationView } from '../../daemon/api/views.js';

// Two kmsd instances on one 3-member etcd (docs/cluster.md), real FreeRADIUS behind them, real
// EAP peers (eapol_test) and PAP bursts as the APs: a login through one member is known to the
// other with the same key names; every Accept relayed is in etcd before the AP has it, even when
// the member is killed in a burst; a cluster without quorum costs no login, and what was relayed
// meanwhile reaches etcd once it is back.

const UP = 'kms-to-aaa-secret';
const AP = 'ap-to-kms-secret';
const PREFIX = '/kms-test/';
const MASTER = randomBytes(32).toString('hex');

let etcd: EtcdCluster;
let aaa: FreeRadiusHandle;
let a: KmsHandle;
let b: KmsHandle;
let reader: EtcdKv;

const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (let d = 20; ; d = Math.min(500, d * 2)) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, d));
  }
};

function member(name: string): Promise<KmsHandle> {
  return startKms({
    logLevel: 'info',
    masterKeyHex: MASTER,
    clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
    upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: UP }],
    cluster: clusterOptions({ member: name, endpoints: etcd.endpoints(), prefix: PREFIX, tuning: { commitTimeoutMs: 500 } }),
  });
}

/** The station entries etcd holds now: station MAC → the entry's record (parsed) and member. */
async function etcdStations(): Promise<Map<string, { member: string; record: { pmkR0Name: string | null; authenticatedAt: number } }>> {
  const { entries } = await reader.list(`${PREFIX}stations/`, 5000);
  const out = new Map();
  for (const e of entries) {
    const v = JSON.parse(e.value.toString()) as { member: string; record: string };
    out.set(e.key.slice(`${PREFIX}stations/`.length), { member: v.member, record: JSON.parse(v.record) });
  }
  return out;
}

const sta = (block: number, i: number) =>
  `02:00:${block.toString(16).padStart(2, '0')}:01:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;

/**
 * PAP logins for `n` stations sent to `kms` at about `ratePerS`; resolves with the stations whose
 * Access-Accept came back. One socket per 256 requests, so (socket, identifier) names one station.
 * `during(accepted)` runs after each send and may stop the burst by returning true.
 */
async function papBurst(
  kms: KmsHandle,
  block: number,
  n: number,
  o: { ratePerS: number; waitMs: number; during?: (accepted: string[]) => Promise<boolean> },
): Promise<{ sent: number; accepted: string[] }> {
  const accepted: string[] = [];
  const sockets: Socket[] = [];
  const names = new Map<string, string>();
  let sent = 0;
  const started = performance.now();
  let last = performance.now();
  for (let i = 0; i < n; i++) {
    const s = i >> 8;
    if (!sockets[s]) {
      const socket = createSocket('udp4');
      socket.on('message', (msg) => {
        const name = names.get(`${s}:${msg[1]}`);
        if (name && msg[0] === Code.AccessAccept) {
          accepted.push(name);
          last = performance.now();
        }
      });
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
      sockets[s] = socket;
    }
    const station = sta(block, i);
    names.set(`${s}:${i & 0xff}`, station);
    sockets[s]!.send(
      papRequest({ secret: AP, user: 'bob', password: 'hunter2hunter2', station, identifier: i & 0xff }),
      kms.authPort,
      '127.0.0.1',
    );
    sent++;
    // Paced by the clock, not by sleeps of a fixed length: a busy machine sends late, not fewer.
    const due = started + ((i + 1) * 1000) / o.ratePerS;
    const ahead = due - performance.now();
    if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
    if (o.during && (await o.during(accepted))) break;
  }
  // Answers still on their way: wait until none came for waitMs.
  while (performance.now() - last < o.waitMs) await new Promise((r) => setTimeout(r, 50));
  for (const s of sockets) s.close();
  return { sent, accepted };
}

beforeAll(async () => {
  etcd = await startEtcdCluster({ size: 3 });
  reader = new EtcdKv({ endpoints: etcd.endpoints() });
  aaa = await startFreeRadius({ secret: UP, debug: false });
  a = await member('a');
  b = await member('b');
}, 300_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await reader?.close();
  await aaa?.stop();
  await etcd?.stop();
});

describe('two kmsd members on one etcd', () => {
  it('registers both members, and a login through A is readable through B with the same PMKR0Name', async () => {
    const seen = await waitFor('both members registered', async () => {
      const r = await a.kmsctlJson<{ members: { name: string; registered: boolean }[] }>(['cluster']);
      return r.members.every((m) => m.registered) ? r : undefined;
    });
    expect(seen.members.map((m) => m.name)).toEqual(['a', 'b']);

    const station = '02:00:00:00:0a:01';
    const r = await runEapolTest({
      server: { address: '127.0.0.1', port: a.authPort, secret: AP },
      method: 'PEAP',
      identity: 'alice',
      password: 'password',
      caCertPath: aaa.caCertPath,
      nasIdentifier: 'ap1.example.com',
      calledStationId: calledStationId('02:00:00:00:03:00', 'kms-test'),
      stationMac: station,
      mobilityDomainId: 'a1b2',
      akmSuite: AKM.FT_IEEE8021X,
      pairwiseCipher: 0x000fac04,
    });
    expect(r.success).toBe(true);
    const atA = await a.kmsctlJson<StationView>(['station', station]);
    expect(atA.pmkR0Name).toMatch(/^[0-9a-f]{32}$/);
    const atB = await waitFor('the record at B', async () => {
      const res = await b.kmsctl(['station', station, '--json']);
      return res.code === 0 ? (JSON.parse(res.stdout) as StationView) : undefined;
    });
    expect(atB.pmkR0Name).toBe(atA.pmkR0Name);
    expect(atB.identity).toBe(atA.identity);
    expect(atB.vlan).toEqual(atA.vlan);
    // B holds the keys too (sealed under the shared master key): it can name the PMKID.
    const pmkidA = await a.kmsctlJson<StationView>(['station', station, '--bssid', '02:00:00:00:04:00']);
    const pmkidB = await b.kmsctlJson<StationView>(['station', station, '--bssid', '02:00:00:00:04:00']);
    expect(pmkidB.pmkid).toMatch(/^[0-9a-f]{32}$/);
    expect(pmkidB.pmkid).toBe(pmkidA.pmkid);

    const inEtcd = (await etcdStations()).get(station);
    expect(inEtcd?.member).toBe('a');
    expect(inEtcd?.record.pmkR0Name).toBe(atA.pmkR0Name);
    const viewB = await b.kmsctlJson<{ replication: { imported: number; watching: boolean } }>(['cluster']);
    expect(viewB.replication.watching).toBe(true);
    expect(viewB.replication.imported).toBeGreaterThanOrEqual(1);
    const text = await b.kmsctl(['cluster']);
    expect(text.stdout).toMatch(/replication: watching/);

    // A revocation through A reaches B's record too: no member would place or answer for it.
    const revoke = await a.kmsctl(['revoke', station, '--reason', 'cluster test']);
    expect(revoke.code, revoke.stderr).toBe(0);
    await waitFor('the revocation at B', async () => {
      const v = await b.kmsctlJson<StationView & { revoked?: { reason: string } }>(['station', station]);
      return v.revoked ? v : undefined;
    });
  });

  it('has every relayed Accept in etcd when A is killed with -9 in the middle of a burst', async () => {
    let killed = false;
    const { sent, accepted } = await papBurst(a, 1, 4000, {
      ratePerS: 1000,
      waitMs: 1000,
      during: async (acc) => {
        if (killed || acc.length < 600) return false;
        await a.kill9();
        killed = true;
        return true;
      },
    });
    expect(killed).toBe(true);
    expect(sent).toBeLessThan(4000);
    expect(accepted.length).toBeGreaterThanOrEqual(600);
    const there = await etcdStations();
    const missing = accepted.filter((s) => !there.has(s));
    expect(missing).toEqual([]);
    // B has them all too, through the watch.
    await waitFor('B to hold every accepted station', async () => {
      const { body } = await b.api<{ stations: { staMac: string }[] }>('/v1/stations');
      const have = new Set(body.stations.map((s) => s.staMac));
      return accepted.every((s) => have.has(s)) ? true : undefined;
    });
    await a.restart();
    // A comes back with nothing queued: every record it relayed was committed first.
    const back = await waitFor('A registered again', async () => {
      const r = await a.kmsctlJson<{ members: { name: string; registered: boolean }[]; commit: { queued: number } | null }>(['cluster']);
      return r.members.every((m) => m.registered) && r.commit ? r : undefined;
    });
    expect(back.commit!.queued).toBe(0);
  });

  it('relays logins while etcd has no quorum, and replays them to etcd once it is back', async () => {
    const leader = await etcd.leader();
    await leader.kill9();
    const second = etcd.members.find((m) => m !== leader && m.process() !== null)!;
    await second.kill9();

    const { accepted } = await papBurst(a, 2, 100, { ratePerS: 200, waitMs: 1500 });
    // Not one login lost to the cluster: FreeRADIUS accepts bob, so every one is accepted.
    expect(accepted.length).toBe(100);
    const degraded = await a.api<{ cluster: { state: string; queued: number } }>('/v1/health');
    expect(degraded.body.cluster.state).toBe('degraded');
    expect(degraded.body.cluster.queued).toBeGreaterThanOrEqual(100);
    expect(metricValue(await a.metrics(), 'kms_ha_records_queued')).toBeGreaterThanOrEqual(100);
    expect(a.logs()).toMatch(/cluster store not committing/);

    await leader.restart();
    await second.restart();
    await etcd.waitHealthy(120_000);
    await waitFor(
      'the outbox to drain',
      async () => {
        const h = await a.api<{ cluster: { state: string; queued: number } }>('/v1/health');
        return h.body.cluster.state === 'ok' && h.body.cluster.queued === 0 ? true : undefined;
      },
      120_000,
    );
    expect(a.logs()).toMatch(/cluster store committing again/);
    const there = await etcdStations();
    expect(accepted.filter((s) => there.get(s)?.member !== 'a')).toEqual([]);
    await waitFor('B to hold the replayed stations', async () => {
      const { body } = await b.api<{ stations: { staMac: string }[] }>('/v1/stations');
      const have = new Set(body.stations.map((s) => s.staMac));
      return accepted.every((s) => have.has(s)) ? true : undefined;
    });
    const m = await a.metrics();
    // A replayed write that timed out may still land; the next round then finds it there already.
    const replayed = metricValue(m, 'kms_ha_records_total', { how: 'replayed' });
    const superseded = metricValue(m, 'kms_ha_records_total', { how: 'superseded' });
    expect(replayed).toBeGreaterThan(0);
    expect(replayed + superseded).toBeGreaterThanOrEqual(100);
    expect(metricValue(m, 'kms_ha_records_queued')).toBe(0);
  });
});
