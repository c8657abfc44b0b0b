// EAPOL inside 802.11 data frames (IEEE 802.1X-2010 §11; 802.11-2016 §12.7.2): the LLC/SNAP header,
// the EAPOL header, EAP packets (code and method type: how many round trips a full EAP roam cost) and
// EAPOL-Key frames, numbered as 4-way handshake messages 1-4 or group-key messages from their Key
// Information bits. Key Data stays undecoded: from message 3 on it is encrypted anyway.
import { FrameDecodeError, need } from './errors.js';

export const ETHERTYPE_EAPOL = 0x888e;
export const EAPOL_TYPE = { EAP: 0, START: 1, LOGOFF: 2, KEY: 3 } as const;
export const EAP_CODE = { REQUEST: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4 } as const;

export type KeyMessage = 'M1' | 'M2' | 'M3' | 'M4' | 'G1' | 'G2' | 'request' | 'unknown';

export interface EapolKey {
  descriptor: number;
  info: number;
  pairwise: boolean;
  message: KeyMessage;
  replayCounter: number;
  micLength: number;
  keyDataLength: number;
}

export interface Eapol {
  version: number;
  type: number;
  length: number;
  eap?: { code: number; id: number; length: number; type?: number };
  key?: EapolKey;
}

/**
 * Ethertype of an LLC/SNAP-encapsulated payload at b[o], or -1 if the payload is not LLC/SNAP
 * (RFC 1042 OUI 00-00-00 or 802.1H bridge-tunnel OUI 00-00-F8).
 */
export function snapEthertype(b: Buffer, o: number, end: number): number {
  if (end - o < 8 || b[o] !== 0xaa || b[o + 1] !== 0xaa || b[o + 2] !== 0x03 || b[o + 3] !== 0 || b[o + 4] !== 0) return -1;
  if (b[o + 5] !== 0 && b[o + 5] !== 0xf8) return -1;
  return b.readUInt16BE(o + 6);
}

// Key Information bits (802.11-2016 Figure 12-33).
const KI_PAIRWISE = 1 << 3;
const KI_INSTALL = 1 << 6;
const KI_ACK = 1 << 7;
const KI_MIC = 1 << 8;
const KI_SECURE = 1 << 9;
const KI_REQUEST = 1 << 11;

/** Which handshake message an EAPOL-Key frame is, from its Key Information and (for M2/M4) its Key Data. */
export function keyMessage(info: number, keyDataLength: number): KeyMessage {
  if (info & KI_REQUEST) return 'request';
  const ack = (info & KI_ACK) !== 0;
  const mic = (info & KI_MIC) !== 0;
  if (!(info & KI_PAIRWISE)) return ack ? 'G1' : mic ? 'G2' : 'unknown';
  if (ack) return mic ? (info & KI_INSTALL ? 'M3' : 'unknown') : 'M1';
  if (!mic) return 'unknown';
  // M2 and M4 both come from the supplicant with MIC set; RSN sets Secure in M4 only. WPA(1) never
  // sets it in M4, but M4 is then the one without Key Data.
  return info & KI_SECURE || keyDataLength === 0 ? 'M4' : 'M2';
}

function decodeKey(b: Buffer, o: number, bodyLen: number): EapolKey {
  // Fixed part before the MIC: descriptor(1) info(2) key length(2) replay(8) nonce(32) IV(16) RSC(8) reserved(8).
  need(bodyLen >= 77 + 2, 'eapol-key-short');
  const descriptor = b[o]!;
  const info = b.readUInt16BE(o + 1);
  // The MIC length depends on the AKM (16; 24 for SHA-384; 0 for FILS), which a frame does not name:
  // take the one for which Key Data Length accounts for the rest of the body exactly.
  for (const micLength of [16, 24, 32, 0]) {
    const kdlAt = o + 77 + micLength;
    if (77 + micLength + 2 > bodyLen) continue;
    const keyDataLength = b.readUInt16BE(kdlAt);
    if (77 + micLength + 2 + keyDataLength !== bodyLen) continue;
    return {
      descriptor,
      info,
      pairwise: (info & KI_PAIRWISE) !== 0,
      message: keyMessage(info, keyDataLength),
      replayCounter: b.readUInt32BE(o + 5) * 4294967296 + b.readUInt32BE(o + 9),
      micLength,
      keyDataLength,
    };
  }
  throw new FrameDecodeError('eapol-key-length-mismatch');
}

/** Decodes the EAPOL PDU at b[o, end) (after LLC/SNAP). */
export function decodeEapol(b: Buffer, o: number, end: number): Eapol {
  need(end - o >= 4, 'eapol-short');
  const e: Eapol = { version: b[o]!, type: b[o + 1]!, length: b.readUInt16BE(o + 2) };
  // Frames may be padded after the PDU, never shorter than it says.
  need(o + 4 + e.length <= end, 'eapol-overrun');
  const p = o + 4;
  if (e.type === EAPOL_TYPE.EAP) {
    need(e.length >= 4, 'eap-short');
    const len = b.readUInt16BE(p + 2);
    need(len >= 4 && len <= e.length, 'eap-length');
    const code = b[p]!;
    e.eap = { code, id: b[p + 1]!, length: len };
    if ((code === EAP_CODE.REQUEST || code === EAP_CODE.RESPONSE) && len >= 5) e.eap.type = b[p + 4]!;
  } else if (e.type === EAPOL_TYPE.KEY) {
    e.key = decodeKey(b, p, e.length);
  }
  return e;
}
