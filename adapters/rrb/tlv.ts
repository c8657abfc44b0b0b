// TLV lists of hostapd's R0KH-R1KH protocol (src/ap/wpa_auth.h, struct ft_rrb_tlv):
// le16 type | le16 len | value. Both the cleartext "auth" block and the decrypted block are
// such lists. hostapd's own reader (wpa_ft_rrb_get_tlv) is lenient: it stops quietly at a
// truncated TLV and takes the first of duplicates. We are strict instead, so that a frame we
// accept means exactly one thing; anything odd is an RrbDecodeError with a reason the endpoint
// counts. Unknown types are kept and ignored, as hostapd does, so a newer hostapd that adds a
// TLV still interoperates.

export type RrbDecodeReason =
  | 'frame-truncated'
  | 'frame-bad-ethertype'
  | 'frame-bad-oui'
  | 'frame-unknown-type'
  | 'payload-truncated'
  | 'auth-overrun'
  | 'tlv-truncated'
  | 'tlv-overrun'
  | 'duplicate-tlv'
  | 'missing-tlv'
  | 'tlv-bad-length'
  | 'padding-not-last'
  | 'unexpected-tlv'
  | 'bad-vlan'
  | 'decrypt-failed';

export class RrbDecodeError extends Error {
  constructor(
    readonly reason: RrbDecodeReason,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'RrbDecodeError';
  }
}

/** TLV type numbers (FT_RRB_* in wpa_auth.h). */
export const Tlv = {
  LAST_EMPTY: 0,
  SEQ: 1,
  NONCE: 2,
  TIMESTAMP: 3,
  R0KH_ID: 4,
  R1KH_ID: 5,
  S1KH_ID: 6,
  PMK_R0_NAME: 7,
  PMK_R0: 8,
  PMK_R1_NAME: 9,
  PMK_R1: 10,
  PAIRWISE: 11,
  EXPIRES_IN: 12,
  VLAN_UNTAGGED: 13,
  VLAN_TAGGED: 14,
  IDENTITY: 15,
  RADIUS_CUI: 16,
  SESSION_TIMEOUT: 17,
} as const;

export interface TlvItem {
  type: number;
  value: Buffer;
}

/** Allowed value lengths of the types we know (a predicate, since some are ranges). */
const LENGTH_OK: Record<number, (n: number) => boolean> = {
  [Tlv.SEQ]: (n) => n === 12,
  [Tlv.NONCE]: (n) => n === 16,
  [Tlv.TIMESTAMP]: (n) => n === 4,
  [Tlv.R0KH_ID]: (n) => n >= 1 && n <= 48,
  [Tlv.R1KH_ID]: (n) => n === 6,
  [Tlv.S1KH_ID]: (n) => n === 6,
  [Tlv.PMK_R0_NAME]: (n) => n === 16,
  [Tlv.PMK_R0]: (n) => n === 32 || n === 48,
  [Tlv.PMK_R1_NAME]: (n) => n === 16,
  [Tlv.PMK_R1]: (n) => n === 32 || n === 48,
  [Tlv.PAIRWISE]: (n) => n === 2,
  [Tlv.EXPIRES_IN]: (n) => n === 2,
  [Tlv.VLAN_UNTAGGED]: (n) => n === 2,
  [Tlv.VLAN_TAGGED]: (n) => n > 0 && n % 2 === 0,
  [Tlv.SESSION_TIMEOUT]: (n) => n === 4,
};

/** Serialize in the given order; hostapd emits a zero-length TLV as a bare 4-octet header. */
export function encodeTlvs(items: readonly TlvItem[]): Buffer {
  let total = 0;
  for (const t of items) {
    if (t.value.length > 0xffff) throw new RangeError(`TLV ${t.type} value too long (${t.value.length})`);
    total += 4 + t.value.length;
  }
  const out = Buffer.alloc(total);
  let pos = 0;
  for (const t of items) {
    out.writeUInt16LE(t.type, pos);
    out.writeUInt16LE(t.value.length, pos + 2);
    out.set(t.value, pos + 4);
    pos += 4 + t.value.length;
  }
  return out;
}

/**
 * Parse a whole TLV block: every octet must belong to a TLV, known types must have their
 * length, no known type may repeat, and a type-0 padding TLV may only close the block.
 * Values are views into `buf` (no copies: the fuzz test parses hundreds of thousands).
 */
export function decodeTlvs(buf: Buffer): TlvItem[] {
  const items: TlvItem[] = [];
  const seen = new Set<number>();
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < 4) throw new RrbDecodeError('tlv-truncated', `${buf.length - pos} octets left at ${pos}`);
    const type = buf.readUInt16LE(pos);
    const len = buf.readUInt16LE(pos + 2);
    pos += 4;
    if (len > buf.length - pos) throw new RrbDecodeError('tlv-overrun', `type ${type} len ${len} with ${buf.length - pos} left`);
    if (type === Tlv.LAST_EMPTY && pos + len !== buf.length) throw new RrbDecodeError('padding-not-last');
    if (seen.has(type)) throw new RrbDecodeError('duplicate-tlv', `type ${type}`);
    seen.add(type);
    const ok = LENGTH_OK[type];
    if (ok && !ok(len)) throw new RrbDecodeError('tlv-bad-length', `type ${type} len ${len}`);
    items.push({ type, value: buf.subarray(pos, pos + len) });
    pos += len;
  }
  return items;
}

/** Index by type (decodeTlvs already refused duplicates). */
export function tlvMap(items: readonly TlvItem[]): Map<number, Buffer> {
  return new Map(items.map((t) => [t.type, t.value]));
}

export function requireTlv(map: Map<number, Buffer>, type: number, where: string): Buffer {
  const v = map.get(type);
  if (v === undefined) throw new RrbDecodeError('missing-tlv', `type ${type} in ${where}`);
  return v;
}
