import type { RecordPolicy } from './build.js';
import type { AccessAcceptFacts, AccountingFacts, StationLearner } from './facts.js';
import type { StationKeys, StationRecord } from './station.js';
import type { RecordStore } from './store.js';
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
 * A record as the table keeps it: its JSON (what the store holds too) and its expiry. One
 * string per station instead of the ~20 objects of a parsed record: with 100,000+ stations the
 * parsed form made every garbage collection of the main thread long, and on a small machine
 * those took CPU from the RADIUS thread. Readers get a fresh parse (get() is not on any
 * per-packet path).
 */
interface Kept {
  json: string;
  expiresAt: number;
}

/**
 * The in-memory view of all stations, written through to the store; the API and distribution
 * read it. Records arrive either through onAccessAccept (the proxy on this thread calls it as
 * a StationLearner) or, already committed by a StationRecorder elsewhere, through adopt().
 */
export class StationTable implements StationLearner {
  private readonly stations = new Map<string, Kept>();
  private readonly recorder: StationRecorder;

  constructor(
    private readonly store: RecordStore,
    policy: RecordPolicy,
    private readonly events: StationTableEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    this.recorder = new StationRecorder(store, policy, (sta, m) => this.events.warning?.(sta, m), now);
  }

  /** Loads every unexpired record from the store (keys stay in the store until needed). */
  load(): number {
    for (const row of this.store.loadStationRows(this.now())) this.stations.set(row.staMac, { json: row.json, expiresAt: row.expiresAt });
    this.recorder.load();
    return this.stations.size;
  }

  /** Resolves once the record is committed; the proxy relays the Accept only then. */
  async onAccessAccept(facts: AccessAcceptFacts): Promise<void> {
    const { record, json } = await this.recorder.record(facts);
    this.adopt(record, json);
  }

  /**
   * A record that a StationRecorder has committed: now the table's, and announced. `json` is
   * JSON.stringify(record) when the caller has it already.
   */
  adopt(record: StationRecord, json: string = JSON.stringify(record)): void {
    this.stations.set(record.staMac, { json, expiresAt: record.expiresAt });
    this.events.stationLearned?.(record);
  }

  onAccounting(facts: AccountingFacts): void {
    if (facts.staMac === null) return; // Accounting-On/Off: nothing per station yet.
    const kept = this.stations.get(facts.staMac);
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
    const kept = this.stations.get(staMac);
    return kept && kept.expiresAt > this.now() ? (JSON.parse(kept.json) as StationRecord) : undefined;
  }

  list(): StationRecord[] {
    const now = this.now();
    const out: StationRecord[] = [];
    for (const kept of this.stations.values()) if (kept.expiresAt > now) out.push(JSON.parse(kept.json) as StationRecord);
    return out;
  }

  get size(): number {
    return this.stations.size;
  }

  keysFor(staMac: string): StationKeys | null {
    return this.get(staMac) ? this.store.loadKeys(staMac) : null;
  }

  /** Drops expired records from memory and from the store. */
  purgeExpired(): number {
    const now = this.now();
    for (const [mac, r] of this.stations) if (r.expiresAt <= now) this.stations.delete(mac);
    this.recorder.purgeMachineAuths();
    return this.store.purgeExpired(now);
  }

  private persist(record: StationRecord): void {
    const json = JSON.stringify(record);
    this.stations.set(record.staMac, { json, expiresAt: record.expiresAt });
    this.recorder.update(record, json).catch((e: Error) => this.events.warning?.(record.staMac, `record update not saved: ${e.message}`));
  }

  /** Commits queued writes now (shutdown). */
  flush(): void {
    this.recorder.flush();
  }

  get writeStats(): { queued: number; largestBatch: number } {
    return this.recorder.writeStats;
  }
}
