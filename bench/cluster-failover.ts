import { exchange, ftStationRequest } from '../test/helpers/radius-client.js';
import { canUseNetns } from '../test/helpers/netns.js';
import { HostapdR1kh } from '../test/unit/rrb/hostapd-r1kh.js';
import { openL2Socket, type L2Transport } from '../adapters/rrb/l2-socket.js';
import {
  BENCH_SECRET,
  BENCH_SSID,
  BENCH_USER,
  clusterView,
  KMS_MAC,
  startBenchCluster,
  until,
  type BenchCluster,
} from './cluster-setup.js';

// Failover of the exactly-once work (docs/cluster.md): two kmsd members on a 3-member etcd share
// the KMS's one R0KH-R1KH MAC on a bridged segment. An AP that is nobody's neighbour (the
// hostapd-like R1KH of the tests) PULLs a known station's key every 50 ms, each PULL waiting at
// most 100 ms for its answer (hostapd's own retransmission interval). Each trial kills the member
// holding the work with SIGKILL and times the first PULL the survivor answers; the killed member is
// started again (as the one without the work) before the next trial. The peer figure: the lease
// TTL, the floor of any lease-based takeover (etcd frees a dead holder's claim only then).

const TRIALS = Number(process.env.KMS_BENCH_FAILOVERS ?? 10);
const LEASE_TTL_S = 2; // cluster.leaseTtlS's default
const STA = '02:00:00:00:01:00';
const AP2 = { mac: '02:00:00:00:04:00', key: Buffer.alloc(32, 0xa2) };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchClusterFailover(): Promise<string[]> {
  if (!canUseNetns()) return ['(skipped: the failover bench needs root for a network namespace and raw Ethernet)'];
  const sockets: L2Transport[] = [];
  let cluster: BenchCluster | null = null;
  try {
    cluster = await startBenchCluster({
      names: ['a', 'b'],
      prefix: '/failover-bench/',
      aps: [
        { name: 'ap1', nasIdentifier: 'ap1.example.com', bssid: '02:00:00:00:03:00', rrbKeyHex: 'a1'.repeat(32), neighbors: [] },
        // Nobody's neighbour: every key it gets, it PULLs.
        { name: 'ap2', nasIdentifier: 'ap2.example.com', bssid: AP2.mac, rrbKeyHex: AP2.key.toString('hex'), neighbors: [] },
      ],
    });
    const c = cluster;
    const a = await c.start('a');
    await until('a to hold the work', async () => ((await clusterView(a)).work.holder === 'a' ? true : undefined));
    const b = await c.start('b');

    const [accept] = await exchange(
      { address: '127.0.0.1', port: a.authPort },
      ftStationRequest({ secret: BENCH_SECRET, user: BENCH_USER, station: STA, ssid: BENCH_SSID }),
    );
    if (accept?.[0] !== 2) throw new Error('the bench station was not accepted');
    const rec = await until('the station on both members', async () => {
      const [x, y] = await Promise.all([
        a.kmsctlJson<{ pmkR0Name: string | null }>(['station', STA]),
        b.kmsctlJson<{ pmkR0Name: string | null }>(['station', STA]),
      ]);
      return x.pmkR0Name && x.pmkR0Name === y.pmkR0Name ? x : undefined;
    });
    const pmkR0Name = Buffer.from(rec.pmkR0Name!, 'hex');
    const apSock = openL2Socket(c.apLink('ap2').b.ifname);
    sockets.push(apSock);
    const ap = new HostapdR1kh(apSock, AP2.mac, { addr: KMS_MAC, key: AP2.key });
    const pullAnswered = async (deadlineMs: number): Promise<boolean> => {
      while (Date.now() < deadlineMs) {
        const sent = Date.now();
        if ((await ap.pull(STA, 'ap1.example.com', pmkR0Name, 100)).ok) return true;
        await sleep(Math.max(0, 50 - (Date.now() - sent)));
      }
      return false;
    };
    if (!(await pullAnswered(Date.now() + 10_000))) throw new Error('the first PULL was not answered');

    const takeoverMs: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const holder = (await clusterView(c.members.a!)).work.holder ?? (await clusterView(c.members.b!)).work.holder;
      if (holder !== 'a' && holder !== 'b') throw new Error(`trial ${i + 1}: nobody holds the work`);
      const victim = c.members[holder]!;
      const killedAt = Date.now();
      await victim.kill9();
      if (!(await pullAnswered(killedAt + 30_000))) throw new Error(`trial ${i + 1}: no PULL answered within 30 s of the kill`);
      takeoverMs.push(Date.now() - killedAt);
      await victim.restart();
      await until('both members registered again', async () =>
        (await clusterView(victim)).members.every((m) => m.registered) ? true : undefined,
      );
    }
    const sorted = [...takeoverMs].sort((x, y) => x - y);
    return [
      `kill -9 of the member holding the work → first PULL answered by the survivor, ${TRIALS} trials: ` +
        `min ${sorted[0]} ms, median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms`,
      `  peer: the lease TTL (cluster.leaseTtlS) ${LEASE_TTL_S * 1000} ms, the floor of a lease-based takeover; goal < 3000 ms`,
      `  each trial: ${takeoverMs.join(', ')} ms`,
    ];
  } finally {
    for (const s of sockets) s.close();
    await cluster?.stop();
  }
}
