import { inspect } from 'node:util';
import type { Worker } from 'node:worker_threads';
import type { KmsConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { perLabels, type KmsMetrics } from '../metrics/metrics.js';
import type { StationLife } from '../stations/station-life.js';
import type { StationRecord } from '../records/station.js';
import type { ClusterMetrics } from '../metrics/cluster-metrics.js';
import { InSlices } from './in-slices.js';
import type { ReplicatorStatus } from '../cluster/replicator.js';
import type {
  FromRadiusThread,
  RadiusCounts,
  RadiusReloadResult,
  RadiusReloadTables,
  RadiusStatus,
  RadiusWorkerData,
  ToRadiusThread,
  ClusterConnection,
} from './radius-messages.js';

// The main thread's side of the RADIUS thread (daemon/main/radius-worker.ts, which the composition
// root spawns): hands the records the thread commits and the accounting it receives to
// StationLife, and turns its counters into metrics.
// If the thread dies, kmsd exits and systemd restarts it: a KMS that cannot answer RADIUS must
// not look healthy.

export interface RadiusThread {
  ports: { authPort: number; acctPort: number };
  /** The RADIUS thread's kernel thread id, when the platform has one. */
  tid: number | null;
  status(): RadiusStatus;
  /** False once the thread has been silent for 5 s (it reports at least every second). */
  alive(): boolean;
  /** Brings the RADIUS counters in the registry up to date. */
  refreshMetrics(): Promise<void>;
  /** Hands a reload's tables to the thread; resolves once it has swapped them in. */
  reconfigure(tables: RadiusReloadTables): Promise<RadiusReloadResult>;
  stop(): Promise<void>;
}

/** The RADIUS secrets the start-up checks resolved (daemon/main/startup-checks.ts). */
export interface RadiusSecrets {
  clientSecrets: ReadonlyMap<string, Buffer>;
  upstreamSecrets: ReadonlyMap<string, Buffer>;
  /** PEM text of each RadSec upstream's CA, certificate and key. */
  upstreamTls: ReadonlyMap<string, { ca: string; cert: string; key: string }>;
}

export interface RadiusThreadDeps {
  /** Starts the thread's code with this data (the composition root knows where that code is). */
  spawn(data: RadiusWorkerData): Worker;
  /** Where the thread's records and accounting go. */
  life: StationLife;
  /**
   * Runs a slice of adoptions of learned records, this member's or another's (StationLife, then
   * key distribution as far as posting its PUSHes), at roam-time priority: the main thread is niced,
   * and a station's first keys must not wait behind other programs. Absent: adoptions run at the
   * main thread's own priority.
   */
  atRoamPriority?: <T>(fn: () => T) => T;
  metrics: KmsMetrics;
  log: Logger;
  storePath: string;
  masterKey: Buffer;
  /** The RADIUS secrets, resolved by the start-up checks. */
  secrets: RadiusSecrets;
  /** Called when the thread fails after start-up. */
  fatal(reason: string): void;
  /** With a cluster: where the thread commits records too, and the metrics of that commit. */
  cluster?: { connection: ClusterConnection; metrics: ClusterMetrics; onReplication(s: ReplicatorStatus): void };
}

/** The tables a reload may change, with the secrets the start-up checks resolved. */
export function radiusTables(config: KmsConfig, secrets: RadiusSecrets): RadiusReloadTables {
  return {
    logLevel: config.log.level,
    clients: config.radius.clients.map((c) => ({
      name: c.name,
      address: c.address,
      secret: secrets.clientSecrets.get(c.name)!,
    })),
    upstreams: config.radius.upstreams.map((u) => ({
      name: u.name,
      address: u.address,
      authPort: u.authPort,
      acctPort: u.acctPort,
      timeoutMs: u.timeoutMs,
      tries: u.tries,
      secret: secrets.upstreamSecrets.get(u.name)!,
      ...(u.tls
        ? { tls: { ...secrets.upstreamTls.get(u.name)!, serverName: u.tls.serverName, keepaliveMs: u.tls.keepaliveS * 1000 } }
        : {}),
    })),
    deadProbeIntervalMs: config.radius.deadProbeIntervalS * 1000,
  };
}

export function startRadiusThread(config: KmsConfig, deps: RadiusThreadDeps): Promise<RadiusThread> {
  const { life, metrics, log } = deps;
  const tables = radiusTables(config, deps.secrets);
  const data: RadiusWorkerData = {
    storePath: deps.storePath,
    masterKey: new Uint8Array(deps.masterKey),
    logLevel: config.log.level,
    policy: config.stations,
    purgeIntervalS: config.stations.purgeIntervalS,
    authListen: config.radius.authListen,
    acctListen: config.radius.acctListen,
    clients: tables.clients,
    upstreams: tables.upstreams,
    deadProbeIntervalMs: tables.deadProbeIntervalMs,
    duplicateWindowMs: config.radius.duplicateWindowS * 1000,
    maxInFlight: config.radius.maxInFlight,
    recvBufferBytes: config.radius.recvBufferBytes,
    storeStatementsBoost: config.distribution ? config.distribution.rrb.priorityBoost : 0,
    ...(deps.cluster && config.cluster ? { cluster: { ...deps.cluster.connection, commitTimeoutMs: config.cluster.commitTimeoutMs } } : {}),
  };
  const worker = deps.spawn(data);
  data.masterKey.fill(0);

  const dropped = perLabels((reason, ap) => metrics.radiusDropped.labels(reason!, ap!));
  const forwarded = perLabels((kind, upstream, ap) => metrics.radiusForwarded.labels(kind!, upstream!, ap!));
  const answered = perLabels((kind, code, upstream, ap) => metrics.radiusAnswered.labels(kind!, code!, upstream!, ap!));
  const latency = perLabels((kind) => metrics.radiusLatency.labels(kind!));
  const apply = (c: RadiusCounts) => {
    for (const [reason, ap, n] of c.dropped) dropped(reason, ap).inc(n);
    for (const [kind, upstream, ap, n] of c.forwarded) forwarded(kind, upstream, ap).inc(n);
    for (const [kind, code, upstream, ap, n] of c.answered) answered(kind, code, upstream, ap).inc(n);
    for (const [kind, all] of c.latency) {
      const histogram = latency(kind);
      for (const seconds of all) histogram.observe(seconds);
    }
  };

  let status: RadiusStatus = { inFlight: 0, upstreams: config.radius.upstreams.map((u) => ({ name: u.name, alive: true })) };
  let heardAt = Date.now();
  let silentLogged = false;
  const alive = () => {
    const silentMs = Date.now() - heardAt;
    if (silentMs < 5000) return true;
    if (!silentLogged) log.error({ silentMs }, 'RADIUS thread is not answering; withholding the watchdog ping so systemd restarts kmsd');
    silentLogged = true;
    return false;
  };
  // Accounting stays in line behind the Accepts it follows: it goes through the same slices, and
  // so runs at roam-time priority too (it is cheap; raising the priority once per slice instead of
  // once per Accept is not).
  const atRoamPriority = deps.atRoamPriority;
  const adoptions = new InSlices(undefined, atRoamPriority ? (slice) => atRoamPriority(slice) : undefined);
  let nextReport = 1;
  const reports = new Map<number, () => void>();
  const reloads = new Map<number, (r: RadiusReloadResult) => void>();
  let stopping = false;
  let onStopped: (() => void) | null = null;

  return new Promise((resolve, reject) => {
    let started = false;
    worker.on('message', (m: FromRadiusThread) => {
      heardAt = Date.now();
      silentLogged = false;
      switch (m.type) {
        case 'learned':
          m.json.forEach((json, i) => adoptions.run(() => void life.adopt(JSON.parse(json) as StationRecord, m.news[i] ?? 'new')));
          return;
        case 'accounting':
          return adoptions.run(() => void life.onAccounting(m.facts));
        case 'replicated':
          // Another member's Accept: the holder of the work places its keys, as urgent as our own.
          m.json.forEach((json, i) => adoptions.run(() => void life.adoptReplica(JSON.parse(json) as StationRecord, m.relayedBy[i]!)));
          return;
        case 'upstream':
          return metrics.upstreamUp.set({ upstream: m.name }, m.alive ? 1 : 0);
        case 'report':
          apply(m.counts);
          if (m.status.cluster) deps.cluster?.metrics.applyCommits(m.status.cluster);
          if (m.status.replication) deps.cluster?.onReplication(m.status.replication);
          status = m.status;
          if (m.id !== null) reports.get(m.id)?.();
          return;
        case 'reconfigured':
          reloads.get(m.id)?.(m.result);
          reloads.delete(m.id);
          return;
        case 'ready':
          started = true;
          return resolve({
            ports: { authPort: m.authPort, acctPort: m.acctPort },
            tid: m.tid,
            status: () => status,
            alive,
            refreshMetrics: () =>
              new Promise<void>((done) => {
                const id = nextReport++;
                // A thread that does not answer within a second leaves the last counts standing.
                const timer = setTimeout(() => finish(), 1000);
                const finish = () => {
                  clearTimeout(timer);
                  reports.delete(id);
                  done();
                };
                reports.set(id, finish);
                worker.postMessage({ type: 'report', id } satisfies ToRadiusThread);
              }),
            reconfigure: (t) =>
              new Promise<RadiusReloadResult>((done) => {
                // No time limit: a thread that never answers is already the watchdog's business.
                const id = nextReport++;
                reloads.set(id, done);
                worker.postMessage({ type: 'reconfigure', id, tables: t } satisfies ToRadiusThread);
              }),
            stop: () =>
              new Promise<void>((done) => {
                stopping = true;
                onStopped = done;
                worker.postMessage({ type: 'stop' } satisfies ToRadiusThread);
                // A thread that does not stop in 5 s is ended; its records are committed or not relayed.
                setTimeout(() => void worker.terminate().then(() => done()), 5000).unref();
              }),
          });
        case 'start-failed':
          void worker.terminate();
          return reject(new Error(m.message));
        case 'stopped':
          void worker.terminate().then(() => onStopped?.());
          return;
      }
    });
    const died = (reason: string) => {
      if (stopping) return;
      if (!started) return reject(new Error(`RADIUS thread: ${reason}`));
      log.fatal({ reason }, 'RADIUS thread died; exiting so systemd restarts kmsd');
      deps.fatal(reason);
    };
    // A thread can die of something thrown that is not an Error: say what it was all the same.
    worker.on('error', (e: unknown) =>
      died(
        e instanceof Error
          ? (e.stack ?? e.message)
          : `threw ${inspect(e, { depth: 3, breakLength: Number.POSITIVE_INFINITY }).slice(0, 2000)}`,
      ),
    );
    worker.on('exit', (code) => died(`exited with code ${code}`));
  });
}
