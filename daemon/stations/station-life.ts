import { akmName } from '../keys/akm.js';
import type { AccountingFacts } from '../records/facts.js';
import type { StationNews } from '../records/news.js';
import type { ApRef, ApStay, StationRecord } from '../records/station.js';
import type { ApEvent } from '../ports/ap-driver.js';
import type { RoamEvent } from '../roams/roam-event.js';
import type { PlaceSource, RevocationTrigger, StationLifeEvent, StationLifeListener } from './events.js';
import { samePlace, type ApPlaces } from './places.js';

// The one owner of a station's life. Four sources speak of stations: the RADIUS thread (records it
// committed for Access-Accepts), accounting, the APs' control channels (AP-STA-CONNECTED /
// -DISCONNECTED) and roams classified from captures. StationLife turns them into learned / moved /
// ended (and revoked) once each, keeps where the station is in its record (currentAp: nowhere
// else), and tells its subscribers (key distribution, RF neighbours). Events carry no keys
// (events.ts). It holds no timers and no copy of any record: the store has them (StationTable).

/** What StationLife reads and writes: the station table (records/station-table.ts). */
export interface LifeRecords {
  get(staMac: string): StationRecord | undefined;
  /** A record the RADIUS thread committed: the table's from now on. */
  adopt(record: StationRecord): void;
  /** A change to the current authentication (place, session), committed in the next group commit. */
  update(record: StationRecord): void;
}

export interface StationLifeDeps {
  stations: LifeRecords;
  /** The configured APs' BSSes; without it only accounting places stations. */
  places: ApPlaces | null;
  log: { info(o: object, m: string): void; debug?(o: object, m: string): void; isLevelEnabled?(level: string): boolean };
  /** Counts every Access-Accept, logged or not: which keys it brought. */
  observer?: { learned(keys: 'pmk-r0' | 'pmk' | 'none'): void; revoked?(trigger: RevocationTrigger): void };
  /**
   * Accounting-Stop causes (Acct-Terminate-Cause names, RFC 2866) that revoke the session
   * (stations.revokeOnAcctTerminateCause); default none.
   */
  revokeOnTerminateCause?: ReadonlySet<string>;
  /**
   * How long a revoked record stays: at least as long as any key placed for it can live on an AP,
   * since a sign of the revoked session is recognised only while its record is there.
   */
  revokedRetentionMs?: number;
  now?: () => number;
}

/** How long an ended session's record stays (for late roams and for the operator to look at). */
export const ENDED_RETENTION_MS = 5 * 60 * 1000;

export class StationLife {
  private readonly listeners: StationLifeListener[] = [];
  private readonly now: () => number;

  constructor(private readonly d: StationLifeDeps) {
    this.now = d.now ?? Date.now;
  }

  /** `l` hears every event from now on, in subscription order. */
  subscribe(l: StationLifeListener): void {
    this.listeners.push(l);
  }

  /**
   * Records the RADIUS thread committed, in commit order, with their news (records/news.ts). The
   * returned promise settles when every subscriber is done with them (tests wait for it).
   */
  adopt(record: StationRecord, news: StationNews = 'new'): Promise<void> {
    this.d.stations.adopt(record);
    this.d.observer?.learned(record.pmkR0Name ? 'pmk-r0' : record.hasPmk ? 'pmk' : 'none');
    // The event first: priming posts the station's PUSHes before it returns, and building the log
    // line costs more than that (a slow machine's first keys waited for it). The line still comes
    // before any 'key sent', which is written when the R0KH-R1KH thread reports back.
    const subscribers = this.emit({ type: 'learned', record, news });
    // Only news is logged: a burst of re-authentications would write a line per Accept. Skipped
    // when nobody reads it.
    if (news !== 'same' && (this.d.log.isLevelEnabled?.('info') ?? true)) {
      const r = record;
      this.d.log.info(
        {
          sta: r.staMac,
          ap: r.ap.nasIdentifier ?? r.ap.clientAddress,
          bssid: r.ap.bssid,
          ssid: r.ssid,
          akm: r.akm === null ? null : akmName(r.akm),
          vlan: r.vlan,
          identity: r.identity,
          pmkR0Name: r.pmkR0Name,
          machineAuth: r.machineAuth.authenticated,
          news,
        },
        'station learned',
      );
    }
    return subscribers;
  }

