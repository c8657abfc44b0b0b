import type { ClusterJournal, SealedStationRow } from '../ports/cluster-journal.js';
import type { ClusterKv, KvEntry, KvPut } from '../ports/cluster-kv.js';
import type { StationWrite } from '../ports/record-store.js';
import type { Log } from '../log/log.js';
import type { ClusterLayout } from './layout.js';
import { decodeStationEntry, encodeStationEntry } from './station-entry.js';
import { ExpiryLeases } from './expiry-leases.js';
import { MAX_TXN_OPS, putChunked } from './put-chunked.js';

// The cluster half of "commit before relay" (docs/cluster.md), on the RADIUS thread. A group
// commit's records go to the local store with an outbox note each (one SQLite transaction), then
// to etcd in one transaction; the Accepts are relayed once a majority of etcd has them. A sick
// cluster never fails a login: past `commitTimeoutMs`, or at once while the cluster is known to be
// unreachable, the Accepts are relayed with their records still in the outbox, and the replay
// loop sends them when etcd answers again. Replays compare-and-put, so a late one never overwrites
// a newer login another member committed meanwhile.

export type ClusterCommitState = 'up' | 'degraded';

export interface ClusterCommitStatus {
  state: ClusterCommitState;
  /** Records waiting in the outbox. */
  queued: number;
  /** Records committed in etcd before their Accept was relayed. */
  committed: number;
  /** Records relayed before etcd had them (kept in the outbox). */
  relayedUncommitted: number;
  /** Records the replay loop brought to etcd, and those it found superseded there. */
  replayed: number;
  superseded: number;
  /** Why the cluster is degraded, while it is. */
  lastError: string | null;
  /** Wall time of each live etcd commit since the last take (seconds), for the latency histogram. */
  commitSeconds: number[];
}

export interface ClusterCommitterOptions {
  kv: ClusterKv;
  journal: ClusterJournal;
  layout: ClusterLayout;
  member: string;
  commitTimeoutMs: number;
  log: Log;
  /** How often the outbox is retried while it holds anything. */
  replayIntervalMs?: number;
  /** Rows per replay batch (one read and one compare-and-put transaction; at most 128). */
  replayBatch?: number;
  /**
   * Send every batch even while degraded (the main thread's record updates: nobody waits on them,
   * and the RADIUS thread's replay loop, which serves the same outbox, brings the rest).
   */
  alwaysTry?: boolean;
  /** Live commit transactions in flight at once; default MAX_IN_FLIGHT. */
  maxInFlight?: number;
  now?: () => number;
}

/** A group commit waiting for its etcd transaction. */
interface Waiting {
  rows: SealedStationRow[];
  resolve(): void;
  arrivedAt: number;
}

/** Rows gathered into one etcd round at most (in transactions of MAX_TXN_OPS). */
const ROWS_PER_GATHER = 512;
/** etcd transactions of live commits in flight at once (measured in bench/cluster.ts). */
const MAX_IN_FLIGHT = 4;

export class ClusterCommitter {
  private state: ClusterCommitState = 'up';
  private lastError: string | null = null;
  private counts = { committed: 0, relayedUncommitted: 0, replayed: 0, superseded: 0 };
  private commitSeconds: number[] = [];
  private readonly leases: ExpiryLeases;
  private replayTimer: NodeJS.Timeout | null = null;
  private replaying = false;
  private stopped = false;
  private readonly now: () => number;
  private waiting: Waiting[] = [];
  private sending = 0;

  constructor(private readonly o: ClusterCommitterOptions) {
    this.now = o.now ?? Date.now;
    this.leases = new ExpiryLeases(o.kv, o.commitTimeoutMs, this.now);
  }

  /** Starts the replay loop: whatever an earlier run left in the outbox goes first. */
  start(): void {
    this.replayTimer = setInterval(() => void this.replay(), this.o.replayIntervalMs ?? 1000);
    this.replayTimer.unref();
    void this.replay();
  }

  stop(): void {
    this.stopped = true;
    if (this.replayTimer) clearInterval(this.replayTimer);
  }

