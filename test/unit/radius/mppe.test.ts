import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Attr,
  Code,
  MsAttr,
  RadiusDecodeError,
  RadiusEncodeError,
  Vendor,
  attrVendor,
  decodePacket,
  decryptMppeKey,
  decryptTunnelPassword,
  encodePacket,
  encryptMppeKey,
  encryptTunnelPassword,
  finishResponse,
  freshSalts,
  getVendorAttrs,
  hidePassword,
  unhidePassword,
} from '../../../adapters/radius/index.js';
import { RECV_KEY, RECV_SALT, RECV_VSA, REQUEST_AUTH, SECRET, SEND_KEY, SEND_SALT, SEND_VSA, hex } from './vectors.js';

/** The MD5 stream written out from the RFC 2548 §2.4.2 text, one block at a time. */
function referenceEncrypt(plain: Buffer, first: Buffer): Buffer {
  const out: Buffer[] = [];
  let prev = first;
  for (let i = 0; i < plain.length; i += 16) {
    const b = createHash('md5').update(SECRET).update(prev).digest();
    const c = Buffer.from(plain.subarray(i, i + 16).map((x, j) => x ^ b[j]!));
    out.push(c);
    prev = c;
  }
  return Buffer.concat(out);
}

const reason = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof RadiusDecodeError || e instanceof RadiusEncodeError) return e.reason;
    throw e;
  }
  return 'accepted';
};
/** Flip `mask` into octet `i` of a copy. */
const xorAt = (b: Buffer, i: number, mask: number) => {
  const c = Buffer.from(b);
  c[i]! ^= mask;
  return c;
};

describe('MS-MPPE keys: hostapd vectors (docs/hostapd-interfaces.md)', () => {
  const sendValue = SEND_VSA.subarray(8);
  const recvValue = RECV_VSA.subarray(8);

  it('decrypt both VSAs to the MSK halves', () => {
    expect(decryptMppeKey(sendValue, SECRET, REQUEST_AUTH)).toEqual(SEND_KEY);
    expect(decryptMppeKey(recvValue, SECRET, REQUEST_AUTH)).toEqual(RECV_KEY);
  });

  it('encrypt with salts 0x8001 / 0x8002 reproduces the VSAs byte for byte', () => {
    const send = attrVendor(Vendor.Microsoft, MsAttr.MppeSendKey, encryptMppeKey(SEND_KEY, SECRET, REQUEST_AUTH, SEND_SALT));
    const recv = attrVendor(Vendor.Microsoft, MsAttr.MppeRecvKey, encryptMppeKey(RECV_KEY, SECRET, REQUEST_AUTH, RECV_SALT));
    const accept = encodePacket({ code: Code.AccessAccept, identifier: 1, authenticator: REQUEST_AUTH, attributes: [send, recv] });
    expect(accept.subarray(20)).toEqual(Buffer.concat([SEND_VSA, RECV_VSA]));
  });

  it('matches an independent block-by-block computation', () => {
    const plain = Buffer.alloc(48);
    plain[0] = 32;
    SEND_KEY.copy(plain, 1);
    const first = Buffer.concat([REQUEST_AUTH, hex('8001')]);
    expect(sendValue.subarray(2)).toEqual(referenceEncrypt(plain, first));
  });

  it('a proxy re-encrypts for a new authenticator and secret', () => {
    const apAuth = Buffer.alloc(16, 0x5a);
    const [s1, s2] = freshSalts();
    const msk = decryptMppeKey(recvValue, SECRET, REQUEST_AUTH);
    const reEnc = encryptMppeKey(msk, 'ap-secret', apAuth, s1);
    const accept = finishResponse(
      { code: Code.AccessAccept, identifier: 3, authenticator: apAuth, attributes: [attrVendor(311, 17, reEnc)] },
      apAuth,
      'ap-secret',
    );
    const got = getVendorAttrs(decodePacket(accept), Vendor.Microsoft)[0]!;
    expect(decryptMppeKey(got.value, 'ap-secret', apAuth)).toEqual(RECV_KEY);
    expect(s1).not.toBe(s2);
  });
});

