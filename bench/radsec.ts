import { startFreeRadius, type FreeRadiusHandle } from '../test/helpers/freeradius.js';
import { startKms, type KmsHandle } from '../test/helpers/kms.js';
import { makeRadsecPki, type RadsecPki } from '../test/helpers/radsec-certs.js';
import { readFileSync } from 'node:fs';
import { buildRequest, closedLoop, openLoop, percentile, type LoadResult, type LoadTarget } from './radius-load.js';
import { RadsecConnections } from '../adapters/radius/upstream-tls.js';
import { verifyResponse } from '../adapters/radius/authenticators.js';

// RadSec upstream vs UDP upstream, side by side: one FreeRADIUS (threaded, no debug) listens
// for both UDP and RadSec; two KMSs with the same configuration but for the upstream's
// transport relay the same load to it. Added latency is each KMS path's latency minus the
// direct UDP path's, at a fixed rate (open loop); throughput is what each path sustains with
// a fixed number of requests outstanding (closed loop). Rounds are interleaved and the median
// is printed with the range, as in radius.ts, because single runs on a small machine swing.

const SECRET = 'bench-secret';
const USER = { name: 'bench', password: 'bench-password' };
const MSK_HALF = (b: number) => `0x${Buffer.alloc(32, b).toString('hex')}`;

const RATE = Number(process.env.KMS_BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.KMS_BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.KMS_BENCH_WARMUP_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.KMS_BENCH_CONCURRENCY ?? 64);
const ROUNDS = Number(process.env.KMS_BENCH_ROUNDS ?? 3);

/**
 * The open loop of radius-load.ts, but straight to FreeRADIUS over RadSec (the KMS's own TLS
 * transport, in this process): what FreeRADIUS's TLS listener costs by itself, so the KMS
 * path's extra latency can be split between the AAA server and the KMS.
 */
async function radsecOpenLoop(port: number, pki: RadsecPki, ratePerS: number, durationMs: number): Promise<LoadResult> {
  const target = { address: '127.0.0.1', port, secret: 'radsec' };
  const result: LoadResult = { sent: 0, answered: 0, accepts: 0, badAnswers: 0, seconds: 0, latenciesMs: [] };
  const conns = new RadsecConnections({
    address: '127.0.0.1',
    port,
    maxConnections: 8,
    keepaliveMs: 60_000,
    answerTimeoutMs: 3000,
    tls: {
      ca: readFileSync(pki.caFile, 'utf8'),
      cert: readFileSync(pki.clientCertFile, 'utf8'),
      key: readFileSync(pki.clientKeyFile, 'utf8'),
      serverName: 'radsec.test',
    },
    buildStatusServer: () => {
      throw new Error('no keepalives in a bench');
    },
    stray: () => {
      result.badAnswers++;
    },
    log: () => {},
  });
  let outstanding = 0;
  const sendOne = () => {
    const sentAt = performance.now();
    let release: (() => void) | null = null;
    release = conns.send((identifier) => {
      const { bytes, authenticator } = buildRequest(target, identifier, USER);
      return {
        bytes,
        pending: {
          authenticator,
          onAnswer: (reply) => {
            release?.();
            outstanding--;
            result.answered++;
            result.latenciesMs.push(performance.now() - sentAt);
            if (!verifyResponse(reply, authenticator, target.secret, { requireMessageAuthenticator: true }).ok) result.badAnswers++;
          },
        },
      };
    });
    if (!release) return false;
    outstanding++;
    result.sent++;
    return true;
  };
  const started = performance.now();
  const total = Math.round((ratePerS * durationMs) / 1000);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * ratePerS));
      while (result.sent < due) if (!sendOne()) break;
      if (result.sent >= total) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });
  result.seconds = (performance.now() - started) / 1000;
  const until = performance.now() + 3000;
  while (outstanding > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  conns.close();
  return result;
}

