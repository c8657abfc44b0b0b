import type { MachineAuthRecord, StationKeys, StationRecord } from './station.js';

/**
 * Persistence the core needs. Implemented by adapters/store (SQLite). Every write is
 * durable when the call returns: the proxy relays an Access-Accept only after
 * saveStation() has returned, so a crash never loses a station the AP was told about.
 */
export interface RecordStore {
  /** Insert or replace; `keys` null keeps the keys already stored for this station. */
  saveStation(record: StationRecord, keys: StationKeys | null): void;
  /** Records whose expiresAt is in the future, without keys (fast: used at start-up). */
  loadStations(now: number): StationRecord[];
  /** Decrypts this station's keys; null if there are none or they cannot be decrypted. */
  loadKeys(staMac: string): StationKeys | null;
  deleteStation(staMac: string): void;
  /** Removes stations and machine authentications that expired before `now`; returns how many. */
  purgeExpired(now: number): number;
  saveMachineAuth(auth: MachineAuthRecord, expiresAt: number): void;
  loadMachineAuths(now: number): MachineAuthRecord[];
  close(): void;
}
