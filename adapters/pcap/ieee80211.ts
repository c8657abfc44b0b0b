// 802.11 MAC header and management frame bodies (IEEE 802.11-2016 §9.2-9.3). The header decoder
// works for every frame type, since the roam tracker needs addresses, the Retry bit and the sequence
// number of data frames too. Management bodies are decoded for the subtypes roams and the RF graph
// need; their elements are in elements.ts and action frames in action.ts.
import { need } from './errors.js';
import { macAt } from '../../daemon/common/mac.js';
import { parseElements, type Elements } from './elements.js';
import { decodeAction, type ActionFrame } from './action.js';

export const TYPE_MGMT = 0;
export const TYPE_CTRL = 1;
export const TYPE_DATA = 2;

export const MGMT = {
  ASSOC_REQ: 0,
  ASSOC_RESP: 1,
  REASSOC_REQ: 2,
  REASSOC_RESP: 3,
  PROBE_REQ: 4,
  PROBE_RESP: 5,
  BEACON: 8,
  DISASSOC: 10,
  AUTH: 11,
  DEAUTH: 12,
  ACTION: 13,
  ACTION_NO_ACK: 14,
} as const;

export const FC_TO_DS = 0x01;
export const FC_FROM_DS = 0x02;
export const FC_RETRY = 0x08;
export const FC_PROTECTED = 0x40;
export const FC_ORDER = 0x80;

export interface Dot11Header {
  type: number;
  subtype: number;
  /** Second octet of Frame Control: ToDS, FromDS, More Fragments, Retry, Power Mgmt, More Data, Protected, +HTC/Order. */
  flags: number;
  retry: boolean;
  protected: boolean;
  addr1: string;
  addr2?: string;
  addr3?: string;
  addr4?: string;
  /** Sequence Control (sequence number << 4 | fragment), -1 for control frames. */
  seqCtl: number;
  /** QoS TID of QoS data frames, -1 otherwise. */
  tid: number;
  /** Offset of the frame body (after QoS Control, HT Control and any radiotap-signalled padding). */
  bodyOffset: number;
}

// Control subtypes whose header carries a transmitter address (RTS, PS-Poll, BAR, BA, CF-End, NDPA, BFRP).
const CTRL_WITH_TA = new Set([4, 5, 8, 9, 10, 11, 14, 15]);

/** Decodes the MAC header of `b` (which must not include the FCS). `dataPad`: radiotap flag 0x20. */
export function decodeHeader(b: Buffer, dataPad = false): Dot11Header {
  need(b.length >= 10, 'dot11-short');
  const fc0 = b[0]!;
  const flags = b[1]!;
  need((fc0 & 3) === 0, 'dot11-version');
  const type = (fc0 >> 2) & 3;
  const subtype = fc0 >> 4;
  const h: Dot11Header = {
    type,
    subtype,
    flags,
    retry: (flags & FC_RETRY) !== 0,
    protected: (flags & FC_PROTECTED) !== 0,
    addr1: macAt(b, 4),
    seqCtl: -1,
    tid: -1,
    bodyOffset: 10,
  };
  if (type === TYPE_CTRL) {
    if (CTRL_WITH_TA.has(subtype)) {
      need(b.length >= 16, 'dot11-ctrl-short');
      h.addr2 = macAt(b, 10);
      h.bodyOffset = 16;
    }
    return h;
  }
  need(type !== 3, 'dot11-extension-type'); // DMG/S1G extension frames: not on the bands we watch
  need(b.length >= 24, 'dot11-short');
  h.addr2 = macAt(b, 10);
  h.addr3 = macAt(b, 16);
  h.seqCtl = b.readUInt16LE(22);
  let off = 24;
  if (type === TYPE_DATA) {
    if ((flags & 3) === 3) {
      need(b.length >= 30, 'dot11-short');
      h.addr4 = macAt(b, 24);
      off = 30;
    }
    if (subtype & 0x08) {
      need(b.length >= off + 2, 'dot11-short');
      h.tid = b[off]! & 0x0f;
      off += 2;
      if (flags & FC_ORDER) off += 4; // HT Control follows QoS Control when +HTC is set
    }
  } else if (flags & FC_ORDER) {
    off += 4;
  }
  if (dataPad) off = (off + 3) & ~3;
  need(b.length >= off, 'dot11-short');
  h.bodyOffset = off;
  return h;
}

