import type { StationKeys, StationRecord } from '../records/station.js';
import type { StationLifeEvent } from '../stations/events.js';
import { ON_AP, placementKey, type Placement } from './placement.js';
import type { PlacementStore } from '../ports/placement-store.js';
import { planPlacements, type Intent, type PlanPolicy } from './planner.js';
import { WARM_UP_STA, warmUpStation } from './warm-up.js';
import { AKM } from '../keys/akm.js';
import type { Log } from '../log/log.js';
import type { ApDriver, ApEvent } from '../ports/ap-driver.js';
import type { PmkR1Pusher, PullRequest, RrbPeer } from '../ports/pmk-r1-transport.js';
import { RetryQueue, type Queued, type RetryPolicy } from './retry-queue.js';
import type { ApInfo, BssInfo, NeighborSource, Topology } from './topology.js';

// Places each station's keys on the neighbours of the AP it is at, before it roams: a PMK-R1
// per BSS over R0KH-R1KH PUSH (FT) or its PMK through PMKSA_ADD (OKC). Remembers every
// placement (never the same key twice), re-places before keys expire while the session lives,
// queues placements for unreachable APs, and keeps the ledger of the PULLs answered for it.

/** What a PULL answered elsewhere came to: the placement made, or why it was refused. */
export interface PullOutcome {
  staMac: string;
  r1khId: string;
  fromMac: string;
  placement: Placement | null;
  why: string | null;
}

export interface DistributionObserver {
  placed(kind: 'ft' | 'okc', via: Placement['via']): void;
  failed(kind: 'ft' | 'okc', reason: string): void;
  /** All planned placements for one priming are done (placed, failed or queued). */
  primed(seconds: number, placements: number): void;
  dropped(reason: string): void;
}

export interface DistributorDeps {
  topology: Topology;
  neighbors: NeighborSource;
  pusher: PmkR1Pusher | null;
  rrbPeerFor(bss: BssInfo): RrbPeer | null;
  controlFor(ap: string): ApDriver | null;
  stations: {
    get(staMac: string): StationRecord | undefined;
    keysFor(staMac: string): StationKeys | null;
    /** Every live record: a cluster member that takes the work over primes what is left (activate). */
    list?(): StationRecord[];
  };
  ledger: PlacementStore;
  policy: PlanPolicy & { repushMarginS: number; retry: RetryPolicy };
  logger: Log;
  observer?: DistributionObserver;
  now?: () => number;
}

/** How far before a pause resume() looks for records: one committed just before it may have been adopted after. */
const PAUSE_MARGIN_MS = 5000;

interface QueuedIntent {
  staMac: string;
  intent: Intent;
}

export class KeyDistributor {
  /** Per station, its placements by placementKey: every lookup is about one station. */
  private readonly placements = new Map<string, Map<string, Placement>>();
  private readonly repush = new Map<string, NodeJS.Timeout>();
  /** Placements being attempted right now: two primings of one station (Accept, then accounting or
   *  AP-STA-CONNECTED) overlap, and the second must not place the same key again. */
  private readonly inFlight = new Set<string>();
  private readonly queues = new Map<string, RetryQueue<QueuedIntent>>();
  private readonly now: () => number;
  /** False on a cluster member while another holds the exactly-once work (standby/activate). */
  private active = true;
  /**
   * When this member, active until then, stood by: resume() primes what it was told of since. (A
   * member built standing by counts its start; it never resumes, since only a claim it created
   * can come back to it.)
   */
  private pausedAt: number | null = null;

  constructor(private readonly d: DistributorDeps) {
    this.now = d.now ?? Date.now;
  }

  /** Loads the ledger (so a restart neither re-places nor forgets) and resumes re-placement. */
  start(): void {
    this.remember(this.d.ledger.loadPlacements(this.now()));
    for (const sta of this.placements.keys()) this.scheduleRepush(sta);
    this.warmUp();
  }