interface Round {
  p50: number;
  p99: number;
  rps: number;
  lost: number;
  bad: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

export async function benchRadsec(): Promise<string[]> {
  let pki: RadsecPki | undefined;
  let upstream: FreeRadiusHandle | undefined;
  const kmss: KmsHandle[] = [];
  try {
    pki = await makeRadsecPki();
    upstream = await startFreeRadius({
      debug: false,
      authLog: false,
      secret: SECRET,
      radsec: { certificateFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile },
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
    const client = [{ name: 'bench', address: '127.0.0.1', secret: SECRET }];
    const viaUdp = await startKms({
      logLevel: 'warn',
      clients: client,
      upstreams: [
        { name: 'fr-udp', address: '127.0.0.1', authPort: upstream.authPort, acctPort: upstream.acctPort, secret: SECRET, timeoutMs: 3000 },
      ],
    });
    kmss.push(viaUdp);
    const viaTls = await startKms({
      logLevel: 'warn',
      clients: client,
      upstreams: [
        {
          name: 'fr-tls',
          address: '127.0.0.1',
          transport: 'tls',
          authPort: upstream.radsecPort!,
          timeoutMs: 3000,
          tls: {
            ca: { file: pki.caFile },
            certificate: { file: pki.clientCertFile },
            key: { file: pki.clientKeyFile },
            serverName: 'radsec.test',
          },
        },
      ],
    });
    kmss.push(viaTls);
    const paths: { name: string; target: LoadTarget; rounds: Round[] }[] = [
      { name: 'direct to FreeRADIUS', target: { address: '127.0.0.1', port: upstream.authPort, secret: SECRET }, rounds: [] },
      { name: 'KMS, UDP upstream', target: { address: '127.0.0.1', port: viaUdp.authPort, secret: SECRET }, rounds: [] },
      { name: 'KMS, RadSec upstream', target: { address: '127.0.0.1', port: viaTls.authPort, secret: SECRET }, rounds: [] },
    ];
    for (const p of paths) await openLoop(p.target, USER, RATE, WARMUP_SECONDS * 1000);
    await radsecOpenLoop(upstream.radsecPort!, pki, RATE, WARMUP_SECONDS * 1000);
    const latency = new Map(paths.map((p) => [p, [] as { p50: number; p99: number; lost: number; bad: number }[]]));
    const directTls: { p50: number; p99: number; lost: number; bad: number }[] = [];
    const summary = (open: LoadResult) => ({
      p50: percentile(open.latenciesMs, 50),
      p99: percentile(open.latenciesMs, 99),
      lost: open.sent - open.answered,
      bad: open.badAnswers,
    });
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of paths) latency.get(p)!.push(summary(await openLoop(p.target, USER, RATE, SECONDS * 1000)));
      directTls.push(summary(await radsecOpenLoop(upstream.radsecPort!, pki, RATE, SECONDS * 1000)));
      if (process.env.KMS_BENCH_VERBOSE)
        console.log(`  round ${r + 1} direct to FreeRADIUS over RadSec: ${JSON.stringify(directTls.at(-1))}`);
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of paths) {
        const closed = await closedLoop(p.target, USER, CONCURRENCY, SECONDS * 1000);
        const l = latency.get(p)![r]!;
        p.rounds.push({
          ...l,
          rps: closed.answered / closed.seconds,
          lost: l.lost + closed.sent - closed.answered,
          bad: l.bad + closed.badAnswers,
        });
        if (process.env.KMS_BENCH_VERBOSE) console.log(`  round ${r + 1} ${p.name}: ${JSON.stringify(p.rounds.at(-1))}`);
      }
    }
    const [direct, udp, tls] = paths as [(typeof paths)[0], (typeof paths)[0], (typeof paths)[0]];
    const added = (p: (typeof paths)[0], q: 'p50' | 'p99') => p.rounds.map((r, i) => r[q] - direct.rounds[i]![q]);
    const line = (p: (typeof paths)[0]) => {
      const rps = p.rounds.map((r) => r.rps);
      const lost = p.rounds.reduce((n, r) => n + r.lost, 0);
      const bad = p.rounds.reduce((n, r) => n + r.bad, 0);
      const base =
        p === direct
          ? 'baseline'
          : `added p50 ${median(added(p, 'p50')).toFixed(3)} ms (${range(added(p, 'p50'), 3)}), added p99 ${median(added(p, 'p99')).toFixed(3)} ms (${range(added(p, 'p99'), 3)})`;
      return `${p.name.padEnd(22)} ${median(rps).toFixed(0).padStart(6)} req/s (${range(rps, 0)})   p50 ${median(p.rounds.map((r) => r.p50)).toFixed(3)} ms  p99 ${median(p.rounds.map((r) => r.p99)).toFixed(3)} ms   ${base}; ${lost} lost, ${bad} bad`;
    };
    const ratio = tls.rounds.map((r, i) => r.rps / udp.rounds[i]!.rps);
    const tlsOverUdp = (q: 'p50' | 'p99') => tls.rounds.map((r, i) => r[q] - udp.rounds[i]![q]);
    // Where lost requests went, per KMS: its own drop counters (reason: count).
    const drops = async (k: KmsHandle) =>
      (await k.metrics())
        .split('\n')
        .filter((l) => l.startsWith('kms_radius_dropped_total{'))
        .map((l) => `${/reason="([^"]+)"/.exec(l)?.[1]}=${l.split(' ')[1]}`)
        .join(', ') || 'none';
    // Connection events on the RadSec side (a dropped connection is why requests would wait).
    const events = viaTls
      .logs()
      .split('\n')
      .filter((l) => /RadSec|upstream AAA server/.test(l));
    const eventCounts = new Map<string, number>();
    for (const l of events) {
      const msg = /"msg":"([^"]+)"/.exec(l)?.[1] ?? l;
      eventCounts.set(msg, (eventCounts.get(msg) ?? 0) + 1);
    }
    return [
      `KMS drops: UDP upstream: ${await drops(viaUdp)}; RadSec upstream: ${await drops(viaTls)}`,
      `RadSec KMS upstream events at warn and above: ${[...eventCounts].map(([m, n]) => `${m} x${n}`).join('; ') || 'none'}`,
      `load: Access-Request (PAP, a new station each) -> Access-Accept with MS-MPPE keys; APs to the KMS over UDP in both cases`,
      `each path warmed up ${WARMUP_SECONDS} s at ${RATE} req/s; ${ROUNDS} interleaved rounds of latency at ${RATE} req/s for ${SECONDS} s (open loop), then ${ROUNDS} of throughput with ${CONCURRENCY} outstanding for ${SECONDS} s; medians (range)`,
      ...paths.map(line),
      `direct to FreeRADIUS over RadSec (latency only): p50 ${median(directTls.map((r) => r.p50)).toFixed(3)} ms, p99 ${median(directTls.map((r) => r.p99)).toFixed(3)} ms; ` +
        `over direct UDP: p50 ${median(directTls.map((r, i) => r.p50 - direct.rounds[i]!.p50)).toFixed(3)} ms, p99 ${median(directTls.map((r, i) => r.p99 - direct.rounds[i]!.p99)).toFixed(3)} ms ` +
        `(FreeRADIUS's TLS listener and a TLS round trip, without the KMS); ${directTls.reduce((n, r) => n + r.lost, 0)} lost, ${directTls.reduce((n, r) => n + r.bad, 0)} bad`,
      `RadSec over UDP upstream: p50 ${median(tlsOverUdp('p50')).toFixed(3)} ms, p99 ${median(tlsOverUdp('p99')).toFixed(3)} ms more; throughput ratio ${median(ratio).toFixed(2)} (${range(ratio, 2)})`,
    ];
  } finally {
    for (const k of kmss) await k.stop();
    await upstream?.stop();
    await pki?.remove();
  }
}
