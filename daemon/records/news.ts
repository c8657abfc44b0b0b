import type { StationRecord } from './station.js';

// Whether an Access-Accept told the KMS anything new about a station. Every Accept is a new
// authentication (new keys, primed again); only a new station, or one whose record differs in what
// an operator reads (AP, VLAN, AKM, identity, PMKR0Name, …), deserves a `station learned` line:
// a burst of thousands of re-authentications a second would otherwise write a line per Accept.

/** `new`: no live record before; `changed`: a record that differs; `same`: a repeat of it. */
export type StationNews = 'new' | 'changed' | 'same';

/** What an operator compares between two authentications of one station; keys have no part in it. */
const told = (r: StationRecord) =>
  JSON.stringify([
    r.ap.bssid,
    r.ap.nasIdentifier,
    r.ap.clientAddress,
    r.ssid,
    r.mdid,
    r.akm,
    r.pairwiseCipher,
    r.identity,
    r.cui,
    r.vlan,
    r.role,
    r.machineAuth.authenticated,
    r.sessionTimeout,
    r.pmkR0Name,
    r.hasPmk,
  ]);

/** `previous`: the stored row of the station before this record replaces it (expired or not). */
export function stationNews(previous: { json: string; expiresAt: number } | undefined, record: StationRecord, now: number): StationNews {
  if (!previous || previous.expiresAt <= now) return 'new';
  let before: StationRecord;
  try {
    before = JSON.parse(previous.json) as StationRecord;
  } catch {
    return 'new';
  }
  if (before.session === 'ended') return 'new';
  return told(before) === told(record) ? 'same' : 'changed';
}
