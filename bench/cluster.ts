import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Code } from '../adapters/radius/codes.js';
import { until } from '../hw/vlab/guest/exec.js';
import { startEtcdCluster, type EtcdCluster } from '../test/helpers/etcd-cluster.js';
import type { FreeRadiusHandle } from '../test/helpers/freeradius.js';
import { clusterOptions, metricValue, startKms, type KmsHandle } from '../test/helpers/kms.js';
import { papRequest } from '../test/helpers/radius-client.js';
import { histogramDelta, histogramLine, histogramSum, readHistogram, type Histogram } from './prom-histogram.js';
import { openLoop, percentile, type LoadTarget } from './radius-load.js';
import {
  benchKmsOptions,
  cpuMs,
  measureLatency,
  median,
  range,
  RATE,
  ROUNDS,
  SECONDS,
  SECRET,
  settle,
  startBenchUpstream,
  USER,
  WARMUP_SECONDS,
} from './radius.js';

// What a cluster (docs/cluster.md) costs a login, and how soon the other member knows it. On one
// machine: a 3-member etcd, two kmsd members A and B with one master key, a single kmsd without
// `cluster:`, and the FreeRADIUS upstream of bench/radius.ts behind all of them.
//
// 1. Added latency of the Accept relay: the radius bench's open loop at RATE through the single
//    kmsd and through A, in interleaved rounds after a warm-up, each after the machine settled;
//    per round A minus single is what the cluster adds. A's own kms_ha_commit_seconds (the etcd
//    wait of each group commit) is read over the same rounds, and so are the records A relayed
//    before etcd had them (past commitTimeoutMs): a round that overran etcd leaves an outbox that
//    A replays, so each cluster round waits for it to drain first. B imports A's records
//    meanwhile and etcd runs too, on the same cores: the CPU per request of each is printed,
//    since a real cluster's B and etcd would not compete with A for a CPU.
// 2. Replication lag: STATIONS logins through A one at a time, paced; for each, from the Accept
//    at this client to B's API answering 200 for the station (polled every ms, so the figure
//    includes an API round trip, printed too), and B's kms_ha_replication_lag_seconds over the
//    same records (A's entry built just before its etcd transaction → row in B's SQLite; one clock).

const STATIONS = Number(process.env.KMS_BENCH_CLUSTER_STATIONS ?? 1000);
const PACE_PER_S = Number(process.env.KMS_BENCH_CLUSTER_PACE ?? 100);
const PREFIX = '/kms-bench/';
/** How long a station may take to show up at B before it counts as missing. */
const MISSING_AFTER_MS = 5000;

