// RADIUS packet codec (RFC 2865 §3, §5). Decoding is strict and never copies attribute values:
// every Buffer in a decoded packet is a view into the input, so keep the input alive and unchanged.
import { AUTHENTICATOR_LENGTH, Attr, HEADER_LENGTH, MAX_ATTRIBUTE_VALUE_LENGTH, MAX_PACKET_LENGTH } from './codes.js';

/** One attribute. For type 26 (Vendor-Specific) the value starts with the 4-octet Vendor-Id. */
export interface RadiusAttribute {
  type: number;
  value: Buffer;
}

export interface RadiusPacket {
  code: number;
  identifier: number;
  /** 16 octets. */
  authenticator: Buffer;
  attributes: RadiusAttribute[];
}

export interface VendorAttribute {
  vendorType: number;
  value: Buffer;
}

/** Stable, machine-readable reasons (usable as a metrics label). */
export type RadiusDecodeReason =
  // packet structure
  | 'short-header'
  | 'length-field-too-small'
  | 'length-field-mismatch'
  | 'packet-too-long'
  | 'attribute-truncated'
  | 'attribute-length-invalid'
  | 'attribute-overrun'
  // typed accessors and Vendor-Specific (RFC 2865 §5.26)
  | 'integer-bad-length'
  | 'vsa-too-short'
  | 'vsa-sub-truncated'
  | 'vsa-sub-length-invalid'
  | 'vsa-sub-overrun'
  // hidden values (mppe.ts)
  | 'mppe-too-short'
  | 'mppe-not-padded'
  | 'mppe-salt-invalid'
  | 'mppe-key-length-invalid'
  | 'password-bad-length'
  | 'tunnel-password-too-short'
  | 'tunnel-password-not-padded'
  | 'tunnel-password-tag-invalid'
  | 'tunnel-password-salt-invalid'
  | 'tunnel-password-length-invalid';

