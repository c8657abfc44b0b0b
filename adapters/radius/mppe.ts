// Hidden attribute values. All three use the same MD5 stream construction:
//   b1 = MD5(secret || RequestAuthenticator [|| salt]),  c1 = p1 XOR b1
//   bi = MD5(secret || c(i-1)),                          ci = pi XOR bi
// - User-Password (RFC 2865 §5.2): no salt.
// - MS-MPPE-Send/Recv-Key (RFC 2548 §2.4.2/§2.4.3): value = Salt(2) || E(KeyLength(1) || Key || zero pad).
// - Tunnel-Password (RFC 2868 §3.5): value = Tag(1) || Salt(2) || E(DataLength(1) || Password || zero pad).
// The Request Authenticator is that of the Access-Request being answered, so a proxy must decrypt
// and re-encrypt these (with fresh salts) whenever it forwards a packet under a new authenticator.
import { md5Into } from './md5.js';
import { randomOctets } from '../../daemon/common/random-pool.js';
import { AUTHENTICATOR_LENGTH } from './codes.js';
import { RadiusDecodeError, RadiusEncodeError } from './packet.js';
import type { Secret } from './authenticators.js';

const key = (secret: Secret): Buffer => (typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);

function checkAuthenticator(a: Buffer): void {
  if (a.length !== AUTHENTICATOR_LENGTH) throw new RadiusEncodeError('authenticator-bad-length');
}

/** The MD5 stream over 16-octet blocks; `input.length` must be a multiple of 16. */
function stream(input: Buffer, secret: Secret, first: Buffer[], decrypt: boolean): Buffer {
  const k = key(secret);
  const out = Buffer.allocUnsafe(input.length);
  let prevCipher: Buffer | null = null;
  const b = Buffer.allocUnsafe(16);
  for (let i = 0; i < input.length; i += 16) {
    if (prevCipher) md5Into(b, k, prevCipher);
    else md5Into(b, k, ...first);
    for (let j = 0; j < 16; j++) out[i + j] = input[i + j]! ^ b[j]!;
    prevCipher = (decrypt ? input : out).subarray(i, i + 16);
  }
  b.fill(0); // keystream: XOR with the output gives the key back
  return out;
}

/** Length-prefixed plaintext, zero-padded to a multiple of 16. */
function framed(data: Buffer): Buffer {
  const p = Buffer.alloc(Math.ceil((1 + data.length) / 16) * 16);
  p[0] = data.length;
  data.copy(p, 1);
  return p;
}

function saltBytes(salt: number): Buffer {
  if (!Number.isInteger(salt) || salt < 0x8000 || salt > 0xffff) {
    throw new RadiusEncodeError('invalid-salt', `0x${salt.toString(16)} (MSB must be set)`);
  }
  const s = Buffer.alloc(2);
  s.writeUInt16BE(salt, 0);
  return s;
}

// ---- MS-MPPE keys ----------------------------------------------------------------------------

/** Encrypt an MS-MPPE-Send/Recv-Key; returns the vendor attribute value Salt || ciphertext. */
export function encryptMppeKey(mppeKey: Buffer, secret: Secret, requestAuthenticator: Buffer, salt: number): Buffer {
  checkAuthenticator(requestAuthenticator);
  if (mppeKey.length === 0) throw new RadiusEncodeError('empty-value', 'empty key');
  // Salt(2) + ciphertext must fit a sub-attribute of a VSA: 253 - 4 - 2 = 247, so 240 of ciphertext.
  if (mppeKey.length > 239) throw new RadiusEncodeError('value-too-long', `${mppeKey.length} octets`);
  const s = saltBytes(salt);
  return Buffer.concat([s, stream(framed(mppeKey), secret, [requestAuthenticator, s], false)]);
}

