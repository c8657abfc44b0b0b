import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ClusterCommitStatus } from '../cluster/cluster-committer.js';
import type { ReplicatorStatus } from '../cluster/replicator.js';

// A cluster member's replication figures (docs/cluster.md), exported only with a `cluster:`
// section. The RADIUS thread reports commit counts as running totals and the main thread's
// replicator its own; both are turned into counters here by their increase.

export class ClusterMetrics {
  readonly queued: Gauge;
  readonly committing: Gauge;
  readonly records: Counter<'how'>;
  readonly commitSeconds: Histogram;
  readonly imported: Counter;
  readonly rejected: Counter;
  readonly lagSeconds: Histogram;
  readonly members: Gauge;
  private last = { committed: 0, relayedUncommitted: 0, replayed: 0, superseded: 0, imported: 0, rejected: 0 };

  constructor(registry: Registry) {
    const registers = [registry];
    this.queued = new Gauge({
      name: 'kms_ha_records_queued',
      help: 'Station records relayed while the cluster store did not take them, kept locally until replayed',
      registers,
    });
    this.committing = new Gauge({
      name: 'kms_ha_commit_up',
      help: '1 while Accepts wait for their record to be committed in etcd, 0 while they are relayed with the record kept locally',
      registers,
    });
    this.records = new Counter({
      name: 'kms_ha_records_total',
      labelNames: ['how'],
      help: 'Station records this member sent the cluster: committed before the Accept was relayed, relayed before etcd had it, replayed later, or found superseded at replay',
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'kms_ha_commit_seconds',
      help: "Time an Access-Accept's group commit waited for etcd",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.imported = new Counter({
      name: 'kms_ha_records_imported_total',
      help: 'Station records other members committed, stored here',
      registers,
    });
    this.rejected = new Counter({ name: 'kms_ha_entries_rejected_total', help: 'Cluster store entries that could not be read', registers });
    this.lagSeconds = new Histogram({
      name: 'kms_ha_replication_lag_seconds',
      help: 'Commit at the member that relayed the Accept to the record stored here (both clocks)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.members = new Gauge({ name: 'kms_ha_members', help: 'Cluster members registered in etcd, as last read', registers });
  }

  applyCommits(s: ClusterCommitStatus): void {
    this.queued.set(s.queued);
    this.committing.set(s.state === 'up' ? 1 : 0);
    this.bump('committed', s.committed, 'before-relay');
    this.bump('relayedUncommitted', s.relayedUncommitted, 'relayed-uncommitted');
    this.bump('replayed', s.replayed, 'replayed');
    this.bump('superseded', s.superseded, 'superseded');
    for (const x of s.commitSeconds) this.commitSeconds.observe(x);
  }

  applyReplication(s: ReplicatorStatus): void {
    this.imported.inc(Math.max(0, s.imported - this.last.imported));
    this.rejected.inc(Math.max(0, s.rejected - this.last.rejected));
    this.last.imported = s.imported;
    this.last.rejected = s.rejected;
    for (const ms of s.lagMs) this.lagSeconds.observe(Math.max(0, ms) / 1000);
  }

  private bump(field: 'committed' | 'relayedUncommitted' | 'replayed' | 'superseded', total: number, how: string): void {
    this.records.inc({ how }, Math.max(0, total - this.last[field]));
    this.last[field] = total;
  }
}