  /**
   * The group commit's writer (records/write-batcher.ts): resolves once the Accepts may be relayed.
   * It rejects only when the local store fails, as a single kmsd does.
   */
  commit(writes: StationWrite[]): Promise<void> {
    const rows = this.o.journal.saveStationsQueued(writes);
    if (this.state === 'degraded' && !this.o.alwaysTry) {
      this.counts.relayedUncommitted += rows.length;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push({ rows, resolve, arrivedAt: performance.now() });
      this.sendWaiting();
    });
  }

  /**
   * At most `maxInFlight` etcd transactions at a time; the records that arrive while all are out
   * wait and go together in the next. etcd's cost is per transaction (a raft round, a WAL write,
   * gRPC on every member), so under load fewer, larger transactions keep its CPU free, while a few
   * in flight let etcd batch them into one raft round as it does by itself. A record's wait counts
   * against its own `commitTimeoutMs`.
   */
  private sendWaiting(): void {
    if (this.sending >= (this.o.maxInFlight ?? MAX_IN_FLIGHT) || this.waiting.length === 0) return;
    if (this.state === 'degraded' && !this.o.alwaysTry) {
      for (const w of this.waiting.splice(0)) this.release(w, false);
      return;
    }
    const taken = this.takeWaiting();
    const budgetMs = this.o.commitTimeoutMs - (performance.now() - taken[0]!.arrivedAt);
    this.sending++;
    void this.send(taken, budgetMs).finally(() => {
      this.sending--;
      this.sendWaiting();
    });
  }

  /** The oldest waiting commits, up to ROWS_PER_GATHER rows (at least one commit, whatever its size). */
  private takeWaiting(): Waiting[] {
    let rows = 0;
    let n = 0;
    while (n < this.waiting.length && (n === 0 || rows + this.waiting[n]!.rows.length <= ROWS_PER_GATHER)) {
      rows += this.waiting[n]!.rows.length;
      n++;
    }
    return this.waiting.splice(0, n);
  }

  private async send(taken: Waiting[], budgetMs: number): Promise<void> {
    const rows = latestPerStation(taken.flatMap((w) => w.rows));
    const started = performance.now();
    try {
      if (budgetMs <= 0) throw new Error(`records waited ${this.o.commitTimeoutMs} ms for the transaction before theirs`);
      const puts = await Promise.all(rows.map((r) => this.put(r)));
      await putChunked(this.o.kv, puts, budgetMs);
    } catch (e) {
      for (const w of taken) this.release(w, false);
      this.degrade((e as Error).message, rows.length);
      return;
    }
    this.commitSeconds.push((performance.now() - started) / 1000);
    if (this.state === 'degraded' && this.o.alwaysTry) {
      this.state = 'up';
      this.lastError = null;
    }
    for (const w of taken) this.release(w, true);
    // After the Accepts are on their way: a row left queued is harmless (the replay finds it in etcd).
    const all = taken.flatMap((w) => w.rows);
    setImmediate(() => {
      try {
        this.o.journal.dequeue(all);
      } catch (e) {
        this.o.log.warn({ err: (e as Error).message }, 'cluster outbox: cannot remove committed records');
      }
    });
  }

  private release(w: Waiting, committed: boolean): void {
    if (committed) this.counts.committed += w.rows.length;
    else this.counts.relayedUncommitted += w.rows.length;
    w.resolve();
  }

  status(): ClusterCommitStatus {
    const s: ClusterCommitStatus = {
      state: this.state,
      queued: this.o.journal.queuedCount(),
      ...this.counts,
      lastError: this.lastError,
      commitSeconds: this.commitSeconds,
    };
    this.commitSeconds = [];
    return s;
  }

  private degrade(reason: string, records: number): void {
    this.lastError = reason;
    if (this.state === 'degraded') return;
    this.state = 'degraded';
    this.o.log.error(
      { reason, records, commitTimeoutMs: this.o.commitTimeoutMs },
      'cluster store not committing: Accepts are relayed with their records kept locally, and replayed to etcd when it answers again',
    );
  }

  /**
   * One round of the outbox. Each batch is one read of every row's key and one compare-and-put
   * transaction of those etcd does not have newer; only when that loses a race to another member's
   * write does a batch fall back to row by row. So an outbox of thousands after an outage costs
   * etcd a few dozen transactions, not two calls per record beside the live commits.
   */
  private async replay(): Promise<void> {
    if (this.replaying || this.stopped) return;
    this.replaying = true;
    try {
      const batch = Math.min(this.o.replayBatch ?? MAX_TXN_OPS, MAX_TXN_OPS);
      // Rows of a live commit still waiting for etcd's answer are not the replay's.
      const before = () => this.now() - this.o.commitTimeoutMs;
      let rows = this.o.journal.queued(batch, before());
      let replayed = 0;
      while (rows.length > 0 && !this.stopped) {
        const { put, superseded } = await this.replayBatch(rows);
        this.o.journal.dequeue(rows);
        replayed += put;
        this.counts.replayed += put;
        this.counts.superseded += superseded;
        if (rows.length < batch) break;
        rows = this.o.journal.queued(batch, before());
      }
      if (this.state === 'degraded' && this.o.journal.queued(1, before()).length === 0) {
        this.state = 'up';
        this.lastError = null;
        this.o.log.info({ replayed, queued: this.o.journal.queuedCount() }, 'cluster store committing again; the outbox is replayed');
      }
    } catch (e) {
      this.degrade((e as Error).message, 0);
    } finally {
      this.replaying = false;
    }
  }

  private async replayBatch(queued: SealedStationRow[]): Promise<{ put: number; superseded: number }> {
    // The outbox may hold two authentications of one station: only the newer can go.
    const newest = new Map<string, SealedStationRow>();
    for (const r of queued) {
      const other = newest.get(r.staMac);
      if (!other || !isNewer(other, r)) newest.set(r.staMac, r);
    }
    const rows = [...newest.values()];
    let superseded = queued.length - rows.length;
    const there = await this.o.kv.getAll(
      rows.map((r) => this.o.layout.station(r.staMac)),
      this.o.commitTimeoutMs,
    );
    const items: { put: KvPut; modRevision: string }[] = [];
    const toPut: SealedStationRow[] = [];
    for (const [i, row] of rows.entries()) {
      const entry = there[i];
      const d = entry ? decodeStationEntry(entry.value, row.staMac) : undefined;
      if (d?.ok && isNewer(d.entry.row, row)) {
        superseded++;
        continue;
      }
      items.push({ put: await this.put(keepRevocation(entry, row)), modRevision: entry?.modRevision ?? '0' });
      toPut.push(row);
    }
    if (await this.o.kv.putAllIfUnchanged(items, this.o.commitTimeoutMs)) return { put: items.length, superseded };
    // Another member wrote one of these keys since the read: sort it out row by row.
    const done = await Promise.all(toPut.map((r) => this.replayOne(r)));
    const put = done.filter((x) => x === 'put').length;
    return { put, superseded: superseded + done.length - put };
  }

  private async replayOne(row: SealedStationRow): Promise<'put' | 'superseded'> {
    const key = this.o.layout.station(row.staMac);
    const there = await this.o.kv.get(key, this.o.commitTimeoutMs);
    if (there) {
      const d = decodeStationEntry(there.value, row.staMac);
      if (d.ok && isNewer(d.entry.row, row)) return 'superseded';
    }
    const ok = await this.o.kv.putIfUnchanged(
      await this.put(keepRevocation(there, row)),
      there?.modRevision ?? '0',
      this.o.commitTimeoutMs,
    );
    // Lost the race to another member's write: that one is newer (it was made after our read).
    return ok ? 'put' : 'superseded';
  }

  private async put(row: SealedStationRow): Promise<KvPut> {
    return {
      key: this.o.layout.station(row.staMac),
      value: encodeStationEntry({ row, member: this.o.member, committedAt: this.now() }),
      lease: await this.leases.forExpiry(row.expiresAt),
    };
  }
}

