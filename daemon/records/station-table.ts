import type { RecordPolicy } from './build.js';
import type { AccessAcceptFacts, AccountingFacts } from './facts.js';
import type { StationLearner } from '../ports/station-learner.js';
import type { StationKeys, StationRecord } from './station.js';
import type { RecordStore } from '../ports/record-store.js';
import { StationRecorder } from './recorder.js';

export interface StationTableEvents {
  /** A station record was created or replaced by a new authentication. */
  stationLearned?(record: StationRecord): void;
  /** Accounting moved the station to another AP. */
  stationMoved?(record: StationRecord, from: StationRecord['currentAp']): void;
  stationEnded?(record: StationRecord): void;
  warning?(staMac: string, message: string): void;
}

/** How long an ended session's record stays (for late roams and for the operator to look at). */
const ENDED_RETENTION_MS = 5 * 60 * 1000;

/**
 * The view of all stations that the API and distribution read. The records themselves live in
 * the store only: the table holds no copy. With 100,000+ stations a copy on the heap (even one
 * JSON string per station) made the main thread's collections long, and on a small machine
 * those took CPU from the RADIUS thread: p99 at 1,000 requests/s with ~170k stations had a
 * median of 2.6 ms against 1.5 ms without the copy (6 rounds each). A lookup is one indexed
 * SELECT and a parse, and none is on a per-packet path. Records arrive either through
 * onAccessAccept (the proxy on this thread calls it as a StationLearner) or, already committed
 * by a StationRecorder elsewhere, through adopt().
 */
export class StationTable implements StationLearner {
  private readonly recorder: StationRecorder;
  /** Accounting updates queued for the next group commit: reads see them before the store does. */
  private readonly unsaved = new Map<string, { json: string; expiresAt: number }>();

  constructor(
    private readonly store: RecordStore,
    policy: RecordPolicy,
    private readonly events: StationTableEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    this.recorder = new StationRecorder(store, policy, (sta, m) => this.events.warning?.(sta, m), now);
  }

  /** Reads the machine authentications still in their window; returns how many stations the store holds. */
  load(): number {
    this.recorder.load();
    return this.size;
  }

  /** Resolves once the record is committed; the proxy relays the Accept only then. */
  async onAccessAccept(facts: AccessAcceptFacts): Promise<void> {
    const { record } = await this.recorder.record(facts);
    this.adopt(record);
  }

  /**
   * A record that a StationRecorder has committed: now the table's, and announced. `json` is
   * JSON.stringify(record) when the caller has it already.
   */
  adopt(record: StationRecord): void {
    // A newer authentication: an update of the previous one still queued is void (the store
    // would refuse it too, authenticatedAt differs).
    this.unsaved.delete(record.staMac);
    this.events.stationLearned?.(record);
  }

  onAccounting(facts: AccountingFacts): void {
    if (facts.staMac === null) return; // Accounting-On/Off: nothing per station yet.
    const kept = this.row(facts.staMac);
    if (!kept) return;
    const record = JSON.parse(kept.json) as StationRecord;
    const now = this.now();
    const from = record.currentAp;
    const here = { bssid: facts.bssid, nasIdentifier: facts.nasIdentifier, clientAddress: facts.clientAddress };
    const sameAp = from !== null && from.clientAddress === here.clientAddress && from.bssid === here.bssid;

    if (facts.status === 'start' || facts.status === 'interim') {
      const updated: StationRecord = {
        ...record,
        currentAp: sameAp ? from : { ...here, since: now },
        acctSessionId: facts.acctSessionId ?? record.acctSessionId,
        session: 'active',
        updatedAt: now,
      };
      this.persist(updated);
      if (!sameAp) this.events.stationMoved?.(updated, from);
    } else if (facts.status === 'stop') {
      // After a roam the old AP's Stop can arrive after the new AP's Start: it ends nothing.
      const fromCurrent = from === null || sameAp;
      if (!fromCurrent) return;
      const updated: StationRecord = {
        ...record,
        session: 'ended',
        updatedAt: now,
        expiresAt: Math.min(record.expiresAt, now + ENDED_RETENTION_MS),
      };
      this.persist(updated);
      this.events.stationEnded?.(updated);
    }
  }

  get(staMac: string): StationRecord | undefined {
    const kept = this.row(staMac);
    return kept && kept.expiresAt > this.now() ? (JSON.parse(kept.json) as StationRecord) : undefined;
  }

  list(): StationRecord[] {
    const now = this.now();
    const out: StationRecord[] = [];
    for (const row of this.store.loadStationRows(now)) {
      const kept = this.unsaved.get(row.staMac) ?? row;
      if (kept.expiresAt > now) out.push(JSON.parse(kept.json) as StationRecord);
    }
    return out;
  }

  /** Unexpired stations (a count in the store: call it per scrape or request, not per packet). */
  get size(): number {
    return this.store.countStations(this.now());
  }

  keysFor(staMac: string): StationKeys | null {
    return this.get(staMac) ? this.store.loadKeys(staMac) : null;
  }

  /** Drops expired records from memory and from the store. */
  purgeExpired(): number {
    const now = this.now();
    this.recorder.purgeMachineAuths();
    return this.store.purgeExpired(now);
  }

  private row(staMac: string): { json: string; expiresAt: number } | undefined {
    return this.unsaved.get(staMac) ?? this.store.loadStationRow(staMac);
  }

  private persist(record: StationRecord): void {
    const kept = { json: JSON.stringify(record), expiresAt: record.expiresAt };
    this.unsaved.set(record.staMac, kept);
    const settled = () => {
      if (this.unsaved.get(record.staMac) === kept) this.unsaved.delete(record.staMac);
    };
    this.recorder.update(record, kept.json).then(settled, (e: Error) => {
      settled();
      this.events.warning?.(record.staMac, `record update not saved: ${e.message}`);
    });
  }

  /** Commits queued writes now (shutdown). */
  flush(): void {
    this.recorder.flush();
  }

  get writeStats(): { queued: number; largestBatch: number } {
    return this.recorder.writeStats;
  }
}