describe('MS-MPPE keys: round trips and malformed input', () => {
  it('round-trips every key length 1..239 with the right padding', () => {
    for (let n = 1; n <= 239; n++) {
      const k = Buffer.alloc(n, n);
      const v = encryptMppeKey(k, SECRET, REQUEST_AUTH, 0x8000 + n);
      expect(v.length).toBe(2 + Math.ceil((n + 1) / 16) * 16);
      expect(decryptMppeKey(v, SECRET, REQUEST_AUTH)).toEqual(k);
    }
  });

  it('freshSalts: two distinct salts with the MSB set', () => {
    for (let i = 0; i < 1000; i++) {
      const [a, b] = freshSalts();
      expect(a).not.toBe(b);
      expect(a & 0x8000).toBe(0x8000);
      expect(b & 0x8000).toBe(0x8000);
      expect(Math.max(a, b)).toBeLessThanOrEqual(0xffff);
    }
  });

  const good = encryptMppeKey(SEND_KEY, SECRET, REQUEST_AUTH, SEND_SALT); // plaintext[0] = 32
  it.each([
    ['mppe-too-short', good.subarray(0, 17)],
    ['mppe-too-short', Buffer.alloc(0)],
    ['mppe-not-padded', good.subarray(0, 40)],
    ['mppe-salt-invalid', xorAt(good, 0, 0x80)],
    // First ciphertext octet XOR d flips the key-length octet by d.
    ['mppe-key-length-invalid', xorAt(good, 2, 32 ^ 48)],
    ['mppe-key-length-invalid', xorAt(good, 2, 32 ^ 0)],
    ['mppe-key-length-invalid', xorAt(good, 2, 32 ^ 255)],
  ])('%s', (r, value) => {
    expect(reason(() => decryptMppeKey(value, SECRET, REQUEST_AUTH))).toBe(r);
  });

  it('key length 47 of 48 octets is still accepted (largest that fits)', () => {
    expect(decryptMppeKey(xorAt(good, 2, 32 ^ 47), SECRET, REQUEST_AUTH)).toHaveLength(47);
  });

  it.each([
    ['invalid-salt', () => encryptMppeKey(SEND_KEY, SECRET, REQUEST_AUTH, 0x7fff)],
    ['invalid-salt', () => encryptMppeKey(SEND_KEY, SECRET, REQUEST_AUTH, 0x10000)],
    ['empty-value', () => encryptMppeKey(Buffer.alloc(0), SECRET, REQUEST_AUTH, 0x8000)],
    ['value-too-long', () => encryptMppeKey(Buffer.alloc(240), SECRET, REQUEST_AUTH, 0x8000)],
    ['authenticator-bad-length', () => encryptMppeKey(SEND_KEY, SECRET, Buffer.alloc(15), 0x8000)],
    ['authenticator-bad-length', () => decryptMppeKey(good, SECRET, Buffer.alloc(0))],
  ])('encrypt/decrypt misuse: %s', (r, f) => {
    expect(reason(f)).toBe(r);
  });
});

describe('User-Password (RFC 2865 §5.2)', () => {
  it.each([0, 1, 15, 16, 17, 100, 128])('round-trips a %i-octet password', (n) => {
    const pw = Buffer.alloc(n, 0x41 + (n % 26));
    const hidden = hidePassword(pw, SECRET, REQUEST_AUTH);
    expect(hidden.length).toBe(Math.max(16, Math.ceil(n / 16) * 16));
    expect(unhidePassword(hidden, SECRET, REQUEST_AUTH)).toEqual(pw);
  });

  it('first block is p1 XOR MD5(secret || Request Authenticator)', () => {
    const plain = Buffer.alloc(16);
    plain.write('hello');
    expect(hidePassword('hello', SECRET, REQUEST_AUTH)).toEqual(referenceEncrypt(plain, REQUEST_AUTH));
  });

  it('rejects bad lengths', () => {
    expect(reason(() => hidePassword(Buffer.alloc(129), SECRET, REQUEST_AUTH))).toBe('value-too-long');
    for (const n of [0, 15, 17, 144]) {
      expect(reason(() => unhidePassword(Buffer.alloc(n), SECRET, REQUEST_AUTH))).toBe('password-bad-length');
    }
  });
});

describe('Tunnel-Password (RFC 2868 §3.5)', () => {
  it('round-trips with tags, and shares the MPPE construction after the tag', () => {
    for (const [pw, tag] of [
      ['', 0],
      ['secret', 1],
      ['x'.repeat(239), 0x1f],
    ] as const) {
      const v = encryptTunnelPassword(pw, SECRET, REQUEST_AUTH, 0x9234, tag);
      expect(v[0]).toBe(tag);
      expect(decryptTunnelPassword(v, SECRET, REQUEST_AUTH)).toEqual({ tag, password: Buffer.from(pw) });
      if (pw.length > 0) expect(v.subarray(1)).toEqual(encryptMppeKey(Buffer.from(pw), SECRET, REQUEST_AUTH, 0x9234));
    }
    expect(encryptTunnelPassword('x'.repeat(239), SECRET, REQUEST_AUTH, 0x8000).length).toBe(243);
  });

  const good = encryptTunnelPassword('secret', SECRET, REQUEST_AUTH, 0x8123, 2);
  it.each([
    ['tunnel-password-too-short', good.subarray(0, 18)],
    ['tunnel-password-tag-invalid', xorAt(good, 0, 0x20)],
    ['tunnel-password-not-padded', Buffer.concat([good, hex('00')])],
    ['tunnel-password-salt-invalid', xorAt(good, 1, 0x80)],
    ['tunnel-password-length-invalid', xorAt(good, 3, 6 ^ 16)],
  ])('%s', (r, value) => {
    expect(reason(() => decryptTunnelPassword(value, SECRET, REQUEST_AUTH))).toBe(r);
  });

  it('refuses a tag above 0x1f, a salt without MSB, an over-long password', () => {
    expect(reason(() => encryptTunnelPassword('a', SECRET, REQUEST_AUTH, 0x8000, 0x20))).toBe('invalid-tag');
    expect(reason(() => encryptTunnelPassword('a', SECRET, REQUEST_AUTH, 0x0001))).toBe('invalid-salt');
    expect(reason(() => encryptTunnelPassword('x'.repeat(240), SECRET, REQUEST_AUTH, 0x8000))).toBe('value-too-long');
  });

  it('is carried as attribute 69', () => {
    const v = encryptTunnelPassword('pw', SECRET, REQUEST_AUTH, 0x8001, 1);
    const p = decodePacket(
      encodePacket({ code: 2, identifier: 0, authenticator: REQUEST_AUTH, attributes: [{ type: Attr.TunnelPassword, value: v }] }),
    );
    expect(decryptTunnelPassword(p.attributes[0]!.value, SECRET, REQUEST_AUTH).password.toString()).toBe('pw');
  });
});
