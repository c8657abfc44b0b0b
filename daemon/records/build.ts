import { AKM, derivePmkR0, pmkFromMsk, xxKeyFor } from '../keys/index.js';
import { macToBytes } from '../common/mac.js';
import type { AccessAcceptFacts } from './facts.js';
import type { MachineAuthRecord, StationKeys, StationRecord } from './station.js';

export interface RecordPolicy {
  /** Lifetime of a record whose Accept carried no Session-Timeout. */
  defaultLifetimeS: number;
  /** A machine authentication counts for a later user authentication of the same MAC for this long. */
  machineAuthWindowS: number;
}

/** Windows machine accounts authenticate as host/<fqdn> (as Aruba's machine-auth detects them). */
export function isMachineIdentity(userName: string | null): boolean {
  return userName !== null && /^host\//i.test(userName);
}

export interface BuiltStation {
  record: StationRecord;
  keys: StationKeys | null;
  /** Problems worth a log line (never key material). */
  warnings: string[];
}

/** Turns an Access-Accept into a record and its keys. Pure: the caller persists. */
export function buildStation(
  facts: AccessAcceptFacts,
  machineAuth: MachineAuthRecord | undefined,
  policy: RecordPolicy,
  now: number,
): BuiltStation {
  const warnings: string[] = [];
  const akm = facts.akm ?? AKM.IEEE8021X;
  let keys: StationKeys | null = null;
  if (facts.msk) {
    keys = deriveKeys(facts, akm, warnings);
  } else {
    warnings.push('Access-Accept carried no MS-MPPE keys: nothing to distribute for this station');
  }

  const machineOk = machineAuth !== undefined && now - machineAuth.at <= policy.machineAuthWindowS * 1000;
  const lifetimeS = facts.sessionTimeout && facts.sessionTimeout > 0 ? facts.sessionTimeout : policy.defaultLifetimeS;
  const record: StationRecord = {
    staMac: facts.staMac,
    ap: { bssid: facts.bssid, nasIdentifier: facts.nasIdentifier, clientAddress: facts.clientAddress },
    currentAp: null,
    ssid: facts.ssid,
    mdid: facts.mdid,
    akm: facts.akm,
    pairwiseCipher: facts.pairwiseCipher,
    identity: facts.userName,
    cui: facts.cui,
    classes: facts.classes.map((c) => c.toString('hex')),
    vlan: facts.vlan,
    role: { filterId: facts.filterId, arubaUserRole: facts.arubaUserRole },
    machineAuth: machineOk
      ? { authenticated: true, identity: machineAuth!.identity, at: machineAuth!.at }
      : { authenticated: false, identity: null, at: null },
    sessionTimeout: facts.sessionTimeout,
    acctSessionId: facts.acctSessionId,
    session: 'authenticated',
    pmkR0Name: keys?.pmkR0Name ? keys.pmkR0Name.toString('hex') : null,
    hasPmk: keys?.pmk != null,
    authenticatedAt: now,
    updatedAt: now,
    expiresAt: now + lifetimeS * 1000,
  };
  return { record, keys, warnings };
}

function deriveKeys(facts: AccessAcceptFacts, akm: number, warnings: string[]): StationKeys {
  const msk = facts.msk!;
  const keys: StationKeys = { pmk: null, mpmk: null, pmkR0: null, pmkR0Name: null };
  try {
    keys.pmk = pmkFromMsk(msk, akm);
  } catch (e) {
    warnings.push(`no PMK: ${(e as Error).message}`);
  }
  if (akm === AKM.FT_IEEE8021X && msk.length >= 64) keys.mpmk = Buffer.from(msk.subarray(32, 64));
  const xxKey = xxKeyFor(akm, { msk });
  if (!xxKey) return keys;
  const missing = [
    facts.ssid === null && 'SSID (Called-Station-Id)',
    facts.mdid === null && 'Mobility-Domain-Id',
    facts.nasIdentifier === null && 'NAS-Identifier (R0KH-ID)',
  ].filter(Boolean);
  if (missing.length > 0) {
    warnings.push(`FT AKM but no PMK-R0: the Access-Request lacked ${missing.join(', ')}`);
    return keys;
  }
  try {
    const r0 = derivePmkR0({
      xxKey,
      ssid: Buffer.from(facts.ssid!, 'utf8'),
      mdid: Buffer.from(facts.mdid!, 'hex'),
      r0khId: Buffer.from(facts.nasIdentifier!, 'utf8'),
      s0khId: macToBytes(facts.staMac),
    });
    keys.pmkR0 = r0.pmkR0;
    keys.pmkR0Name = r0.pmkR0Name;
  } catch (e) {
    warnings.push(`no PMK-R0: ${(e as Error).message}`);
  }
  return keys;
}
