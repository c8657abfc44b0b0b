// The store's schema and how it moves forward. Each migration takes the database from
// version N-1 to N inside one IMMEDIATE transaction (it takes the write lock before it
// reads the version, so two processes opening a new file at once cannot both migrate).
// Steps are append-only: never edit a released one, add the next.
import type Database from 'better-sqlite3';

interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'stations, machine authentications, key check value',
    up(db) {
      db.exec(`
        -- key/value facts about the file itself (the master key check value lives here).
        CREATE TABLE meta (
          name  TEXT PRIMARY KEY,
          value BLOB NOT NULL
        );
        -- record: the non-secret StationRecord as JSON; keys: sealed StationKeys (see
        -- sealed-box.ts), kept last so a scan that reads only record does not need it.
        CREATE TABLE stations (
          sta_mac    TEXT PRIMARY KEY,
          record     TEXT NOT NULL,
          expires_at INTEGER NOT NULL,
          keys       BLOB
        );
        CREATE INDEX stations_expires_at ON stations (expires_at);
        CREATE TABLE machine_auth (
          sta_mac    TEXT PRIMARY KEY,
          identity   TEXT NOT NULL,
          at         INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        );
        CREATE INDEX machine_auth_expires_at ON machine_auth (expires_at);
      `);
    },
  },
  {
    version: 2,
    description: 'key placements on APs',
    up(db) {
      db.exec(`
        -- One row per key placed (or queued) on one BSS. No key material: key_name is the
        -- PMKR1Name or PMKID. Purged with the stations, by expiry.
        CREATE TABLE placements (
          sta_mac    TEXT NOT NULL,
          bssid      TEXT NOT NULL,
          kind       TEXT NOT NULL,
          key_name   TEXT NOT NULL,
          ap         TEXT NOT NULL,
          state      TEXT NOT NULL,
          via        TEXT NOT NULL,
          placed_at  INTEGER,
          expires_at INTEGER NOT NULL,
          attempts   INTEGER NOT NULL,
          last_error TEXT,
          PRIMARY KEY (sta_mac, bssid, kind, key_name)
        );
        CREATE INDEX placements_expires_at ON placements (expires_at);
      `);
    },
  },
  {
    version: 3,
    description: 'cluster outbox',
    up(db) {
      db.exec(`
        -- Stations whose row has not reached the cluster store yet (docs/cluster.md): written in
        -- the records' own transaction, removed once etcd acknowledged them. A single kmsd never
        -- writes here.
        CREATE TABLE cluster_outbox (
          sta_mac          TEXT PRIMARY KEY,
          authenticated_at INTEGER NOT NULL,
          queued_at        INTEGER NOT NULL
        );
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Brings the schema up to SCHEMA_VERSION; returns the version the file had before. */
export function migrate(db: Database.Database, path: string): number {
  const readVersion = (): number => {
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    return row?.version ?? 0;
  };
  const run = db.transaction((): number => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const from = readVersion();
    if (from > SCHEMA_VERSION) {
      throw new Error(
        `store ${path} has schema version ${from}, newer than this kms understands (${SCHEMA_VERSION}); ` +
          'upgrade hostapd-kms or restore a backup',
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      m.up(db);
    }
    if (from !== SCHEMA_VERSION) {
      db.prepare('DELETE FROM schema_version').run();
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    }
    return from;
  });
  return run.immediate();
}