/** One put per station (the last row wins): etcd refuses a transaction that names a key twice. */
function latestPerStation(rows: SealedStationRow[]): SealedStationRow[] {
  const last = new Map<string, SealedStationRow>();
  for (const r of rows) {
    last.delete(r.staMac);
    last.set(r.staMac, r);
  }
  return [...last.values()];
}

/** Whether etcd's row `there` is at least as new as ours: a later authentication, or the same one updated as late or later. */
function isNewer(there: SealedStationRow, ours: SealedStationRow): boolean {
  if (there.authenticatedAt !== ours.authenticatedAt) return there.authenticatedAt > ours.authenticatedAt;
  const at = (json: string) => (JSON.parse(json) as { updatedAt?: number }).updatedAt ?? 0;
  return at(there.json) >= at(ours.json);
}

/** Ours, but revoked if etcd's row of the same authentication is: a revocation is never undone. */
function keepRevocation(there: KvEntry | undefined, ours: SealedStationRow): SealedStationRow {
  if (!there) return ours;
  const d = decodeStationEntry(there.value, ours.staMac);
  if (!d.ok || d.entry.row.authenticatedAt !== ours.authenticatedAt) return ours;
  const theirs = JSON.parse(d.entry.row.json) as { revoked?: unknown };
  const mine = JSON.parse(ours.json) as { revoked?: unknown };
  return theirs.revoked && !mine.revoked ? { ...ours, json: JSON.stringify({ ...mine, revoked: theirs.revoked }) } : ours;
}
