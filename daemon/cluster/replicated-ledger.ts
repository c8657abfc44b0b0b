import { migratePlacementState, type Placement } from '../distribution/placement.js';
import type { ClusterKv, KvPut } from '../ports/cluster-kv.js';
import type { PlacementStore } from '../ports/placement-store.js';
import type { Log } from '../log/log.js';
import type { ClusterLayout } from './layout.js';
import { ExpiryLeases } from './expiry-leases.js';
import { followPrefix, type PrefixFollow } from './follow-prefix.js';
import { putChunked } from './put-chunked.js';

// The placement ledger across the cluster: the member holding the exactly-once work records each
// placement locally (as a single kmsd does) and sends it to etcd; every member imports the others'
// into its own ledger, so the member that takes the work over knows what is already on which AP and
// never places it again (hostapd does not de-duplicate PUSHed PMK-R1s). The send is not waited
// for: a placement in flight when its holder dies may be made once more by the next holder, which
// is what docs/cluster.md promises and no more. A send etcd refused or did not answer in time is
// tried again until it lands: dropped, its placements would be made again by every later holder.
// Key names only: no key material is in a placement.

const PLACEMENT_ENTRY_VERSION = 1;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;

export interface ReplicatedLedgerOptions {
  kv: ClusterKv;
  local: PlacementStore;
  layout: ClusterLayout;
  member: string;
  log: Log;
  timeoutMs: number;
  now?: () => number;
}

export class ReplicatedLedger implements PlacementStore {
  /**
   * Placements not yet in etcd, by entry key: the latest of each, since etcd refuses a key twice in
   * one transaction and an older state must not overwrite a newer one. One send at a time.
   */
  private readonly outgoing = new Map<string, Placement>();
  private sending = false;
  private retry: NodeJS.Timeout | null = null;
  private retryMs = RETRY_FIRST_MS;
  private announcing: { batch: Placement[]; sent: Promise<void> } | null = null;
  private follow: PrefixFollow | null = null;
  private readonly leases: ExpiryLeases;
  private counts = { sent: 0, failed: 0, imported: 0, rejected: 0 };
  private lastFailure: string | null = null;
  private stopped = false;

  constructor(private readonly o: ReplicatedLedgerOptions) {
    this.leases = new ExpiryLeases(o.kv, o.timeoutMs, o.now);
  }

  savePlacements(placements: Placement[]): void {
    this.o.local.savePlacements(placements);
    for (const p of placements) {
      const key = this.o.layout.placement(p);
      this.outgoing.delete(key);
      this.outgoing.set(key, p);
    }
    this.kick();
  }

  /** Announcements of one turn of the event loop go out in one transaction (a burst of logins primes many stations at once). */
  announce(placements: Placement[]): Promise<void> {
    if (placements.length === 0) return Promise.resolve();
    if (!this.announcing) {
      const batch: Placement[] = [];
      const sent = new Promise<void>((resolve) =>
        setImmediate(() => {
          this.announcing = null;
          void this.putBatch(batch).then(() => resolve());
        }),
      );
      this.announcing = { batch, sent };
    }
    this.announcing.batch.push(...placements);
    return this.announcing.sent;
  }

  /** True if etcd took the batch; a failure is counted and logged, never thrown. */
  private async putBatch(batch: Placement[]): Promise<boolean> {
    try {
      // etcd refuses a key twice in one transaction: the latest announcement of each entry.
      const latest = new Map(batch.map((p) => [this.o.layout.placement(p), p]));
      await putChunked(this.o.kv, await Promise.all([...latest.values()].map((p) => this.put(p))), this.o.timeoutMs);
      return true;
    } catch (e) {
      // Not waited for longer: the claim's freshness check, not this write, keeps a cut-off member from pushing.
      this.failed(batch.length, (e as Error).message);
      return false;
    }
  }

  loadPlacements(now: number): Placement[] {
    return this.o.local.loadPlacements(now);
  }

  /** Reads the others' entries, then follows them; resolves once the watch is set up (never rejects). */
  async start(): Promise<void> {
    if (this.stopped) return;
    this.follow ??= followPrefix({
      kv: this.o.kv,
      prefix: this.o.layout.placements,
      after: null,
      listTimeoutMs: 30_000,
      onSnapshot: (entries) => this.import(entries.map((e) => e.value)),
      onChanges: (changes) => this.import(changes.flatMap((c) => (c.kind === 'put' ? [c.value] : []))),
      onRetry: (reason) => this.o.log.warn({ reason }, 'cluster: placement ledger watch failed; reading again'),
    });
    await this.follow.started;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.follow?.close();
  }

