// Port: what the RF graph persists so a restart does not forget the campus: one row per directed
// edge, with the decayable quantities at the time they refer to (ageing continues across the
// downtime). adapters/store/neighbor-table.ts implements it on SQLite.

export interface EdgeRecord {
  /** AP name the edge starts at: the AP a station was served by. */
  from: string;
  /** AP name it points to: the AP that station heard or roamed to. */
  to: string;
  /** Evidence weight at updatedAt. */
  weight: number;
  /** Weighted mean signal (dBm), null for edges known only from roams. */
  signalDbm: number | null;
  /** Decayed roam count at updatedAt. */
  roams: number;
  /** The time (ms) weight and roams refer to. */
  updatedAt: number;
  /** Last observation of this edge (ms). */
  lastSeen: number;
  /** How many observations (reports, beacons) fed it, never decayed. */
  observations: number;
  /** How many roams along it, never decayed. */
  roamsTotal: number;
}

export interface NeighborStore {
  /** Upserts these edges and deletes those keys, in one transaction. */
  saveEdges(upserts: EdgeRecord[], deletes?: ReadonlyArray<{ from: string; to: string }>): void;
  /** Every stored edge, as saved (the graph ages them from updatedAt on). */
  loadEdges(): EdgeRecord[];
}
