import type Database from 'better-sqlite3';
import { migratePlacementState, type Placement } from '../../daemon/distribution/placement.js';
import type { PlacementStore } from '../../daemon/ports/placement-store.js';

// The placements table (schema v2) on the store's connection. No key material here: only
// key names, targets and timestamps.

interface Row {
  sta_mac: string;
  bssid: string;
  kind: Placement['kind'];
  key_name: string;
  ap: string;
  state: string;
  via: Placement['via'];
  placed_at: number | null;
  expires_at: number;
  attempts: number;
  last_error: string | null;
}

export class SqlitePlacementTable implements PlacementStore {
  private readonly upsert: Database.Statement;
  private readonly load: Database.Statement;
  private readonly purge: Database.Statement;
  private readonly saveMany: (ps: Placement[]) => void;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO placements (sta_mac, bssid, kind, key_name, ap, state, via, placed_at, expires_at, attempts, last_error)
       VALUES (@staMac, @bssid, @kind, @keyName, @ap, @state, @via, @placedAt, @expiresAt, @attempts, @lastError)
       ON CONFLICT (sta_mac, bssid, kind, key_name) DO UPDATE SET ap = excluded.ap, state = excluded.state,
         via = excluded.via, placed_at = excluded.placed_at, expires_at = excluded.expires_at,
         attempts = excluded.attempts, last_error = excluded.last_error`,
    );
    this.load = db.prepare('SELECT * FROM placements WHERE expires_at > ?');
    this.purge = db.prepare('DELETE FROM placements WHERE expires_at <= ?');
    this.saveMany = db.transaction((ps: Placement[]) => {
      for (const p of ps) this.upsert.run(p);
    });
  }

  savePlacements(placements: Placement[]): void {
    if (placements.length > 0) this.saveMany(placements);
  }

  loadPlacements(now: number): Placement[] {
    return (this.load.all(now) as Row[]).map((r) => ({
      staMac: r.sta_mac,
      bssid: r.bssid,
      kind: r.kind,
      keyName: r.key_name,
      ap: r.ap,
      state: migratePlacementState(r.state, r.kind),
      via: r.via,
      placedAt: r.placed_at,
      expiresAt: r.expires_at,
      attempts: r.attempts,
      lastError: r.last_error,
    }));
  }

  purgeExpired(now: number): number {
    return this.purge.run(now).changes;
  }
}
