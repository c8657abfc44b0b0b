// kmsd's RADIUS thread: the proxy, the duplicate cache, and the commit of each new station
// record before its Accept is relayed. Why a thread: everything else kmsd does (API, key
// distribution, neighbours, roams) runs on the main thread, whose collections and bursts of work
// once stalled the proxy for 10-25 ms at a time. Here the heap holds only requests in flight, and
// the thread keeps the service's CPU priority while the others run nicer (radius.otherThreadsNice).
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, setLogLevel } from '../log/logger.js';
import { StationRecorder } from '../records/recorder.js';
import { RadiusThreadLearner } from '../threads/radius-learner.js';
import { SqliteRecordStore } from '../../adapters/store/sqlite-store.js';
import { RadiusProxy, type ReceiveBuffer } from '../../adapters/radius/proxy.js';
import type { FromRadiusThread, RadiusWorkerData, ToRadiusThread } from '../threads/radius-messages.js';
import { RadiusTally } from '../threads/radius-tally.js';
import { PriorityCeiling, threadIdForReport } from '../common/thread-priority.js';
import { ClusterCommitter } from '../cluster/cluster-committer.js';
import { ClusterLayout } from '../cluster/layout.js';
import { ClusterReplicator } from '../cluster/replicator.js';
import { openClusterKv } from './cluster-store.js';

const data = workerData as RadiusWorkerData;
const port = parentPort!;
const post = (m: FromRadiusThread) => port.postMessage(m);
const bytes = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

const rootLog = createLogger(data.logLevel);
const log = rootLog.child({ thread: 'radius' });

