// 802.11 information elements (IEEE 802.11-2016 §9.4.2) that roam tracking and the RF graph use:
// SSID, DS Parameter Set, RSN (with its PMKID list), Mobility Domain, Fast BSS Transition, RM Enabled
// Capabilities, Neighbor Report, Extended Capabilities, HT Operation, Timeout Interval.
// Layouts are the standard's (IEEE 802.11-2016 §9.4.2), checked against frames captured in the lab;
// nothing is copied from other decoders. Strict: an element that overruns the body, or a known element whose length cannot
// hold its fixed fields, makes the whole frame malformed (FrameDecodeError). Unknown elements are skipped.
import { macAt } from '../../daemon/common/mac.js';
import {
  decodeNeighborReport,
  EID_NEIGHBOR_REPORT,
  NeighborReportError,
  type NeighborReport,
} from '../../daemon/neighbors/neighbor-report.js';
import { FrameDecodeError, need } from './errors.js';

export type { NeighborReport };

/** Cipher/AKM suite selector as one number, e.g. 0x000fac04 for 00-0F-AC:4. */
const suiteAt = (b: Buffer, o: number) => b.readUInt32BE(o);

export interface Rsn {
  version: number;
  groupCipher?: number;
  pairwise: number[];
  akms: number[];
  capabilities?: number;
  /** PMKIDs as 32 hex digits, in frame order (a station lists the PMKSAs it hopes the AP holds). */
  pmkids: string[];
  groupMgmtCipher?: number;
}

export interface Mde {
  mdid: string;
  ftOverDs: boolean;
  resourceRequest: boolean;
}

export interface Fte {
  micControl: number;
  elementCount: number;
  micLength: number;
  anonce: string;
  snonce: string;
  r1khId?: string;
  r0khId?: string;
}

export interface RmCaps {
  linkMeasurement: boolean;
  neighborReport: boolean;
  beaconPassive: boolean;
  beaconActive: boolean;
  beaconTable: boolean;
  apChannelReport: boolean;
  hex: string;
}

export interface Elements {
  ssid?: string;
  dsChannel?: number;
  htPrimaryChannel?: number;
  rsn?: Rsn;
  mde?: Mde;
  fte?: Fte;
  rmCaps?: RmCaps;
  bssTransition?: boolean;
  timeoutInterval?: { type: number; value: number };
  neighborReports: NeighborReport[];
}

export const EID = {
  SSID: 0,
  DS: 3,
  RSN: 48,
  MDE: 54,
  FTE: 55,
  TIMEOUT: 56,
  NEIGHBOR: EID_NEIGHBOR_REPORT,
  HT_OP: 61,
  RM_CAPS: 70,
  EXT_CAPS: 127,
} as const;

function parseRsn(b: Buffer, o: number, len: number): Rsn {
  need(len >= 2, 'ie-rsn-short');
  const end = o + len;
  const rsn: Rsn = { version: b.readUInt16LE(o), pairwise: [], akms: [], pmkids: [] };
  let p = o + 2;
  // Every field after Version is optional, but only whole fields may be left off.
  const more = (n: number) => {
    if (p === end) return false;
    need(p + n <= end, 'ie-rsn-truncated');
    return true;
  };
  if (!more(4)) return rsn;
  rsn.groupCipher = suiteAt(b, p);
  p += 4;
  for (const list of [rsn.pairwise, rsn.akms]) {
    if (!more(2)) return rsn;
    const n = b.readUInt16LE(p);
    p += 2;
    need(p + 4 * n <= end, 'ie-rsn-overrun');
    for (let i = 0; i < n; i++, p += 4) list.push(suiteAt(b, p));
  }
  if (!more(2)) return rsn;
  rsn.capabilities = b.readUInt16LE(p);
  p += 2;
  if (!more(2)) return rsn;
  const n = b.readUInt16LE(p);
  p += 2;
  need(p + 16 * n <= end, 'ie-rsn-overrun');
  for (let i = 0; i < n; i++, p += 16) rsn.pmkids.push(b.toString('hex', p, p + 16));
  if (!more(4)) return rsn;
  rsn.groupMgmtCipher = suiteAt(b, p);
  p += 4;
  return rsn;
}

