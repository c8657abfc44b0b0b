import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FreeRadiusHandle } from '../test/helpers/freeradius.js';
import { SECRET, USER, startBenchUpstream } from './radius.js';
import { startKms } from '../test/helpers/kms.js';
import { exchange, ftStationRequest } from '../test/helpers/radius-client.js';
import { canUseNetns, createNetns, createVeth, runChecked, type Netns, type VethPair } from '../test/helpers/netns.js';
import { HostapdR1kh } from '../test/unit/rrb/hostapd-r1kh.js';
import { openL2Socket, type L2Transport } from '../adapters/rrb/l2-socket.js';
import { writeMac } from '../daemon/common/mac.js';
import { percentile } from './radius-load.js';
import { currentThreadId, raiseThreadPriority, runRealtime } from '../daemon/common/thread-priority.js';

// The AP stands in for another machine, so the measuring process must not be what waits: it and
// the echo peer run at the priority of kmsd's R0KH-R1KH thread (priorityBoost 10 nice levels,
// realtimePriority SCHED_RR 1), and the figures compare kmsd's answer with a bare round trip at
// the same priority. Real-time is set with reset-on-fork, so kmsd, the load and the hog that the
// measuring process starts begin at the normal scheduler and nice 0, as a service would.
const BOOST = 10;
const REALTIME = 1;
const boostSelf = () => {
  const tid = currentThreadId();
  return { nice: raiseThreadPriority(tid, BOOST), realtime: runRealtime(tid, REALTIME) };
};

// A roam-time PULL, timed from the AP's side: an AP (the hostapd-like R1KH of the tests, on a
// bridged veth segment with kmsd) sends PULL after PULL for a station kmsd learned, and each is
// timed until its RESP arrives. Measured while kmsd idles, while its RADIUS path is saturated
// (64 requests outstanding from another process), and while a CPU hog (one busy process per
// core) runs beside it. The peer: the same frames echoed by a process that does nothing else
// (the segment's and Node's floor under the same load). hostapd retransmits an FT
// Authentication, with a fresh nonce, after about 100 ms: a PULL answered later is wasted.

const PULLS = Number(process.env.KMS_BENCH_PULLS ?? 400);
const SSID = 'bench-ssid';
const STA = '02:00:00:00:01:00';
const MACS = { kms: '02:00:00:00:09:00', ap: '02:00:00:00:04:00', echo: '02:00:00:00:09:01' };
const AP_KEY = Buffer.alloc(32, 0xa2);
const here = fileURLToPath(import.meta.url);

interface Figures {
  p50: number;
  p99: number;
  max: number;
  lost: number;
}

const summary = (ms: number[], lost: number): Figures => ({ p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms), lost });

async function timePulls(ap: HostapdR1kh, pmkR0Name: Buffer, r0khId: string): Promise<Figures> {
  const ms: number[] = [];
  let lost = 0;
  for (let i = 0; i < PULLS; i++) {
    const t0 = performance.now();
    const r = await ap.pull(STA, r0khId, pmkR0Name, 1000);
    if (!r.ok) lost++;
    else ms.push(performance.now() - t0);
    // Spaced like roams, not back to back.
    await new Promise((r) => setTimeout(r, 2));
  }
  return summary(ms, lost);
}

/** The floor: the same L2 round trip to a process that swaps the addresses and sends the frame back. */
function echoChild(ifname: string): ChildProcess {
  return fork(here, ['--echo', ifname], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
}

async function timeEcho(l2: L2Transport): Promise<Figures> {
  const ms: number[] = [];
  let lost = 0;
  let waiting: ((f: Buffer) => void) | null = null;
  l2.onFrame((f) => waiting?.(f));
  for (let i = 0; i < PULLS; i++) {
    const frame = Buffer.alloc(120, 0);
    writeMac(MACS.echo, frame, 0);
    writeMac(l2.mac, frame, 6);
    frame.writeUInt16BE(0x88b7, 12);
    frame.writeUInt32BE(i, 20);
    const t0 = performance.now();
    const got = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 1000);
      waiting = (f) => {
        if (f.readUInt32BE(20) !== i) return;
        clearTimeout(timer);
        resolve(true);
      };
      l2.send(frame);
    });
    if (got) ms.push(performance.now() - t0);
    else lost++;
    await new Promise((r) => setTimeout(r, 2));
  }
  return summary(ms, lost);
}

