import { startFreeRadius, type FreeRadiusHandle } from '../test/helpers/freeradius.js';
import { startKms, type KmsHandle } from '../test/helpers/kms.js';
import { closedLoop, openLoop, percentile, type LoadResult, type LoadTarget } from './radius-load.js';

// Three paths to the same upstream FreeRADIUS (AAA server answering PAP with an Accept that
// carries MS-MPPE keys): direct, through the KMS, through a FreeRADIUS proxy. Added latency is
// each proxy's latency minus the direct path's, at a fixed 1,000 requests/s; throughput is
// what each path sustains with 64 requests outstanding.

const SECRET = 'bench-secret';
const USER = { name: 'bench', password: 'bench-password' };
const MSK_HALF = (b: number) => `0x${Buffer.alloc(32, b).toString('hex')}`;

const RATE = Number(process.env.KMS_BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.KMS_BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.KMS_BENCH_CONCURRENCY ?? 64);

function summary(name: string, open: LoadResult, closed: LoadResult, base?: LoadResult): string {
  const p50 = percentile(open.latenciesMs, 50);
  const p99 = percentile(open.latenciesMs, 99);
  const rps = closed.answered / closed.seconds;
  const lost = open.sent - open.answered;
  const added = base
    ? `added p50 ${(p50 - percentile(base.latenciesMs, 50)).toFixed(3)} ms, added p99 ${(p99 - percentile(base.latenciesMs, 99)).toFixed(3)} ms`
    : 'baseline';
  return `${name.padEnd(26)} ${rps.toFixed(0).padStart(7)} req/s   p50 ${p50.toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  (${added}; ${lost} lost, ${open.badAnswers + closed.badAnswers} bad, ${closed.accepts + open.accepts} accepts)`;
}

export async function benchRadius(): Promise<string[]> {
  let upstream: FreeRadiusHandle | undefined;
  let frProxy: FreeRadiusHandle | undefined;
  let kms: KmsHandle | undefined;
  try {
    upstream = await startFreeRadius({
      debug: false, secret: SECRET,
      users: [{ name: USER.name, password: USER.password, reply: [
        { name: 'MS-MPPE-Recv-Key', value: MSK_HALF(0x11) }, { name: 'MS-MPPE-Send-Key', value: MSK_HALF(0x22) },
      ] }],
    });
    frProxy = await startFreeRadius({
      debug: false, secret: SECRET,
      proxyTo: { address: '127.0.0.1', authPort: upstream.authPort, acctPort: upstream.acctPort, secret: SECRET },
    });
    kms = await startKms({
      logLevel: 'warn',
      clients: [{ name: 'bench', address: '127.0.0.1', secret: SECRET }],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: upstream.authPort, acctPort: upstream.acctPort, secret: SECRET, timeoutMs: 3000 }],
    });
    const targets: [string, LoadTarget][] = [
      ['direct to FreeRADIUS', { address: '127.0.0.1', port: upstream.authPort, secret: SECRET }],
      ['via FreeRADIUS proxy', { address: '127.0.0.1', port: frProxy.authPort, secret: SECRET }],
      ['via KMS', { address: '127.0.0.1', port: kms.authPort, secret: SECRET }],
    ];
    const results: { name: string; open: LoadResult; closed: LoadResult }[] = [];
    for (const [name, target] of targets) {
      await openLoop(target, USER, 200, 500); // warm-up: JIT, TLS-free caches, SQLite pages
      const open = await openLoop(target, USER, RATE, SECONDS * 1000);
      const closed = await closedLoop(target, USER, CONCURRENCY, SECONDS * 1000);
      results.push({ name, open, closed });
    }
    const base = results[0]!.open;
    const lines = [
      `load: Access-Request (PAP, FT-EAP attributes, a new station each) -> Access-Accept with MS-MPPE keys`,
      `latency at ${RATE} req/s for ${SECONDS} s (open loop); throughput with ${CONCURRENCY} outstanding for ${SECONDS} s`,
      ...results.map((r, i) => summary(r.name, r.open, r.closed, i === 0 ? undefined : base)),
    ];
    const kmsR = results[2]!;
    const frR = results[1]!;
    const ratio = (kmsR.closed.answered / kmsR.closed.seconds) / (frR.closed.answered / frR.closed.seconds);
    lines.push(`KMS throughput / FreeRADIUS-proxy throughput = ${ratio.toFixed(2)} (goal >= 1.00); KMS added p99 at ${RATE}/s = ${(percentile(kmsR.open.latenciesMs, 99) - percentile(base.latenciesMs, 99)).toFixed(3)} ms (goal < 1 ms)`);
    const stations = await kms.api<{ stations: unknown[] }>('/v1/stations');
    lines.push(`KMS holds ${stations.body.stations.length} station records after the run (one per distinct station MAC, persisted before each relay)`);
    return lines;
  } finally {
    await kms?.stop();
    await frProxy?.stop();
    await upstream?.stop();
  }
}
