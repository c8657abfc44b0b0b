import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLog } from '../daemon/log/log.js';
import { SqliteRecordStore } from '../adapters/store/sqlite-store.js';
import { RrbEndpoint } from '../adapters/rrb/endpoint.js';
import type { L2Transport } from '../adapters/rrb/l2-socket.js';
import { StationTable } from '../daemon/records/station-table.js';
import { StationRecorder } from '../daemon/records/recorder.js';
import type { StationRecord } from '../daemon/records/station.js';
import { StationLife } from '../daemon/stations/station-life.js';
import { KeyDistributor } from '../daemon/distribution/distributor.js';
import { StaticNeighbors, Topology, type ApInfo } from '../daemon/distribution/topology.js';
import type { AccessAcceptFacts } from '../daemon/records/facts.js';
import { AKM } from '../daemon/keys/index.js';
import { percentile } from './radius-load.js';

// Key distribution cost inside the KMS: from the Access-Accept's facts reaching the recorder
// (record built, PMK-R0 derived, committed, as on kmsd's RADIUS thread) through StationLife's
// learned event to the last PUSH frame handed to the link,
// with the real RrbEndpoint (PMK-R1 + AES-SIV + framing per neighbour) and SQLite ledger. The
// link is a local sink: "local endpoints", no AP in the loop.

const sink = (): L2Transport & { frames: number } => {
  const t = {
    mac: '02:00:00:00:09:00',
    frames: 0,
    send: () => {
      t.frames++;
    },
    onFrame: () => {},
    close: () => {},
  };
  return t;
};

const mac = (prefix: number, n: number) =>
  `02:${prefix.toString(16).padStart(2, '0')}:${((n >> 16) & 0xff).toString(16).padStart(2, '0')}:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}:00`;

function world(apCount: number, neighbours: number) {
  const aps: ApInfo[] = Array.from({ length: apCount }, (_, i) => ({
    name: `ap${i}`,
    nasIdentifier: `ap${i}.bench`,
    radiusAddress: `10.${(i >> 8) & 0xff}.${i & 0xff}.1`,
    bsses: [{ ap: `ap${i}`, ifname: 'wlan0', bssid: mac(0xa0, i), r1khId: mac(0xa0, i) }],
  }));
  const lists = new Map(aps.map((_, i) => [`ap${i}`, Array.from({ length: neighbours }, (_, k) => `ap${(i + k + 1) % apCount}`)]));
  return { aps, topology: new Topology(aps), neighbours: new StaticNeighbors(lists) };
}

async function setup(apCount: number, neighbours: number) {
  const dir = mkdtempSync(join(tmpdir(), 'kms-bench-dist-'));
  const store = new SqliteRecordStore(join(dir, 'kms.sqlite'), randomBytes(32));
  const table = new StationTable(store);
  const recorder = new StationRecorder(store, { defaultLifetimeS: 3600, machineAuthWindowS: 0 });
  const life = new StationLife({ stations: table, places: null, log: { info() {} } });
  const link = sink();
  const key = randomBytes(32);
  const endpoint = new RrbEndpoint(link, { keyFor: () => key, pullHandler: () => null });
  const w = world(apCount, neighbours);
  const distributor = new KeyDistributor({
    topology: w.topology,
    neighbors: w.neighbours,
    pusher: endpoint,
    rrbPeerFor: (bss) => ({ mac: bss.bssid, r1khId: bss.r1khId, key }),
    controlFor: () => null,
    stations: table,
    ledger: store.placements,
    policy: {
      keyLifetimeS: 3600,
      repushMarginS: 300,
      ssid: 'bench',
      mobilityDomain: 'a1b2',
      retry: { maxQueuedPerAp: 10, baseDelayMs: 1000, maxDelayMs: 1000 },
    },
    logger: silentLog,
  });
  life.subscribe(distributor);
  const msk = randomBytes(64);
  const facts = (n: number): AccessAcceptFacts => {
    const ap = w.aps[n % apCount]!;
    return {
      staMac: mac(0x5a, n),
      clientAddress: ap.radiusAddress,
      nasIdentifier: ap.nasIdentifier,
      bssid: ap.bsses[0]!.bssid,
      ssid: 'bench',
      mdid: 'a1b2',
      akm: AKM.FT_IEEE8021X,
      pairwiseCipher: 0x000fac04,
      userName: `user${n}`,
      cui: null,
      classes: [],
      vlan: { untagged: 100, tagged: [] },
      filterId: null,
      arubaUserRole: null,
      sessionTimeout: 3600,
      acctSessionId: null,
      msk,
    };
  };
  const learn = async (n: number) => {
    const f = facts(n);
    const { json, news } = await recorder.record(f);
    await life.adopt(JSON.parse(json) as StationRecord, news);
  };
  return {
    learn,
    link,
    close: () => {
      distributor.stop();
      endpoint.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function benchDistribution(): Promise<string[]> {
  const lines: string[] = [];
  for (const n of [8, 16]) {
    const s = await setup(64, n);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) await s.learn(i); // warm-up
    for (let i = 200; i < 1200; i++) {
      const t0 = performance.now();
      await s.learn(i);
      times.push(performance.now() - t0);
    }
    lines.push(
      `Accept -> last key placed, ${String(n).padStart(2)} neighbours: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms (goal for 8: p99 < 10 ms); ${s.link.frames} PUSH frames`,
    );
    s.close();
  }
  const s = await setup(2000, 8);
  const total = 32_000;
  const t0 = performance.now();
  // 64 stations in flight at a time, like bursts of Accepts arriving together.
  for (let i = 0; i < total; i += 64) await Promise.all(Array.from({ length: Math.min(64, total - i) }, (_, k) => s.learn(i + k)));
  const secs = (performance.now() - t0) / 1000;
  lines.push(
    `synthetic campus, 2,000 APs / 32,000 stations, 8 neighbours each: ${(total / secs).toFixed(0)} new records/s with keys on all neighbours (goal 2,000/s), ${s.link.frames} PUSH frames in ${secs.toFixed(1)} s, one core`,
  );
  s.close();
  return lines;
}
