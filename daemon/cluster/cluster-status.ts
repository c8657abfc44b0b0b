import type { ClusterCommitStatus } from './cluster-committer.js';
import type { Membership, MemberSeen } from './membership.js';
import type { ReplicatorStatus } from './replicator.js';
import type { WorkClaim } from './work-claim.js';

// What `kmsctl cluster`, GET /v1/cluster and /v1/health say about the cluster: the members
// configured and those registered in etcd now, this member's commit state and outbox (from the
// RADIUS thread, which also imports the others' records), and replication (lag over the last samples).

export interface ClusterStatusSources {
  member: string;
  configured: readonly { name: string; radiusAddress: string }[];
  endpoints: readonly string[];
  commitTimeoutMs: number;
  membership: Membership;
  claim: WorkClaim;
  /** The RADIUS thread's last report of its cluster commit; undefined before the first. */
  commits(): ClusterCommitStatus | undefined;
  onMembers?(n: number): void;
}

const LAG_WINDOW = 1000;

export class ClusterStatus {
  private readonly lag: number[] = [];
  private last: ReplicatorStatus | null = null;

  constructor(private readonly s: ClusterStatusSources) {}

  /** Each of the RADIUS thread's replication reports (its lag samples are new since the last one). */
  observe(r: ReplicatorStatus): void {
    this.last = r;
    this.lag.push(...r.lagMs);
    if (this.lag.length > LAG_WINDOW) this.lag.splice(0, this.lag.length - LAG_WINDOW);
  }

  /** Short, synchronous: for /v1/health. */
  health(): object {
    const c = this.s.commits();
    return {
      member: this.s.member,
      state: c?.state === 'degraded' ? 'degraded' : 'ok',
      registered: this.s.membership.isRegistered,
      queued: c?.queued ?? 0,
      ...(c?.lastError ? { reason: c.lastError } : {}),
      watching: this.last?.watching ?? false,
      holdsWork: this.s.claim.isHolding,
    };
  }

  /** The whole picture, with a fresh read of the members from etcd. */
  async report(): Promise<object> {
    let seen: MemberSeen[] | null = null;
    let holder: string | null = null;
    let etcdError: string | null = null;
    const t0 = performance.now();
    try {
      holder = await this.s.claim.holder();
      seen = await this.s.membership.members();
      this.s.onMembers?.(seen.length);
    } catch (e) {
      etcdError = (e as Error).message;
    }
    const readMs = Math.round((performance.now() - t0) * 100) / 100;
    const c = this.s.commits();
    const r = this.last ?? { revision: null, watching: false, imported: 0, rejected: 0, lastRejection: null, lagMs: [] };
    const sorted = [...this.lag].sort((a, b) => a - b);
    const q = (p: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return {
      member: this.s.member,
      etcd: { endpoints: this.s.endpoints, reachable: etcdError === null, ...(etcdError ? { error: etcdError } : { readMs }) },
      members: this.s.configured.map((m) => {
        const there = seen?.find((x) => x.name === m.name);
        return {
          name: m.name,
          radiusAddress: m.radiusAddress,
          self: m.name === this.s.member,
          // null: unknown (etcd unreachable).
          registered: seen === null ? null : there !== undefined,
          ...(there ? { version: there.version, startedAt: there.startedAt } : {}),
        };
      }),
      commit: c
        ? {
            state: c.state,
            commitTimeoutMs: this.s.commitTimeoutMs,
            queued: c.queued,
            committed: c.committed,
            relayedUncommitted: c.relayedUncommitted,
            replayed: c.replayed,
            superseded: c.superseded,
            ...(c.lastError ? { reason: c.lastError } : {}),
          }
        : null,
      replication: {
        revision: r.revision,
        watching: r.watching,
        imported: r.imported,
        rejected: r.rejected,
        ...(r.lastRejection ? { lastRejection: r.lastRejection } : {}),
        lagMs: { samples: sorted.length, p50: q(0.5), p99: q(0.99), max: sorted.length ? sorted[sorted.length - 1] : null },
      },
      // R0KH-R1KH traffic, PMKSA_ADD, re-pushes and retries: one member at a time (work-claim.ts).
      work: {
        holder: etcdError === null ? holder : null,
        self: this.s.claim.isHolding,
        ...(this.s.claim.heldSince !== null ? { since: this.s.claim.heldSince } : {}),
      },
    };
  }
}
