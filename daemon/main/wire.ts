import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { KmsConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../log/logger.js';
import { KmsMetrics } from '../metrics/metrics.js';
import { StationTable } from '../records/station-table.js';
import { ApiServer } from '../api/server.js';
import { SqliteRecordStore } from '../../adapters/store/sqlite-store.js';
import { SdNotifier } from './sd-notify.js';
import { apInfosOf, startDistribution, type RunningDistribution } from './wire-distribution.js';
import { Topology } from '../distribution/topology.js';
import { StationLife } from '../stations/station-life.js';
import { topologyPlaces } from '../stations/places.js';
import { StationPurge } from '../stations/purge.js';
import { healthReport } from '../api/health.js';
import { startRoams } from './wire-roams.js';
import { currentThreadId, lowerThreadPriority, PriorityCeiling } from '../common/thread-priority.js';
import { radiusTables, startRadiusThread, type RadiusThread } from '../threads/radius-thread.js';
import { spawnThread } from './spawn-thread.js';
import { Reloader } from './reload.js';
import type { StartupSecrets } from './startup-checks.js';
import { KMS_VERSION } from '../common/version.js';
import { startDasSender, startDynamicAuthorization } from './wire-das.js';
import { DasMetrics } from '../metrics/das-metrics.js';
import { Revocation } from '../stations/revocation.js';
import { partLogger } from '../log/logger.js';
import { RecordStationLocator } from '../records/station-locator.js';
import { startCluster } from './wire-cluster.js';
import type { StationWrite } from '../ports/record-store.js';

const VERSION = KMS_VERSION;

export interface RunningKms {
  stop(): Promise<void>;
  ports: { auth: number; acct: number; api: number };
}

/**
 * Builds and starts everything; installs signal handlers that stop it cleanly and reload it.
 * `secrets` is what runStartupChecks resolved from this config (kmsd.ts runs the checks first,
 * as --check does).
 */
export async function startKms(config: KmsConfig, configFile: string, secrets: StartupSecrets): Promise<RunningKms> {
  const log = createLogger(config.log.level);
  // SIGHUP's default is to end the process: take it over first. One that arrives during
  // start-up is kept and answered once kmsd serves (the file may have changed since it was read).
  let reloader: Reloader | null = null;
  let hupDuringStart = false;
  process.on('SIGHUP', () => {
    if (reloader) void reloader.reload();
    else hupDuringStart = true;
  });
  const metrics = new KmsMetrics();
  const notify = new SdNotifier((msg) => log.warn({ err: msg }, 'sd_notify failed'));
  const startedAt = Date.now();

  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const masterKey = secrets.masterKey;
  const storePath = join(config.stateDir, 'kms.sqlite');
  // The main thread runs nicer than the RADIUS and R0KH-R1KH threads (below), but its store
  // statements run at the priority of the most urgent of them: all three share SQLite's mutex
  // for the file (PriorityCeiling says why). So does the adoption of a learned record, which
  // ends in that station's first PUSHes.
  const ceiling = storeCeiling(config, log);
  // Only with keys to place: without a distribution: section adoption is bookkeeping, and at the
  // ceiling it would take CPU from the RADIUS thread for nothing.
  const adoptionCeiling = config.distribution ? ceiling : null;
  // Checkpoints on a thread of their own: in-commit checkpoints were most of the proxy's p99.
  const store = new SqliteRecordStore(storePath, masterKey, {
    logger: log,
    backgroundCheckpointMs: 200,
    checkpointThreadNice: config.radius.otherThreadsNice,
    ...(ceiling ? { statementGuard: ceiling } : {}),
  });

  // A cluster member sends record updates (place, session, revocation) to etcd too; bound once the cluster is up.
  let commitUpdates: ((w: StationWrite[]) => Promise<void>) | null = null;
  const stations = new StationTable(store, { warning: (sta, message) => log.warn({ sta }, message) }, Date.now, (w) =>
    commitUpdates ? commitUpdates(w) : store.saveStations(w),
  );
  const topology = config.distribution ? new Topology(apInfosOf(config)) : null;
  // The one owner of each station's life: RADIUS, accounting, AP events and captured roams feed it;
  // key distribution and RF neighbours subscribe to it (startDistribution connects them).
  const life = new StationLife({
    stations,
    places: topology ? topologyPlaces(topology) : null,
    log,
    observer: {
      learned: (keys) => metrics.stationsLearned.inc({ keys }),
      revoked: (trigger) => metrics.revocations.inc({ trigger }),
    },
    revokeOnTerminateCause: new Set(config.stations.revokeOnAcctTerminateCause),
    // A revoked record outlives every key placed for it: a sign of the session is recognised only while it is there.
    revokedRetentionMs: Math.max(config.stations.revokedRetentionS, config.distribution?.keyLifetimeS ?? 0) * 1000,
  });
  const loaded = stations.load();
  // A cluster member replicates the others' records into this store (wire-cluster.ts); its RADIUS
  // thread commits its own to etcd before relaying them. Its distribution waits for the work claim.
  let radiusRef: RadiusThread | null = null;
  const cluster = await startCluster(config, {
    secrets,
    journal: store.cluster,
    ledger: store.placements,
    log,
    registry: metrics.registry,
    commits: () => radiusRef?.status().cluster,
    startedAt,
  });
  if (cluster) commitUpdates = (w) => cluster.commitUpdates(w);
  let distribution: RunningDistribution | null = null;
  if (config.distribution) {
    distribution = await startDistribution(config, {
      secrets,
      stations,
      topology: topology!,
      life,
      ledger: cluster?.ledger ?? store.placements,
      neighborStore: store.neighbors,
      ...(cluster ? { rfEvidence: cluster.rfEvidence } : {}),
      log,
      metrics,
      storePath,
      masterKey,
      fatal: () => process.exit(1),
      ...(cluster ? { standby: true } : {}),
    });
  }
  if (cluster) {
    const dist = distribution;
    cluster.startClaim((holding, resumed) => {
      if (!dist) return;
      if (holding)
        void dist
          .activate(resumed, cluster.sendFence() ?? undefined)
          .catch((e: Error) => log.error({ err: e.message }, 'taking over the exactly-once work failed'));
      else dist.standby();
    });
  }
  metrics.stations.set(loaded);
  log.info({ stations: loaded, config: configFile, version: VERSION }, 'station records loaded');

  const roams = startRoams(config, { log, metrics, onRoam: (e) => void life.onRoam(e) });

  for (const u of config.radius.upstreams) metrics.upstreamUp.set({ upstream: u.name }, 1);
  // RADIUS runs on its own thread (radius-worker.ts), which commits each new record with its
  // own connection and hands it to StationLife here.
  let radius: RadiusThread;
  try {
    radius = await startRadiusThread(config, {
      spawn: (data) => spawnThread('radius-worker.js', 'radius', data),
      life,
      ...(adoptionCeiling ? { atRoamPriority: <T>(fn: () => T): T => adoptionCeiling.run(fn) } : {}),
      metrics,
      log,
      storePath,
      masterKey,
      secrets,
      fatal: () => process.exit(1),
      ...(cluster
        ? { cluster: { connection: cluster.connection, metrics: cluster.metrics, onReplication: (s) => cluster.onReplication(s) } }
        : {}),
    });
    radiusRef = radius;
  } finally {
    masterKey.fill(0);
  }
  const ports = radius.ports;
  // Disconnect/CoA from the AAA servers: on this thread, next to the station records (wire-das.ts).
  // The KMS's own Disconnects (revocation) and the relayed ones leave through one sender.
  const dasMetrics =
    config.radius.dynamicAuthorization || config.radius.clients.some((c) => c.das) ? new DasMetrics(metrics.registry) : undefined;
  const dasSender = startDasSender(config, { secrets, log, registry: metrics.registry, ...(dasMetrics ? { metrics: dasMetrics } : {}) });
  const revocation = new Revocation({
    disconnecter: dasSender?.disconnecter ?? null,
    ...(distribution
      ? {
          placementsFor: (mac: string) => distribution!.distributor.placementsFor(mac),
          topology: distribution.topology,
          controlFor: (ap: string) => distribution!.controlFor(ap),
        }
      : {}),
    log: partLogger(log, 'revocation'),
    observer: { kicked: (result) => metrics.revocationKicks.inc({ result }) },
  });
  life.subscribe(revocation);
  if (!dasSender)
    log.info(
      {},
      'no radius.clients entry has a DAS: revocation deauthenticates through AP control channels only, and PMKSA entries stay until they expire',
    );
  const das = await startDynamicAuthorization(config, {
    locator: new RecordStationLocator(stations),
    secrets,
    log,
    registry: metrics.registry,
    sender: dasSender,
    ...(dasMetrics ? { metrics: dasMetrics } : {}),
    // Every Disconnect an upstream asked for and the AP acknowledged revokes the station.
    disconnected: (s, ap) => void life.revoke(s.staMac, `Disconnect-Request from an upstream, acknowledged by ${ap}`, 'disconnect-ack'),
  });
  const revoke = async (mac: string, reason: string, trigger: 'api' | 'kmsctl') => {
    const record = stations.get(mac);
    if (!record) return 'unknown' as const;
    if (record.revoked) return 'already' as const;
    if (!(await life.revoke(mac, reason, trigger))) return 'already' as const;
    return { kicks: revocation.kicksOf(mac) ?? [] };
  };
  // Only now: threads inherit their creator's priority, and the RADIUS thread must keep the
  // service's. The threads made later (libuv's pool) serve this one and may inherit it.
  if (config.radius.otherThreadsNice > 0) {
    try {
      const nice = lowerThreadPriority(currentThreadId(), config.radius.otherThreadsNice);
      ceiling?.rest(nice);
      log.info(
        { nice, storeStatementsAt: ceiling?.ceiling ?? nice, adoptionsAt: adoptionCeiling?.ceiling ?? nice },
        'main thread runs nicer than the RADIUS thread (radius.otherThreadsNice)',
      );
    } catch (e) {
      log.warn({ err: (e as Error).message }, "cannot lower the main thread's priority; RADIUS shares the CPU with it equally");
    }
  }

  reloader = new Reloader(
    configFile,
    config,
    {
      log,
      radiusTables,
      reconfigureRadius: (t) => radius.reconfigure(t),
      prepareDistribution: distribution ? (next, s) => distribution!.prepareReload(next, s) : undefined,
      reconfigureDas:
        das || dasSender
          ? (next, s) => {
              das?.reconfigure(next, s);
              dasSender?.reconfigure(next, s);
            }
          : undefined,
      upstreamsChanged: (r) => {
        for (const name of r.retired) if (!r.kept.includes(name) && !r.added.includes(name)) metrics.upstreamUp.remove({ upstream: name });
        for (const name of r.added) metrics.upstreamUp.set({ upstream: name }, 1);
      },
      reloading: () => notify.reloading('reloading the configuration'),
      reloaded: () => notify.ready(`serving ${stations.size} stations`),
    },
    metrics.registry,
  );
  const reloads = reloader;

  const api = new ApiServer({
    token: secrets.apiToken,
    stations,
    metrics: metrics.registry,
    refreshMetrics: () => {
      // A count in the store: once per scrape, not once per station learned.
      metrics.stations.set(stations.size);
      return radius.refreshMetrics();
    },
    logger: log,
    revoke,
    placementsFor: distribution ? (mac) => distribution!.distributor.placementsFor(mac) : undefined,
    hostapdVersionOf: distribution ? (bssid) => distribution!.topology.bss(bssid)?.hostapdVersion : undefined,
    roams: roams.log,
    aps: distribution ? () => distribution!.apStatus() : undefined,
    neighbors: distribution?.neighbors ? { graph: distribution.neighbors.graph, topology: distribution.topology } : undefined,
    health: healthReport({
      version: VERSION,
      startedAt,
      radius,
      stations,
      config: reloads,
      ...(distribution ? { queued: () => distribution!.distributor.queued() } : {}),
      ...(cluster ? { cluster: () => cluster.status.health() } : {}),
    }),
    ...(cluster ? { cluster: () => cluster.status.report() } : {}),
  });
  const apiPort = await api.listen(config.api.address, config.api.port);

  const purge = new StationPurge({
    stations,
    alongside: distribution ? [distribution.distributor] : [],
    intervalMs: config.stations.purgeIntervalS * 1000,
    log,
    observer: {
      purged: (n, left) => {
        metrics.stationsPurged.inc(n);
        metrics.stations.set(left);
      },
    },
  });
  purge.start();

  log.info({ auth: ports.authPort, acct: ports.acctPort, das: das?.port ?? null, api: apiPort, radiusThread: radius.tid }, 'kmsd ready');
  notify.ready(`serving ${stations.size} stations`);
  notify.startWatchdog(() => radius.alive());
  if (hupDuringStart) void reloads.reload();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      notify.stopping();
      log.info({}, 'kmsd stopping');
      purge.stop();
      await das?.stop();
      await dasSender?.stop();
      await radius.stop();
      await cluster?.stop();
      roams.stop();
      await distribution?.stop();
      await api.close();
      stations.flush();
      store.close();
    })());
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => void stop().then(() => process.exit(0)));
  }
  process.on('uncaughtException', (e) => {
    log.fatal({ err: e.message, stack: e.stack }, 'uncaught exception; exiting so systemd restarts kmsd');
    process.exit(1);
  });
  return { stop, ports: { auth: ports.authPort, acct: ports.acctPort, api: apiPort } };
}

/**
 * The main thread's priority ceiling for store statements: the service's nice value, less the
 * R0KH-R1KH thread's boost when that thread exists. None when the main thread is not niced.
 */
function storeCeiling(config: KmsConfig, log: Logger): PriorityCeiling | null {
  if (config.radius.otherThreadsNice === 0) return null;
  try {
    const boost = config.distribution ? config.distribution.rrb.priorityBoost : 0;
    return PriorityCeiling.aboveThisThread(boost, (err) =>
      log.warn(
        { err: err.message, boost },
        "the main thread's store statements cannot run above its own priority (give the service LimitNICE=): a PULL can wait for them behind other programs",
      ),
    );
  } catch {
    return null;
  }
}
