import { bytesToMac, macToBytes } from '../../daemon/common/mac.js';
import { PacketType, type PacketTypeNumber } from './frame.js';
import { SIV_TAG_LEN, sivOpen, sivSeal } from './siv.js';
import { RrbDecodeError, Tlv, decodeTlvs, encodeTlvs, requireTlv, tlvMap, type TlvItem } from './tlv.js';

// The five R0KH-R1KH messages as hostapd 2.10 builds them (wpa_auth_ft.c wpa_ft_rrb_build,
// wpa_ft_rrb_build_r0, wpa_ft_pull_pmk_r1, wpa_ft_rrb_rx_pull, wpa_ft_rrb_seq_req,
// wpa_ft_rrb_rx_seq_req, wpa_ft_generate_pmk_r1). Payload = le16 auth_len | auth TLVs |
// AES-SIV(V||C) of the encrypted TLVs, AD = [src MAC, auth block incl. padding, packet type].
// We emit TLVs in hostapd's order so our frames are byte-identical to hostapd's (the vectors
// in docs/hostapd-interfaces.md "R0KH-R1KH vectors" check that); the receiver side looks TLVs up by type.

export interface RrbSeq {
  dom: number;
  seq: number;
  ts: number;
}
export interface RrbVlan {
  untagged: number | null;
  tagged: number[];
}
/** What a PUSH or RESP carries for the STA besides its identifiers. */
export interface RrbSession {
  pmkR1: Buffer;
  pmkR1Name: Buffer;
  /** WPA_CIPHER_* bitmask, le16 on the wire. */
  pairwise: number;
  /** le16 seconds, 0 = none. */
  expiresIn: number;
  /** Always sent, possibly empty (as hostapd does). */
  identity: Buffer;
  cui: Buffer;
  /** le32 seconds, 0 = none. */
  sessionTimeout: number;
  /** null or both empty: no VLAN TLVs. */
  vlan: RrbVlan | null;
}
interface Ids {
  r0khId: Buffer;
  r1khId: string;
}
export type RrbMessage =
  | ({ type: typeof PacketType.PULL; nonce: Buffer; seq: RrbSeq; staMac: string; pmkR0Name: Buffer } & Ids)
  /** session null = NAK (hostapd: no PAIRWISE, S1KH_ID only). */
  | ({ type: typeof PacketType.RESP; nonce: Buffer; seq: RrbSeq; staMac: string; session: RrbSession | null } & Ids)
  | ({ type: typeof PacketType.PUSH; seq: RrbSeq; staMac: string; pmkR0Name: Buffer; session: RrbSession } & Ids)
  /**
   * A PUSH that carries no station (empty encrypted part): hostapd checks a PUSH's sequence
   * number, and runs its SEQ_REQ exchange for an unknown sender, before it reads the station
   * from the payload, then drops this one for want of an S1KH-ID. So it teaches an AP our
   * sequence state ahead of the first real PUSH and stores nothing (see endpoint.probe()).
   */
  | ({ type: typeof PacketType.PUSH; seq: RrbSeq; probe: true } & Ids)
  | ({ type: typeof PacketType.SEQ_REQ; nonce: Buffer } & Ids)
  | ({ type: typeof PacketType.SEQ_RESP; nonce: Buffer; seq: RrbSeq } & Ids);