export class RadiusDecodeError extends Error {
  override readonly name = 'RadiusDecodeError';
  constructor(
    readonly reason: RadiusDecodeReason,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

export type RadiusEncodeReason =
  | 'invalid-code'
  | 'invalid-identifier'
  | 'authenticator-bad-length'
  | 'invalid-attribute-type'
  | 'attribute-too-long'
  | 'packet-too-long'
  | 'invalid-integer'
  | 'invalid-vendor'
  | 'invalid-salt'
  | 'invalid-tag'
  | 'value-too-long'
  | 'empty-value'
  | 'wrong-code';

/** Thrown when asked to build something the wire format cannot carry (a caller bug, not hostile input). */
export class RadiusEncodeError extends Error {
  override readonly name = 'RadiusEncodeError';
  constructor(
    readonly reason: RadiusEncodeReason,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

function asBuffer(input: Uint8Array): Buffer {
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/**
 * Decode a datagram. Octets past the Length field are padding and ignored (RFC 2865 §3); a Length
 * larger than the datagram, or a datagram over 4096 octets, is an error.
 */
export function decodePacket(input: Uint8Array): RadiusPacket {
  const buf = asBuffer(input);
  if (buf.length < HEADER_LENGTH) throw new RadiusDecodeError('short-header', `${buf.length} octets`);
  if (buf.length > MAX_PACKET_LENGTH) throw new RadiusDecodeError('packet-too-long', `${buf.length} octets`);
  const length = buf.readUInt16BE(2);
  if (length < HEADER_LENGTH) throw new RadiusDecodeError('length-field-too-small', `Length ${length}`);
  if (length > buf.length) {
    throw new RadiusDecodeError('length-field-mismatch', `Length ${length} > ${buf.length} received`);
  }
  const attributes: RadiusAttribute[] = [];
  let off = HEADER_LENGTH;
  while (off < length) {
    if (length - off < 2) throw new RadiusDecodeError('attribute-truncated', `at offset ${off}`);
    const alen = buf[off + 1]!;
    if (alen < 2) throw new RadiusDecodeError('attribute-length-invalid', `length ${alen} at offset ${off}`);
    if (off + alen > length) throw new RadiusDecodeError('attribute-overrun', `length ${alen} at offset ${off}`);
    attributes.push({ type: buf[off]!, value: buf.subarray(off + 2, off + alen) });
    off += alen;
  }
  return {
    code: buf[0]!,
    identifier: buf[1]!,
    authenticator: buf.subarray(4, HEADER_LENGTH),
    attributes,
  };
}

function isOctet(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 255;
}

/** Encode a packet exactly as given (no authenticators are computed here; see authenticators.ts). */
export function encodePacket(p: RadiusPacket): Buffer {
  if (!isOctet(p.code)) throw new RadiusEncodeError('invalid-code', String(p.code));
  if (!isOctet(p.identifier)) throw new RadiusEncodeError('invalid-identifier', String(p.identifier));
  if (p.authenticator.length !== AUTHENTICATOR_LENGTH) {
    throw new RadiusEncodeError('authenticator-bad-length', `${p.authenticator.length} octets`);
  }
  let length = HEADER_LENGTH;
  for (const a of p.attributes) {
    if (!isOctet(a.type)) throw new RadiusEncodeError('invalid-attribute-type', String(a.type));
    if (a.value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
      throw new RadiusEncodeError('attribute-too-long', `type ${a.type}: ${a.value.length} octets`);
    }
    length += 2 + a.value.length;
  }
  if (length > MAX_PACKET_LENGTH) throw new RadiusEncodeError('packet-too-long', `${length} octets`);
  const out = Buffer.allocUnsafe(length);
  out[0] = p.code;
  out[1] = p.identifier;
  out.writeUInt16BE(length, 2);
  p.authenticator.copy(out, 4);
  let off = HEADER_LENGTH;
  for (const a of p.attributes) {
    out[off] = a.type;
    out[off + 1] = a.value.length + 2;
    a.value.copy(out, off + 2);
    off += 2 + a.value.length;
  }
  return out;
}

// ---- accessors -------------------------------------------------------------------------------

type HasAttributes = Pick<RadiusPacket, 'attributes'>;

/** The first attribute of `type`. */
export function getAttr(p: HasAttributes, type: number): RadiusAttribute | undefined {
  return p.attributes.find((a) => a.type === type);
}

/** All attributes of `type`, in packet order. */
export function getAttrs(p: HasAttributes, type: number): RadiusAttribute[] {
  return p.attributes.filter((a) => a.type === type);
}

/** First attribute of `type` as UTF-8 text. */
export function getString(p: HasAttributes, type: number): string | undefined {
  return getAttr(p, type)?.value.toString('utf8');
}

/** First attribute of `type` as a 32-bit unsigned integer; throws 'integer-bad-length' unless 4 octets. */
export function getInteger(p: HasAttributes, type: number): number | undefined {
  const v = getAttr(p, type)?.value;
  if (v === undefined) return undefined;
  if (v.length !== 4) throw new RadiusDecodeError('integer-bad-length', `type ${type}: ${v.length} octets`);
  return v.readUInt32BE(0);
}

/**
 * Split one Vendor-Specific value (Vendor-Id + sub-attributes in the RFC 2865 §5.26 format).
 * A value with no room for a Vendor-Id and one sub-attribute header is 'vsa-too-short'.
 */
export function decodeVendorSpecific(value: Buffer): { vendorId: number; attributes: VendorAttribute[] } {
  if (value.length < 6) throw new RadiusDecodeError('vsa-too-short', `${value.length} octets`);
  const vendorId = value.readUInt32BE(0);
  const attributes: VendorAttribute[] = [];
  let off = 4;
  while (off < value.length) {
    if (value.length - off < 2) throw new RadiusDecodeError('vsa-sub-truncated', `vendor ${vendorId}`);
    const slen = value[off + 1]!;
    if (slen < 2) throw new RadiusDecodeError('vsa-sub-length-invalid', `vendor ${vendorId}: length ${slen}`);
    if (off + slen > value.length) {
      throw new RadiusDecodeError('vsa-sub-overrun', `vendor ${vendorId}: length ${slen}`);
    }
    attributes.push({ vendorType: value[off]!, value: value.subarray(off + 2, off + slen) });
    off += slen;
  }
  return { vendorId, attributes };
}

/**
 * All sub-attributes of `vendorId`, across every Vendor-Specific attribute, in packet order.
 * VSAs of other vendors are skipped unless too short to hold a Vendor-Id ('vsa-too-short').
 */
export function getVendorAttrs(p: HasAttributes, vendorId: number): VendorAttribute[] {
  const out: VendorAttribute[] = [];
  for (const a of p.attributes) {
    if (a.type !== Attr.VendorSpecific) continue;
    if (a.value.length < 4) throw new RadiusDecodeError('vsa-too-short', `${a.value.length} octets`);
    if (a.value.readUInt32BE(0) !== vendorId) continue;
    out.push(...decodeVendorSpecific(a.value).attributes);
  }
  return out;
}

/** A copy of `p` without any attribute of `type`. */
export function removeAttrs<P extends HasAttributes>(p: P, type: number): P {
  return { ...p, attributes: p.attributes.filter((a) => a.type !== type) };
}

// ---- builders --------------------------------------------------------------------------------

function checkType(type: number): void {
  if (!isOctet(type)) throw new RadiusEncodeError('invalid-attribute-type', String(type));
}

/** A text or octet-string attribute. */
export function attrString(type: number, value: string | Buffer): RadiusAttribute {
  checkType(type);
  const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (v.length > MAX_ATTRIBUTE_VALUE_LENGTH) throw new RadiusEncodeError('attribute-too-long', `${v.length} octets`);
  return { type, value: v };
}

/** A 32-bit unsigned integer attribute. */
export function attrInteger(type: number, n: number): RadiusAttribute {
  checkType(type);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RadiusEncodeError('invalid-integer', String(n));
  const v = Buffer.alloc(4);
  v.writeUInt32BE(n, 0);
  return { type, value: v };
}

/** A Vendor-Specific attribute holding one sub-attribute. */
export function attrVendor(vendorId: number, vendorType: number, value: string | Buffer): RadiusAttribute {
  if (!Number.isInteger(vendorId) || vendorId < 0 || vendorId > 0xffffff) {
    throw new RadiusEncodeError('invalid-vendor', String(vendorId));
  }
  if (!isOctet(vendorType)) throw new RadiusEncodeError('invalid-attribute-type', String(vendorType));
  const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (v.length > MAX_ATTRIBUTE_VALUE_LENGTH - 6) {
    throw new RadiusEncodeError('attribute-too-long', `vendor ${vendorId}/${vendorType}: ${v.length} octets`);
  }
  const out = Buffer.allocUnsafe(6 + v.length);
  out.writeUInt32BE(vendorId, 0);
  out[4] = vendorType;
  out[5] = v.length + 2;
  v.copy(out, 6);
  return { type: Attr.VendorSpecific, value: out };
}