  /**
   * A record another cluster member committed for an Access-Accept it relayed, now in this
   * member's store (daemon/cluster/replicator.ts). The same event as adopt()'s, naming that member;
   * logged at debug only: the member that relayed it wrote the `station learned` line.
   */
  adoptReplica(record: StationRecord, relayedBy: string): Promise<void> {
    this.d.stations.adopt(record);
    if (this.d.log.isLevelEnabled?.('debug')) {
      (this.d.log.debug ?? this.d.log.info).call(
        this.d.log,
        { sta: record.staMac, relayedBy, pmkR0Name: record.pmkR0Name },
        'station replicated',
      );
    }
    return this.emit({ type: 'learned', record, news: 'new', relayedBy });
  }

  onAccounting(facts: AccountingFacts): Promise<void> {
    if (facts.staMac === null) return done; // Accounting-On/Off: nothing per station yet.
    const record = this.d.stations.get(facts.staMac);
    if (!record) return done;
    const here: ApRef = { bssid: facts.bssid, nasIdentifier: facts.nasIdentifier, clientAddress: facts.clientAddress };
    if (record.revoked) {
      // Start or Interim: the revoked session is up at this AP (a key the KMS could not remove).
      return facts.status === 'start' || facts.status === 'interim' ? this.seenRevoked(record, here, 'accounting') : done;
    }
    if (facts.status === 'start' || facts.status === 'interim') {
      return this.place(record, here, 'accounting', this.now(), {
        acctSessionId: facts.acctSessionId ?? record.acctSessionId,
        session: 'active',
      });
    }
    if (facts.status === 'stop') {
      // After a roam the old AP's Stop can arrive after the new AP's Start: it ends nothing.
      if (record.currentAp !== null && !samePlace(record.currentAp, here)) return done;
      const cause = facts.terminateCause ?? null;
      if (cause !== null && this.d.revokeOnTerminateCause?.has(cause)) {
        return this.revoke(record.staMac, `Accounting-Stop with Acct-Terminate-Cause ${cause}`, 'accounting').then(() => undefined);
      }
      return this.end(record);
    }
    return done;
  }

  /** An AP's control channel: AP-STA-CONNECTED places the station, -DISCONNECTED marks it leaving. */
  onApEvent(ap: string, ev: ApEvent): Promise<void> {
    if (ev.type !== 'sta-connected' && ev.type !== 'sta-disconnected') return done;
    const here = this.d.places?.bssOf(ap, ev.ifname);
    const record = here ? this.d.stations.get(ev.staMac) : undefined;
    if (!here || !record) return done;
    if (record.revoked) return ev.type === 'sta-connected' ? this.seenRevoked(record, here, 'ap-event') : done;
    if (ev.type === 'sta-connected') return this.place(record, here, 'ap-event', this.now());
    this.left(record, here);
    return done;
  }

  /** A roam classified from a capture. Failed attempts and first joins move nobody. */
  onRoam(e: RoamEvent): Promise<void> {
    if (e.method === 'failed' || e.method === 'initial') return done;
    const here = this.d.places?.bssid(e.toBssid);
    const record = here ? this.d.stations.get(e.sta) : undefined;
    if (!here || !record) return done;
    if (record.revoked) return this.seenRevoked(record, here, 'capture');
    // A roam held back for its data gap may arrive after a fresher source placed the station.
    return this.place(record, here, 'capture', Math.min(e.endTs, this.now()));
  }

