import { getPriority } from 'node:os';
import type { Registry } from 'prom-client';
import type { KmsConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { partLogger } from '../log/logger.js';
import { ClusterLayout } from '../cluster/layout.js';
import { Membership } from '../cluster/membership.js';
import { ClusterStatus } from '../cluster/cluster-status.js';
import type { ClusterCommitStatus } from '../cluster/cluster-committer.js';
import type { ReplicatorStatus } from '../cluster/replicator.js';
import { ClusterMetrics } from '../metrics/cluster-metrics.js';
import type { ClusterJournal } from '../ports/cluster-journal.js';
import type { PlacementStore } from '../ports/placement-store.js';
import type { StationWrite } from '../ports/record-store.js';
import { ClusterCommitter } from '../cluster/cluster-committer.js';
import { ReplicatedLedger } from '../cluster/replicated-ledger.js';
import { RfEvidenceRelay } from '../cluster/rf-evidence-relay.js';
import type { RfEvidenceChannel } from '../neighbors/evidence.js';
import { WorkClaim } from '../cluster/work-claim.js';
import type { ClusterConnection } from '../threads/radius-messages.js';
import type { SendFence } from '../threads/rrb-messages.js';
import { KMS_VERSION } from '../common/version.js';
import { clusterConnection, openClusterKv } from './cluster-store.js';
import type { StartupSecrets } from './startup-checks.js';

// Construction of a cluster member's main-thread side (docs/cluster.md): its registration, the
// placement ledger across members, the claim on the exactly-once work, and the status views. The
// RADIUS thread commits to etcd and imports the other members' records on its own connection
// (radius-worker.ts).

export interface RunningCluster {
  connection: ClusterConnection;
  metrics: ClusterMetrics;
  status: ClusterStatus;
  /** The RADIUS thread's replication reports (it imports the other members' records). */
  onReplication(s: ReplicatorStatus): void;
  /** The placement ledger distribution uses: the local one, replicated through etcd. */
  ledger: PlacementStore;
  /** RF evidence this member saw goes to the others through it, and theirs comes back (neighbour discovery). */
  rfEvidence: RfEvidenceChannel;
  /** The station table's record updates (place, session, revocation): committed locally, then sent to etcd. */
  commitUpdates(writes: StationWrite[]): Promise<void>;
  /** Starts claiming the exactly-once work; `onChange` hears each take-over and let-go. */
  startClaim(onChange: (holding: boolean, resumed: boolean) => void): void;
  readonly holdsWork: boolean;
  /** The current member lease's renewal clock, as the R0KH-R1KH thread's fence (null without a lease). */
  sendFence(): SendFence | null;
  stop(): Promise<void>;
}

export async function startCluster(
  config: KmsConfig,
  d: {
    secrets: StartupSecrets;
    journal: ClusterJournal;
    /** The local placement ledger (the store's). */
    ledger: PlacementStore;
    log: Logger;
    registry: Registry;
    commits(): ClusterCommitStatus | undefined;
    startedAt: number;
  },
): Promise<RunningCluster | null> {
  const c = config.cluster;
  const connection = clusterConnection(config, d.secrets.cluster);
  if (!c || !connection) return null;
  const log = partLogger(d.log, 'cluster');
  // The member lease is kept alive at the service's priority (this thread's now, before it is
  // niced): the claim on the exactly-once work depends on its renewals being on time.
  const kv = openClusterKv(connection, {
    nice: getPriority(),
    warning: (message) =>
      log.warn(
        { err: message },
        'cluster: the lease thread runs at a lower priority than the service; under load the holder may let go of the work',
      ),
  });
  const layout = new ClusterLayout(c.etcd.prefix);
  const metrics = new ClusterMetrics(d.registry);
  const self = c.members.find((m) => m.name === c.member)!;
  const membership = new Membership({
    kv,
    layout,
    self: { name: c.member, radiusAddress: self.radiusAddress, version: KMS_VERSION, startedAt: d.startedAt },
    leaseTtlS: c.leaseTtlS,
    log,
  });
  // Updates go out from this thread; the RADIUS thread's replay loop serves the outbox they share.
  const updates = new ClusterCommitter({
    kv,
    journal: d.journal,
    layout,
    member: c.member,
    commitTimeoutMs: c.commitTimeoutMs,
    log,
    alwaysTry: true,
  });
  const ledger = new ReplicatedLedger({
    kv,
    local: d.ledger,
    layout,
    member: c.member,
    others: c.members.map((m) => m.name).filter((n) => n !== c.member),
    log,
    timeoutMs: c.commitTimeoutMs,
  });
  const rfEvidence = new RfEvidenceRelay({
    kv,
    layout,
    member: c.member,
    others: c.members.map((m) => m.name).filter((n) => n !== c.member),
    log,
    timeoutMs: c.commitTimeoutMs,
  });
  let onWork: (holding: boolean, resumed: boolean) => void = () => {};
  const claim = new WorkClaim({
    kv,
    key: layout.workClaim,
    member: c.member,
    lease: () => membership.currentLease,
    leaseTtlS: c.leaseTtlS,
    log,
    onChange: (holding, _why, resumed) => onWork(holding, resumed),
  });
  const status = new ClusterStatus({
    claim,
    member: c.member,
    configured: c.members,
    endpoints: c.etcd.endpoints,
    commitTimeoutMs: c.commitTimeoutMs,
    membership,
    commits: d.commits,
    onMembers: (n) => metrics.members.set(n),
  });
  membership.start();
  if (config.distribution) void ledger.start();
  if (config.distribution?.neighbors?.enabled) void rfEvidence.start();
  log.info({ member: c.member, endpoints: c.etcd.endpoints, prefix: c.etcd.prefix, commitTimeoutMs: c.commitTimeoutMs }, 'cluster member');
  return {
    connection,
    metrics,
    status,
    onReplication: (s) => {
      status.observe(s);
      metrics.applyReplication(s);
    },
    ledger,
    rfEvidence,
    commitUpdates: (w) => updates.commit(w),
    startClaim: (fn) => {
      onWork = fn;
      claim.start();
    },
    get holdsWork() {
      return claim.isHolding;
    },
    sendFence: () => {
      const renewals = membership.currentLease?.renewals;
      return renewals ? { renewals, staleAfterMs: claim.staleAfterMs } : null;
    },
    stop: async () => {
      claim.stop();
      await ledger.stop();
      await rfEvidence.stop();
      await membership.stop();
      await kv.close();
    },
  };
}
