import { placementKey, type Placement } from '../distribution/placement.js';
import type { ClusterKv, KvPut } from '../ports/cluster-kv.js';
import type { PlacementStore } from '../ports/placement-store.js';
import type { Log } from '../log/log.js';
import type { ClusterLayout } from './layout.js';
import { ExpiryLeases } from './expiry-leases.js';
import { followMembers } from './follow-prefix.js';
import { encodePlacementEntry, parsePlacementEntry } from './placement-entry.js';
import { putChunked } from './put-chunked.js';

// The placement ledger across the cluster: the member holding the exactly-once work records each
// placement locally (as a single kmsd does) and sends it to etcd; every member imports the others'
// into its own ledger, so the member that takes the work over knows what is already on which AP and
// never places it again (hostapd does not de-duplicate PUSHed PMK-R1s). The send is not waited
// for: a placement in flight when its holder dies may be made once more by the next holder, which
// is what docs/cluster.md promises and no more. A send etcd refused or did not answer in time is
// tried again until it lands: dropped, its placements would be made again by every later holder.
// One entry per station and member (placement-entry.ts): a station placed on 8 BSSes is one put
// when announced and one when its outcomes are in, and the entry always carries the newest state
// of each of its placements, so a late send can never leave an older state behind a newer one.

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
/** How often placements that expired without a later write are forgotten. */
const SWEEP_MS = 60_000;

export interface ReplicatedLedgerOptions {
  kv: ClusterKv;
  local: PlacementStore;
  layout: ClusterLayout;
  member: string;
  /** The other members' names (cluster.members): whose entries are followed. */
  others: string[];
  log: Log;
  timeoutMs: number;
  now?: () => number;
}

export class ReplicatedLedger implements PlacementStore {
  /** This member's placements not yet expired, by station, then placementKey: what its entries hold. */
  private readonly own = new Map<string, Map<string, Placement>>();
  /** Stations whose entry changed since it was last sent. One send at a time. */
  private readonly outgoing = new Set<string>();
  private sending = false;
  private retry: NodeJS.Timeout | null = null;
  private retryMs = RETRY_FIRST_MS;
  private announcing: { stations: Set<string>; sent: Promise<void> } | null = null;
  private follows: ReturnType<typeof followMembers> | null = null;
  private readonly leases: ExpiryLeases;
  private readonly now: () => number;
  private sweptAt: number;
  private counts = { sent: 0, failed: 0, imported: 0, rejected: 0 };
  private lastFailure: string | null = null;
  private stopped = false;

  constructor(private readonly o: ReplicatedLedgerOptions) {
    this.now = o.now ?? Date.now;
    this.leases = new ExpiryLeases(o.kv, o.timeoutMs, this.now);
    this.sweptAt = this.now();
  }

  savePlacements(placements: Placement[]): void {
    this.o.local.savePlacements(placements);
    for (const sta of this.keep(placements)) this.outgoing.add(sta);
    this.kick();
  }

  /** Announcements of one turn of the event loop go out in one transaction (a burst of logins primes many stations at once). */
  announce(placements: Placement[]): Promise<void> {
    if (placements.length === 0) return Promise.resolve();
    if (!this.announcing) {
      const stations = new Set<string>();
      const sent = new Promise<void>((resolve) =>
        setImmediate(() => {
          this.announcing = null;
          void this.putEntries([...stations]).then(
            () => resolve(),
            (e: Error) => {
              // Not waited for longer: the claim's freshness check, not this write, keeps a cut-off member from pushing.
              this.failed(stations.size, e.message);
              resolve();
            },
          );
        }),
      );
      this.announcing = { stations, sent };
    }
    for (const sta of this.keep(placements)) this.announcing.stations.add(sta);
    return this.announcing.sent;
  }

  loadPlacements(now: number): Placement[] {
    return this.o.local.loadPlacements(now);
  }

  /** Reads the others' entries, then follows them; resolves once the watches are set up (never rejects). */
  async start(): Promise<void> {
    if (this.stopped) return;
    this.follows ??= followMembers({
      kv: this.o.kv,
      members: this.o.others,
      prefixOf: (member) => this.o.layout.placementsOf(member),
      onValues: (member, values) => this.import(member, values),
      onRetry: (member, reason) => this.o.log.warn({ reason, member }, 'cluster: placement ledger watch failed; reading again'),
    });
    await this.follows.started;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.follows?.close();
  }

