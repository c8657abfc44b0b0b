import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startFreeRadius } from '../test/helpers/freeradius.js';
import { startKms } from '../test/helpers/kms.js';
import { radiusBurst, udpSocketDrops } from '../test/helpers/radius-burst.js';

// After kmsd restarts, every AP retransmits its pending requests at once. What the kernel drops
// on the KMS's auth socket before kmsd reads it is lost (the AP retries seconds later, or the
// station gives up): counted here from the socket's drop counter, for the kernel's default
// receive buffer and for radius.recvBufferBytes's default, against the same upstream. Each
// round starts a fresh kmsd and sends BURST requests at once the moment it is ready, then (a
// second scenario) a 1,500 req/s stream for 4 s started the same way.

const SECRET = 'burst-secret';
const USER = { name: 'burst', password: 'burst-password' };
const BURST = Number(process.env.KMS_BENCH_BURST ?? 3000);
const STREAM_RATE = 1500;
const STREAM_SECONDS = 4;
const ROUNDS = Number(process.env.KMS_BENCH_BURST_ROUNDS ?? 3);
/** Linux doubles SO_RCVBUF: half of rmem_default (212,992) gives exactly the kernel's default buffer. */
const KERNEL_DEFAULT = 106_496;

interface Round {
  kmsDrops: number;
  upstreamSideDrops: number;
  aaaDrops: number;
  answered: number;
  bufferBytes: number;
}

export async function benchBurstAfterRestart(): Promise<string[]> {
  const aaa = await startFreeRadius({
    secret: SECRET,
    users: [{ name: USER.name, password: USER.password }],
    debug: false,
    authLog: false,
  });
  const lines: string[] = [];
  try {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    lines.push(
      `net.core.rmem_max ${rmemMax.toLocaleString('en-US')}; ${ROUNDS} rounds per case, each on a kmsd started for it (median [min-max]):`,
    );
    lines.push(`${BURST.toLocaleString('en-US')} Access-Requests sent at once the moment kmsd is ready:`);
    lines.push(...(await scenario(aaa, BURST, undefined)));
    lines.push(`${STREAM_RATE.toLocaleString('en-US')} Access-Requests/s for ${STREAM_SECONDS} s, started the moment kmsd is ready:`);
    lines.push(...(await scenario(aaa, STREAM_RATE * STREAM_SECONDS, STREAM_RATE)));
  } finally {
    await aaa.stop();
  }
  return lines;
}

async function scenario(
  aaa: { authPort: number; acctPort: number; pid: number },
  n: number,
  ratePerS: number | undefined,
): Promise<string[]> {
  const lines: string[] = [];
  {
    const cases: [string, number | undefined][] = [
      ['kernel default buffer', KERNEL_DEFAULT],
      ['radius.recvBufferBytes default', undefined],
    ];
    // More sizes to compare, e.g. KMS_BENCH_BURST_BYTES=524288,1048576.
    for (const b of (process.env.KMS_BENCH_BURST_BYTES ?? '').split(',').filter(Boolean)) cases.push([`recvBufferBytes ${b}`, Number(b)]);
    const results = new Map<string, Round[]>(cases.map(([label]) => [label, []]));
    // Interleaved, so a slow moment of the shared machine does not land on one case only.
    for (let r = 0; r < ROUNDS; r++) {
      for (const [label, bytes] of cases) {
        const kms = await startKms({
          logLevel: 'warn',
          clients: [{ name: 'aps', address: '127.0.0.0/8', secret: SECRET }],
          upstreams: [
            {
              name: 'aaa',
              address: '127.0.0.1',
              authPort: aaa.authPort,
              acctPort: aaa.acctPort,
              secret: SECRET,
              timeoutMs: 3000,
              tries: 1,
            },
          ],
          ...(bytes !== undefined ? { radius: { recvBufferBytes: bytes } } : {}),
        });
        const aaaBefore = sumDrops(udpSocketDrops(aaa.pid));
        try {
          const b = await radiusBurst({ address: '127.0.0.1', port: kms.authPort, secret: SECRET }, n, {
            user: USER.name,
            password: USER.password,
            waitMs: 4000,
            ...(ratePerS !== undefined ? { ratePerS } : {}),
          });
          const sockets = udpSocketDrops(kms.process.pid);
          const auth = sockets.filter((s) => s.port === kms.authPort);
          const buffer = /\brb(\d+)/.exec(spawnSync('ss', ['-uamnH', `sport = :${kms.authPort}`], { encoding: 'utf8' }).stdout);
          results.get(label)!.push({
            kmsDrops: sumDrops(auth),
            upstreamSideDrops: sumDrops(sockets) - sumDrops(auth),
            aaaDrops: sumDrops(udpSocketDrops(aaa.pid)) - aaaBefore,
            answered: b.answered,
            bufferBytes: buffer ? Number(buffer[1]) : NaN,
          });
        } finally {
          await kms.stop();
        }
      }
    }
    for (const [label] of cases) {
      const rs = results.get(label)!;
      const f = (pick: (x: Round) => number) => spread(rs.map(pick));
      lines.push(
        `  ${label.padEnd(32)} SO_RCVBUF ${rs[0]!.bufferBytes.toLocaleString('en-US')} B: dropped by the kernel on the KMS auth socket ${f((x) => x.kmsDrops)}` +
          ` (${f((x) => (100 * x.kmsDrops) / n)} %), answered ${f((x) => x.answered)} of ${n.toLocaleString('en-US')}; upstream-side drops: KMS ${f((x) => x.upstreamSideDrops)}, FreeRADIUS ${f((x) => x.aaaDrops)}`,
      );
    }
  }
  return lines;
}

const sumDrops = (s: { drops: number }[]) => s.reduce((n, x) => n + x.drops, 0);

function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
  return `${fmt(sorted[Math.floor(sorted.length / 2)]!)} [${fmt(sorted[0]!)}-${fmt(sorted.at(-1)!)}]`;
}
