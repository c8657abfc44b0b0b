/**
 * Runs the real daemon (dist/daemon/main/kmsd.js, built by `npm test`) as a child process with
 * a generated config, master key and API token, and kmsctl against it. Everything lives in a
 * temp dir; the database survives restart() so tests can check persistence.
 */
import { mkdtempSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { createServer } from 'node:net';
import { spawnManaged, runCommand, registerTempDir, tail, type ManagedProcess, type CommandResult } from './netns.js';
import { freeUdpPort } from './freeradius.js';
import { ProgressDeadline } from '../../hw/vlab/guest/exec.js';
import { KMSD_NODE_FLAGS } from '../../daemon/main/node-flags.js';

// From test/helpers (vitest) or dist/test/helpers (compiled, used by bench and demo).
const HERE_ROOT = resolve(new URL('../..', import.meta.url).pathname);
const ROOT = HERE_ROOT.endsWith('/dist') ? resolve(HERE_ROOT, '..') : HERE_ROOT;
export const KMSD = join(ROOT, 'dist/daemon/main/kmsd.js');
export const KMSCTL = join(ROOT, 'dist/daemon/cli/kmsctl.js');

export interface KmsClientSpec {
  name: string;
  address: string;
  secret: string;
  das?: { secret: string; port?: number; address?: string };
}
export interface KmsUpstreamSpec {
  name: string;
  address: string;
  authPort: number;
  acctPort?: number;
  secret?: string;
  timeoutMs?: number;
  tries?: number;
  /** RadSec: `transport: 'tls'` with `tls: { ca, certificate, key: {file}, serverName }` as the YAML has it. */
  transport?: 'udp' | 'tls';
  tls?: Record<string, unknown>;
}

export interface KmsOptions {
  clients: KmsClientSpec[];
  upstreams: KmsUpstreamSpec[];
  /** Default 127.0.0.1; ports default to 0 (any free). */
  listenAddress?: string;
  authPort?: number;
  acctPort?: number;
  logLevel?: string;
  stations?: { defaultLifetimeS?: number; machineAuthWindowS?: number; purgeIntervalS?: number };
  radius?: {
    deadProbeIntervalS?: number;
    duplicateWindowS?: number;
    maxInFlight?: number;
    otherThreadsNice?: number;
    recvBufferBytes?: number;
  };
  /** `radius.dynamicAuthorization`, as YAML would give it. */
  dynamicAuthorization?: Record<string, unknown>;
  /** The `distribution:` section, as YAML would give it. */
  distribution?: Record<string, unknown>;
  /** The `roams:` section. */
  roams?: Record<string, unknown>;
  /** Extra environment for kmsd (e.g. PATH with stand-in tools). */
  env?: NodeJS.ProcessEnv;
  /** The master key (64 hex digits): cluster members share one. Default a fresh random key. */
  masterKeyHex?: string;
  /** The `cluster:` section, as YAML would give it. */
  cluster?: Record<string, unknown>;
}

/**
 * The `cluster:` section of one member of a cluster whose members (default a and b) all take
 * RADIUS on 127.0.0.1, on etcd at `endpoints` under `prefix`; `tuning` adds the section's other settings.
 */
export function clusterOptions(o: {
  member: string;
  endpoints: string[];
  prefix: string;
  names?: string[];
  tuning?: { commitTimeoutMs?: number; leaseTtlS?: number };
}): Record<string, unknown> {
  return {
    member: o.member,
    members: (o.names ?? ['a', 'b']).map((name) => ({ name, radiusAddress: '127.0.0.1' })),
    etcd: { endpoints: o.endpoints, prefix: o.prefix },
    ...o.tuning,
  };
}

export interface KmsHandle {
  readonly dir: string;
  readonly configPath: string;
  readonly token: string;
  authPort: number;
  acctPort: number;
  apiPort: number;
  process: ManagedProcess;
  /** Logs of every run of the daemon so far (restarts included). */
  logs(): string;
  kmsctl(args: string[]): Promise<CommandResult>;
  kmsctlJson<T>(args: string[]): Promise<T>;
  api<T>(path: string): Promise<{ status: number; body: T }>;
  metrics(): Promise<string>;
  restart(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKms(opts: KmsOptions): Promise<KmsHandle> {
  if (!existsSync(KMSD)) throw new Error(`${KMSD} is missing: run \`npm run build\` first (npm test does)`);
  const dir = mkdtempSync(join(tmpdir(), 'kms-daemon-'));
  registerTempDir(dir);
  const token = randomBytes(16).toString('hex');
  const keyFile = join(dir, 'master-key');
  writeFileSync(keyFile, (opts.masterKeyHex ?? randomBytes(32).toString('hex')) + '\n', { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  const address = opts.listenAddress ?? '127.0.0.1';
  // Ports are chosen here rather than with 0 so the test knows them whatever the log level.
  const authPort = opts.authPort ?? (await freeUdpPort());
  const acctPort = opts.acctPort ?? (await freeUdpPort([authPort]));
  const apiPort = await freeTcpPort();
  const config = {
    stateDir: join(dir, 'state'),
    masterKey: { file: keyFile },
    log: { level: opts.logLevel ?? 'debug' },
    radius: {
      authListen: { address, port: authPort },
      acctListen: { address, port: acctPort },
      clients: opts.clients,
      upstreams: opts.upstreams.map((u) => ({ timeoutMs: 1000, tries: 2, ...u })),
      deadProbeIntervalS: opts.radius?.deadProbeIntervalS ?? 2,
      duplicateWindowS: opts.radius?.duplicateWindowS ?? 30,
      maxInFlight: opts.radius?.maxInFlight ?? 8192,
      ...(opts.radius?.otherThreadsNice !== undefined ? { otherThreadsNice: opts.radius.otherThreadsNice } : {}),
      ...(opts.radius?.recvBufferBytes !== undefined ? { recvBufferBytes: opts.radius.recvBufferBytes } : {}),
      ...(opts.dynamicAuthorization ? { dynamicAuthorization: opts.dynamicAuthorization } : {}),
    },
    stations: { defaultLifetimeS: 3600, machineAuthWindowS: 3600, purgeIntervalS: 60, ...opts.stations },
    api: { address: '127.0.0.1', port: apiPort, token },
    ...(opts.distribution ? { distribution: opts.distribution } : {}),
    ...(opts.roams ? { roams: opts.roams } : {}),
    ...(opts.cluster ? { cluster: opts.cluster } : {}),
  };
  const configPath = join(dir, 'kms.yaml');
  writeFileSync(configPath, stringify(config), { mode: 0o600 });

  let previousLogs = '';
  const handle = {} as KmsHandle;
  const launch = async () => {
    const proc = spawnManaged(
      process.execPath,
      [...KMSD_NODE_FLAGS, KMSD, '--config', configPath],
      opts.env ? { env: { ...process.env, ...opts.env } } : {},
    );
    handle.process = proc;
    // Ready = the API answers (it starts after the RADIUS sockets are bound). On a busy machine
    // the start is slow, not stuck: it fails once kmsd stops using CPU without being ready.
    const deadline = new ProgressDeadline(proc.pid, 20_000, 300_000);
    const started = Date.now();
    for (;;) {
      if (!proc.isRunning()) throw new Error(`kmsd exited during start-up:\n${tail(proc.output())}`);
      const ok = await fetch(`http://127.0.0.1:${apiPort}/v1/health`, { headers: { Authorization: `Bearer ${token}` } }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (deadline.expired())
        throw new Error(`kmsd did not become ready (${Date.now() - started} ms, idle for 20 s or past 300 s):\n${tail(proc.output())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const api = async <T>(path: string) => {
    const res = await fetch(`http://127.0.0.1:${handle.apiPort}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  Object.assign(handle, {
    dir,
    configPath,
    token,
    authPort,
    acctPort,
    apiPort,
    logs: () => previousLogs + (handle.process?.output() ?? ''),
    kmsctl: (args: string[]) => runCommand(process.execPath, [KMSCTL, '--config', configPath, ...args]),
    kmsctlJson: async <T>(args: string[]) => {
      const r = await runCommand(process.execPath, [KMSCTL, '--config', configPath, ...args, '--json']);
      if (r.code !== 0) throw new Error(`kmsctl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    api,
    metrics: async () => {
      const res = await fetch(`http://127.0.0.1:${handle.apiPort}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      return res.text();
    },
    restart: async () => {
      await handle.process.stop();
      previousLogs += handle.process.output();
      await launch();
    },
    kill9: async () => {
      process.kill(handle.process.pid, 'SIGKILL');
      await handle.process.exited;
      previousLogs += handle.process.output();
    },
    stop: async () => {
      if (handle.process.isRunning()) await handle.process.stop();
    },
  } satisfies Partial<KmsHandle>);
  await launch();
  return handle;
}

/**
 * The sum of the samples of `name` that carry these labels (others may differ: the RADIUS counters'
 * `ap`, say), e.g. metricValue(text, 'kms_radius_dropped_total', { reason: 'unknown-client' }).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
