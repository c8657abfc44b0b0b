/**
 * A private etcd cluster for a test: N members of Debian's etcd-server (3.4), each with its own
 * data directory in a fresh temp dir, on loopback (or on addresses inside a namespace the test
 * made). Members can be killed with SIGKILL and started again on the same data, which is what the
 * cluster tests do to the leader and to a quorum. Nothing touches a system etcd.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { makeTempDir, runCommand, spawnManaged, type ManagedProcess, type Netns, type TempDir } from './netns.js';

export const ETCD = '/usr/bin/etcd';
export const ETCDCTL = '/usr/bin/etcdctl';

export interface EtcdClusterOptions {
  /** Members (default 3). */
  size?: number;
  /** Address every member listens on (default 127.0.0.1); one per member when given as a list. */
  host?: string | string[];
  /** Run the members inside this namespace (their addresses must exist there). */
  netns?: Netns;
  /** How long start() waits for the whole cluster to serve (default 60 s: a busy 2-core machine). */
  readyTimeoutMs?: number;
}

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  /** The running process, or null while the member is down. */
  process(): ManagedProcess | null;
  /** SIGKILL; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Starts the member again on its data directory (after kill9 or stop). */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  readonly members: EtcdMember[];
  /** Client URLs of every member, for a client's endpoint list. */
  endpoints(): string[];
  /** The member that is leader now (asked of the members that are up). */
  leader(): Promise<EtcdMember>;
  /** Waits until `count` members (default all that are up) answer as healthy. */
  waitHealthy(timeoutMs?: number, count?: number): Promise<void>;
  /** etcdctl against the running members; returns stdout (throws on failure). */
  ctl(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const size = options.size ?? 3;
  const hosts = Array.from({ length: size }, (_, i) => (Array.isArray(options.host) ? options.host[i]! : (options.host ?? '127.0.0.1')));
  const dir: TempDir = await makeTempDir('etcd');
  const token = `kms-test-${process.pid}-${Date.now()}`;
  // Ports are picked in this namespace; inside another namespace they are as free as anywhere.
  const specs: { name: string; host: string; client: number; peer: number }[] = [];
  for (let i = 0; i < size; i++) {
    const host = options.netns ? '127.0.0.1' : hosts[i]!;
    specs.push({ name: `m${i + 1}`, host: hosts[i]!, client: await freePort(host), peer: await freePort(host) });
  }
  const initialCluster = specs.map((s) => `${s.name}=http://${s.host}:${s.peer}`).join(',');
  const procs = new Map<string, ManagedProcess | null>();
  let started = false;

  const launch = (s: (typeof specs)[number]) => {
    const args = [
      `--name=${s.name}`,
      `--data-dir=${join(dir.path, s.name)}`,
      `--listen-client-urls=http://${s.host}:${s.client}`,
      `--advertise-client-urls=http://${s.host}:${s.client}`,
      `--listen-peer-urls=http://${s.host}:${s.peer}`,
      `--initial-advertise-peer-urls=http://${s.host}:${s.peer}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=${token}`,
      // A restarted member rejoins from its data directory; the flag only matters the first time.
      `--initial-cluster-state=${started ? 'existing' : 'new'}`,
      '--logger=zap',
      '--log-outputs=stderr',
      '--log-level=warn',
    ];
    const p = options.netns ? options.netns.spawn(ETCD, args) : spawnManaged(ETCD, args);
    procs.set(s.name, p);
  };
  for (const s of specs) launch(s);
  started = true;

  const up = () => specs.filter((s) => procs.get(s.name)?.isRunning());
  const urlOf = (s: (typeof specs)[number]) => `http://${s.host}:${s.client}`;
  const ctl = async (args: string[], endpoints = up().map(urlOf)) => {
    const argv = [`--endpoints=${endpoints.join(',')}`, '--dial-timeout=2s', '--command-timeout=5s', ...args];
    const r = options.netns
      ? await options.netns.run(ETCDCTL, argv, { env: { ...process.env, ETCDCTL_API: '3' } })
      : await runCommand(ETCDCTL, argv, { env: { ...process.env, ETCDCTL_API: '3' } });
    if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const healthyCount = async () => {
    let n = 0;
    for (const s of up()) {
      try {
        await ctl(['endpoint', 'health'], [urlOf(s)]);
        n++;
      } catch {}
    }
    return n;
  };

  const members: EtcdMember[] = specs.map((s) => ({
    name: s.name,
    clientUrl: urlOf(s),
    peerUrl: `http://${s.host}:${s.peer}`,
    process: () => procs.get(s.name) ?? null,
    kill9: async () => {
      const p = procs.get(s.name);
      if (!p) return;
      process.kill(p.pid, 'SIGKILL');
      await p.exited;
      procs.set(s.name, null);
    },
    restart: async () => {
      if (procs.get(s.name)?.isRunning()) return;
      launch(s);
    },
  }));

  const cluster: EtcdCluster = {
    members,
    endpoints: () => specs.map(urlOf),
    ctl: (args) => ctl(args),
    leader: async () => {
      const status = JSON.parse(await ctl(['endpoint', 'status', '--write-out=json'])) as {
        Endpoint: string;
        Status: { header: { member_id: number | string }; leader: number | string };
      }[];
      const lead = status.find((e) => String(e.Status.leader) === String(e.Status.header.member_id));
      const m = lead && members.find((x) => x.clientUrl === lead.Endpoint);
      if (!m) throw new Error(`no etcd member says it leads: ${JSON.stringify(status)}`);
      return m;
    },
    waitHealthy: async (timeoutMs = options.readyTimeoutMs ?? 60_000, count?: number) => {
      const deadline = Date.now() + timeoutMs;
      for (let delay = 50; ; delay = Math.min(1000, delay * 2)) {
        const want = count ?? up().length;
        if ((await healthyCount()) >= want) return;
        if (Date.now() > deadline) {
          const logs = specs.map((s) => `${s.name}: ${procs.get(s.name)?.output().slice(-1500) ?? '(down)'}`).join('\n');
          throw new Error(`etcd: fewer than ${want} healthy members within ${timeoutMs} ms\n${logs}`);
        }
        await sleep(delay);
      }
    },
    stop: async () => {
      for (const s of specs) await procs.get(s.name)?.stop(2000);
      await dir.remove();
    },
  };
  try {
    await cluster.waitHealthy();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
