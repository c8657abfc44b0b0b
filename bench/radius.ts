import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { KMSD_NODE_FLAGS } from '../daemon/main/node-flags.js';
import { cpuTicks } from '../hw/vlab/guest/exec.js';
import { startFreeRadius, type FreeRadiusHandle } from '../test/helpers/freeradius.js';
import { startKms, type KmsHandle, type KmsOptions } from '../test/helpers/kms.js';
import { closedLoop, openLoop, percentile, type LoadResult, type LoadTarget } from './radius-load.js';

// Paths to the same upstream FreeRADIUS (AAA server answering PAP with an Accept that carries
// MS-MPPE keys): direct, through the KMS, through a FreeRADIUS proxy. Added latency is each
// proxy's latency minus the direct path's, at a fixed 1,000 requests/s; throughput is what each
// path sustains with 64 requests outstanding. A fourth path, the KMS's relay alone
// (relay-only.ts: no record kept), splits the KMS's cost into relaying and keeping stations.
//
// Method, because single runs on a 2-core machine swing by a factor of two:
// - every path is warmed up at the measured rate first (the KMS is JIT-compiled; FreeRADIUS
//   fills its caches), then measured in ROUNDS interleaved rounds, and the median is printed
//   with the range;
// - all latency rounds come before all throughput rounds: the seconds after a 20,000 req/s
//   burst (FreeRADIUS cleaning up its request lists, every process collecting its heap) are not
//   what a path sees at 1,000 req/s, and they landed on whichever path was measured next;
// - the KMS is filled first (FILL_SECONDS at full speed), so its latency is measured with as
//   many station records as the old order reached by the last round (~200,000);
// - the load generator, the upstream and the proxy share the machine's cores, so throughput
//   is also a matter of CPU left over: each proxy's own CPU time per request (all its
//   threads, from /proc) is printed, which the scheduler does not blur.

export const SECRET = 'bench-secret';
export const USER = { name: 'bench', password: 'bench-password' };
const MSK_HALF = (b: number) => `0x${Buffer.alloc(32, b).toString('hex')}`;

export const RATE = Number(process.env.KMS_BENCH_RATE ?? 1000);
export const SECONDS = Number(process.env.KMS_BENCH_SECONDS ?? 5);
export const WARMUP_SECONDS = Number(process.env.KMS_BENCH_WARMUP_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.KMS_BENCH_CONCURRENCY ?? 64);
export const ROUNDS = Number(process.env.KMS_BENCH_ROUNDS ?? 3);
/** The KMS is filled this long at full speed before the latency rounds, so it holds a campus' worth of stations. */
const FILL_SECONDS = Number(process.env.KMS_BENCH_FILL_SECONDS ?? 15);

interface Round {
  p50: number;
  p99: number;
  rps: number;
  /** Proxy CPU (all threads) per request in the closed loop, µs; null for the direct path. */
  cpuUs: number | null;
  lost: number;
  bad: number;
}

/** utime + stime of a process and all its threads, in ms (clock ticks are 10 ms on Linux). */
export function cpuMs(pid: number): number {
  const ticks = cpuTicks(pid);
  if (ticks === null) throw new Error(`process ${pid} is gone: no CPU time to read`);
  return ticks * 10;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const range = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

/**
 * Waits (at most 10 s) until none of `pids` used more than 5% of a core over the last 500 ms.
 * After a throughput run a proxy is still busy for seconds (the KMS checkpoints the WAL of
 * tens of thousands of records, every Node process collects its heap); without this wait that
 * aftermath landed in the next path's latency run and was blamed on the wrong proxy.
 */
export async function settle(pids: number[]): Promise<void> {
  const busy = () => pids.reduce((n, pid) => n + cpuMs(pid), 0);
  for (let waited = 0; waited < 10_000; waited += 500) {
    const before = busy();
    await new Promise((r) => setTimeout(r, 500));
    if (busy() - before <= 25 * pids.length) return;
  }
}

/** One open-loop run at RATE for SECONDS: request → answer at the client, ms. */
export async function measureLatency(target: LoadTarget): Promise<Pick<Round, 'p50' | 'p99' | 'lost' | 'bad'> & { max: number }> {
  const open: LoadResult = await openLoop(target, USER, RATE, SECONDS * 1000);
  return {
    p50: percentile(open.latenciesMs, 50),
    p99: percentile(open.latenciesMs, 99),
    max: Math.max(...open.latenciesMs),
    lost: open.sent - open.answered,
    bad: open.badAnswers,
  };
}

async function measureThroughput(target: LoadTarget, pid: number | null): Promise<Pick<Round, 'rps' | 'cpuUs' | 'lost' | 'bad'>> {
  const before = pid === null ? 0 : cpuMs(pid);
  const closed = await closedLoop(target, USER, CONCURRENCY, SECONDS * 1000);
  const cpuUs = pid === null ? null : ((cpuMs(pid) - before) * 1000) / closed.answered;
  return { rps: closed.answered / closed.seconds, cpuUs, lost: closed.sent - closed.answered, bad: closed.badAnswers };
}

/** relay-only.ts in a process of its own (so its CPU is measured like the others'). */
async function startRelayOnly(upstreamPort: number): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./relay-only.js', import.meta.url));
  const child = spawn(process.execPath, [...KMSD_NODE_FLAGS, script, String(upstreamPort), SECRET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    // Keeps reading after "ready": a child blocked on a full stdout pipe would stall.
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`relay-only exited (${code}) before listening: ${out}`)));
  });
}

