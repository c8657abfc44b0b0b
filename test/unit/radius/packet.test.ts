import { describe, expect, it } from 'vitest';
import {
  Attr,
  Code,
  MsAttr,
  RadiusDecodeError,
  RadiusEncodeError,
  Vendor,
  attrInteger,
  attrString,
  attrVendor,
  decodePacket,
  decodeVendorSpecific,
  encodePacket,
  finishResponse,
  getAttr,
  getAttrs,
  getInteger,
  getString,
  getVendorAttrs,
  removeAttrs,
  verifyRequest,
  verifyResponse,
  type RadiusPacket,
} from '../../../adapters/radius/index.js';
import { ACCESS_ACCEPT, ACCESS_REQUEST, RECV_VSA, REQUEST_AUTH, SECRET, SEND_VSA, hex } from './vectors.js';

/** Header + raw attribute octets; `length` overrides the Length field. */
function raw(attrs: Buffer, length = 20 + attrs.length, code = 1): Buffer {
  const h = Buffer.alloc(20);
  h[0] = code;
  h[1] = 7;
  h.writeUInt16BE(length, 2);
  REQUEST_AUTH.copy(h, 4);
  return Buffer.concat([h, attrs]);
}

function decodeReason(buf: Uint8Array): string {
  try {
    decodePacket(buf);
  } catch (e) {
    expect(e).toBeInstanceOf(RadiusDecodeError);
    return (e as RadiusDecodeError).reason;
  }
  return 'accepted';
}

function encodeReason(p: RadiusPacket): string {
  try {
    encodePacket(p);
  } catch (e) {
    expect(e).toBeInstanceOf(RadiusEncodeError);
    return (e as RadiusEncodeError).reason;
  }
  return 'accepted';
}

const pkt = (attributes: RadiusPacket['attributes'], code: number = Code.AccessRequest): RadiusPacket => ({
  code,
  identifier: 42,
  authenticator: Buffer.from(REQUEST_AUTH),
  attributes,
});

describe('hostapd vectors', () => {
  it('decodes the Access-Request and re-encodes it byte for byte', () => {
    const p = decodePacket(ACCESS_REQUEST);
    expect(p.code).toBe(Code.AccessRequest);
    expect(p.identifier).toBe(0x2a);
    expect(p.authenticator).toEqual(REQUEST_AUTH);
    expect(p.attributes.map((a) => a.type)).toEqual([Attr.UserName, Attr.MessageAuthenticator]);
    expect(getString(p, Attr.UserName)).toBe('alice');
    expect(getAttr(p, Attr.MessageAuthenticator)!.value).toEqual(hex('86ac70d007521590418f0734367671a9'));
    expect(encodePacket(p)).toEqual(ACCESS_REQUEST);
  });

  it('decodes the Access-Accept and re-encodes it byte for byte', () => {
    const p = decodePacket(ACCESS_ACCEPT);
    expect(p.code).toBe(Code.AccessAccept);
    expect(p.attributes).toHaveLength(1);
    expect(encodePacket(p)).toEqual(ACCESS_ACCEPT);
  });

  it('verifies both with secret testing123, and finishResponse reproduces the Accept exactly', () => {
    expect(verifyRequest(ACCESS_REQUEST, SECRET, { requireMessageAuthenticator: true })).toEqual({ ok: true });
    expect(verifyResponse(ACCESS_ACCEPT, REQUEST_AUTH, SECRET, { requireMessageAuthenticator: true })).toEqual({
      ok: true,
    });
    const accept = { code: Code.AccessAccept, identifier: 0x2a, authenticator: Buffer.alloc(16), attributes: [] };
    expect(finishResponse(accept, REQUEST_AUTH, SECRET)).toEqual(ACCESS_ACCEPT);
  });

  it('reads the MPPE VSAs through getVendorAttrs', () => {
    const p = decodePacket(raw(Buffer.concat([SEND_VSA, RECV_VSA]), undefined, Code.AccessAccept));
    const ms = getVendorAttrs(p, Vendor.Microsoft);
    expect(ms.map((a) => a.vendorType)).toEqual([MsAttr.MppeSendKey, MsAttr.MppeRecvKey]);
    expect(ms[0]!.value).toEqual(SEND_VSA.subarray(8));
    expect(getVendorAttrs(p, Vendor.Aruba)).toEqual([]);
    expect(encodePacket(p)).toEqual(raw(Buffer.concat([SEND_VSA, RECV_VSA]), undefined, Code.AccessAccept));
  });
});