export type MgmtBody =
  | { kind: 'beacon' | 'probe-resp'; tsf: number; interval: number; capability: number; elements: Elements }
  | { kind: 'probe-req'; elements: Elements }
  | { kind: 'auth'; algorithm: number; transaction: number; status: number; elements?: Elements }
  | { kind: 'assoc-req' | 'reassoc-req'; capability: number; listenInterval: number; currentAp?: string; elements: Elements }
  | { kind: 'assoc-resp' | 'reassoc-resp'; capability: number; status: number; aid: number; elements: Elements }
  | { kind: 'deauth' | 'disassoc'; reason: number }
  | { kind: 'action'; action: ActionFrame }
  /** A body we cannot read: encrypted (PMF) or a subtype we do not decode. */
  | { kind: 'opaque'; subtype: number; protected: boolean };

export const AUTH_ALG = { OPEN: 0, SHARED_KEY: 1, FT: 2, SAE: 3, FILS_SK: 4, FILS_SK_PFS: 5, FILS_PK: 6 } as const;

/** Decodes the body of a management frame whose header is `h`. */
export function decodeManagement(h: Dot11Header, b: Buffer): MgmtBody {
  const o = h.bodyOffset;
  const end = b.length;
  const len = end - o;
  // With PMF, robust action frames, deauth and disassoc are encrypted; so is Shared Key auth frame 3.
  if (h.protected) return { kind: 'opaque', subtype: h.subtype, protected: true };
  switch (h.subtype) {
    case MGMT.BEACON:
    case MGMT.PROBE_RESP:
      need(len >= 12, 'mgmt-body-short');
      return {
        kind: h.subtype === MGMT.BEACON ? 'beacon' : 'probe-resp',
        tsf: b.readUInt32LE(o + 4) * 4294967296 + b.readUInt32LE(o),
        interval: b.readUInt16LE(o + 8),
        capability: b.readUInt16LE(o + 10),
        elements: parseElements(b, o + 12, end),
      };
    case MGMT.PROBE_REQ:
      return { kind: 'probe-req', elements: parseElements(b, o, end) };
    case MGMT.AUTH: {
      need(len >= 6, 'mgmt-body-short');
      const algorithm = b.readUInt16LE(o);
      const auth: MgmtBody = { kind: 'auth', algorithm, transaction: b.readUInt16LE(o + 2), status: b.readUInt16LE(o + 4) };
      // Open and FT authentication carry elements (FT: RSN, MDE, FTE); SAE's body is its own
      // commit/confirm fields, which we do not need.
      if (algorithm === AUTH_ALG.OPEN || algorithm === AUTH_ALG.FT) auth.elements = parseElements(b, o + 6, end);
      return auth;
    }
    case MGMT.ASSOC_REQ:
      need(len >= 4, 'mgmt-body-short');
      return {
        kind: 'assoc-req',
        capability: b.readUInt16LE(o),
        listenInterval: b.readUInt16LE(o + 2),
        elements: parseElements(b, o + 4, end),
      };
    case MGMT.REASSOC_REQ:
      need(len >= 10, 'mgmt-body-short');
      return {
        kind: 'reassoc-req',
        capability: b.readUInt16LE(o),
        listenInterval: b.readUInt16LE(o + 2),
        currentAp: macAt(b, o + 4),
        elements: parseElements(b, o + 10, end),
      };
    case MGMT.ASSOC_RESP:
    case MGMT.REASSOC_RESP:
      need(len >= 6, 'mgmt-body-short');
      return {
        kind: h.subtype === MGMT.ASSOC_RESP ? 'assoc-resp' : 'reassoc-resp',
        capability: b.readUInt16LE(o),
        status: b.readUInt16LE(o + 2),
        aid: b.readUInt16LE(o + 4) & 0x3fff,
        elements: parseElements(b, o + 6, end),
      };
    case MGMT.DEAUTH:
    case MGMT.DISASSOC:
      need(len >= 2, 'mgmt-body-short');
      return { kind: h.subtype === MGMT.DEAUTH ? 'deauth' : 'disassoc', reason: b.readUInt16LE(o) };
    case MGMT.ACTION:
    case MGMT.ACTION_NO_ACK:
      return { kind: 'action', action: decodeAction(b, o, end) };
    default:
      return { kind: 'opaque', subtype: h.subtype, protected: false };
  }
}
