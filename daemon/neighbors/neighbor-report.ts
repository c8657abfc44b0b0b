// 802.11k Neighbor Report element bodies (IEEE 802.11-2016 §9.4.2.37; docs/hostapd-interfaces.md,
// "Neighbor Report") for hostapd's neighbour database (an AP driver's setNeighbors puts them there). Stations read these
// to learn their roam candidates. hostapd builds its *own* entry with the right capability bits
// but never sets the Mobility Domain bit (b10, a "TODO" in neighbor_db.c); a station that sees
// b10 clear may not attempt FT towards that BSS, so the KMS sets it for FT neighbours. Pure.
import { normalizeMac } from '../common/mac.js';

/** BSSID Information bits (hostapd NEI_REP_BSSID_INFO_*). */
export const BSSID_INFO = {
  REACHABLE: 0x3, SECURITY: 1 << 2, KEY_SCOPE: 1 << 3, SPECTRUM_MGMT: 1 << 4, QOS: 1 << 5, APSD: 1 << 6, RM: 1 << 7,
  DELAYED_BA: 1 << 8, IMMEDIATE_BA: 1 << 9, MOBILITY_DOMAIN: 1 << 10, HT: 1 << 11, VHT: 1 << 12, FTM: 1 << 13, HE: 1 << 14,
} as const;

/** `enum phy_type` values used in neighbour reports. */
export const PHY_TYPE = { DSSS: 2, OFDM: 4, HRDSSS: 5, ERP: 6, HT: 7, VHT: 9, HE: 14 } as const;

export interface BssidInfoFlags {
  /** 1 not reachable, 2 unknown, 3 reachable (default 3: every AP in the KMS's topology is). */
  reachability?: 1 | 2 | 3;
  security?: boolean;
  keyScope?: boolean;
  spectrumMgmt?: boolean;
  qos?: boolean;
  apsd?: boolean;
  rm?: boolean;
  delayedBa?: boolean;
  immediateBa?: boolean;
  mobilityDomain?: boolean;
  ht?: boolean;
  vht?: boolean;
  ftm?: boolean;
  he?: boolean;
}

const FLAG_BITS: [keyof BssidInfoFlags, number][] = [
  ['security', BSSID_INFO.SECURITY], ['keyScope', BSSID_INFO.KEY_SCOPE], ['spectrumMgmt', BSSID_INFO.SPECTRUM_MGMT],
  ['qos', BSSID_INFO.QOS], ['apsd', BSSID_INFO.APSD], ['rm', BSSID_INFO.RM], ['delayedBa', BSSID_INFO.DELAYED_BA],
  ['immediateBa', BSSID_INFO.IMMEDIATE_BA], ['mobilityDomain', BSSID_INFO.MOBILITY_DOMAIN], ['ht', BSSID_INFO.HT],
  ['vht', BSSID_INFO.VHT], ['ftm', BSSID_INFO.FTM], ['he', BSSID_INFO.HE],
];

export function bssidInfo(f: BssidInfoFlags): number {
  let v = f.reachability ?? 3;
  for (const [k, bit] of FLAG_BITS) if (f[k]) v |= bit;
  return v >>> 0;
}

export function bssidInfoFlags(info: number): BssidInfoFlags {
  const f: BssidInfoFlags = { reachability: (info & 3) as 1 | 2 | 3 };
  for (const [k, bit] of FLAG_BITS) if (info & bit) (f as Record<string, unknown>)[k] = true;
  return f;
}

export interface NeighborReport {
  bssid: string;
  /** The 32-bit BSSID Information field. */
  info: number;
  opClass: number;
  channel: number;
  phyType: number;
  /** Raw subelements (e.g. 3 candidate preference, 6 wide bandwidth channel), kept as given. */
  subelements: Buffer;
}

export const NR_FIXED = 13;