  /** Counts of stations' entries sent, failed and imported, and of entries refused. */
  get stats(): { sent: number; failed: number; imported: number; rejected: number; lastFailure: string | null } {
    return { ...this.counts, lastFailure: this.lastFailure };
  }

  /** Takes the newest state of each placement into the station's entry; returns the stations touched. */
  private keep(placements: Placement[]): Set<string> {
    const touched = new Set<string>();
    for (const p of placements) {
      let mine = this.own.get(p.staMac);
      if (!mine) this.own.set(p.staMac, (mine = new Map()));
      mine.set(placementKey(p), p);
      touched.add(p.staMac);
    }
    return touched;
  }

  /** The stations' entries as they are now, in as few transactions as etcd allows. */
  private async putEntries(stations: string[]): Promise<void> {
    const now = this.now();
    const puts: Promise<KvPut>[] = [];
    for (const sta of stations) {
      const mine = this.own.get(sta);
      if (!mine) continue;
      for (const [k, p] of mine) if (p.expiresAt <= now) mine.delete(k);
      if (mine.size === 0) {
        // Nothing left to say: the entry's lease removes it from etcd.
        this.own.delete(sta);
        continue;
      }
      puts.push(this.put(sta, mine));
    }
    await putChunked(this.o.kv, await Promise.all(puts), this.o.timeoutMs);
    this.counts.sent += puts.length;
  }

  private async put(sta: string, mine: Map<string, Placement>): Promise<KvPut> {
    let expiresAt = 0;
    for (const p of mine.values()) expiresAt = Math.max(expiresAt, p.expiresAt);
    return {
      key: this.o.layout.placementEntry(sta, this.o.member),
      value: encodePlacementEntry(this.o.member, sta, mine.values()),
      lease: await this.leases.forExpiry(expiresAt),
    };
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
      await this.putEntries(batch);
      if (this.lastFailure !== null) this.o.log.info({ stations: batch.length }, 'cluster: placements replicated again');
      this.lastFailure = null;
      this.retryMs = RETRY_FIRST_MS;
    } catch (e) {
      const reason = (e as Error).message;
      this.counts.failed += batch.length;
      if (this.lastFailure !== reason)
        this.o.log.warn({ reason, stations: batch.length, retryMs: this.retryMs }, 'cluster: placements not replicated; trying again');
      this.lastFailure = reason;
      // Sent again on the next try, with whatever newer state came meanwhile.
      for (const sta of batch) this.outgoing.add(sta);
      this.retry = setTimeout(() => {
        this.retry = null;
        this.kick();
      }, this.retryMs);
      this.retry.unref();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    } finally {
      this.sending = false;
      this.sweep();
      this.kick();
    }
  }

  /** Forgets the placements that expired with no later write of their station (their entries expire in etcd on their own). */
  private sweep(): void {
    const now = this.now();
    if (now - this.sweptAt < SWEEP_MS) return;
    this.sweptAt = now;
    for (const [sta, mine] of this.own) {
      if (this.outgoing.has(sta)) continue;
      for (const [k, p] of mine) if (p.expiresAt <= now) mine.delete(k);
      if (mine.size === 0) this.own.delete(sta);
    }
  }

  private failed(n: number, reason: string): void {
    this.counts.failed += n;
    if (this.lastFailure !== reason) this.o.log.warn({ reason, stations: n }, 'cluster: placements not replicated');
    this.lastFailure = reason;
  }

  /** Entries found under `member`'s name: one written there by anyone else is refused. */
  private import(member: string, values: Buffer[]): void {
    const theirs: Placement[] = [];
    for (const v of values) {
      const e = parsePlacementEntry(v);
      if (typeof e === 'string' || e.member !== member) {
        this.counts.rejected++;
        continue;
      }
      theirs.push(...e.placements);
      this.counts.imported++;
    }
    if (theirs.length > 0) this.o.local.savePlacements(theirs);
  }
}
