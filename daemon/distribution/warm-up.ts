import { AKM, CIPHER } from '../keys/akm.js';
import type { StationKeys, StationRecord } from '../records/station.js';
import type { PlanPolicy } from './planner.js';
import type { BssInfo } from './topology.js';

// A made-up station, for running the key paths once before the first real station needs them:
// cold, that code is interpreted, and on a slow or busy machine the first station's keys (and the
// first PULL's answer) came hundreds of milliseconds late. Its keys are zeros and never leave.

export const WARM_UP_STA = '02:00:00:00:00:00';
export const WARM_UP_R0KH_ID = 'kms-warm-up';

export function warmUpStation(
  bss: BssInfo,
  policy: PlanPolicy,
  akm: number = AKM.FT_IEEE8021X,
): { record: StationRecord; keys: StationKeys } {
  const now = Date.now();
  const record: StationRecord = {
    staMac: WARM_UP_STA,
    ap: { bssid: bss.bssid, nasIdentifier: WARM_UP_R0KH_ID, clientAddress: '127.0.0.1' },
    currentAp: null,
    ssid: policy.ssid,
    mdid: policy.mobilityDomain,
    akm,
    pairwiseCipher: CIPHER.CCMP,
    identity: null,
    cui: null,
    classes: [],
    vlan: null,
    role: { filterId: null, arubaUserRole: null },
    machineAuth: { authenticated: false, identity: null, at: null },
    sessionTimeout: null,
    acctSessionId: null,
    session: 'authenticated',
    pmkR0Name: null,
    hasPmk: true,
    authenticatedAt: now,
    updatedAt: now,
    expiresAt: now + 3_600_000,
  };
  return { record, keys: { pmk: Buffer.alloc(32), mpmk: Buffer.alloc(32), pmkR0: Buffer.alloc(32), pmkR0Name: Buffer.alloc(16) } };
}
