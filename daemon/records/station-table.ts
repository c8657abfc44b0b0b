import { buildStation, isMachineIdentity, type RecordPolicy } from './build.js';
import type { AccessAcceptFacts, AccountingFacts, StationLearner } from './facts.js';
import type { MachineAuthRecord, StationKeys, StationRecord } from './station.js';
import type { RecordStore } from './store.js';
import { WriteBatcher } from './write-batcher.js';

export interface StationTableEvents {
  /** A station record was created or replaced by a new authentication. */
  stationLearned?(record: StationRecord): void;
  /** Accounting moved the station to another AP. */
  stationMoved?(record: StationRecord, from: StationRecord['currentAp']): void;
  stationEnded?(record: StationRecord): void;
  warning?(staMac: string, message: string): void;
}

const NO_KEYS: StationKeys = { pmk: null, mpmk: null, pmkR0: null, pmkR0Name: null };

/** How long an ended session's record stays (for late roams and for the operator to look at). */
const ENDED_RETENTION_MS = 5 * 60 * 1000;

/**
 * The in-memory view of all stations, written through to the store. The RADIUS proxy
 * calls it as a StationLearner; the API reads it.
 */
export class StationTable implements StationLearner {
  private readonly stations = new Map<string, StationRecord>();
  private readonly machineAuths = new Map<string, MachineAuthRecord>();
  private readonly writer: WriteBatcher;

  constructor(
    private readonly store: RecordStore,
    private readonly policy: RecordPolicy,
    private readonly events: StationTableEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    this.writer = new WriteBatcher(store);
  }

  /** Loads every unexpired record from the store (keys stay in the store until needed). */
  load(): number {
    const now = this.now();
    for (const r of this.store.loadStations(now)) this.stations.set(r.staMac, r);
    for (const m of this.store.loadMachineAuths(now)) this.machineAuths.set(m.staMac, m);
    return this.stations.size;
  }

  /** Resolves once the record is committed; the proxy relays the Accept only then. */
  async onAccessAccept(facts: AccessAcceptFacts): Promise<void> {
    const now = this.now();
    if (isMachineIdentity(facts.userName)) {
      const auth: MachineAuthRecord = { staMac: facts.staMac, identity: facts.userName!, at: now };
      this.store.saveMachineAuth(auth, now + this.policy.machineAuthWindowS * 1000);
      this.machineAuths.set(facts.staMac, auth);
    }
    const built = buildStation(facts, this.machineAuths.get(facts.staMac), this.policy, now);
    for (const w of built.warnings) this.events.warning?.(facts.staMac, w);
    // A new authentication without keys must not inherit the previous session's keys.
    await this.writer.save({ record: built.record, keys: built.keys ?? NO_KEYS });
    this.stations.set(built.record.staMac, built.record);
    this.events.stationLearned?.(built.record);
  }

  onAccounting(facts: AccountingFacts): void {
    if (facts.staMac === null) return; // Accounting-On/Off: nothing per station yet.
    const record = this.stations.get(facts.staMac);
    if (!record) return;
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
    const r = this.stations.get(staMac);
    return r && r.expiresAt > this.now() ? r : undefined;
  }

  list(): StationRecord[] {
    const now = this.now();
    return [...this.stations.values()].filter((r) => r.expiresAt > now);
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
    const windowMs = this.policy.machineAuthWindowS * 1000;
    for (const [mac, m] of this.machineAuths) if (now - m.at > windowMs) this.machineAuths.delete(mac);
    return this.store.purgeExpired(now);
  }

  private persist(record: StationRecord): void {
    this.stations.set(record.staMac, record);
    this.writer.save({ record, keys: null }).catch((e: Error) => this.events.warning?.(record.staMac, `record update not saved: ${e.message}`));
  }

  /** Commits queued writes now (shutdown). */
  flush(): void {
    this.writer.flush();
  }

  get writeStats(): { queued: number; largestBatch: number } {
    return this.writer.stats;
  }
}