/** This thread's store statements run `boost` nice levels above it (see RadiusWorkerData.storeStatementsBoost). */
function storeCeiling(boost: number): PriorityCeiling | null {
  if (boost === 0) return null;
  try {
    const ceiling = PriorityCeiling.aboveThisThread(boost, (err) =>
      log.warn(
        { err: err.message },
        "the RADIUS thread's store statements cannot run above its own priority (give the service LimitNICE=): a PULL can wait for them behind other programs",
      ),
    );
    ceiling.restHere();
    return ceiling;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const key = bytes(data.masterKey);
  // The main thread's connection runs the checkpoints; this one's commits never do.
  const ceiling = storeCeiling(data.storeStatementsBoost);
  const store = new SqliteRecordStore(data.storePath, key, {
    logger: log,
    checkpointsElsewhere: true,
    ...(ceiling ? { statementGuard: ceiling } : {}),
  });
  key.fill(0);
  // With a cluster, a group commit goes to etcd too before its Accepts are relayed.
  const clusterKv = data.cluster ? openClusterKv(data.cluster) : null;
  const committer =
    data.cluster && clusterKv
      ? new ClusterCommitter({
          kv: clusterKv,
          journal: store.cluster,
          layout: new ClusterLayout(data.cluster.prefix),
          member: data.cluster.member,
          commitTimeoutMs: data.cluster.commitTimeoutMs,
          log: log.child({ part: 'cluster' }),
        })
      : null;
  // The other members' records are imported here too, so that every write of a station row is made
  // at this thread's priority: an import on the niced main thread held the write lock while
  // descheduled and stalled this thread's commits behind it.
  const replicator =
    data.cluster && clusterKv
      ? new ClusterReplicator({
          kv: clusterKv,
          journal: store.cluster,
          layout: new ClusterLayout(data.cluster.prefix),
          member: data.cluster.member,
          log: log.child({ part: 'cluster' }),
          onImported: (imported) =>
            post({ type: 'replicated', json: imported.map((i) => JSON.stringify(i.record)), relayedBy: imported.map((i) => i.relayedBy) }),
        })
      : null;
  const recorder = new StationRecorder(
    store,
    data.policy,
    (sta, message) => log.warn({ sta }, message),
    Date.now,
    committer ? (w) => committer.commit(w) : undefined,
  );
  recorder.load();
  const counts = new RadiusTally();
  const learner = new RadiusThreadLearner(recorder, post);

  const proxy = new RadiusProxy({
    authListen: data.authListen,
    acctListen: data.acctListen,
    clients: data.clients.map((c) => ({ ...c, secret: bytes(c.secret) })),
    upstreams: data.upstreams.map((u) => ({ ...u, secret: bytes(u.secret) })),
    learner,
    deadProbeIntervalMs: data.deadProbeIntervalMs,
    duplicateWindowMs: data.duplicateWindowMs,
    maxInFlight: data.maxInFlight,
    recvBufferBytes: data.recvBufferBytes,
    logger: log,
    observer: {
      dropped: (reason, ap) => counts.dropped.add(reason, ap),
      forwarded: (kind, upstream, ap) => counts.forwarded.add(kind, upstream, ap),
      answered: (kind, code, upstream, seconds, ap) => {
        counts.answered.add(kind, code, upstream, ap);
        counts.observe(kind, seconds);
      },
      upstreamState: (name, alive) => post({ type: 'upstream', name, alive }),
    },
  });
  let ports;
  try {
    ports = await proxy.start();
  } catch (e) {
    post({ type: 'start-failed', message: (e as Error).message });
    store.close();
    return;
  }
  committer?.start();
  void replicator?.start();
  logReceiveBuffers(ports.recvBuffers);

  const report = (id: number | null) => {
    const s = proxy.status();
    post({
      type: 'report',
      id,
      counts: counts.take(),
      status: {
        inFlight: s.inFlight,
        upstreams: s.upstreams,
        ...(committer ? { cluster: committer.status() } : {}),
        ...(replicator ? { replication: replicator.status() } : {}),
      },
    });
  };
  // Metrics are also pulled on demand (each /metrics scrape asks first); this keeps them fresh,
  // and a report at least every second is the heartbeat the main thread's watchdog waits for.
  let lastReport = Date.now();
  const reporting = setInterval(() => {
    if (!counts.pending && !committer && Date.now() - lastReport < 1000) return;
    lastReport = Date.now();
    report(null);
  }, 250);
  const purging = setInterval(() => recorder.purgeMachineAuths(), data.purgeIntervalS * 1000);
  port.on('message', (m: ToRadiusThread) => {
    if (m.type === 'report') return report(m.id);
    if (m.type === 'reconfigure') {
      const t = m.tables;
      setLogLevel(rootLog, t.logLevel);
      const result = proxy.reconfigure({
        clients: t.clients.map((c) => ({ ...c, secret: bytes(c.secret) })),
        upstreams: t.upstreams.map((u) => ({ ...u, secret: bytes(u.secret) })),
        deadProbeIntervalMs: t.deadProbeIntervalMs,
      });
      log.info({ clients: t.clients.length, ...result }, 'RADIUS clients and upstreams replaced');
      return post({ type: 'reconfigured', id: m.id, result });
    }
    if (m.type === 'stop') {
      clearInterval(reporting);
      clearInterval(purging);
      void proxy.stop().then(async () => {
        committer?.stop();
        await replicator?.stop();
        recorder.flush();
        // The flushed records' continuations run first, so the main thread hears of them all.
        await new Promise((r) => setImmediate(r));
        learner.flush();
        await clusterKv?.close();
        store.close();
        report(null);
        post({ type: 'stopped' });
      });
    }
  });
  const tid = threadIdForReport();
  post({ type: 'ready', authPort: ports.authPort, acctPort: ports.acctPort, tid });
}

/**
 * After a restart every AP retransmits at once; a buffer the kernel capped drops part of that
 * burst before kmsd reads it, which only the kernel's counters show. Say so once, with the fix.
 */
function logReceiveBuffers(buffers: Record<string, ReceiveBuffer>): void {
  const capped = Object.entries(buffers).filter(([, b]) => b.capped);
  log.info({ recvBuffers: buffers }, 'RADIUS sockets listening');
  if (capped.length === 0) return;
  const wanted = Math.max(...capped.map(([, b]) => b.requested ?? 0));
  log.warn(
    { sockets: capped.map(([kind]) => kind), requested: wanted, got: capped[0]![1].bytes },
    `the kernel capped the RADIUS receive buffers below radius.recvBufferBytes (net.core.rmem_max): a burst of requests after a restart may be dropped; raise it with \`sysctl -w net.core.rmem_max=${wanted}\` and keep it in /etc/sysctl.d (the Debian package installs /usr/lib/sysctl.d/60-hostapd-kms.conf)`,
  );
}

main().catch((e: Error) => post({ type: 'start-failed', message: e.message }));