const ms = (x: number) => `${x.toFixed(3)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const ETCD_COUNTERS = [
  'etcd_server_leader_changes_seen_total',
  'etcd_server_heartbeat_send_failures_total',
  'etcd_server_slow_apply_total',
];

/** What etcd itself says over a span: elections and slow work (they stall every commit), and its fsyncs. */
async function etcdFigures(etcd: EtcdCluster): Promise<{ counters: Map<string, number>; fsync: Histogram }> {
  const texts = await Promise.all(etcd.members.map(async (m) => (await fetch(`${m.clientUrl}/metrics`)).text()));
  const counters = new Map(ETCD_COUNTERS.map((name) => [name, texts.reduce((n, t) => n + metricValue(t, name), 0)]));
  return { counters, fsync: histogramSum(texts.map((t) => readHistogram(t, 'etcd_disk_wal_fsync_duration_seconds'))) };
}

/** Records A put in etcd itself (before relay, or replayed from its outbox). */
const committedByA = (metrics: string) =>
  metricValue(metrics, 'kms_ha_records_total', { how: 'before-relay' }) + metricValue(metrics, 'kms_ha_records_total', { how: 'replayed' });

function member(name: string, upstream: FreeRadiusHandle, etcd: EtcdCluster, masterKeyHex: string): Promise<KmsHandle> {
  return startKms({
    ...benchKmsOptions(upstream),
    masterKeyHex,
    cluster: clusterOptions({ member: name, endpoints: etcd.endpoints(), prefix: PREFIX, tuning: { commitTimeoutMs: 500, leaseTtlS: 3 } }),
  });
}

/** Waits until A's outbox is empty and it commits before relaying again (after a round that overran etcd). */
async function drained(a: KmsHandle): Promise<void> {
  await until("A's outbox to drain", 300_000, async () => {
    const c = (await a.api<{ cluster: { state: string; queued: number } }>('/v1/health')).body.cluster;
    return c.state === 'ok' && c.queued === 0 ? true : undefined;
  });
}

/** Waits until B has imported every record A put in etcd (the load above is replicated, not in flight). */
async function caughtUp(a: KmsHandle, b: KmsHandle): Promise<void> {
  await drained(a);
  await until('B to import every record A committed', 120_000, async () => {
    const want = committedByA(await a.metrics());
    return metricValue(await b.metrics(), 'kms_ha_records_imported_total') >= want ? true : undefined;
  });
}

interface Replication {
  acceptMs: number[];
  /** Accept at the client → B's API answering 200. */
  seenMs: number[];
  firstPoll: number;
  lost: number;
  missing: number;
}

/** One login through A at a time, paced at PACE_PER_S; each followed until B's API has the station. */
async function replicate(a: KmsHandle, b: KmsHandle): Promise<Replication> {
  const r: Replication = { acceptMs: [], seenMs: [], firstPoll: 0, lost: 0, missing: 0 };
  const socket = createSocket('udp4');
  let waiting: { id: number; resolve(at: number | null): void } | null = null;
  socket.on('message', (msg) => {
    if (waiting && msg[1] === waiting.id && msg[0] === Code.AccessAccept) waiting.resolve(performance.now());
  });
  await new Promise<void>((done) => socket.bind(0, '127.0.0.1', () => done()));
  const started = performance.now();
  try {
    for (let i = 0; i < STATIONS; i++) {
      const ahead = started + (i * 1000) / PACE_PER_S - performance.now();
      if (ahead > 1) await sleep(ahead);
      const station = `02:cb:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
      const sentAt = performance.now();
      const acceptedAt = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 3000);
        waiting = {
          id: i & 0xff,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
        const request = papRequest({ secret: SECRET, user: USER.name, password: USER.password, station, identifier: i & 0xff });
        socket.send(request, a.authPort, '127.0.0.1');
      });
      waiting = null;
      if (acceptedAt === null) {
        r.lost++;
        continue;
      }
      r.acceptMs.push(acceptedAt - sentAt);
      for (let polls = 1; ; polls++) {
        const { status } = await b.api(`/v1/stations/${encodeURIComponent(station)}`);
        const now = performance.now();
        if (status === 200) {
          r.seenMs.push(now - acceptedAt);
          if (polls === 1) r.firstPoll++;
          break;
        }
        if (now - acceptedAt > MISSING_AFTER_MS) {
          r.missing++;
          break;
        }
        await sleep(1);
      }
    }
  } finally {
    socket.close();
  }
  return r;
}

/** Round trip of B's API for a station it holds: the floor under the outside figure. */
async function apiRoundTripMs(b: KmsHandle, station: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await b.api(`/v1/stations/${encodeURIComponent(station)}`);
    out.push(performance.now() - t0);
  }
  return out;
}

