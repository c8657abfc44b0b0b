// The ledger of what key sits where: one row per (station, target BSS, method, key name).
// hostapd does not de-duplicate pushed PMK-R1s, so the KMS must remember what it placed to
// never place the same key twice; it is also what a restarted KMS re-pushes from, and what
// an operator reads when a roam went wrong.

export type PlacementKind = 'ft' | 'okc';
/**
 * Named for what the KMS knows:
 * - `sent`: a PMK-R1 went out in a PUSH (or a PULL answer); hostapd acknowledges neither.
 * - `added`: hostapd answered OK to PMKSA_ADD, and the control channel could not list the cache
 *   (or the entry was not in it: lastError says which).
 * - `confirmed`: after PMKSA_ADD, the BSS's `PMKSA` listing shows the station with that PMKID.
 * - `queued`: not delivered yet, retried; `failed`: given up; `withdrawn`: the session ended.
 * - `sending`: in a cluster, a PUSH the holder of the work announced and then did not report on
 *   (it died): it may or may not have reached the AP. Never sent again, since hostapd keeps
 *   duplicates; if it did not arrive, the AP PULLs the key at roam time, which any holder answers.
 * Ledgers written before these names said `placed`: see migratePlacementState.
 */
export type PlacementState = 'sent' | 'added' | 'confirmed' | 'queued' | 'failed' | 'withdrawn' | 'sending';

/** States of a key that is (as far as the KMS knows) on the AP. */
export const ON_AP: ReadonlySet<PlacementState> = new Set(['sent', 'added', 'confirmed']);

/** A stored state, old names included: `placed` was `sent` for FT and `added` for OKC. */
export function migratePlacementState(state: string, kind: PlacementKind): PlacementState {
  if (state === 'placed') return kind === 'ft' ? 'sent' : 'added';
  return state as PlacementState;
}

export interface Placement {
  staMac: string;
  /** AP name from the config. */
  ap: string;
  bssid: string;
  kind: PlacementKind;
  /** PMKR1Name (FT) or PMKID (OKC), hex: identifies the key without revealing it. */
  keyName: string;
  state: PlacementState;
  /** How it got there: pushed ahead of a roam, pulled by the AP at roam time, or PMKSA_ADD. */
  via: 'push' | 'pull' | 'pmksa-add';
  /** When it was sent or added (ms since the epoch); null while queued or failed. */
  placedAt: number | null;
  /** When the AP forgets it (EXPIRES_IN / PMKSA lifetime); ms since the epoch. */
  expiresAt: number;
  attempts: number;
  lastError: string | null;
}

export function placementKey(p: Pick<Placement, 'staMac' | 'bssid' | 'kind' | 'keyName'>): string {
  return `${p.staMac}|${p.bssid}|${p.kind}|${p.keyName}`;
}
