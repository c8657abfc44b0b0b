import { canUseNetns } from '../test/helpers/netns.js';
import { metricValue } from '../test/helpers/kms.js';
import { closedLoop } from './radius-load.js';
import { cpuBetween, threadCpu } from './thread-cpu.js';
import { BENCH_SECRET, BENCH_USER, clusterView, startBenchCluster, until, type BenchCluster } from './cluster-setup.js';

// Sustained new stations through a 2-member cluster: the load generator keeps requests outstanding
// at both members at once (as APs spread over them do), each request a new FT station whose
// Accept carries MPPE keys, at an AP with 8 neighbour BSSes. The member holding the work places
// every station's PMK-R1 on all 8 (PUSH frames onto the segment; nobody listens, so nothing in the
// bench answers them). Figures: Accepts per second at the members, stations whose 8 keys were all
// pushed per second at the holder (over the time until the last push), and what was missed. Every
// process (etcd ×3, FreeRADIUS, 2 kmsd, the generator) shares the machine's cores.

const SECONDS = Number(process.env.KMS_BENCH_CLUSTER_SECONDS ?? 10);
const CONCURRENCY = 32;
const NEIGHBORS = 8;

/** etcd's count of puts applied (each member applies every write, so one member's count is the cluster's). */
async function etcdPuts(endpoint: string): Promise<number> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const m = /^etcd_mvcc_put_total (\S+)$/m.exec(text);
  if (!m) throw new Error(`etcd at ${endpoint} has no etcd_mvcc_put_total in its /metrics`);
  return Number(m[1]);
}