export async function benchCluster(): Promise<string[]> {
  let etcd: EtcdCluster | undefined;
  let upstream: FreeRadiusHandle | undefined;
  const kmsds: KmsHandle[] = [];
  try {
    etcd = await startEtcdCluster({ size: 3 });
    upstream = await startBenchUpstream();
    const single = await startKms(benchKmsOptions(upstream));
    kmsds.push(single);
    const master = randomBytes(32).toString('hex');
    const a = await member('a', upstream, etcd, master);
    kmsds.push(a);
    const b = await member('b', upstream, etcd, master);
    kmsds.push(b);
    await until('both members registered, and B following etcd', 60_000, async () => {
      const view = (await b.api<{ members: { registered: boolean }[]; replication: { watching: boolean } }>('/v1/cluster')).body;
      return view.members.every((m) => m.registered) && view.replication.watching ? true : undefined;
    });

    // 1. Added latency.
    type Path = {
      name: string;
      target: LoadTarget;
      cpu: { name: string; pids: number[] }[];
      rounds: Awaited<ReturnType<typeof measureLatency>>[];
    };
    const target = (port: number): LoadTarget => ({ address: '127.0.0.1', port, secret: SECRET });
    const etcdPids = etcd.members.map((m) => m.process()!.pid);
    const direct: Path = { name: 'direct to FreeRADIUS', target: target(upstream.authPort), cpu: [], rounds: [] };
    const solo: Path = {
      name: 'single kmsd (SQLite)',
      target: target(single.authPort),
      cpu: [{ name: 'kmsd', pids: [single.process.pid] }],
      rounds: [],
    };
    const clustered: Path = {
      name: 'cluster member A (+etcd)',
      target: target(a.authPort),
      cpu: [
        { name: 'A', pids: [a.process.pid] },
        { name: 'B importing', pids: [b.process.pid] },
        { name: 'etcd x3', pids: etcdPids },
      ],
      rounds: [],
    };
    const paths = [direct, solo, clustered];
    const pids = [single, a, b].map((k) => k.process.pid).concat(upstream.pid, ...etcdPids);
    for (const p of paths) await openLoop(p.target, USER, RATE, WARMUP_SECONDS * 1000);
    await caughtUp(a, b);
    const aBefore = await a.metrics();
    const etcdBefore = await etcdFigures(etcd);
    const cpuSpent = new Map<string, number>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of paths) {
        // Each cluster round starts committing, not still replaying the last one's overflow.
        if (p === clustered) await drained(a);
        await settle(pids);
        const before = p.cpu.map((c) => c.pids.reduce((n, pid) => n + cpuMs(pid), 0));
        p.rounds.push(await measureLatency(p.target));
        p.cpu.forEach((c, i) => {
          const used = c.pids.reduce((n, pid) => n + cpuMs(pid), 0) - before[i]!;
          cpuSpent.set(`${p.name}/${c.name}`, (cpuSpent.get(`${p.name}/${c.name}`) ?? 0) + used);
        });
        if (process.env.KMS_BENCH_VERBOSE) console.log(`  round ${r + 1} ${p.name}: ${JSON.stringify(p.rounds.at(-1))}`);
      }
    }
    const aAfter = await a.metrics();
    const etcdAfter = await etcdFigures(etcd);
    const etcdCount = (name: string) => etcdAfter.counters.get(name)! - etcdBefore.counters.get(name)!;
    const commits = histogramDelta(readHistogram(aAfter, 'kms_ha_commit_seconds'), readHistogram(aBefore, 'kms_ha_commit_seconds'));
    const countDelta = (how: string) =>
      metricValue(aAfter, 'kms_ha_records_total', { how }) - metricValue(aBefore, 'kms_ha_records_total', { how });
    const of = (p: Path, q: 'p50' | 'p99' | 'max') => p.rounds.map((x) => x[q]);
    const added = (q: 'p50' | 'p99' | 'max') => clustered.rounds.map((x, i) => x[q] - solo.rounds[i]![q]);
    // CPU per request of the processes behind a path, over its measured rounds (all threads; 10 ms ticks).
    const cpuText = (p: Path) =>
      p.cpu.length === 0
        ? ''
        : `   CPU/req: ${p.cpu.map((c) => `${c.name} ${((cpuSpent.get(`${p.name}/${c.name}`)! * 1000) / (ROUNDS * RATE * SECONDS)).toFixed(0)} µs`).join(', ')}`;
    const row = (p: Path) => {
      const lost = p.rounds.reduce((n, x) => n + x.lost + x.bad, 0);
      return (
        `${p.name.padEnd(26)} p50 ${ms(median(of(p, 'p50')))}  p99 ${ms(median(of(p, 'p99')))} (${range(of(p, 'p99'), 3)})  ` +
        `max ${ms(median(of(p, 'max')))} (${range(of(p, 'max'), 1)})   ${lost} lost or bad${cpuText(p)}`
      );
    };
    const lines = [
      `etcd ${etcd.members.length} members (Debian's etcd, data on this machine's disk), 2 kmsd members, 1 single kmsd, one FreeRADIUS behind all; one machine`,
      `1. Accept relay, request → Access-Accept at the client: ${RATE} req/s open loop (PAP, a new station each), ` +
        `${WARMUP_SECONDS} s warm-up per path, ${ROUNDS} interleaved rounds of ${SECONDS} s; medians (range)`,
      ...paths.map(row),
      `what the cluster adds (A − single, per round): p50 +${ms(median(added('p50')))}, p99 +${ms(median(added('p99')))} ` +
        `(${range(added('p99'), 3)}) (goal < 2 ms p99), max +${ms(median(added('max')))}`,
      `A's kms_ha_commit_seconds over those rounds (etcd wait per group commit): ${histogramLine(commits)}; ` +
        `records committed before relay ${countDelta('before-relay')}, relayed before etcd had them ${countDelta('relayed-uncommitted')} ` +
        `(past commitTimeoutMs, or while A was degraded)`,
      `etcd over all those rounds (3 members summed): leader changes seen ${etcdCount(ETCD_COUNTERS[0]!)}, ` +
        `heartbeats sent late ${etcdCount(ETCD_COUNTERS[1]!)}, slow applies ${etcdCount(ETCD_COUNTERS[2]!)}; ` +
        `WAL fsync ${histogramLine(histogramDelta(etcdAfter.fsync, etcdBefore.fsync))}`,
    ];

    // 2. Replication lag.
    await caughtUp(a, b);
    await b.api('/v1/cluster'); // takes the replicator's pending lag samples into the histogram
    const bBefore = await b.metrics();
    const rep = await replicate(a, b);
    const imported = metricValue(bBefore, 'kms_ha_records_imported_total') + rep.acceptMs.length;
    await until('B to count every import', 30_000, async () =>
      metricValue(await b.metrics(), 'kms_ha_records_imported_total') >= imported ? true : undefined,
    );
    const view = (await b.api<{ replication: { lagMs: { samples: number; p50: number; p99: number; max: number } } }>('/v1/cluster')).body;
    const lag = histogramDelta(
      readHistogram(await b.metrics(), 'kms_ha_replication_lag_seconds'),
      readHistogram(bBefore, 'kms_ha_replication_lag_seconds'),
    );
    const rtt = await apiRoundTripMs(b, '02:cb:00:00:00:00');
    const w = view.replication.lagMs;
    lines.push(
      `2. Replication A → B: ${STATIONS} logins through A, one at a time, paced at ${PACE_PER_S}/s ` +
        `(Accept at the client p50 ${ms(percentile(rep.acceptMs, 50))}, p99 ${ms(percentile(rep.acceptMs, 99))}); ${rep.lost} lost, ${rep.missing} never seen at B`,
      `outside: Accept from A at the client → B's GET /v1/stations/<mac> answers 200 (polled every ~1 ms): ` +
        `p50 ${ms(percentile(rep.seenMs, 50))}, p99 ${ms(percentile(rep.seenMs, 99))}, max ${ms(Math.max(...rep.seenMs))} (goal < 10 ms p99); ` +
        `${rep.firstPoll} of ${rep.seenMs.length} there at the first poll; one GET round trip to B is p50 ${ms(percentile(rtt, 50))}, p99 ${ms(percentile(rtt, 99))} of that`,
      `inside: B's kms_ha_replication_lag_seconds (A builds the entry just before its etcd transaction → row in B's SQLite; same clock): ${histogramLine(lag)}`,
      // The window of GET /v1/cluster is the last samples B took; exact (1 ms steps) when they are all this run's.
      w.samples <= rep.acceptMs.length
        ? `inside, exact (GET /v1/cluster on B, its last ${w.samples} samples, all from these logins; 1 ms steps): p50 ${w.p50} ms, p99 ${w.p99} ms, max ${w.max} ms`
        : `inside, exact: GET /v1/cluster's window (${w.samples} samples) reaches past these logins; run with KMS_BENCH_CLUSTER_STATIONS >= ${w.samples}`,
    );
    return lines;
  } finally {
    for (const k of kmsds.reverse()) await k.stop();
    await upstream?.stop();
    await etcd?.stop();
  }
}