/** Neighbor Report element body (no EID/length): BSSID, info (le32), class, channel, PHY, subelements. */
export function buildNeighborReport(nr: NeighborReport): Buffer {
  const bssid = normalizeMac(nr.bssid);
  if (!bssid) throw new RangeError(`bad BSSID ${JSON.stringify(nr.bssid)}`);
  for (const [v, what] of [[nr.opClass, 'operating class'], [nr.channel, 'channel'], [nr.phyType, 'PHY type']] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`${what} must be 0..255, got ${v}`);
  }
  if (NR_FIXED + nr.subelements.length > 255) throw new RangeError('neighbor report longer than an element');
  const b = Buffer.alloc(NR_FIXED);
  Buffer.from(bssid.replace(/:/g, ''), 'hex').copy(b, 0);
  b.writeUInt32LE(nr.info >>> 0, 6);
  b[10] = nr.opClass;
  b[11] = nr.channel;
  b[12] = nr.phyType;
  return Buffer.concat([b, nr.subelements]);
}

/** Reads an NR body, e.g. hostapd's own entry from SHOW_NEIGHBOR or `rrm_nr_get_own`. null if malformed. */
export function parseNeighborReport(body: Uint8Array): NeighborReport | null {
  const b = Buffer.from(body);
  if (b.length < NR_FIXED || b.length > 255) return null;
  // Subelements must tile the rest exactly, or this is not an NR body.
  for (let p = NR_FIXED; p < b.length; p += 2 + b[p + 1]!) if (p + 2 > b.length || p + 2 + b[p + 1]! > b.length) return null;
  return {
    bssid: b.toString('hex', 0, 6).replace(/(..)(?!$)/g, '$1:'), info: b.readUInt32LE(6), opClass: b[10]!, channel: b[11]!,
    phyType: b[12]!, subelements: b.subarray(NR_FIXED),
  };
}

export interface NeighborPolicy {
  /** The neighbour is an FT BSS of the same mobility domain as the AP the list is for: set b10. */
  sameMobilityDomain: boolean;
  /** The KMS places this station's keys there (PMK-R1 / PMKSA), so a cached key works: set Key Scope. */
  sharedKeys: boolean;
  /** BSS Transition Candidate Preference subelement (1..255), optional. */
  preference?: number;
}

/**
 * The entry to give *other* APs for a BSS, starting from that BSS's own report as hostapd built it
 * (its QoS/APSD/RM/HT/VHT/HE bits, class, channel, PHY and wide-bandwidth subelement are right) and
 * adding what hostapd cannot know: reachability, the Mobility Domain bit and key scope.
 */
export function neighborEntryFrom(own: NeighborReport, policy: NeighborPolicy): NeighborReport {
  let info = (own.info & ~0x3) | BSSID_INFO.REACHABLE | BSSID_INFO.SECURITY;
  info = policy.sameMobilityDomain ? info | BSSID_INFO.MOBILITY_DOMAIN : info & ~BSSID_INFO.MOBILITY_DOMAIN;
  info = policy.sharedKeys ? info | BSSID_INFO.KEY_SCOPE : info & ~BSSID_INFO.KEY_SCOPE;
  let subelements = dropSubelement(own.subelements, 3);
  if (policy.preference !== undefined) {
    if (!Number.isInteger(policy.preference) || policy.preference < 0 || policy.preference > 255) throw new RangeError('preference must be 0..255');
    subelements = Buffer.concat([Buffer.from([3, 1, policy.preference]), subelements]);
  }
  return { ...own, info: info >>> 0, subelements };
}

function dropSubelement(subs: Buffer, id: number): Buffer {
  const keep: Buffer[] = [];
  for (let p = 0; p + 2 <= subs.length; p += 2 + subs[p + 1]!) if (subs[p] !== id) keep.push(subs.subarray(p, p + 2 + subs[p + 1]!));
  return Buffer.concat(keep);
}

/** Operating class of a BSS heard by a monitor (radiotap gives the frequency). null if unknown. */
export function opClassForFreq(freqMhz: number): number | null {
  if (freqMhz >= 5955 && freqMhz <= 7115) return 131; // 6 GHz, 20 MHz
  if (freqMhz === 2484) return 82;
  if (freqMhz >= 2412 && freqMhz <= 2472) return 81;
  const ch = (freqMhz - 5000) / 5;
  if (ch >= 36 && ch <= 48) return 115;
  if (ch >= 52 && ch <= 64) return 118;
  if (ch >= 100 && ch <= 144) return 121;
  if (ch >= 149 && ch <= 165) return 125;
  return null;
}