  /** Plans, and throws away, an FT and an OKC station's placements (warm-up.ts says why). */
  private warmUp(): void {
    // A station's neighbours: a handful of BSSes, whatever the size of the site.
    const targets = this.d.topology.aps.flatMap((a) => a.bsses).slice(0, 8);
    if (targets.length === 0) return;
    for (const akm of [AKM.FT_IEEE8021X, AKM.IEEE8021X]) {
      const { record, keys } = warmUpStation(targets[0]!, this.d.policy, akm);
      this.d.stations.keysFor(WARM_UP_STA);
      for (let i = 0; i < 20; i++) planPlacements(record, keys, targets, this.d.policy, this.now());
    }
  }

  stop(): void {
    for (const t of this.repush.values()) clearTimeout(t);
    this.repush.clear();
    for (const q of this.queues.values()) q.stop();
  }

  get isActive(): boolean {
    return this.active;
  }

  /**
   * Cluster: another member holds the exactly-once work (docs/cluster.md). Nothing is placed,
   * re-placed or retried here until activate(); the ledger keeps arriving by replication.
   */
  standby(): void {
    if (this.active) this.pausedAt = this.now();
    this.active = false;
    this.stop();
  }

  /**
   * Cluster: the work comes back after a pause in which no other member could hold it (the claim's
   * lease never lapsed): what this member knew is still all there is. Re-placements are scheduled
   * again and the retry queues run. The stations learned or moved during the pause were dropped
   * here (nothing is placed while standing by), so those whose records changed since the pause
   * and that have nothing on an AP are primed now; the others are not touched, so a busy member
   * that pauses now and then does not add a whole re-priming each time. Resolves with how many
   * stations were primed.
   */
  async resume(): Promise<number> {
    this.active = true;
    const since = this.pausedAt;
    this.pausedAt = null;
    for (const sta of this.placements.keys()) this.scheduleRepush(sta);
    for (const q of this.queues.values()) q.kick();
    if (since === null) return 0;
    // A record committed just before the pause may have reached this thread after it.
    return this.primeUnplaced((r) => r.updatedAt >= since - PAUSE_MARGIN_MS);
  }

  /**
   * Cluster: this member takes the work over. The ledger is read afresh (it holds what the previous
   * holder recorded, replicated), re-placements are scheduled from it, and every live station that
   * has nothing placed yet or a placement still waiting is primed: keys already on an AP are not
   * placed again. Resolves with how many stations were primed.
   */
  async activate(): Promise<number> {
    this.active = true;
    const now = this.now();
    this.placements.clear();
    // The previous holder's queues are in the ledger (as `queued`), and retried by priming below.
    this.queues.clear();
    // A retry the old holder had queued is this member's to make: forget it, so priming places it.
    this.remember(this.d.ledger.loadPlacements(now).filter((p) => p.state !== 'queued'));
    for (const sta of this.placements.keys()) this.scheduleRepush(sta);
    this.pausedAt = null;
    return this.primeUnplaced(() => true);
  }

  /** Primes every live station that `which` picks and that has nothing placed yet (or only a wait), 64 at a time. */
  private async primeUnplaced(which: (r: StationRecord) => boolean): Promise<number> {
    const pending = (this.d.stations.list?.() ?? []).filter(
      (r) =>
        which(r) &&
        !r.revoked &&
        r.session !== 'ended' &&
        !this.placementsFor(r.staMac).some((p) => ON_AP.has(p.state) || p.state === 'failed'),
    );
    for (let i = 0; i < pending.length && this.active; i += 64) {
      await Promise.all(pending.slice(i, i + 64).map((r) => this.onStationLife({ type: 'learned', record: r, news: 'same' })));
    }
    return pending.length;
  }

  /**
   * What happens in a station's life (StationLife's events), the distributor's one way in:
   * learned or moved primes the neighbours of the place the station is now, ended or revoked
   * stops re-placement. Keys are read from the store at the moment they are placed (keysFor),
   * never taken from an event. Resolves when this event's placements are done; failures are
   * logged here and never reach the caller.
   */
  onStationLife(e: StationLifeEvent): Promise<void> {
    if (!this.active) return Promise.resolve();
    if (e.type === 'ended' || e.type === 'revoked') {
      this.end(e.record);
      return Promise.resolve();
    }
    // A revoked session seen at an AP: never a reason to place keys (stations/revocation.ts acts).
    if (e.type === 'revoked-seen') return Promise.resolve();
    return this.prime(e.record).catch((err: Error) => {
      (this.d.logger.error ?? this.d.logger.warn).call(this.d.logger, { err: err.message, what: e.type }, 'key distribution failed');
    });
  }

