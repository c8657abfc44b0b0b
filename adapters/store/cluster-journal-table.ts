import type Database from 'better-sqlite3';
import { parseMac } from '../../daemon/common/mac.js';
import type { ClusterJournal, SealedStationRow } from '../../daemon/ports/cluster-journal.js';
import type { StationWrite } from '../../daemon/ports/record-store.js';

// The cluster outbox (schema v3) and the replication cursor (a meta row) on the store's
// connection. Rows cross between members sealed: this file copies the keys blob as it is and never
// opens it (its AAD names the station, not the member, so it opens on every member).

const REVISION_NAME = 'cluster_revision';

/** What the import compares of two rows of one station. */
interface Versioned {
  authenticatedAt: number;
  updatedAt?: number;
  revoked?: unknown;
}

export class SqliteClusterJournal implements ClusterJournal {
  private readonly enqueue: Database.Statement;
  private readonly selectQueued: Database.Statement;
  private readonly countQueued: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly removeOrphans: Database.Statement;
  private readonly storedRow: Database.Statement;
  private readonly updateRow: Database.Statement;
  private readonly importRow: Database.Statement;
  private readonly saveRevision: Database.Statement;
  private readonly loadRevision: Database.Statement;
  private readonly saveQueuedTx: Database.Transaction<(items: StationWrite[]) => SealedStationRow[]>;
  private readonly dequeueTx: Database.Transaction<(rows: readonly { staMac: string; authenticatedAt: number }[]) => void>;
  private readonly importTx: Database.Transaction<(rows: readonly SealedStationRow[], revision: string) => SealedStationRow[]>;

  constructor(
    db: Database.Database,
    /** The store's own write of one record (it seals the keys); returns the sealed keys it stored. */
    write: (w: StationWrite) => Buffer | null,
    now: () => number = Date.now,
  ) {
    this.enqueue = db.prepare(
      `INSERT INTO cluster_outbox (sta_mac, authenticated_at, queued_at) VALUES (?, ?, ?)
       ON CONFLICT (sta_mac) DO UPDATE SET authenticated_at = excluded.authenticated_at, queued_at = excluded.queued_at`,
    );
    this.selectQueued = db.prepare(
      `SELECT o.sta_mac AS staMac, s.record AS json, s.expires_at AS expiresAt, o.authenticated_at AS authenticatedAt,
              s.keys AS sealedKeys
       FROM cluster_outbox o JOIN stations s ON s.sta_mac = o.sta_mac
       WHERE o.queued_at < ? ORDER BY o.queued_at LIMIT ?`,
    );
    this.countQueued = db.prepare('SELECT count(*) FROM cluster_outbox').pluck();
    // Only the row it names: a newer authentication queued meanwhile stays queued.
    this.remove = db.prepare('DELETE FROM cluster_outbox WHERE sta_mac = ? AND authenticated_at = ?');
    this.removeOrphans = db.prepare('DELETE FROM cluster_outbox WHERE sta_mac NOT IN (SELECT sta_mac FROM stations)');
    this.storedRow = db.prepare('SELECT record FROM stations WHERE sta_mac = ?').pluck();
    this.importRow = db.prepare(
      `INSERT INTO stations (sta_mac, record, expires_at, keys) VALUES (?, ?, ?, ?)
       ON CONFLICT (sta_mac) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at, keys = excluded.keys`,
    );
    this.updateRow = db.prepare('UPDATE stations SET record = ?, expires_at = ? WHERE sta_mac = ?');
    this.saveRevision = db.prepare(
      `INSERT INTO meta (name, value) VALUES ('${REVISION_NAME}', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
    );
    this.loadRevision = db.prepare(`SELECT value FROM meta WHERE name = '${REVISION_NAME}'`).pluck();

    this.saveQueuedTx = db.transaction((items: StationWrite[]) => {
      const at = now();
      return items.map((w) => {
        const sealedKeys = write(w);
        const staMac = parseMac(w.record.staMac, 'station MAC');
        this.enqueue.run(staMac, w.record.authenticatedAt, at);
        return {
          staMac,
          json: w.json ?? JSON.stringify(w.record),
          expiresAt: w.record.expiresAt,
          authenticatedAt: w.record.authenticatedAt,
          sealedKeys,
          ...(w.keys === null ? { keysKept: true } : {}),
        };
      });
    });
    this.dequeueTx = db.transaction((rows) => {
      for (const r of rows) this.remove.run(r.staMac, r.authenticatedAt);
    });
    this.importTx = db.transaction((rows: readonly SealedStationRow[], revision: string) => {
      const stored: SealedStationRow[] = [];
      for (const r of rows) {
        const local = this.storedRow.get(r.staMac) as string | undefined;
        const mine = local === undefined ? null : (JSON.parse(local) as Versioned);
        if (mine && mine.authenticatedAt > r.authenticatedAt) continue;
        if (mine && mine.authenticatedAt === r.authenticatedAt) {
          // The same authentication: a later update wins, but a revocation stays.
          const theirs = JSON.parse(r.json) as Versioned;
          if ((theirs.updatedAt ?? 0) <= (mine.updatedAt ?? 0)) continue;
          const json = mine.revoked && !theirs.revoked ? JSON.stringify({ ...theirs, revoked: mine.revoked }) : r.json;
          this.updateRow.run(json, r.expiresAt, r.staMac);
          stored.push({ ...r, json });
          continue;
        }
        // A newer authentication needs its keys: an update alone cannot stand for it.
        if (r.keysKept) continue;
        this.importRow.run(r.staMac, r.json, r.expiresAt, r.sealedKeys);
        // A local row still queued for the cluster is older than this one: the cluster has newer.
        if (mine) this.remove.run(r.staMac, mine.authenticatedAt);
        stored.push(r);
      }
      this.saveRevision.run(Buffer.from(revision));
      return stored;
    });
  }

  saveStationsQueued(items: StationWrite[]): SealedStationRow[] {
    // IMMEDIATE for the same reason as importReplicated (a row is read before its outbox note is written).
    return this.saveQueuedTx.immediate(items);
  }

  queued(limit: number, queuedBefore: number): SealedStationRow[] {
    return this.selectQueued.all(queuedBefore, limit) as SealedStationRow[];
  }

  queuedCount(): number {
    return this.countQueued.get() as number;
  }

  dequeue(rows: readonly { staMac: string; authenticatedAt: number }[]): void {
    if (rows.length > 0) this.dequeueTx.immediate(rows);
  }

  importReplicated(rows: readonly SealedStationRow[], revision: string): SealedStationRow[] {
    // IMMEDIATE: the import reads a row and then writes. Begun deferred, it is refused at once
    // (SQLITE_BUSY, no busy wait) when the main thread's connection wrote in between, which a busy
    // holder's placements made happen within seconds; the replication thread then died of it.
    return this.importTx.immediate(rows, revision);
  }

  /** Outbox rows whose station was purged (expired): nothing left to send. Returns how many. */
  purgeOrphans(): number {
    return this.removeOrphans.run().changes;
  }

  appliedRevision(): string | null {
    const v = this.loadRevision.get() as Buffer | undefined;
    return v ? v.toString() : null;
  }
}
