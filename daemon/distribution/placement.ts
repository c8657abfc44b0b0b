// The ledger of what key sits where: one row per (station, target BSS, method, key name).
// hostapd does not de-duplicate pushed PMK-R1s, so the KMS must remember what it placed to
// never place the same key twice; it is also what a restarted KMS re-pushes from, and what
// an operator reads when a roam went wrong.

export type PlacementKind = 'ft' | 'okc';
export type PlacementState = 'placed' | 'queued' | 'failed' | 'withdrawn';

export interface Placement {
  staMac: string;
  /** AP name from the config. */
  ap: string;
  bssid: string;
  kind: PlacementKind;
  /** PMKR1Name (FT) or PMKID (OKC), hex: identifies the key without revealing it. */
  keyName: string;
  state: PlacementState;
  /** How it got there: pushed ahead of a roam, or pulled by the AP at roam time. */
  via: 'push' | 'pull' | 'pmksa-add';
  placedAt: number | null;
  /** When the AP forgets it (EXPIRES_IN / PMKSA lifetime); ms since the epoch. */
  expiresAt: number;
  attempts: number;
  lastError: string | null;
}

export interface PlacementStore {
  /** Insert or replace (same station, BSSID, kind and key name), durably. */
  savePlacements(placements: Placement[]): void;
  /** Placements that have not expired. */
  loadPlacements(now: number): Placement[];
}

export function placementKey(p: Pick<Placement, 'staMac' | 'bssid' | 'kind' | 'keyName'>): string {
  return `${p.staMac}|${p.bssid}|${p.kind}|${p.keyName}`;
}