  /** The AP's control channel is (back) up: what was queued for it goes now. */
  onApEvent(apName: string, ev: ApEvent): void {
    if (this.active && ev.type === 'transport' && ev.up) this.queues.get(apName)?.kick();
  }

  /**
   * A PULL answered elsewhere (kmsd answers them on the R0KH-R1KH thread, see pull.ts): with the
   * placement it made, or refused and why.
   */
  onPull(o: PullOutcome): void {
    if (o.placement) this.pullAnswered(o.placement);
    else this.pullRefused(o, o.why ?? 'refused');
  }

  /** Priming: the neighbours of the station's place get its keys. The only path to a placement. */
  private prime(record: StationRecord): Promise<void> {
    if (record.revoked) return Promise.resolve();
    const at = record.currentAp ?? record.ap;
    return this.primeAt(record, this.d.topology.locate(at), at.bssid);
  }

  private end(record: StationRecord): void {
    clearTimeout(this.repush.get(record.staMac));
    this.repush.delete(record.staMac);
    for (const q of this.queues.values()) q.filter((i) => i.staMac !== record.staMac);
    // hostapd 2.10 can remove neither a pushed PMK-R1 nor one PMKSA entry: the placed keys
    // simply run out (keyLifetimeS). Mark them so the ledger tells the truth.
    const withdrawn: Placement[] = [];
    for (const p of this.placementsFor(record.staMac)) {
      if (p.state !== 'withdrawn') withdrawn.push({ ...p, state: 'withdrawn' });
    }
    this.record(withdrawn);
  }

  /** Forgets expired placements (the store purges its rows on the same schedule). */
  purgeExpired(): number {
    const now = this.now();
    let n = 0;
    for (const [sta, mine] of this.placements) {
      for (const [k, p] of mine) if (p.expiresAt <= now) mine.delete(k), n++;
      if (mine.size === 0) this.placements.delete(sta);
    }
    return n;
  }

  placementsFor(staMac: string): Placement[] {
    return [...(this.placements.get(staMac)?.values() ?? [])];
  }

  queued(): Record<string, number> {
    return Object.fromEntries([...this.queues].map(([ap, q]) => [ap, q.size]));
  }

  /** A PULL answered elsewhere: the ledger learns of the placement after the AP already has its key. */
  private pullAnswered(p: Placement): void {
    this.record([p]);
    this.d.observer?.placed('ft', 'pull');
    this.d.logger.info({ sta: p.staMac, bssid: p.bssid, ap: p.ap }, 'answered PULL with a PMK-R1');
  }

  private pullRefused(req: Pick<PullRequest, 'staMac' | 'r1khId' | 'fromMac'>, why: string): void {
    this.d.observer?.failed('ft', 'pull-nak');
    this.d.logger.warn({ sta: req.staMac, r1kh: req.r1khId, from: req.fromMac, why }, 'PULL answered with NAK');
  }

