import { randomBytes } from 'node:crypto';
import { startEtcdCluster, type EtcdCluster } from '../test/helpers/etcd-cluster.js';
import type { FreeRadiusHandle } from '../test/helpers/freeradius.js';
import { SECRET, USER, startBenchUpstream } from './radius.js';
import { clusterOptions, startKms, type KmsHandle } from '../test/helpers/kms.js';
import { createNetns, createVeth, runChecked, type Netns, type VethPair } from '../test/helpers/netns.js';

// What the cluster benches stand on: a 3-member etcd, the RADIUS benches' FreeRADIUS (one PAP user
// answered with MPPE keys, so every Accept is an FT station with a PMK-R0), and kmsd members sharing a master key and
// the KMS's one R0KH-R1KH MAC, each on its own port of a bridged segment where the APs' ports are.

export const BENCH_SECRET = SECRET;
export const BENCH_USER = USER;
export const BENCH_SSID = 'bench-ssid';
export const KMS_MAC = '02:00:00:00:09:00';

export interface BenchAp {
  name: string;
  nasIdentifier: string;
  bssid: string;
  rrbKeyHex: string;
  neighbors: string[];
}

export interface BenchCluster {
  etcd: EtcdCluster;
  aaa: FreeRadiusHandle;
  members: Record<string, KmsHandle>;
  /** The AP side of each AP's port on the segment, by AP name (for an R1KH to listen on). */
  apLink(name: string): VethPair;
  /** Starts member `name` (one of `names`) on its own port. */
  start(name: string): Promise<KmsHandle>;
  stop(): Promise<void>;
}

const portMac = (i: number) => `02:00:00:00:0a:${i.toString(16).padStart(2, '0')}`;

export async function startBenchCluster(o: { names: string[]; aps: BenchAp[]; logLevel?: string; prefix: string }): Promise<BenchCluster> {
  const links = new Map<string, VethPair>();
  let ns: Netns | null = null;
  let etcd: EtcdCluster | null = null;
  let aaa: FreeRadiusHandle | null = null;
  const members: Record<string, KmsHandle> = {};
  const stop = async () => {
    for (const k of Object.values(members)) await k.stop().catch(() => {});
    await aaa?.stop();
    await etcd?.stop();
    for (const l of links.values()) await l.destroy().catch(() => {});
    await ns?.destroy();
  };
  try {
    ns = await createNetns('clb');
    await ns.run('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await ns.run('ip', ['link', 'set', 'br0', 'up']);
    const ports: [string, string][] = [
      ...o.names.map((n, i): [string, string] => [`kms:${n}`, portMac(i)]),
      ...o.aps.map((a): [string, string] => [a.name, a.bssid]),
    ];
    for (const [port, mac] of ports) {
      const pair = await createVeth({ netns: ns }, { netns: null, mac });
      await runChecked('ip', ['-n', ns.name, 'link', 'set', pair.a.ifname, 'master', 'br0']);
      links.set(port, pair);
    }
    etcd = await startEtcdCluster({ size: 3 });
    aaa = await startBenchUpstream();
  } catch (e) {
    await stop();
    throw e;
  }
  const master = randomBytes(32).toString('hex');
  const cluster: BenchCluster = {
    etcd,
    aaa,
    members,
    apLink: (name) => links.get(name)!,
    start: async (name) => {
      const k = await startKms({
        logLevel: o.logLevel ?? 'warn',
        masterKeyHex: master,
        clients: [{ name: 'aps', address: '127.0.0.1', secret: BENCH_SECRET }],
        upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa!.authPort, acctPort: aaa!.acctPort, secret: BENCH_SECRET }],
        distribution: {
          ssid: BENCH_SSID,
          mobilityDomain: 'a1b2',
          kmsRadiusAddress: '127.0.0.1',
          rrb: { interface: links.get(`kms:${name}`)!.b.ifname, mac: KMS_MAC },
          aps: o.aps.map((a) => ({
            name: a.name,
            nasIdentifier: a.nasIdentifier,
            radiusClient: 'aps',
            rrbKey: a.rrbKeyHex,
            bsses: [{ ifname: 'wlan0', bssid: a.bssid }],
            neighbors: a.neighbors,
          })),
        },
        cluster: clusterOptions({ member: name, names: o.names, endpoints: etcd!.endpoints(), prefix: o.prefix }),
      });
      members[name] = k;
      return k;
    },
    stop,
  };
  return cluster;
}

/** Polls `probe` every 100 ms until it gives a value (errors count as "not yet"). */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`cluster bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ClusterView {
  members: { name: string; registered: boolean | null }[];
  work: { holder: string | null };
}

export const clusterView = (k: KmsHandle) => k.kmsctlJson<ClusterView>(['cluster']);
