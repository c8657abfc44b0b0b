// What the RF graph persists so a restart does not forget the campus: one row per directed edge,
// with the decayable quantities at the time they refer to (ageing continues across the downtime).
// The core defines the port; adapters/store/neighbor-table.ts implements it on SQLite.

export interface EdgeRecord {
  from: string;
  to: string;
  /** Evidence weight at updatedAt. */
  weight: number;
  /** Weighted mean signal (dBm), null for edges known only from roams. */
  signalDbm: number | null;
  /** Decayed roam count at updatedAt. */
  roams: number;
  /** The time (ms) weight and roams refer to. */
  updatedAt: number;
  lastSeen: number;
  observations: number;
  roamsTotal: number;
}

export interface NeighborStore {
  /** Upserts these edges and deletes those keys, in one transaction. */
  saveEdges(upserts: EdgeRecord[], deletes?: ReadonlyArray<{ from: string; to: string }>): void;
  loadEdges(): EdgeRecord[];
}

/** For tests and for running without a store: keeps the rows in memory. */
export class MemoryNeighborStore implements NeighborStore {
  readonly rows = new Map<string, EdgeRecord>();
  saveEdges(upserts: EdgeRecord[], deletes: ReadonlyArray<{ from: string; to: string }> = []): void {
    for (const d of deletes) this.rows.delete(`${d.from}\0${d.to}`);
    for (const r of upserts) this.rows.set(`${r.from}\0${r.to}`, { ...r });
  }
  loadEdges(): EdgeRecord[] {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }
}
