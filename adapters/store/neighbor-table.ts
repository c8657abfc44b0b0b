import type Database from 'better-sqlite3';
import type { EdgeRecord, NeighborStore } from '../../daemon/ports/neighbor-store.js';

// The RF graph's edges on the store's connection: one row per directed AP pair. No personal data
// (AP names and radio statistics only). The table is created here with IF NOT EXISTS rather than
// as schema migration 3, so this file can land without touching schema.ts; the statement below is
// the body that migration should get if the table moves there.

export const NEIGHBOR_EDGES_DDL = `
  CREATE TABLE IF NOT EXISTS neighbor_edges (
    from_ap      TEXT NOT NULL,
    to_ap        TEXT NOT NULL,
    weight       REAL NOT NULL,
    signal_dbm   REAL,
    roams        REAL NOT NULL,
    updated_at   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    observations INTEGER NOT NULL,
    roams_total  INTEGER NOT NULL,
    PRIMARY KEY (from_ap, to_ap)
  ) WITHOUT ROWID;
`;

interface Row {
  from_ap: string;
  to_ap: string;
  weight: number;
  signal_dbm: number | null;
  roams: number;
  updated_at: number;
  last_seen: number;
  observations: number;
  roams_total: number;
}

export class SqliteNeighborTable implements NeighborStore {
  private readonly save: (upserts: EdgeRecord[], deletes: ReadonlyArray<{ from: string; to: string }>) => void;
  private readonly all: Database.Statement;

  constructor(db: Database.Database) {
    db.exec(NEIGHBOR_EDGES_DDL);
    const upsert = db.prepare(
      `INSERT INTO neighbor_edges (from_ap, to_ap, weight, signal_dbm, roams, updated_at, last_seen, observations, roams_total)
       VALUES (@from, @to, @weight, @signalDbm, @roams, @updatedAt, @lastSeen, @observations, @roamsTotal)
       ON CONFLICT (from_ap, to_ap) DO UPDATE SET weight = excluded.weight, signal_dbm = excluded.signal_dbm,
         roams = excluded.roams, updated_at = excluded.updated_at, last_seen = excluded.last_seen,
         observations = excluded.observations, roams_total = excluded.roams_total`,
    );
    const del = db.prepare('DELETE FROM neighbor_edges WHERE from_ap = ? AND to_ap = ?');
    this.all = db.prepare('SELECT * FROM neighbor_edges');
    // Deletes first: an edge evicted and re-created within one interval is in both lists.
    this.save = db.transaction((upserts: EdgeRecord[], deletes: ReadonlyArray<{ from: string; to: string }>) => {
      for (const d of deletes) del.run(d.from, d.to);
      for (const r of upserts) {
        upsert.run({
          from: r.from,
          to: r.to,
          weight: r.weight,
          signalDbm: r.signalDbm,
          roams: r.roams,
          updatedAt: Math.round(r.updatedAt),
          lastSeen: Math.round(r.lastSeen),
          observations: r.observations,
          roamsTotal: r.roamsTotal,
        });
      }
    });
  }

  saveEdges(upserts: EdgeRecord[], deletes: ReadonlyArray<{ from: string; to: string }> = []): void {
    if (upserts.length || deletes.length) this.save(upserts, deletes);
  }

  loadEdges(): EdgeRecord[] {
    return (this.all.all() as Row[]).map((r) => ({
      from: r.from_ap,
      to: r.to_ap,
      weight: r.weight,
      signalDbm: r.signal_dbm,
      roams: r.roams,
      updatedAt: r.updated_at,
      lastSeen: r.last_seen,
      observations: r.observations,
      roamsTotal: r.roams_total,
    }));
  }
}