/** Decrypt an MS-MPPE-Send/Recv-Key vendor attribute value (Salt || ciphertext). */
export function decryptMppeKey(value: Buffer, secret: Secret, requestAuthenticator: Buffer): Buffer {
  checkAuthenticator(requestAuthenticator);
  if (value.length < 2 + 16) throw new RadiusDecodeError('mppe-too-short', `${value.length} octets`);
  if ((value.length - 2) % 16 !== 0) throw new RadiusDecodeError('mppe-not-padded', `${value.length - 2} octets`);
  if ((value[0]! & 0x80) === 0) throw new RadiusDecodeError('mppe-salt-invalid', 'MSB of salt not set');
  const plain = stream(value.subarray(2), secret, [requestAuthenticator, value.subarray(0, 2)], true);
  const len = plain[0]!;
  if (len === 0 || len > plain.length - 1) {
    plain.fill(0);
    throw new RadiusDecodeError('mppe-key-length-invalid', `key length ${len} in ${plain.length} octets`);
  }
  const out = Buffer.from(plain.subarray(1, 1 + len));
  plain.fill(0);
  return out;
}

/** Two distinct random salts with the MSB set, for the Send and Recv keys of one response. */
export function freshSalts(): [number, number] {
  for (;;) {
    const r = randomOctets(4);
    const a = r.readUInt16BE(0) | 0x8000;
    const b = r.readUInt16BE(2) | 0x8000;
    if (a !== b) return [a, b];
  }
}

// ---- User-Password ---------------------------------------------------------------------------

/** Hide a User-Password (RFC 2865 §5.2): zero-padded to a multiple of 16, at most 128 octets. */
export function hidePassword(password: string | Buffer, secret: Secret, requestAuthenticator: Buffer): Buffer {
  checkAuthenticator(requestAuthenticator);
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  if (pw.length > 128) throw new RadiusEncodeError('value-too-long', `${pw.length} octets`);
  const padded = Buffer.alloc(Math.max(16, Math.ceil(pw.length / 16) * 16));
  pw.copy(padded);
  return stream(padded, secret, [requestAuthenticator], false);
}

/** Recover a User-Password; trailing NUL padding is removed. */
export function unhidePassword(value: Buffer, secret: Secret, requestAuthenticator: Buffer): Buffer {
  checkAuthenticator(requestAuthenticator);
  if (value.length < 16 || value.length > 128 || value.length % 16 !== 0) {
    throw new RadiusDecodeError('password-bad-length', `${value.length} octets`);
  }
  const plain = stream(value, secret, [requestAuthenticator], true);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return plain.subarray(0, end);
}

// ---- Tunnel-Password -------------------------------------------------------------------------

/** Encrypt a Tunnel-Password; returns the attribute value Tag || Salt || ciphertext. */
export function encryptTunnelPassword(
  password: string | Buffer,
  secret: Secret,
  requestAuthenticator: Buffer,
  salt: number,
  tag = 0,
): Buffer {
  checkAuthenticator(requestAuthenticator);
  if (!Number.isInteger(tag) || tag < 0 || tag > 0x1f) throw new RadiusEncodeError('invalid-tag', String(tag));
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  // Tag(1) + Salt(2) + ciphertext <= 253, so at most 240 of ciphertext.
  if (pw.length > 239) throw new RadiusEncodeError('value-too-long', `${pw.length} octets`);
  const s = saltBytes(salt);
  return Buffer.concat([Buffer.of(tag), s, stream(framed(pw), secret, [requestAuthenticator, s], false)]);
}

/** Decrypt a Tunnel-Password attribute value (Tag || Salt || ciphertext). */
export function decryptTunnelPassword(
  value: Buffer,
  secret: Secret,
  requestAuthenticator: Buffer,
): { tag: number; password: Buffer } {
  checkAuthenticator(requestAuthenticator);
  if (value.length < 3 + 16) throw new RadiusDecodeError('tunnel-password-too-short', `${value.length} octets`);
  const tag = value[0]!;
  if (tag > 0x1f) throw new RadiusDecodeError('tunnel-password-tag-invalid', `tag 0x${tag.toString(16)}`);
  if ((value.length - 3) % 16 !== 0) throw new RadiusDecodeError('tunnel-password-not-padded');
  if ((value[1]! & 0x80) === 0) throw new RadiusDecodeError('tunnel-password-salt-invalid', 'MSB of salt not set');
  const plain = stream(value.subarray(3), secret, [requestAuthenticator, value.subarray(1, 3)], true);
  const len = plain[0]!;
  if (len > plain.length - 1) {
    throw new RadiusDecodeError('tunnel-password-length-invalid', `length ${len} in ${plain.length} octets`);
  }
  return { tag, password: plain.subarray(1, 1 + len) };
}