/** The AAA server every RADIUS bench path ends at: FreeRADIUS answering PAP with MS-MPPE keys. */
export function startBenchUpstream(): Promise<FreeRadiusHandle> {
  return startFreeRadius({
    debug: false,
    authLog: false,
    secret: SECRET,
    users: [
      {
        name: USER.name,
        password: USER.password,
        reply: [
          { name: 'MS-MPPE-Recv-Key', value: MSK_HALF(0x11) },
          { name: 'MS-MPPE-Send-Key', value: MSK_HALF(0x22) },
        ],
      },
    ],
  });
}

/** A kmsd in front of the bench upstream, as the benches run it. */
export function benchKmsOptions(upstream: FreeRadiusHandle): KmsOptions {
  return {
    logLevel: 'warn',
    clients: [{ name: 'bench', address: '127.0.0.1', secret: SECRET }],
    upstreams: [
      { name: 'fr', address: '127.0.0.1', authPort: upstream.authPort, acctPort: upstream.acctPort, secret: SECRET, timeoutMs: 3000 },
    ],
  };
}

export async function benchRadius(): Promise<string[]> {
  let upstream: FreeRadiusHandle | undefined;
  let frProxy: FreeRadiusHandle | undefined;
  let kms: KmsHandle | undefined;
  let relay: { child: ChildProcess; port: number } | undefined;
  try {
    upstream = await startBenchUpstream();
    frProxy = await startFreeRadius({
      debug: false,
      authLog: false,
      secret: SECRET,
      proxyTo: { address: '127.0.0.1', authPort: upstream.authPort, acctPort: upstream.acctPort, secret: SECRET },
    });
    kms = await startKms(benchKmsOptions(upstream));
    relay = await startRelayOnly(upstream.authPort);
    const kmsTarget: LoadTarget = { address: '127.0.0.1', port: kms.authPort, secret: SECRET };
    const paths: { name: string; target: LoadTarget; pid: number | null; rounds: Round[] }[] = [
      { name: 'direct to FreeRADIUS', target: { address: '127.0.0.1', port: upstream.authPort, secret: SECRET }, pid: null, rounds: [] },
      {
        name: 'via FreeRADIUS proxy',
        target: { address: '127.0.0.1', port: frProxy.authPort, secret: SECRET },
        pid: frProxy.pid,
        rounds: [],
      },
      { name: 'via KMS', target: kmsTarget, pid: kms.process.pid, rounds: [] },
      { name: 'KMS relay alone*', target: { address: '127.0.0.1', port: relay.port, secret: SECRET }, pid: relay.child.pid!, rounds: [] },
    ];
    for (const p of paths) await openLoop(p.target, USER, RATE, WARMUP_SECONDS * 1000);
    const pids = paths.flatMap((q) => (q.pid === null ? [] : [q.pid])).concat(upstream.pid);
    await closedLoop(kmsTarget, USER, CONCURRENCY, FILL_SECONDS * 1000);
    const filled = (await kms.api<{ stations: unknown[] }>('/v1/stations')).body.stations.length;
    const latency = new Map(paths.map((p) => [p, [] as Awaited<ReturnType<typeof measureLatency>>[]]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of paths) {
        await settle(pids);
        latency.get(p)!.push(await measureLatency(p.target));
      }
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of paths) {
        await settle(pids);
        const t = await measureThroughput(p.target, p.pid);
        const l = latency.get(p)![r]!;
        p.rounds.push({ p50: l.p50, p99: l.p99, rps: t.rps, cpuUs: t.cpuUs, lost: l.lost + t.lost, bad: l.bad + t.bad });
        if (process.env.KMS_BENCH_VERBOSE) console.log(`  round ${r + 1} ${p.name}: ${JSON.stringify(p.rounds.at(-1))}`);
      }
    }

    const [direct, fr, viaKms, relayAlone] = paths as [(typeof paths)[0], (typeof paths)[0], (typeof paths)[0], (typeof paths)[0]];
    // Added latency per round (against that round's direct run), then the median of those.
    const added = (p: (typeof paths)[0], q: 'p50' | 'p99') => p.rounds.map((r, i) => r[q] - direct.rounds[i]![q]);
    const line = (p: (typeof paths)[0]) => {
      const rps = p.rounds.map((r) => r.rps);
      const p99 = p.rounds.map((r) => r.p99);
      const cpu = p.rounds.map((r) => r.cpuUs).filter((x): x is number => x !== null);
      const lost = p.rounds.reduce((n, r) => n + r.lost, 0);
      const bad = p.rounds.reduce((n, r) => n + r.bad, 0);
      const base =
        p === direct
          ? 'baseline'
          : `added p50 ${median(added(p, 'p50')).toFixed(3)} ms, added p99 ${median(added(p, 'p99')).toFixed(3)} ms (${range(added(p, 'p99'), 3)})`;
      const cpuText = cpu.length ? `; proxy CPU ${median(cpu).toFixed(1)} µs/req` : '';
      return `${p.name.padEnd(22)} ${median(rps).toFixed(0).padStart(6)} req/s (${range(rps, 0)})   p50 ${median(p.rounds.map((r) => r.p50)).toFixed(3)} ms  p99 ${median(p99).toFixed(3)} ms   ${base}${cpuText}; ${lost} lost, ${bad} bad`;
    };
    const ratios = viaKms.rounds.map((r, i) => r.rps / fr.rounds[i]!.rps);
    const kmsAdded = added(viaKms, 'p99');
    const cpuOf = (p: (typeof paths)[0]) => median(p.rounds.map((r) => r.cpuUs ?? 0));
    const lines = [
      `load: Access-Request (PAP, FT-EAP attributes, a new station each) -> Access-Accept with MS-MPPE keys`,
      `the KMS held ${filled} station records when its latency was measured`,
      `each path warmed up ${WARMUP_SECONDS} s at ${RATE} req/s; then ${ROUNDS} interleaved rounds of latency at ${RATE} req/s for ${SECONDS} s (open loop), then ${ROUNDS} of throughput with ${CONCURRENCY} outstanding for ${SECONDS} s; medians (range)`,
      ...paths.map(line),
      `* the KMS's RadiusProxy with a learner that keeps nothing (bench/relay-only.ts, a diagnostic, not a product mode): ` +
        `relaying costs ${cpuOf(relayAlone).toFixed(1)} µs/req (FreeRADIUS proxy: ${cpuOf(fr).toFixed(1)}); ` +
        `keeping the station (record, PMK-R0, sealed keys, commit before relay, hand-over) ${(cpuOf(viaKms) - cpuOf(relayAlone)).toFixed(1)} µs/req more`,
      `KMS throughput / FreeRADIUS-proxy throughput = ${median(ratios).toFixed(2)} (${range(ratios, 2)}) (goal >= 1.00); ` +
        `KMS added p99 at ${RATE}/s = ${median(kmsAdded).toFixed(3)} ms (${range(kmsAdded, 3)}) (goal < 1 ms)`,
    ];
    const stations = await kms.api<{ stations: unknown[] }>('/v1/stations');
    lines.push(
      `KMS holds ${stations.body.stations.length} station records after the run (one per distinct station MAC, persisted before each relay)`,
    );
    return lines;
  } finally {
    if (relay && relay.child.exitCode === null) {
      relay.child.kill('SIGTERM');
      await once(relay.child, 'exit');
    }
    await kms?.stop();
    await frProxy?.stop();
    await upstream?.stop();
  }
}