  /**
   * Withdraws a station's authentication: marks the record (kept for audit, and to recognise the
   * session if it shows up again) and announces it; the revocation consumer tells the APs. False
   * when there is no such station or it is revoked already. Only a new full authentication (a new
   * record, from an Access-Accept) brings the station back.
   */
  revoke(staMac: string, reason: string, trigger: RevocationTrigger): Promise<boolean> {
    const record = this.d.stations.get(staMac);
    if (!record || record.revoked) return Promise.resolve(false);
    const now = this.now();
    const stay = record.currentAp;
    const updated: StationRecord = {
      ...record,
      session: 'ended',
      revoked: { at: now, reason },
      updatedAt: now,
      currentAp: stay && stay.leftAt === undefined ? { ...stay, leftAt: now } : stay,
      expiresAt: now + Math.max(this.d.revokedRetentionMs ?? 0, ENDED_RETENTION_MS),
    };
    this.d.stations.update(updated);
    this.d.observer?.revoked?.(trigger);
    this.d.log.info({ sta: staMac, reason, trigger, ap: stay?.bssid ?? record.ap.bssid }, 'station revoked');
    return this.emit({ type: 'revoked', record: updated, reason, trigger }).then(() => true);
  }

  /** A revoked session at `here`: announced (the AP must disconnect it), never placed. */
  private seenRevoked(record: StationRecord, here: ApRef, via: PlaceSource): Promise<void> {
    this.d.log.info(
      { sta: record.staMac, ap: here.nasIdentifier ?? here.clientAddress, bssid: here.bssid, via },
      'revoked station seen at AP; disconnecting',
    );
    return this.emit({ type: 'revoked-seen', record, at: here, via });
  }

  /**
   * The station is at `here`, seen there at `seenAt`; a move if that is another BSS than its last
   * place.
   */
  private place(record: StationRecord, here: ApRef, via: PlaceSource, seenAt: number, session: Partial<StationRecord> = {}): Promise<void> {
    const now = this.now();
    const stay = record.currentAp;
    // A report older than the station's current place says nothing about where it is now.
    if (stay && seenAt < stay.since && !samePlace(stay, here)) return done;
    // Placed nowhere yet: it is where it authenticated.
    const last: ApStay = stay ?? { ...record.ap, since: record.authenticatedAt };
    const moved = !samePlace(last, here);
    const there: ApStay = moved || !stay ? { ...here, since: now } : withoutLeft(stay);
    const changed = moved || !stay || stay.leftAt !== undefined || Object.keys(session).length > 0;
    if (!changed) return done;
    const updated: StationRecord = { ...record, ...session, currentAp: there, updatedAt: now };
    this.d.stations.update(updated);
    if (!moved) return done;
    this.d.log.info(
      { sta: record.staMac, from: last.bssid ?? last.clientAddress, to: there.bssid ?? there.clientAddress, via },
      'station seen at AP',
    );
    return this.emit({ type: 'moved', record: updated, from: last, to: there, via });
  }

  private left(record: StationRecord, here: ApRef): void {
    const stay = record.currentAp ?? { ...record.ap, since: record.authenticatedAt };
    if (!samePlace(stay, here) || stay.leftAt !== undefined) return;
    const now = this.now();
    this.d.stations.update({ ...record, currentAp: { ...stay, ...here, leftAt: now }, updatedAt: now });
  }

  private end(record: StationRecord): Promise<void> {
    if (record.session === 'ended') return done; // a repeated Stop ends nothing more
    const now = this.now();
    const stay = record.currentAp;
    const updated: StationRecord = {
      ...record,
      session: 'ended',
      currentAp: stay && stay.leftAt === undefined ? { ...stay, leftAt: now } : stay,
      updatedAt: now,
      expiresAt: Math.min(record.expiresAt, now + ENDED_RETENTION_MS),
    };
    this.d.stations.update(updated);
    this.d.log.info({ sta: record.staMac, ap: stay?.bssid ?? null }, 'station session ended');
    return this.emit({ type: 'ended', record: updated });
  }

  private emit(e: StationLifeEvent): Promise<void> {
    const work: Promise<void>[] = [];
    for (const l of this.listeners) {
      const p = l.onStationLife(e);
      if (p) work.push(p);
    }
    return work.length === 0 ? done : Promise.all(work).then(() => undefined);
  }
}

const done = Promise.resolve();

function withoutLeft(stay: ApStay): ApStay {
  if (stay.leftAt === undefined) return stay;
  const { leftAt: _, ...rest } = stay;
  return rest;
}
