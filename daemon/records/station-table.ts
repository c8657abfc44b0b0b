import type { StationKeys, StationRecord } from './station.js';
import type { RecordStore } from '../ports/record-store.js';
import { WriteBatcher, type BatchCommit } from './write-batcher.js';

export interface StationTableEvents {
  warning?(staMac: string, message: string): void;
}

/**
 * The view of all stations that the API, distribution and the station's life (StationLife) read.
 * The records themselves live in the store only: the table holds no copy. With 100,000+ stations
 * a copy on the heap (even one JSON string per station) made the main thread's collections long,
 * and on a small machine those took CPU from the RADIUS thread. A lookup is one indexed SELECT and
 * a parse, and none is on a per-packet path. Records arrive already committed by a StationRecorder
 * (kmsd's RADIUS thread), through adopt(); changes to them (where the station is, its session)
 * come from StationLife through update(). The table announces nothing: StationLife does.
 */
export class StationTable {
  /** Record updates, in group commits (the RADIUS thread commits new records with its own). */
  private readonly writer: WriteBatcher;
  /** Updates queued for the next group commit: reads see them before the store does. */
  private readonly unsaved = new Map<string, { json: string; expiresAt: number }>();

  constructor(
    private readonly store: RecordStore,
    private readonly events: StationTableEvents = {},
    private readonly now: () => number = Date.now,
    /** Where updates are committed; default the store (a cluster member also sends them to etcd). */
    commit: BatchCommit = (w) => store.saveStations(w),
  ) {
    this.writer = new WriteBatcher(commit);
  }

  /** Returns how many stations the store holds. */
  load(): number {
    return this.size;
  }

  /** A record that a StationRecorder has committed (a new authentication): now the table's. */
  adopt(record: StationRecord): void {
    // A newer authentication: an update of the previous one still queued is void (the store
    // would refuse it too, authenticatedAt differs).
    this.unsaved.delete(record.staMac);
  }

  /**
   * A change to a station's current authentication (its place, its session), queued in the next
   * group commit and read back at once; the stored keys stay as they are.
   */
  update(record: StationRecord): void {
    const kept = { json: JSON.stringify(record), expiresAt: record.expiresAt };
    this.unsaved.set(record.staMac, kept);
    const settled = () => {
      if (this.unsaved.get(record.staMac) === kept) this.unsaved.delete(record.staMac);
    };
    this.writer.save({ record, keys: null, json: kept.json }).then(settled, (e: Error) => {
      settled();
      this.events.warning?.(record.staMac, `record update not saved: ${e.message}`);
    });
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

  /** Drops expired records from the store. */
  purgeExpired(): number {
    return this.store.purgeExpired(this.now());
  }

  private row(staMac: string): { json: string; expiresAt: number } | undefined {
    return this.unsaved.get(staMac) ?? this.store.loadStationRow(staMac);
  }

  /** Commits queued writes now (shutdown). */
  flush(): void {
    this.writer.flush();
  }

  get writeStats(): { queued: number; largestBatch: number } {
    return this.writer.stats;
  }
}