/** hostapd's RRB_MIN_MSG_LEN: payloads are padded to at least this many octets. */
const MIN_PAYLOAD = 64;
const SESSION_TYPES = [
  Tlv.PMK_R1,
  Tlv.PMK_R1_NAME,
  Tlv.PAIRWISE,
  Tlv.EXPIRES_IN,
  Tlv.IDENTITY,
  Tlv.RADIUS_CUI,
  Tlv.SESSION_TIMEOUT,
  Tlv.VLAN_UNTAGGED,
  Tlv.VLAN_TAGGED,
];
/** Which known TLVs may appear where, per packet type; a known type elsewhere is 'unexpected-tlv'. */
const AUTH_TYPES: Record<PacketTypeNumber, number[]> = {
  [PacketType.PULL]: [Tlv.NONCE, Tlv.SEQ, Tlv.R0KH_ID, Tlv.R1KH_ID],
  [PacketType.RESP]: [Tlv.NONCE, Tlv.SEQ, Tlv.R0KH_ID, Tlv.R1KH_ID],
  [PacketType.PUSH]: [Tlv.SEQ, Tlv.R0KH_ID, Tlv.R1KH_ID],
  [PacketType.SEQ_REQ]: [Tlv.NONCE, Tlv.R0KH_ID, Tlv.R1KH_ID],
  [PacketType.SEQ_RESP]: [Tlv.NONCE, Tlv.SEQ, Tlv.R0KH_ID, Tlv.R1KH_ID],
};
const ENC_TYPES: Record<PacketTypeNumber, number[]> = {
  [PacketType.PULL]: [Tlv.PMK_R0_NAME, Tlv.S1KH_ID],
  [PacketType.RESP]: [Tlv.S1KH_ID, ...SESSION_TYPES],
  [PacketType.PUSH]: [Tlv.S1KH_ID, Tlv.PMK_R0_NAME, ...SESSION_TYPES],
  [PacketType.SEQ_REQ]: [],
  [PacketType.SEQ_RESP]: [],
};
const LAST_KNOWN_TYPE = Tlv.SESSION_TIMEOUT;

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const tlv = (type: number, value: Buffer): TlvItem => ({ type, value });

function encodeSeq(s: RrbSeq): Buffer {
  return Buffer.concat([u32(s.dom), u32(s.seq), u32(s.ts)]);
}
function decodeSeq(b: Buffer): RrbSeq {
  return { dom: b.readUInt32LE(0), seq: b.readUInt32LE(4), ts: b.readUInt32LE(8) };
}

function checkRange(what: string, n: number, max: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new RangeError(`${what} must be an integer 0..${max}, got ${n}`);
}
function vlanId(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 4094) throw new RangeError(`VLAN ID must be 1..4094, got ${n}`);
  return n;
}

/** Session TLVs in wpa_ft_rrb_build_r0 order; VLAN TLVs as wpa_ft_vlan_lin, only when set. */
function sessionTlvs(s: RrbSession): TlvItem[] {
  if (s.pmkR1.length !== 32 && s.pmkR1.length !== 48) throw new RangeError('PMK-R1 must be 32 or 48 octets');
  checkRange('pairwise', s.pairwise, 0xffff);
  checkRange('expiresIn', s.expiresIn, 0xffff);
  checkRange('sessionTimeout', s.sessionTimeout, 0xffffffff);
  const out = [
    tlv(Tlv.PMK_R1, s.pmkR1),
    tlv(Tlv.PMK_R1_NAME, s.pmkR1Name),
    tlv(Tlv.PAIRWISE, u16(s.pairwise)),
    tlv(Tlv.EXPIRES_IN, u16(s.expiresIn)),
    tlv(Tlv.IDENTITY, s.identity),
    tlv(Tlv.RADIUS_CUI, s.cui),
    tlv(Tlv.SESSION_TIMEOUT, u32(s.sessionTimeout)),
  ];
  if (s.vlan?.untagged) out.push(tlv(Tlv.VLAN_UNTAGGED, u16(vlanId(s.vlan.untagged))));
  if (s.vlan && s.vlan.tagged.length > 0) out.push(tlv(Tlv.VLAN_TAGGED, Buffer.concat(s.vlan.tagged.map((v) => u16(vlanId(v))))));
  return out;
}

/** Cleartext (authenticated-only) and to-be-encrypted TLVs of a message, in hostapd's order. */
function messageTlvs(m: RrbMessage): { auth: TlvItem[]; enc: TlvItem[] } {
  if (m.r0khId.length < 1 || m.r0khId.length > 48) throw new RangeError('R0KH-ID must be 1..48 octets');
  const ids = [tlv(Tlv.R0KH_ID, m.r0khId), tlv(Tlv.R1KH_ID, macToBytes(m.r1khId))];
  switch (m.type) {
    case PacketType.PULL:
      return {
        auth: [tlv(Tlv.NONCE, m.nonce), tlv(Tlv.SEQ, encodeSeq(m.seq)), ...ids],
        enc: [tlv(Tlv.PMK_R0_NAME, m.pmkR0Name), tlv(Tlv.S1KH_ID, macToBytes(m.staMac))],
      };
    case PacketType.RESP:
      return {
        auth: [tlv(Tlv.NONCE, m.nonce), tlv(Tlv.SEQ, encodeSeq(m.seq)), ...ids],
        enc: [tlv(Tlv.S1KH_ID, macToBytes(m.staMac)), ...(m.session ? sessionTlvs(m.session) : [])],
      };
    case PacketType.PUSH:
      if ('probe' in m) return { auth: [tlv(Tlv.SEQ, encodeSeq(m.seq)), ...ids], enc: [] };
      return {
        auth: [tlv(Tlv.SEQ, encodeSeq(m.seq)), ...ids],
        enc: [tlv(Tlv.S1KH_ID, macToBytes(m.staMac)), tlv(Tlv.PMK_R0_NAME, m.pmkR0Name), ...sessionTlvs(m.session)],
      };
    case PacketType.SEQ_REQ:
      return { auth: [tlv(Tlv.NONCE, m.nonce), ...ids], enc: [] };
    case PacketType.SEQ_RESP:
      return { auth: [tlv(Tlv.NONCE, m.nonce), tlv(Tlv.SEQ, encodeSeq(m.seq)), ...ids], enc: [] };
  }
}

