// Port: what a cluster member keeps locally about replication (docs/cluster.md). The local store
// implements it next to the records (adapters/store): the outbox is written in the same
// transaction as the records it names, so no crash can separate a relayed Accept from the note
// that its record still has to reach the cluster.
import type { StationWrite } from './record-store.js';

/** A station's row as the store holds it: its record's JSON and its keys still sealed under the master key. */
export interface SealedStationRow {
  staMac: string;
  json: string;
  expiresAt: number;
  /** The record's authenticatedAt: which of two rows of one station is newer. */
  authenticatedAt: number;
  /**
   * The sealed keys exactly as stored (every member has the same master key); null: none, or, for
   * an update of the same authentication (`keysKept`), the keys the row already has.
   */
  sealedKeys: Buffer | null;
  /** An update of a session already stored (place, session state, revocation): keep its keys. */
  keysKept?: boolean;
}

export interface ClusterJournal {
  /**
   * Saves the records (as RecordStore.saveStations) and puts each in the outbox, all in one
   * transaction; returns the rows as stored, for the cluster commit.
   */
  saveStationsQueued(items: StationWrite[]): SealedStationRow[];
  /**
   * Up to `limit` rows still waiting for the cluster, oldest first, of those queued before
   * `queuedBefore` (a live commit's own rows wait for its answer, not for a replay).
   */
  queued(limit: number, queuedBefore: number): SealedStationRow[];
  /** How many rows wait for the cluster. */
  queuedCount(): number;
  /** These rows reached the cluster (or were superseded there): out of the outbox. */
  dequeue(rows: readonly { staMac: string; authenticatedAt: number }[]): void;
  /**
   * Rows another member committed, seen at cluster revision `revision`: each is stored if it is of a
   * newer authentication than the local row, or of the same one and updated later (its record's
   * updatedAt); a revocation is never undone by a row that lacks it. Returns the rows stored. The
   * revision is kept in the same transaction, so a restart resumes the watch where it left off.
   */
  importReplicated(rows: readonly SealedStationRow[], revision: string): SealedStationRow[];
  /** The last cluster revision imported; null if this file never followed a cluster. */
  appliedRevision(): string | null;
}