  private async primeAt(record: StationRecord, ap: ApInfo | undefined, hereBssid: string | null): Promise<void> {
    if (!ap) {
      this.d.logger.debug({ sta: record.staMac, at: record.ap.nasIdentifier }, 'station at an AP the distribution config does not list');
      return;
    }
    const started = performance.now();
    const targets = [
      ...ap.bsses.filter((b) => b.bssid !== hereBssid),
      ...this.d.neighbors.neighborsOf(ap.name).flatMap((n) => this.d.topology.ap(n)?.bsses ?? []),
    ];
    const keys = this.d.stations.keysFor(record.staMac);
    if (!keys || targets.length === 0) return;
    const now = this.now();
    const plan = planPlacements(record, keys, targets, this.d.policy, now);
    for (const s of plan.skipped) this.d.logger.info({ sta: record.staMac }, `distribution: ${s}`);
    // Same key already on that BSS and not about to expire: placing it again would only add a duplicate.
    const marginMs = this.d.policy.repushMarginS * 1000;
    const todo = plan.intents.filter((i) => {
      // hostapd refuses a PUSH whose R0KH-ID is its own nas_identifier: the AP where the station
      // authenticated still holds the PMK-R0 and derives PMK-R1s for its BSSes itself.
      if (i.kind === 'ft' && this.d.topology.ap(i.bss.ap)?.nasIdentifier === record.ap.nasIdentifier) return false;
      const key = placementKey({ staMac: record.staMac, bssid: i.bss.bssid, kind: i.kind, keyName: i.keyName });
      if (this.inFlight.has(key)) return false;
      const p = this.placements.get(record.staMac)?.get(key);
      return !(p && (ON_AP.has(p.state) || p.state === 'queued' || p.state === 'sending') && p.expiresAt - marginMs > now);
    });
    const reserved = todo.map((i) => placementKey({ staMac: record.staMac, bssid: i.bss.bssid, kind: i.kind, keyName: i.keyName }));
    for (const k of reserved) this.inFlight.add(k);
    try {
      // In a cluster the PUSHes are announced first: a member that takes over never repeats them.
      const pushes = todo.filter((i) => i.kind === 'ft');
      if (this.d.ledger.announce && pushes.length > 0) {
        await this.d.ledger.announce(
          pushes.map((i) => this.placement(record.staMac, i.bss.ap, i.bss.bssid, i.kind, i.keyName, 'push', 'sending', i.expiresAt, null)),
        );
      }
      const results = await Promise.all(
        todo.map(async (i) => {
          const p = await this.attempt(record.staMac, i, 1);
          if (p.state === 'queued') this.enqueue(record.staMac, i, p);
          return p;
        }),
      );
      this.record(results);
    } finally {
      for (const k of reserved) this.inFlight.delete(k);
    }
    this.d.observer?.primed((performance.now() - started) / 1000, todo.length);
    if (todo.length > 0) this.scheduleRepush(record.staMac);
  }

  /** One placement attempt. 'queued' means a transport failure worth retrying; the caller queues it. */
  private async attempt(staMac: string, intent: Intent, attempts: number): Promise<Placement> {
    const { bss } = intent;
    const base = (state: Placement['state'], err: string | null, via: Placement['via']) =>
      this.placement(staMac, bss.ap, bss.bssid, intent.kind, intent.keyName, via, state, intent.expiresAt, err, attempts);
    if (intent.kind === 'ft') {
      const peer = this.d.rrbPeerFor(bss);
      if (!this.d.pusher || !peer) return this.fail(base('failed', 'no R0KH-R1KH path to this BSS', 'push'));
      const out = await this.d.pusher.push(peer, intent.entry);
      return out.ok ? this.ok(base('sent', null, 'push')) : base('queued', out.reason, 'push');
    }
    const control = this.d.controlFor(bss.ap);
    if (!control) return this.fail(base('failed', 'no control channel to this AP', 'pmksa-add'));
    if (!control.pmksaAdd) return this.fail(base('failed', "this AP's control channel cannot PMKSA_ADD", 'pmksa-add'));
    if (!control.connected) return base('queued', 'AP control not connected', 'pmksa-add');
    try {
      await control.pmksaAdd(bss.ifname, intent.pmksa);
    } catch (e) {
      const msg = (e as Error).message;
      // The AP answered FAIL (e.g. PMKSA caching disabled): retrying will not help.
      if (/\bFAIL\b/.test(msg)) return this.fail(base('failed', msg, 'pmksa-add'));
      return base('queued', msg, 'pmksa-add');
    }
    // hostapd said OK; its PMKSA listing, where the channel has one, says whether the entry is there.
    if (!control.pmksaList) return this.ok(base('added', null, 'pmksa-add'));
    try {
      const listed = await control.pmksaList(bss.ifname);
      const sta = staMac.toLowerCase();
      const pmkid = intent.keyName.toLowerCase();
      if (listed.some((e) => e.staMac.toLowerCase() === sta && e.pmkid.toLowerCase() === pmkid))
        return this.ok(base('confirmed', null, 'pmksa-add'));
      return this.ok(
        base('added', "the AP answered OK to PMKSA_ADD, but the BSS's PMKSA list does not show this station and PMKID", 'pmksa-add'),
      );
    } catch (e) {
      return this.ok(
        base('added', `the AP answered OK to PMKSA_ADD; the PMKSA list could not be read: ${(e as Error).message}`, 'pmksa-add'),
      );
    }
  }