  get stats(): { sent: number; failed: number; imported: number; rejected: number; lastFailure: string | null } {
    return { ...this.counts, lastFailure: this.lastFailure };
  }

  /** Starts a send of what is waiting, unless one is under way or a retry is due later. */
  private kick(): void {
    if (this.sending || this.retry || this.outgoing.size === 0 || this.stopped) return;
    this.sending = true;
    setImmediate(() => void this.send());
  }

  private async send(): Promise<void> {
    const batch = [...this.outgoing];
    this.outgoing.clear();
    try {
      const puts = await Promise.all(
        batch.map(async ([key, p]) => ({
          key,
          value: Buffer.from(JSON.stringify({ v: PLACEMENT_ENTRY_VERSION, member: this.o.member, placement: p })),
          lease: await this.leases.forExpiry(p.expiresAt),
        })),
      );
      await putChunked(this.o.kv, puts, this.o.timeoutMs);
      this.counts.sent += batch.length;
      if (this.lastFailure !== null) this.o.log.info({ placements: batch.length }, 'cluster: placements replicated again');
      this.lastFailure = null;
      this.retryMs = RETRY_FIRST_MS;
    } catch (e) {
      this.counts.failed += batch.length;
      const reason = (e as Error).message;
      if (this.lastFailure !== reason)
        this.o.log.warn({ reason, placements: batch.length, retryMs: this.retryMs }, 'cluster: placements not replicated; trying again');
      this.lastFailure = reason;
      // Kept for the next try, unless a newer state of the same entry has come meanwhile.
      for (const [key, p] of batch) if (!this.outgoing.has(key)) this.outgoing.set(key, p);
      this.retry = setTimeout(() => {
        this.retry = null;
        this.kick();
      }, this.retryMs);
      this.retry.unref();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    } finally {
      this.sending = false;
      this.kick();
    }
  }

  private async put(p: Placement): Promise<KvPut> {
    return {
      key: this.o.layout.placement(p),
      value: Buffer.from(JSON.stringify({ v: PLACEMENT_ENTRY_VERSION, member: this.o.member, placement: p })),
      lease: await this.leases.forExpiry(p.expiresAt),
    };
  }

  private failed(n: number, reason: string): void {
    this.counts.failed += n;
    if (this.lastFailure !== reason) this.o.log.warn({ reason, placements: n }, 'cluster: placements not replicated');
    this.lastFailure = reason;
  }

  private import(values: Buffer[]): void {
    const mine: Placement[] = [];
    for (const v of values) {
      const p = parsePlacementEntry(v);
      if (typeof p === 'string') {
        this.counts.rejected++;
        continue;
      }
      if (p.member === this.o.member) continue;
      mine.push(p.placement);
    }
    if (mine.length === 0) return;
    this.o.local.savePlacements(mine);
    this.counts.imported += mine.length;
  }
}

/** The entry's placement and its writer, or why it cannot be used. */
export function parsePlacementEntry(value: Buffer): { member: string; placement: Placement } | string {
  let o: { v?: unknown; member?: unknown; placement?: Partial<Placement> };
  try {
    o = JSON.parse(value.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (o?.v !== PLACEMENT_ENTRY_VERSION) return `entry version ${String(o?.v)}`;
  const p = o.placement;
  if (typeof o.member !== 'string' || !p || typeof p !== 'object') return 'no member or placement';
  const strings = ['staMac', 'ap', 'bssid', 'kind', 'keyName', 'state', 'via'] as const;
  if (strings.some((f) => typeof p[f] !== 'string')) return 'placement field missing';
  if (typeof p.expiresAt !== 'number' || typeof p.attempts !== 'number') return 'placement times missing';
  return {
    member: o.member,
    placement: {
      staMac: p.staMac!,
      ap: p.ap!,
      bssid: p.bssid!,
      kind: p.kind!,
      keyName: p.keyName!,
      state: migratePlacementState(p.state!, p.kind!),
      via: p.via!,
      placedAt: typeof p.placedAt === 'number' ? p.placedAt : null,
      expiresAt: p.expiresAt,
      attempts: p.attempts,
      lastError: typeof p.lastError === 'string' ? p.lastError : null,
    },
  };
}
