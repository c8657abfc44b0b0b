import {
  AKM,
  akmName,
  akmToHostapdKeyMgmt,
  cipherToHostapdBit,
  derivePmkid,
  pmkidNeedsKck,
  derivePmkR1,
  derivePmkR1Name,
  isFtAkm,
  usesSha384,
} from '../keys/index.js';
import { macToBytes } from '../common/mac.js';
import type { StationKeys, StationRecord } from '../records/station.js';
import type { PmkR1Entry } from '../ports/pmk-r1-transport.js';
import type { BssInfo } from './topology.js';

// What to place where for one station: pure, so "where do PMK-R1s get built" is this file.
// FT stations get a PMK-R1 per target BSS (R1KH-ID = BSSID or r1_key_holder); other
// 802.1X stations get their PMK with the target's PMKID (OKC through PMKSA_ADD).

export interface PlanPolicy {
  /** Lifetime of a placed key, seconds (≤ 65535: EXPIRES_IN is 16 bits). */
  keyLifetimeS: number;
  ssid: string;
  mobilityDomain: string;
}

export type Intent =
  | { kind: 'ft'; bss: BssInfo; keyName: string; expiresAt: number; entry: PmkR1Entry }
  | {
      kind: 'okc';
      bss: BssInfo;
      keyName: string;
      expiresAt: number;
      pmksa: { staMac: string; pmkid: Buffer; pmk: Buffer; expirationS: number; akmp: number };
    };

export interface Plan {
  intents: Intent[];
  /** Why nothing (or less) could be planned, for the log. */
  skipped: string[];
}

/** Seconds a key placed now may live: the policy's lifetime, never past the record's expiry. */
export function placementLifetimeS(record: StationRecord, policy: PlanPolicy, now: number): number {
  const remaining = Math.floor((record.expiresAt - now) / 1000);
  return Math.max(0, Math.min(policy.keyLifetimeS, remaining, 65535));
}

export function planPlacements(record: StationRecord, keys: StationKeys, targets: BssInfo[], policy: PlanPolicy, now: number): Plan {
  const skipped: string[] = [];
  const lifetimeS = placementLifetimeS(record, policy, now);
  if (record.revoked) return { intents: [], skipped: ['station revoked'] };
  if (lifetimeS < 1) return { intents: [], skipped: ['record expires now'] };
  if (record.ssid !== null && record.ssid !== policy.ssid)
    return { intents: [], skipped: [`SSID ${record.ssid} is not the mobility domain's (${policy.ssid})`] };
  const akm = record.akm ?? AKM.IEEE8021X;
  const expiresAt = now + lifetimeS * 1000;
  const sta = macToBytes(record.staMac);

  if (isFtAkm(akm)) {
    if (!keys.pmkR0 || !keys.pmkR0Name || !record.ap.nasIdentifier) return { intents: [], skipped: ['FT station without PMK-R0'] };
    if (record.mdid !== null && record.mdid !== policy.mobilityDomain)
      return { intents: [], skipped: [`MDID ${record.mdid} is not ${policy.mobilityDomain}`] };
    const pairwise = record.pairwiseCipher === null ? 0x10 : cipherToHostapdBit(record.pairwiseCipher);
    if (pairwise === null)
      return { intents: [], skipped: [`pairwise cipher 0x${record.pairwiseCipher!.toString(16)} has no hostapd equivalent`] };
    const hash = usesSha384(akm) ? 'sha384' : 'sha256';
    const intents: Intent[] = targets.map((bss) => {
      const r1kh = macToBytes(bss.r1khId);
      const pmkR1Name = derivePmkR1Name(keys.pmkR0Name!, r1kh, sta, hash);
      const entry: PmkR1Entry = {
        staMac: record.staMac,
        r0khId: record.ap.nasIdentifier!,
        r1khId: bss.r1khId,
        pmkR0Name: keys.pmkR0Name!,
        pmkR1: derivePmkR1(keys.pmkR0!, r1kh, sta),
        pmkR1Name,
        pairwise,
        expiresInS: lifetimeS,
        vlan: record.vlan,
        identity: record.identity,
        cui: record.cui,
        sessionTimeoutS: record.sessionTimeout ?? 0,
      };
      return { kind: 'ft', bss, keyName: pmkR1Name.toString('hex'), expiresAt, entry };
    });
    return { intents, skipped };
  }

  if (pmkidNeedsKck(akm))
    return {
      intents: [],
      skipped: [
        `no OKC for ${akmName(akm)}: its PMKID comes from the AP's KCK, which the KMS never sees (FT-EAP-SHA384 roams get PMK-R1s)`,
      ],
    };
  const akmp = akmToHostapdKeyMgmt(akm);
  if (!keys.pmk || akmp === null) return { intents: [], skipped: ['no PMK for OKC'] };
  if (record.vlan) skipped.push('OKC carries no VLAN: after a roam the station lands in the SSID default VLAN (prefer FT)');
  const pmk = keys.pmk;
  const intents: Intent[] = targets.map((bss) => {
    const pmkid = derivePmkid(pmk, macToBytes(bss.bssid), sta, akm, { hostapd: bss.hostapdVersion ?? '2.10' });
    return {
      kind: 'okc',
      bss,
      keyName: pmkid.toString('hex'),
      expiresAt,
      pmksa: { staMac: record.staMac, pmkid, pmk, expirationS: lifetimeS, akmp },
    };
  });
  return { intents, skipped };
}