  private ok(p: Placement): Placement {
    this.d.observer?.placed(p.kind, p.via);
    this.d.logger.info(
      {
        sta: p.staMac,
        ap: p.ap,
        bssid: p.bssid,
        kind: p.kind,
        via: p.via,
        keyName: p.keyName,
        attempt: p.attempts,
        state: p.state,
        note: p.lastError ?? undefined,
      },
      `key ${p.state}`,
    );
    return p;
  }

  private fail(p: Placement): Placement {
    this.d.observer?.failed(p.kind, p.lastError ?? 'failed');
    this.d.logger.warn({ sta: p.staMac, ap: p.ap, bssid: p.bssid, kind: p.kind, err: p.lastError }, 'key placement failed');
    return p;
  }

  private enqueue(staMac: string, intent: Intent, p: Placement): void {
    let q = this.queues.get(intent.bss.ap);
    if (!q) {
      q = new RetryQueue<QueuedIntent>(
        this.d.policy.retry,
        (batch) => this.retry(batch),
        (dropped) => {
          this.d.observer?.dropped('retry-queue-full');
          this.d.logger.warn({ sta: dropped.staMac, ap: dropped.intent.bss.ap }, 'retry queue full: oldest placement dropped');
        },
      );
      this.queues.set(intent.bss.ap, q);
    }
    q.add({ staMac, intent }, p.attempts);
    this.d.observer?.failed(p.kind, 'queued');
    this.d.logger.info(
      { sta: staMac, ap: p.ap, bssid: p.bssid, kind: p.kind, err: p.lastError, queued: q.size },
      'key placement queued for retry',
    );
  }

  private async retry(batch: Queued<QueuedIntent>[]): Promise<Queued<QueuedIntent>[]> {
    const again: Queued<QueuedIntent>[] = [];
    const done: Placement[] = [];
    for (const q of batch) {
      const record = this.d.stations.get(q.item.staMac);
      if (!record || record.session === 'ended' || record.revoked || q.item.intent.expiresAt <= this.now()) continue;
      const p = await this.attempt(q.item.staMac, q.item.intent, q.attempts + 1);
      if (p.state === 'queued') again.push(q);
      else done.push(p);
    }
    this.record(done);
    return again;
  }

  private scheduleRepush(staMac: string): void {
    clearTimeout(this.repush.get(staMac));
    const mine = this.placementsFor(staMac).filter((p) => ON_AP.has(p.state) || p.state === 'sending');
    if (mine.length === 0) return;
    const soonest = Math.min(...mine.map((p) => p.expiresAt));
    const delay = Math.max(1000, soonest - this.d.policy.repushMarginS * 1000 - this.now());
    const t = setTimeout(
      () => {
        this.repush.delete(staMac);
        const record = this.d.stations.get(staMac);
        if (!record || record.session === 'ended' || record.revoked) return;
        void this.prime(record).catch((e: Error) => this.d.logger.warn({ sta: staMac, err: e.message }, 'key re-placement failed'));
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    t.unref();
    this.repush.set(staMac, t);
  }

  private placement(
    staMac: string,
    ap: string,
    bssid: string,
    kind: Placement['kind'],
    keyName: string,
    via: Placement['via'],
    state: Placement['state'],
    expiresAt: number,
    lastError: string | null,
    attempts = 1,
  ): Placement {
    return { staMac, ap, bssid, kind, keyName, via, state, expiresAt, lastError, attempts, placedAt: ON_AP.has(state) ? this.now() : null };
  }

  private remember(ps: Placement[]): void {
    for (const p of ps) {
      let mine = this.placements.get(p.staMac);
      if (!mine) this.placements.set(p.staMac, (mine = new Map()));
      mine.set(placementKey(p), p);
    }
  }

  private record(ps: Placement[]): void {
    if (ps.length === 0) return;
    this.remember(ps);
    try {
      this.d.ledger.savePlacements(ps);
    } catch (e) {
      this.d.logger.warn({ err: (e as Error).message }, 'placement ledger not saved');
    }
  }
}
