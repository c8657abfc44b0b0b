import { silentLog } from '../daemon/log/log.js';
import { writeMac } from '../daemon/common/mac.js';
import { Topology, type ApInfo } from '../daemon/distribution/topology.js';
import type { ApEvent } from '../daemon/ports/ap-driver.js';
import { dbmToRcpi } from '../daemon/neighbors/beacon-report.js';
import { RfGraph } from '../daemon/neighbors/rf-graph.js';
import { NeighborService } from '../daemon/neighbors/service.js';

// RF-neighbour discovery at 6,000 APs (80 × 75 grid, 15 m apart, log-distance path loss): the cost
// of one beacon report inside the KMS (BEACON-RESP-RX body parsed, BSSID looked up, graph edge
// updated: the path NeighborService.onApEvent takes), the incremental re-ranking of the APs a
// report touched, and next to it the naive design that re-ranks every AP after each report. Text
// line parsing (adapters/hostapd) and the network are not included.

const COLS = 80;
const ROWS = 75;
const SPACING = 15;
const mac = (i: number) =>
  `02:00:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}:00`;

function body(bssid: string, dbm: number): Buffer {
  const b = Buffer.alloc(26);
  b[0] = 115;
  b[1] = 36;
  b.writeUInt16LE(100, 10);
  b[12] = 7;
  b[13] = dbmToRcpi(dbm);
  b[14] = 255;
  writeMac(bssid, b, 15);
  return b;
}

/** mulberry32 */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Beacon-report events from stations at random spots: serving AP, then its 24 strongest neighbours. */
function reports(n: number, seed: number): { ap: string; ev: ApEvent }[] {
  const r = rng(seed);
  const out: { ap: string; ev: ApEvent }[] = [];
  while (out.length < n) {
    const x = r() * (COLS - 1);
    const y = r() * (ROWS - 1);
    const heard: [number, number][] = [];
    for (let gx = Math.max(0, Math.round(x) - 4); gx <= Math.min(COLS - 1, Math.round(x) + 4); gx++) {
      for (let gy = Math.max(0, Math.round(y) - 4); gy <= Math.min(ROWS - 1, Math.round(y) + 4); gy++) {
        const d = Math.max(1, Math.hypot(gx - x, gy - y) * SPACING);
        heard.push([gy * COLS + gx, -35 - 30 * Math.log10(d) + 3 * (r() + r() + r() - 1.5)]);
      }
    }
    heard.sort((p, q) => q[1] - p[1]);
    const ap = `ap${heard[0]![0]}`;
    for (const [i, dbm] of heard.slice(1, 25)) {
      out.push({
        ap,
        ev: { type: 'beacon-report', ifname: 'wlan0', staMac: '02:00:00:00:00:41', token: 1, reportMode: 0, body: body(mac(i), dbm) },
      });
    }
  }
  return out.slice(0, n);
}

const us = (ms: number, n: number) => ((ms * 1000) / n).toFixed(2);