const aad = (srcMac: string, auth: Buffer, type: number) => [macToBytes(srcMac), auth, Buffer.from([type])];

/** The payload (octets after the packet-type octet) of `m`, sealed with `key` as sent by `srcMac`. */
export function buildMessage(m: RrbMessage, key: Uint8Array, srcMac: string): Buffer {
  const { auth: authTlvs, enc: encTlvs } = messageTlvs(m);
  for (const t of [...authTlvs, ...encTlvs]) {
    if ((t.type === Tlv.NONCE || t.type === Tlv.PMK_R0_NAME || t.type === Tlv.PMK_R1_NAME) && t.value.length !== 16) {
      throw new RangeError(`TLV ${t.type} must be 16 octets`);
    }
  }
  let auth = encodeTlvs(authTlvs);
  const plain = encodeTlvs(encTlvs);
  // wpa_ft_rrb_build: pad short messages with a type-0 TLV at the end of the *auth* block (so the
  // padding is authenticated), at least a 4-octet header, to reach 64 octets of payload.
  const len = 2 + auth.length + plain.length + SIV_TAG_LEN;
  if (len < MIN_PAYLOAD) {
    const pad = Math.max(MIN_PAYLOAD - len, 4);
    auth = Buffer.concat([auth, encodeTlvs([tlv(Tlv.LAST_EMPTY, Buffer.alloc(pad - 4))])]);
  }
  const sealed = sivSeal(key, aad(srcMac, auth, m.type), plain);
  return Buffer.concat([u16(auth.length), auth, sealed]);
}

/** What can be read before decrypting: enough to find the key and check the sequence number. */
export interface RrbEnvelope {
  type: PacketTypeNumber;
  /** The auth block exactly as received (part of the AD). */
  auth: Buffer;
  enc: Buffer;
  nonce: Buffer | null;
  seq: RrbSeq | null;
  r0khId: Buffer;
  r1khId: string;
}

function checkAllowed(items: TlvItem[], allowed: number[], where: string): void {
  for (const t of items) {
    if (t.type === Tlv.LAST_EMPTY && where === 'auth') continue;
    if (t.type <= LAST_KNOWN_TYPE && !allowed.includes(t.type)) throw new RrbDecodeError('unexpected-tlv', `type ${t.type} in ${where}`);
  }
}

/** Strict parse of the cleartext part; throws RrbDecodeError. */
export function parseEnvelope(type: PacketTypeNumber, payload: Buffer): RrbEnvelope {
  if (payload.length < 2) throw new RrbDecodeError('payload-truncated', `${payload.length} octets`);
  const authLen = payload.readUInt16LE(0);
  if (authLen > payload.length - 2) throw new RrbDecodeError('auth-overrun', `auth_len ${authLen} with ${payload.length - 2} left`);
  const auth = payload.subarray(2, 2 + authLen);
  const enc = payload.subarray(2 + authLen);
  if (enc.length < SIV_TAG_LEN) throw new RrbDecodeError('payload-truncated', `${enc.length} octets after auth, SIV needs ${SIV_TAG_LEN}`);
  const items = decodeTlvs(auth);
  checkAllowed(items, AUTH_TYPES[type], 'auth');
  const map = tlvMap(items);
  for (const t of AUTH_TYPES[type]) requireTlv(map, t, `auth of type ${type}`);
  const seq = map.get(Tlv.SEQ);
  return {
    type,
    auth,
    enc,
    nonce: map.get(Tlv.NONCE) ?? null,
    seq: seq ? decodeSeq(seq) : null,
    r0khId: map.get(Tlv.R0KH_ID)!,
    r1khId: bytesToMac(map.get(Tlv.R1KH_ID)!),
  };
}