describe('decodePacket', () => {
  it('ignores octets beyond the Length field (RFC 2865 §3)', () => {
    const p = decodePacket(Buffer.concat([ACCESS_REQUEST, hex('deadbeef')]));
    expect(encodePacket(p)).toEqual(ACCESS_REQUEST);
  });

  it('accepts a header-only packet and a plain Uint8Array', () => {
    expect(decodePacket(new Uint8Array(raw(Buffer.alloc(0)))).attributes).toEqual([]);
  });

  it('returns views into the input instead of copies', () => {
    const p = decodePacket(ACCESS_REQUEST);
    expect(p.attributes[0]!.value.buffer).toBe(ACCESS_REQUEST.buffer);
    expect(p.authenticator.buffer).toBe(ACCESS_REQUEST.buffer);
  });

  it('accepts the largest attribute and the largest packet', () => {
    expect(decodePacket(raw(Buffer.concat([hex('01ff'), Buffer.alloc(253, 0x61)]))).attributes[0]!.value).toHaveLength(253);
    const full = Array.from({ length: 15 }, () => Buffer.concat([hex('19ff'), Buffer.alloc(253)]));
    const big = raw(Buffer.concat([...full, hex('19fb'), Buffer.alloc(249)]));
    expect(big).toHaveLength(4096);
    expect(encodePacket(decodePacket(big))).toEqual(big);
  });

  it.each([
    ['short-header', Buffer.alloc(19)],
    ['short-header', Buffer.alloc(0)],
    ['packet-too-long', Buffer.concat([raw(Buffer.alloc(0)), Buffer.alloc(4077)])],
    ['length-field-too-small', raw(Buffer.alloc(0), 19)],
    ['length-field-too-small', raw(Buffer.alloc(0), 0)],
    ['length-field-mismatch', raw(hex('0103aa'), 24)],
    ['length-field-mismatch', raw(Buffer.alloc(0), 4096)],
    ['length-field-mismatch', raw(Buffer.alloc(0), 0xffff)],
    ['attribute-truncated', raw(hex('01'))],
    ['attribute-truncated', raw(hex('0103aa01'))],
    ['attribute-length-invalid', raw(hex('0100'))],
    ['attribute-length-invalid', raw(hex('0101aa'))],
    ['attribute-length-invalid', raw(hex('0103aa0100'))],
    ['attribute-overrun', raw(hex('0105aaaa'))],
    // The attribute fits the datagram but not the Length field.
    ['attribute-overrun', raw(hex('0104aaaa'), 23)],
    ['attribute-overrun', raw(hex('01ff'))],
  ])('rejects %s', (reason, buf) => {
    expect(decodeReason(buf)).toBe(reason);
  });

  it('carries the reason in the message', () => {
    expect(() => decodePacket(Buffer.alloc(3))).toThrow(/^short-header: 3 octets$/);
  });
});

describe('encodePacket', () => {
  it('round-trips every attribute length 0..253', () => {
    for (let n = 0; n <= 253; n++) {
      const p = pkt([attrString(Attr.Class, Buffer.alloc(n, n)), attrInteger(Attr.SessionTimeout, n)]);
      const bytes = encodePacket(p);
      expect(bytes.readUInt16BE(2)).toBe(bytes.length);
      expect(decodePacket(bytes)).toEqual(p);
      expect(encodePacket(decodePacket(bytes))).toEqual(bytes);
    }
  });

  it.each([
    ['attribute-too-long', pkt([{ type: 1, value: Buffer.alloc(254) }])],
    ['packet-too-long', pkt(Array.from({ length: 17 }, () => ({ type: 25, value: Buffer.alloc(253) })))],
    ['authenticator-bad-length', { ...pkt([]), authenticator: Buffer.alloc(15) }],
    ['invalid-code', { ...pkt([]), code: 256 }],
    ['invalid-identifier', { ...pkt([]), identifier: -1 }],
    ['invalid-identifier', { ...pkt([]), identifier: 1.5 }],
    ['invalid-attribute-type', pkt([{ type: 256, value: Buffer.alloc(1) }])],
  ])('throws %s', (reason, p) => {
    expect(encodeReason(p)).toBe(reason);
  });
});