/** FT AKMs that use SHA-384 (00-0F-AC:13) carry a 24-octet MIC in the FTE, the others 16. */
function parseFte(b: Buffer, o: number, len: number, akms?: number[]): Fte {
  const preferred = akms?.includes(0x000fac0d) ? 24 : 16;
  // Try the MIC length the AKM implies first; if the subelements then do not line up, the other ones.
  for (const micLength of [preferred, 16, 24, 32]) {
    const fixed = 2 + micLength + 64;
    if (len < fixed) continue;
    const fte: Fte = {
      micControl: b.readUInt16LE(o),
      elementCount: b[o + 1]!,
      micLength,
      anonce: b.toString('hex', o + 2 + micLength, o + 34 + micLength),
      snonce: b.toString('hex', o + 34 + micLength, o + 66 + micLength),
    };
    let p = o + fixed;
    const end = o + len;
    let ok = true;
    while (p < end) {
      if (p + 2 > end || p + 2 + b[p + 1]! > end) {
        ok = false;
        break;
      }
      const id = b[p]!;
      const l = b[p + 1]!;
      if (id === 1 && l === 6) fte.r1khId = macAt(b, p + 2);
      if (id === 3 && l >= 1 && l <= 48) fte.r0khId = b.toString('latin1', p + 2, p + 2 + l);
      p += 2 + l;
    }
    if (ok) return fte;
  }
  throw new FrameDecodeError(len < 82 ? 'ie-fte-short' : 'ie-fte-subelement-overrun');
}

/** A Neighbor Report element through the core's codec; its reasons become `ie-<reason>` (e.g. ie-nr-short). */
function neighborReportAt(b: Buffer, o: number, len: number): NeighborReport {
  try {
    return decodeNeighborReport(b.subarray(o, o + len));
  } catch (e) {
    if (e instanceof NeighborReportError) throw new FrameDecodeError(`ie-${e.reason}`, e.message);
    throw e;
  }
}

/** Walks the elements in b[off, end). */
export function parseElements(b: Buffer, off: number, end: number): Elements {
  const el: Elements = { neighborReports: [] };
  let fte: [number, number] | undefined;
  let p = off;
  while (p < end) {
    need(p + 2 <= end, 'ie-header-overrun');
    const id = b[p]!;
    const len = b[p + 1]!;
    const o = p + 2;
    need(o + len <= end, 'ie-overrun');
    switch (id) {
      case EID.SSID:
        need(len <= 32, 'ie-ssid-length');
        if (el.ssid === undefined) el.ssid = b.toString('utf8', o, o + len);
        break;
      case EID.DS:
        need(len >= 1, 'ie-ds-length');
        el.dsChannel ??= b[o];
        break;
      case EID.HT_OP:
        need(len >= 1, 'ie-ht-op-length');
        el.htPrimaryChannel ??= b[o];
        break;
      case EID.RSN:
        if (!el.rsn) el.rsn = parseRsn(b, o, len);
        break;
      case EID.MDE:
        need(len === 3, 'ie-mde-length');
        el.mde ??= { mdid: b.toString('hex', o, o + 2), ftOverDs: (b[o + 2]! & 1) !== 0, resourceRequest: (b[o + 2]! & 2) !== 0 };
        break;
      case EID.FTE:
        fte ??= [o, len];
        break; // parsed last: its MIC length depends on the RSN AKM
      case EID.TIMEOUT:
        need(len === 5, 'ie-timeout-length');
        el.timeoutInterval ??= { type: b[o]!, value: b.readUInt32LE(o + 1) };
        break;
      case EID.RM_CAPS: {
        need(len >= 5, 'ie-rm-caps-length');
        const c0 = b[o]!;
        el.rmCaps ??= {
          linkMeasurement: (c0 & 1) !== 0,
          neighborReport: (c0 & 2) !== 0,
          beaconPassive: (c0 & 0x10) !== 0,
          beaconActive: (c0 & 0x20) !== 0,
          beaconTable: (c0 & 0x40) !== 0,
          apChannelReport: (b[o + 2]! & 1) !== 0,
          hex: b.toString('hex', o, o + len),
        };
        break;
      }
      case EID.EXT_CAPS:
        el.bssTransition ??= len >= 3 && (b[o + 2]! & 0x08) !== 0;
        break;
      case EID.NEIGHBOR:
        el.neighborReports.push(neighborReportAt(b, o, len));
        break;
      default:
        break;
    }
    p = o + len;
  }
  if (fte) el.fte = parseFte(b, fte[0], fte[1], el.rsn?.akms);
  return el;
}