export function benchNeighbors(): string[] {
  const aps: ApInfo[] = Array.from({ length: COLS * ROWS }, (_, i) => ({
    name: `ap${i}`,
    nasIdentifier: `ap${i}`,
    radiusAddress: `10.${i >> 8}.${i & 0xff}.1`,
    bsses: [{ ap: `ap${i}`, ifname: 'wlan0', bssid: mac(i), r1khId: mac(i) }],
  }));
  const topology = new Topology(aps);
  let now = 1_760_000_000_000;
  const graph = new RfGraph({ now: () => now });
  const service = new NeighborService(
    {
      beaconRequest: {
        enabled: false,
        mode: 'table',
        durationTu: 100,
        intervalS: 3600,
        perStationMinIntervalS: 600,
        afterJoinDelayS: 5,
        failMemoryS: 86_400,
        maxPerTick: 20,
      },
      neighborReports: { enabled: false, minIntervalS: 60, maxPerTick: 20, mobilityDomainBit: true, keyScope: true, ssid: 'bench' },
      roamWindowS: 10,
      radioWeight: 0.5,
      radioSampleS: 10,
      persistIntervalS: 60,
      ageIntervalS: 600,
    },
    { graph, topology, driverFor: () => null, store: null, log: silentLog, now: () => now },
  );
  service.start();
  graph.flush();

  // Warm-up: a day's worth of reports so every AP has its neighbourhood (and V8 has compiled the path).
  for (const { ap, ev } of reports(600_000, 1)) service.onApEvent(ap, ev);
  graph.flush();
  const warm = graph.stats();

  // 1. Cost per beacon report: parse + lookup + edge update (marks the AP dirty).
  const batch = reports(300_000, 2);
  now += 60_000;
  let t0 = performance.now();
  for (const { ap, ev } of batch) service.onApEvent(ap, ev);
  const updateMs = performance.now() - t0;

  // 2. Incremental re-ranking: the dirty APs of that batch, then one report + flush at a time.
  t0 = performance.now();
  const dirtyAps = graph.stats().dirty;
  graph.flush();
  const flushMs = performance.now() - t0;
  const single = reports(20_000, 3);
  t0 = performance.now();
  for (const { ap, ev } of single) service.onApEvent(ap, ev), graph.flush();
  const perReportIncrementalMs = performance.now() - t0;

  // 3. Full recomputation of all 6,000 lists (the ageing sweep does this every ageIntervalS), and
  //    the naive design: the same full recomputation after every report.
  const fullRuns: number[] = [];
  for (let i = 0; i < 10; i++) {
    now += 1000;
    t0 = performance.now();
    graph.recomputeAll();
    fullRuns.push(performance.now() - t0);
  }
  fullRuns.sort((a, b) => a - b);
  const naive = reports(50, 4);
  t0 = performance.now();
  for (const { ap, ev } of naive) service.onApEvent(ap, ev), graph.recomputeAll();
  const naivePerReportMs = (performance.now() - t0) / naive.length;
  t0 = performance.now();
  now += 600_000;
  const aged = graph.age();
  const ageMs = performance.now() - t0;

  const s = graph.stats();
  const incrUs = (perReportIncrementalMs * 1000) / single.length;
  const rows: [string, string][] = [
    [
      'beacon report → graph (parse 26-octet body, BSSID → AP, edge update)',
      `${us(updateMs, batch.length)} µs/report (${batch.length.toLocaleString('en-US')} reports)`,
    ],
    [`incremental re-ranking of the ${dirtyAps} APs that batch touched`, `${flushMs.toFixed(1)} ms = ${us(flushMs, dirtyAps)} µs/AP`],
    ['one report + incremental re-ranking (what a live report costs)', `${incrUs.toFixed(2)} µs/report`],
    [
      `full recomputation of all ${s.aps} lists (ageing sweep)`,
      `${fullRuns[5]!.toFixed(1)} ms median of 10 (min ${fullRuns[0]!.toFixed(1)})`,
    ],
    [
      'naive: full recomputation after every report',
      `${naivePerReportMs.toFixed(1)} ms/report = ${((naivePerReportMs * 1000) / incrUs).toFixed(0)}x the incremental cost`,
    ],
    ['ageing sweep incl. freeing dead edges', `${ageMs.toFixed(1)} ms (${aged.removed} edges freed, ${aged.changed.length} lists changed)`],
  ];
  return [
    `graph: ${s.aps} APs, ${s.edges} edges (cap ${s.aps * graph.o.maxEdgesPerAp}), edge arrays ${(s.edgeBytes / 1e6).toFixed(1)} MB; warmed with ${(600_000).toLocaleString('en-US')} reports (${warm.edges} edges then)`,
    ...rows.map(([label, value]) => `${label.padEnd(72)} ${value}`),
  ];
}
