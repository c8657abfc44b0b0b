// Port: the ledger of what key sits where (daemon/distribution/placement.ts says why it exists).
// adapters/store/placement-table.ts implements it on SQLite.
import type { Placement } from '../distribution/placement.js';

export interface PlacementStore {
  /** Insert or replace (same station, BSSID, kind and key name), durably. */
  savePlacements(placements: Placement[]): void;
  /** Placements whose expiresAt is after `now` (ms since the epoch). */
  loadPlacements(now: number): Placement[];
  /**
   * Before these PUSHes go out (state `sending`): in a cluster, the others learn of them first, so a
   * member that takes the work over never sends them again. Resolves when they know or the wait
   * is over; never rejects. A single kmsd has nothing to tell.
   */
  announce?(placements: Placement[]): Promise<void>;
}
