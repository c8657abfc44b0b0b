import type { ClusterJournal, SealedStationRow } from '../ports/cluster-journal.js';
import type { ClusterKv, KvChange } from '../ports/cluster-kv.js';
import type { Log } from '../log/log.js';
import type { StationRecord } from '../records/station.js';
import type { ClusterLayout } from './layout.js';
import { decodeStationEntry } from './station-entry.js';
import { followPrefix, type PrefixFollow } from './follow-prefix.js';

// Replication: every member watches the stations prefix and writes the rows other members
// committed into its own store, so its PULL answers, API and placement planning read them locally
// like their own. The watch resumes from the revision last imported (kept with the rows); a member
// that never followed the cluster, or whose revision etcd has compacted away, reads the prefix
// whole first. Rows are imported only when newer than the local one, so replays and a member's
// own writes coming back are no-ops.

export interface ReplicatorStatus {
  /** The last revision imported, or null before the first read. */
  revision: string | null;
  watching: boolean;
  /** Rows imported from other members, and entries that could not be read (with the last reason). */
  imported: number;
  rejected: number;
  lastRejection: string | null;
  /** Commit at the other member → imported here, ms, since the last take (both members' clocks). */
  lagMs: number[];
}

export interface ReplicatorOptions {
  kv: ClusterKv;
  journal: ClusterJournal;
  layout: ClusterLayout;
  member: string;
  log: Log;
  /** Records imported, in revision order: the station table and StationLife take them from here. */
  onImported(imported: { record: StationRecord; relayedBy: string }[]): void;
  /** How long to wait before reading again after the watch failed. */
  retryMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export class ClusterReplicator {
  private follow: PrefixFollow | null = null;
  private counts = { imported: 0, rejected: 0 };
  private lastRejection: string | null = null;
  private lagMs: number[] = [];
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: ReplicatorOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Resolves once the watch is set up (after the first full read, if one was needed); never rejects. */
  async start(): Promise<void> {
    if (this.stopped) return;
    this.follow ??= followPrefix({
      kv: this.o.kv,
      prefix: this.o.layout.stations,
      after: this.o.journal.appliedRevision(),
      listTimeoutMs: this.o.timeoutMs ?? 5000,
      retryMs: this.o.retryMs,
      onSnapshot: (entries, revision) => {
        this.apply(
          entries.map((e) => ({ kind: 'put' as const, ...e })),
          revision,
        );
        this.o.log.info({ entries: entries.length, revision }, 'cluster: read every station record from the cluster store');
      },
      onChanges: (changes, revision) => this.apply(changes, revision),
      onRetry: (reason, retryMs) => this.o.log.warn({ reason, retryMs }, 'cluster: replication watch failed; reading again'),
    });
    await this.follow.started;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.follow?.close();
  }

  status(): ReplicatorStatus {
    const s = {
      revision: this.follow ? this.follow.revision : this.o.journal.appliedRevision(),
      watching: this.follow?.watching ?? false,
      ...this.counts,
      lastRejection: this.lastRejection,
      lagMs: this.lagMs,
    };
    this.lagMs = [];
    return s;
  }

  private apply(changes: KvChange[], revision: string): void {
    const rows: SealedStationRow[] = [];
    const from = new Map<string, { committedAt: number; member: string }>();
    for (const c of changes) {
      // Deletes are leases running out: each member purges its own rows by expiresAt.
      if (c.kind !== 'put') continue;
      const sta = this.o.layout.stationOf(c.key);
      if (sta === null) continue;
      const d = decodeStationEntry(c.value, sta);
      if (!d.ok) {
        this.counts.rejected++;
        if (this.lastRejection !== d.reason) this.o.log.warn({ key: c.key, reason: d.reason }, 'cluster: station entry ignored');
        this.lastRejection = d.reason;
        continue;
      }
      if (d.entry.member === this.o.member) continue;
      rows.push(d.entry.row);
      from.set(sta, { committedAt: d.entry.committedAt, member: d.entry.member });
    }
    const stored = this.o.journal.importReplicated(rows, revision);
    if (stored.length === 0) return;
    const at = this.now();
    for (const r of stored) this.lagMs.push(at - from.get(r.staMac)!.committedAt);
    this.counts.imported += stored.length;
    this.o.onImported(stored.map((r) => ({ record: JSON.parse(r.json) as StationRecord, relayedBy: from.get(r.staMac)!.member })));
  }
}