function radiusLoad(port: number, seconds: number): ChildProcess {
  return fork(here, ['--load', String(port), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
}

function cpuHog(): ChildProcess[] {
  return Array.from({ length: 2 }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

/** kmsd with its R0KH-R1KH thread at `realtimePriority` (0: nice only), a learned station, and an AP that has PULLed once. */
async function startKmsd(links: VethPair[], aaa: FreeRadiusHandle, realtimePriority: number) {
  const kms = await startKms({
    logLevel: 'warn',
    clients: [{ name: 'ap1', address: '127.0.0.1', secret: SECRET }],
    upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: SECRET, timeoutMs: 3000 }],
    distribution: {
      ssid: SSID,
      mobilityDomain: 'a1b2',
      kmsRadiusAddress: '127.0.0.1',
      rrb: { interface: links[0]!.b.ifname, realtimePriority },
      aps: [
        {
          name: 'ap1',
          nasIdentifier: 'ap1.example.com',
          radiusClient: 'ap1',
          rrbKey: 'a1'.repeat(32),
          bsses: [{ ifname: 'wlan0', bssid: '02:00:00:00:03:00' }],
          neighbors: [],
        },
        // Nobody's neighbour: every key it gets, it PULLs.
        {
          name: 'ap2',
          nasIdentifier: 'ap2.example.com',
          radiusClient: 'ap1',
          rrbKey: AP_KEY.toString('hex'),
          bsses: [{ ifname: 'wlan0', bssid: MACS.ap }],
          neighbors: [],
        },
      ],
    },
  });
  // One FT station learned at ap1 (PAP stands in for EAP: the Accept carries MPPE keys).
  const [accept] = await exchange(
    { address: '127.0.0.1', port: kms.authPort },
    ftStationRequest({ secret: SECRET, user: USER, station: STA, ssid: SSID }),
  );
  if (accept?.[0] !== 2) throw new Error('the bench station was not accepted');
  const rec = await kms.kmsctlJson<{ pmkR0Name: string | null }>(['station', STA]);
  if (!rec.pmkR0Name) throw new Error('the bench station has no PMK-R0');
  const pmkR0Name = Buffer.from(rec.pmkR0Name, 'hex');

  const apSock = openL2Socket(links[1]!.b.ifname);
  const ap = new HostapdR1kh(apSock, MACS.ap, { addr: MACS.kms, key: AP_KEY });
  const first = await ap.pull(STA, 'ap1.example.com', pmkR0Name, 3000); // the sequence exchanges, once
  if (!first.ok) {
    apSock.close();
    await kms.stop();
    throw new Error(`the first PULL was not answered (${first.nak ? 'NAK' : 'no answer'}); kmsd's log ends:\n${kms.logs().slice(-2000)}`);
  }
  return { kms, ap, apSock, pmkR0Name };
}

export async function benchPull(): Promise<string[]> {
  if (!canUseNetns()) return ['(skipped: the PULL bench needs root for a network namespace and raw Ethernet)'];
  const measuring = boostSelf();
  let ns: Netns | null = null;
  const links: VethPair[] = [];
  let aaa: FreeRadiusHandle | null = null;
  let kmsd: Awaited<ReturnType<typeof startKmsd>> | null = null;
  const children: ChildProcess[] = [];
  const sockets: L2Transport[] = [];
  try {
    ns = await createNetns('pullb');
    await ns.run('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await ns.run('ip', ['link', 'set', 'br0', 'up']);
    for (const mac of [MACS.kms, MACS.ap, MACS.echo]) {
      const pair = await createVeth({ netns: ns }, { netns: null, mac });
      await runChecked('ip', ['-n', ns.name, 'link', 'set', pair.a.ifname, 'master', 'br0']);
      links.push(pair);
    }
    aaa = await startBenchUpstream();
    kmsd = await startKmsd(links, aaa, REALTIME);
    const echo = echoChild(links[2]!.b.ifname);
    children.push(echo);
    await once(echo.stdout!, 'data');
    const probeSock = openL2Socket(links[1]!.b.ifname);
    sockets.push(probeSock);

    const rows: [string, Figures, Figures][] = [];
    const measure = async (name: string, during?: () => ChildProcess[]) => {
      const load = during?.() ?? [];
      children.push(...load);
      if (load.length > 0) await new Promise((r) => setTimeout(r, 1000)); // let the load build up
      const pull = await timePulls(kmsd!.ap, kmsd!.pmkR0Name, 'ap1.example.com');
      const floor = await timeEcho(probeSock);
      for (const c of load) c.kill('SIGKILL');
      rows.push([name, pull, floor]);
    };
    await measure('kmsd idle');
    await measure('RADIUS path saturated', () => [radiusLoad(kmsd!.kms.authPort, 600)]);
    await measure('CPU hog (2 busy processes)', cpuHog);
    await measure('both', () => [radiusLoad(kmsd!.kms.authPort, 600), ...cpuHog()]);
    const rtRefused = kmsd.kms.logs().includes('could not run real-time');

    // The same load on a kmsd whose R0KH-R1KH thread has only its nice boost
    // (distribution.rrb.realtimePriority: 0): what real-time scheduling buys.
    const rt = kmsd;
    kmsd = null;
    rt.apSock.close();
    await rt.kms.stop();
    kmsd = await startKmsd(links, aaa, 0);
    await measure('CPU hog, realtimePriority 0', cpuHog);
    await measure('both, realtimePriority 0', () => [radiusLoad(kmsd!.kms.authPort, 600), ...cpuHog()]);

    const f = (x: Figures) =>
      `p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms, max ${x.max.toFixed(1)} ms${x.lost ? `, ${x.lost} lost` : ''}`;
    return [
      `PULL → RESP at the AP, ${PULLS} PULLs per row (goal p99 < 5 ms; hostapd retransmits after ~100 ms); AP and echo peer at nice ${measuring.nice}, SCHED_RR ${measuring.realtime}, like kmsd's R0KH-R1KH thread${rtRefused ? ' (kmsd was refused real-time: its thread ran at its nice boost only)' : ''}`,
      ...rows.map(([name, pull, floor]) => `${name.padEnd(28)} kmsd: ${f(pull)}   (peer, L2 echo process: ${f(floor)})`),
    ];
  } finally {
    for (const c of children) c.kill('SIGKILL');
    for (const s of sockets) s.close();
    kmsd?.apSock.close();
    await kmsd?.kms.stop();
    await aaa?.stop();
    for (const l of links) await l.destroy();
    await ns?.destroy();
  }
}

// Child modes: the echo peer and the RADIUS load generator run in processes of their own, so
// neither competes with the measuring process's event loop.
if (process.argv[2] === '--echo') {
  boostSelf();
  const l2 = openL2Socket(process.argv[3]!);
  l2.onFrame((f) => {
    const out = Buffer.from(f);
    f.copy(out, 0, 6, 12);
    f.copy(out, 6, 0, 6);
    l2.send(out);
  });
  process.stdout.write('ready\n');
  process.on('disconnect', () => process.exit(0));
} else if (process.argv[2] === '--load') {
  const { closedLoop } = await import('./radius-load.js');
  process.stdout.write('ready\n');
  process.on('disconnect', () => process.exit(0));
  await closedLoop({ address: '127.0.0.1', port: Number(process.argv[3]), secret: SECRET }, USER, 64, Number(process.argv[4]) * 1000);
  process.exit(0);
}
