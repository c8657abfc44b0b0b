// Port: where station records and their keys are kept.
import type { MachineAuthRecord, StationKeys, StationRecord } from '../records/station.js';

/**
 * Persistence the core needs. Implemented by adapters/store (SQLite). Every write has reached
 * the database when the call returns: the proxy relays an Access-Accept only after
 * saveStations() has returned, so a crash of the KMS process (kill -9, OOM, a bug) never loses
 * a station the AP was told about. (Surviving power loss as well is the store's
 * `synchronous` setting: FULL, at about 6x the cost per write.) Times are milliseconds since
 * the Unix epoch.
 */
export interface StationWrite {
  /** The record to store (the JSON columns). */
  record: StationRecord;
  /** Its keys, sealed by the store; null keeps the stored ones (see saveStation). */
  keys: StationKeys | null;
  /** JSON.stringify(record), when the caller needs it too and has made it already. */
  json?: string;
}

export interface RecordStore {
  /**
   * Inserts or replaces each, in one transaction (one commit): all or nothing. Returns how many.
   * `keys` null is an update of the session already stored: it keeps the stored keys, and
   * changes nothing if the stored record is of another authentication (authenticatedAt
   * differs). An all-null StationKeys clears the keys.
   */
  saveStations(items: Iterable<StationWrite>): number;
  /** Records whose expiresAt is in the future, each one's JSON as stored, without keys (fast). */
  loadStationRows(now: number): Iterable<{ staMac: string; json: string; expiresAt: number }>;
  /** One station's stored JSON and expiry, expired or not (the caller decides). */
  loadStationRow(staMac: string): { json: string; expiresAt: number } | undefined;
  /** How many stations have not expired at `now`. */
  countStations(now: number): number;
  /** Decrypts this station's keys; null if there are none or they cannot be decrypted. */
  loadKeys(staMac: string): StationKeys | null;
  /** Removes stations and machine authentications that expired before `now`; returns how many. */
  purgeExpired(now: number): number;
  /** Remembers a machine (computer) authentication until `expiresAt`, durably. */
  saveMachineAuth(auth: MachineAuthRecord, expiresAt: number): void;
  /** Machine authentications that have not expired at `now`. */
  loadMachineAuths(now: number): MachineAuthRecord[];
  /** Closes the database (at shutdown). */
  close(): void;
}