export async function benchClusterThroughput(): Promise<string[]> {
  if (!canUseNetns()) return ['(skipped: the cluster throughput bench needs root for a network namespace and raw Ethernet)'];
  let cluster: BenchCluster | null = null;
  const neighbors = Array.from({ length: NEIGHBORS }, (_, i) => ({
    name: `n${i + 1}`,
    nasIdentifier: `n${i + 1}.example.com`,
    bssid: `02:00:00:00:05:${(i + 1).toString(16).padStart(2, '0')}`,
    rrbKeyHex: (0xb0 + i).toString(16).repeat(32),
    neighbors: [] as string[],
  }));
  try {
    cluster = await startBenchCluster({
      names: ['a', 'b'],
      prefix: '/throughput-bench/',
      aps: [
        // The load generator's AP (bench/radius-load.ts names it so).
        {
          name: 'ap',
          nasIdentifier: 'bench-ap.example.com',
          bssid: '02:00:00:00:03:00',
          rrbKeyHex: 'a1'.repeat(32),
          neighbors: neighbors.map((n) => n.name),
        },
        ...neighbors,
      ],
    });
    const c = cluster;
    const a = await c.start('a');
    await until('a to hold the work', async () => ((await clusterView(a)).work.holder === 'a' ? true : undefined));
    const b = await c.start('b');
    await until('b registered', async () => ((await clusterView(b)).members.every((m) => m.registered) ? true : undefined));

    const pushed = async () => metricValue(await a.metrics(), 'kms_keys_placed_total', { kind: 'ft', via: 'push' });
    const before = await pushed();
    const etcdPutsBefore = await etcdPuts(c.etcd.endpoints()[0]!);
    const cpuBefore = threadCpu(a.process.pid);
    const started = performance.now();
    const [ra, rb] = await Promise.all(
      [a, b].map((k) =>
        closedLoop({ address: '127.0.0.1', port: k.authPort, secret: BENCH_SECRET }, BENCH_USER, CONCURRENCY, SECONDS * 1000),
      ),
    );
    const accepts = ra!.accepts + rb!.accepts;
    const loadS = Math.max(ra!.seconds, rb!.seconds);
    // The holder's pushes trail the Accepts (the other member's arrive by replication): wait until they stop growing.
    let last = await pushed();
    let lastAt = performance.now();
    for (let quiet = 0; quiet < 10 && last - before < accepts * NEIGHBORS; ) {
      await new Promise((r) => setTimeout(r, 200));
      const now = await pushed();
      if (now === last) quiet++;
      else {
        quiet = 0;
        last = now;
        lastAt = performance.now();
      }
    }
    const placedStations = (last - before) / NEIGHBORS;
    const placeS = (lastAt - started) / 1000;
    // Where the holder's time went: its main thread (tid = pid) plans and bookkeeps every placement,
    // the real-time thread sends the frames; the rest is the RADIUS path and Node's helpers.
    const cpu = cpuBetween(cpuBefore, threadCpu(a.process.pid));
    const mainCpu = cpu.find((t) => t.tid === a.process.pid)?.used ?? 0;
    const rrbCpu = cpu.filter((t) => t.realtime).reduce((n, t) => n + t.used, 0);
    const allCpu = cpu.reduce((n, t) => n + t.used, 0);
    const perStation = (s: number) => (placedStations > 0 ? Math.round((s * 1e6) / placedStations) : 0);
    const puts = (await etcdPuts(c.etcd.endpoints()[0]!)) - etcdPutsBefore;
    const m = await a.metrics();
    const missed = metricValue(m, 'kms_keys_missed_total', {});
    const reasons = [...m.matchAll(/^kms_keys_missed_total\{([^}]*)\} (\d+)/gm)].map(([, labels, n]) => `${labels} ${n}`).join('; ');
    // A holder that let go of the work under load (its lease renewal late) queues what it was pushing.
    const letGo = (a.logs().match(/cluster: this member stops the exactly-once work/g) ?? []).length;
    const sendErrors = [...new Set([...a.logs().matchAll(/"err":"([^"]*)","msg":"RRB send failed"/g)].map((x) => x[1]))];
    return [
      ...(letGo ? [`  (the holder let go of the work ${letGo} time(s) during the run: its lease renewals came late)`] : []),
      ...(sendErrors.length ? [`  (R0KH-R1KH send errors at the holder: ${sendErrors.slice(0, 3).join('; ')})`] : []),
      `2 members, ${CONCURRENCY} requests outstanding at each for ${SECONDS} s, every Accept a new FT station with ${NEIGHBORS} neighbour BSSes:`,
      `  Accepts: ${accepts} (${Math.round(accepts / loadS)}/s; a ${Math.round(ra!.accepts / loadS)}/s, b ${Math.round(rb!.accepts / loadS)}/s)`,
      `  stations with all ${NEIGHBORS} keys pushed by the holder: ${Math.round(placedStations)} (${Math.round(placedStations / placeS)}/s over ${placeS.toFixed(1)} s until the last push); keys missed ${missed}${reasons ? ` (${reasons})` : ''}`,
      `  holder CPU per station placed: main thread ${perStation(mainCpu)} µs (${Math.round((100 * mainCpu) / placeS)} % of a core over the run), R0KH-R1KH thread ${cpu.some((t) => t.realtime) ? `${perStation(rrbCpu)} µs` : '(not real-time here: not told apart)'}, whole process ${perStation(allCpu)} µs; one core for the main thread alone would place ${perStation(mainCpu) > 0 ? Math.round(1e6 / perStation(mainCpu)) : '?'} stations/s`,
      `  etcd: ${placedStations > 0 ? (puts / placedStations).toFixed(1) : '?'} puts per station placed (the growth of etcd_mvcc_put_total at one member: records, ledger entries and all else)`,
      `  goal ≥ 2,000 new stations/s; peer: the Accept rate (placement keeps up when the two match)`,
    ];
  } catch (e) {
    // Which member failed, and its last words: a bench that only says "fetch failed" helps nobody.
    const words = Object.entries(cluster?.members ?? {}).map(
      ([name, k]) =>
        `member ${name} ${k.process.isRunning() ? 'running' : 'exited'}; its last log lines:\n${k.logs().trimEnd().split('\n').slice(-8).join('\n')}`,
    );
    throw new Error(`${(e as Error).message}\n${words.join('\n')}`);
  } finally {
    await cluster?.stop();
  }
}