describe('accessors', () => {
  const p = pkt([
    attrString(Attr.Class, 'one'),
    attrInteger(Attr.SessionTimeout, 3600),
    attrString(Attr.Class, 'two'),
    { type: Attr.FramedMtu, value: hex('0578') },
    attrVendor(Vendor.Aruba, 1, 'employee'),
  ]);

  it('getAttr / getAttrs / getString', () => {
    expect(getAttr(p, Attr.Class)!.value.toString()).toBe('one');
    expect(getAttrs(p, Attr.Class).map((a) => a.value.toString())).toEqual(['one', 'two']);
    expect(getString(p, Attr.UserName)).toBeUndefined();
    expect(getAttrs(p, Attr.UserName)).toEqual([]);
  });

  it('getInteger reads 4 octets and rejects any other length', () => {
    expect(getInteger(p, Attr.SessionTimeout)).toBe(3600);
    expect(getInteger(p, Attr.UserName)).toBeUndefined();
    expect(() => getInteger(p, Attr.FramedMtu)).toThrow(expect.objectContaining({ reason: 'integer-bad-length' }));
    expect(getInteger(pkt([attrInteger(5, 0xffffffff)]), 5)).toBe(0xffffffff);
  });

  it('removeAttrs returns a copy without that type', () => {
    const q = removeAttrs(p, Attr.Class);
    expect(q.attributes.map((a) => a.type)).toEqual([Attr.SessionTimeout, Attr.FramedMtu, Attr.VendorSpecific]);
    expect(p.attributes).toHaveLength(5);
  });

  it('builders produce the wire layout', () => {
    expect(attrVendor(14823, 1, 'ab').value).toEqual(hex('000039e7 01 04 6162'));
    expect(attrInteger(6, 2).value).toEqual(hex('00000002'));
    expect(() => attrInteger(6, -1)).toThrow(RadiusEncodeError);
    expect(() => attrInteger(6, 2 ** 32)).toThrow(RadiusEncodeError);
    expect(() => attrVendor(1 << 24, 1, 'x')).toThrow(RadiusEncodeError);
    expect(() => attrVendor(311, 1, Buffer.alloc(248))).toThrow(expect.objectContaining({ reason: 'attribute-too-long' }));
    expect(attrVendor(311, 1, Buffer.alloc(247)).value).toHaveLength(253);
    expect(() => attrString(1, Buffer.alloc(254))).toThrow(RadiusEncodeError);
  });
});

describe('Vendor-Specific sub-parse (RFC 2865 §5.26)', () => {
  const vsa = (v: string): RadiusPacket => pkt([{ type: Attr.VendorSpecific, value: hex(v) }]);

  it('reads several sub-attributes in one VSA and across VSAs, skipping other vendors', () => {
    const p = pkt([
      { type: 26, value: hex('00000137 1003aa 1104bbbb') },
      { type: 26, value: hex('000039e7 0103cc') },
      { type: 26, value: hex('00000137 0702') },
    ]);
    expect(getVendorAttrs(p, 311)).toEqual([
      { vendorType: 16, value: hex('aa') },
      { vendorType: 17, value: hex('bbbb') },
      { vendorType: 7, value: Buffer.alloc(0) },
    ]);
    expect(decodeVendorSpecific(hex('000039e7 0103cc'))).toEqual({ vendorId: 14823, attributes: [{ vendorType: 1, value: hex('cc') }] });
  });

  it.each([
    ['vsa-too-short', '000001'],
    ['vsa-too-short', '00000137'],
    ['vsa-too-short', '0000013710'],
    ['vsa-sub-length-invalid', '00000137 1001'],
    ['vsa-sub-length-invalid', '00000137 1000'],
    ['vsa-sub-overrun', '00000137 1004aa'],
    ['vsa-sub-truncated', '00000137 1003aa 11'],
  ])('%s: %s', (reason, v) => {
    expect(() => getVendorAttrs(vsa(v), 311)).toThrow(expect.objectContaining({ reason }));
  });

  it('does not parse VSAs of other vendors', () => {
    expect(getVendorAttrs(vsa('000039e7 ff'), 311)).toEqual([]);
  });
});