/** SIV-open the encrypted part; like hostapd, retry without the last 2 octets (NICs that pad). */
export function decryptEnvelope(env: RrbEnvelope, key: Uint8Array, srcMac: string): Buffer {
  const ad = aad(srcMac, env.auth, env.type);
  const plain = sivOpen(key, ad, env.enc) ?? (env.enc.length >= SIV_TAG_LEN + 2 ? sivOpen(key, ad, env.enc.subarray(0, -2)) : null);
  if (!plain) throw new RrbDecodeError('decrypt-failed');
  return plain;
}

function parseVlan(map: Map<number, Buffer>): RrbVlan | null {
  const u = map.get(Tlv.VLAN_UNTAGGED);
  const t = map.get(Tlv.VLAN_TAGGED);
  if (!u && !t) return null;
  const ids = (b: Buffer) => Array.from({ length: b.length / 2 }, (_, i) => b.readUInt16LE(2 * i));
  const all = [...(u ? ids(u) : []), ...(t ? ids(t) : [])];
  if (all.some((v) => v < 1 || v > 4094)) throw new RrbDecodeError('bad-vlan', all.join(','));
  return { untagged: u ? u.readUInt16LE(0) : null, tagged: t ? ids(t) : [] };
}

function parseSession(map: Map<number, Buffer>, where: string): RrbSession {
  return {
    pmkR1: requireTlv(map, Tlv.PMK_R1, where),
    pmkR1Name: requireTlv(map, Tlv.PMK_R1_NAME, where),
    pairwise: requireTlv(map, Tlv.PAIRWISE, where).readUInt16LE(0),
    expiresIn: map.get(Tlv.EXPIRES_IN)?.readUInt16LE(0) ?? 0,
    identity: map.get(Tlv.IDENTITY) ?? Buffer.alloc(0),
    cui: map.get(Tlv.RADIUS_CUI) ?? Buffer.alloc(0),
    sessionTimeout: map.get(Tlv.SESSION_TIMEOUT)?.readUInt32LE(0) ?? 0,
    vlan: parseVlan(map),
  };
}

/** Strict parse of the decrypted TLVs into a message; throws RrbDecodeError. */
export function parsePlaintext(env: RrbEnvelope, plain: Buffer): RrbMessage {
  const items = decodeTlvs(plain);
  checkAllowed(items, ENC_TYPES[env.type], 'encrypted part');
  const map = tlvMap(items);
  const ids = { r0khId: env.r0khId, r1khId: env.r1khId };
  const where = `packet type ${env.type}`;
  const sta = () => bytesToMac(requireTlv(map, Tlv.S1KH_ID, where));
  switch (env.type) {
    case PacketType.PULL:
      return {
        type: env.type,
        nonce: env.nonce!,
        seq: env.seq!,
        ...ids,
        staMac: sta(),
        pmkR0Name: requireTlv(map, Tlv.PMK_R0_NAME, where),
      };
    case PacketType.RESP: {
      // hostapd reads a RESP without PAIRWISE as a NAK; we also insist the NAK carries nothing else.
      const nak = !map.has(Tlv.PAIRWISE);
      if (nak && items.some((t) => t.type !== Tlv.S1KH_ID && t.type <= LAST_KNOWN_TYPE))
        throw new RrbDecodeError('missing-tlv', 'PAIRWISE in RESP');
      return { type: env.type, nonce: env.nonce!, seq: env.seq!, ...ids, staMac: sta(), session: nak ? null : parseSession(map, where) };
    }
    case PacketType.PUSH:
      if (items.length === 0) return { type: env.type, seq: env.seq!, ...ids, probe: true };
      return {
        type: env.type,
        seq: env.seq!,
        ...ids,
        staMac: sta(),
        pmkR0Name: requireTlv(map, Tlv.PMK_R0_NAME, where),
        session: parseSession(map, where),
      };
    case PacketType.SEQ_REQ:
      return { type: env.type, nonce: env.nonce!, ...ids };
    case PacketType.SEQ_RESP:
      return { type: env.type, nonce: env.nonce!, seq: env.seq!, ...ids };
  }
}
