import { buildStation, isMachineIdentity, type RecordPolicy } from './build.js';
import type { AccessAcceptFacts } from './facts.js';
import type { MachineAuthRecord, StationKeys, StationRecord } from './station.js';
import type { RecordStore } from '../ports/record-store.js';
import { WriteBatcher, type BatchCommit } from './write-batcher.js';
import { stationNews, type StationNews } from './news.js';

const NO_KEYS: StationKeys = { pmk: null, mpmk: null, pmkR0: null, pmkR0Name: null };

/**
 * The Access-Accept half of the station table: builds the record (with machine-auth state and
 * keys) and commits it. It holds no station records, only recent machine authentications, so
 * it can run where the RADIUS packets are handled (a thread of its own in kmsd) while the
 * table of all stations lives elsewhere and hears of each record once it is committed.
 */
export class StationRecorder {
  private readonly machineAuths = new Map<string, MachineAuthRecord>();
  private readonly writer: WriteBatcher;

  constructor(
    private readonly store: RecordStore,
    private readonly policy: RecordPolicy,
    private readonly warning: (staMac: string, message: string) => void = () => {},
    private readonly now: () => number = Date.now,
    /** Where a group commit goes; default the store alone (a cluster adds etcd: cluster-committer.ts). */
    commit: BatchCommit = (w) => store.saveStations(w),
  ) {
    this.writer = new WriteBatcher(commit);
  }

  /** Machine authentications still inside their window, from the store. */
  load(): void {
    for (const m of this.store.loadMachineAuths(this.now())) this.machineAuths.set(m.staMac, m);
  }

  /**
   * Resolves with the record, the JSON the store holds of it, and whether it tells anything new
   * (news.ts), once it is committed; the proxy relays the Accept only then.
   */
  async record(facts: AccessAcceptFacts): Promise<{ record: StationRecord; json: string; news: StationNews }> {
    const now = this.now();
    if (isMachineIdentity(facts.userName)) {
      const auth: MachineAuthRecord = { staMac: facts.staMac, identity: facts.userName!, at: now };
      this.store.saveMachineAuth(auth, now + this.policy.machineAuthWindowS * 1000);
      this.machineAuths.set(facts.staMac, auth);
    }
    const built = buildStation(facts, this.machineAuths.get(facts.staMac), this.policy, now);
    for (const w of built.warnings) this.warning(facts.staMac, w);
    // A new authentication without keys must not inherit the previous session's keys.
    const json = JSON.stringify(built.record);
    // One indexed read of the row this record replaces: what the main thread needs to decide
    // whether to log it, and the store is the only place that still has it.
    const news = stationNews(this.store.loadStationRow(facts.staMac), built.record, now);
    await this.writer.save({ record: built.record, keys: built.keys ?? NO_KEYS, json });
    return { record: built.record, json, news };
  }

  purgeMachineAuths(): void {
    const now = this.now();
    const windowMs = this.policy.machineAuthWindowS * 1000;
    for (const [mac, m] of this.machineAuths) if (now - m.at > windowMs) this.machineAuths.delete(mac);
  }

  /** Commits queued writes now (shutdown). */
  flush(): void {
    this.writer.flush();
  }

  get writeStats(): { queued: number; largestBatch: number } {
    return this.writer.stats;
  }
}
