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

// Scratch for the stream: the previous ciphertext block, and the parts of each MD5 (reused so
// the per-block work allocates nothing; the proxy runs four to six streams per Access-Accept).
const PREV = Buffer.alloc(16);
const KEYSTREAM = Buffer.alloc(16);
const FIRST: Uint8Array[] = [];
const NEXT: Uint8Array[] = [PREV, PREV];

/**
 * The MD5 stream over the 16-octet blocks of `input` (length a multiple of 16), written to
 * `out` at `at` (which may be `input` itself). The first block's hash covers
 * secret || authenticator [|| salt].
 */
function stream(
  input: Uint8Array,
  secret: Secret,
  authenticator: Uint8Array,
  salt: Uint8Array | null,
  decrypt: boolean,
  out: Buffer,
  at: number,
): Buffer {
  const b = KEYSTREAM;
  FIRST.length = 0;
  FIRST.push(key(secret), authenticator);
  if (salt) FIRST.push(salt);
  NEXT[0] = FIRST[0]!;
  for (let i = 0; i < input.length; i += 16) {
    md5Into(b, i === 0 ? FIRST : NEXT);
    // The next block's hash covers this block's ciphertext: read (decrypt) or written (encrypt).
    if (decrypt) for (let j = 0; j < 16; j++) PREV[j] = input[i + j]!;
    for (let j = 0; j < 16; j++) out[at + i + j] = input[i + j]! ^ b[j]!;
    if (!decrypt) for (let j = 0; j < 16; j++) PREV[j] = out[at + i + j]!;
  }
  b.fill(0); // keystream: XOR with the output gives the key back
  PREV.fill(0);
  FIRST.length = 0;
  NEXT[0] = PREV;
  return out;
}

/** `data` length-prefixed and zero-padded to a multiple of 16 (the plaintext of a salted stream). */
function framed(data: Buffer): Buffer {
  const p = Buffer.allocUnsafe(Math.ceil((1 + data.length) / 16) * 16).fill(0);
  p[0] = data.length;
  data.copy(p, 1);
  return p;
}

/** [prefix octets] || Salt(2) || E(framed data): the value of a salted attribute. */
function saltedValue(data: Buffer, secret: Secret, requestAuthenticator: Buffer, salt: number, prefix: number[]): Buffer {
  if (!Number.isInteger(salt) || salt < 0x8000 || salt > 0xffff) {
    throw new RadiusEncodeError('invalid-salt', `0x${salt.toString(16)} (MSB must be set)`);
  }
  const plain = framed(data);
  const out = Buffer.allocUnsafe(prefix.length + 2 + plain.length);
  for (let i = 0; i < prefix.length; i++) out[i] = prefix[i]!;
  out.writeUInt16BE(salt, prefix.length);
  stream(plain, secret, requestAuthenticator, out.subarray(prefix.length, prefix.length + 2), false, out, prefix.length + 2);
  plain.fill(0);
  return out;
}

// ---- MS-MPPE keys ----------------------------------------------------------------------------

/** Encrypt an MS-MPPE-Send/Recv-Key; returns the vendor attribute value Salt || ciphertext. */
export function encryptMppeKey(mppeKey: Buffer, secret: Secret, requestAuthenticator: Buffer, salt: number): Buffer {
  checkAuthenticator(requestAuthenticator);
  if (mppeKey.length === 0) throw new RadiusEncodeError('empty-value', 'empty key');
  // Salt(2) + ciphertext must fit a sub-attribute of a VSA: 253 - 4 - 2 = 247, so 240 of ciphertext.
  if (mppeKey.length > 239) throw new RadiusEncodeError('value-too-long', `${mppeKey.length} octets`);
  return saltedValue(mppeKey, secret, requestAuthenticator, salt, []);
}

/** Decrypt an MS-MPPE-Send/Recv-Key vendor attribute value (Salt || ciphertext). */
export function decryptMppeKey(value: Buffer, secret: Secret, requestAuthenticator: Buffer): Buffer {
  checkAuthenticator(requestAuthenticator);
  if (value.length < 2 + 16) throw new RadiusDecodeError('mppe-too-short', `${value.length} octets`);
  if ((value.length - 2) % 16 !== 0) throw new RadiusDecodeError('mppe-not-padded', `${value.length - 2} octets`);
  if ((value[0]! & 0x80) === 0) throw new RadiusDecodeError('mppe-salt-invalid', 'MSB of salt not set');
  const plain = stream(
    value.subarray(2),
    secret,
    requestAuthenticator,
    value.subarray(0, 2),
    true,
    Buffer.allocUnsafe(value.length - 2),
    0,
  );
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
  const padded = Buffer.allocUnsafe(Math.max(16, Math.ceil(pw.length / 16) * 16)).fill(0);
  pw.copy(padded);
  return stream(padded, secret, requestAuthenticator, null, false, padded, 0);
}

/** Recover a User-Password; trailing NUL padding is removed. */
export function unhidePassword(value: Buffer, secret: Secret, requestAuthenticator: Buffer): Buffer {
  checkAuthenticator(requestAuthenticator);
  if (value.length < 16 || value.length > 128 || value.length % 16 !== 0) {
    throw new RadiusDecodeError('password-bad-length', `${value.length} octets`);
  }
  const plain = stream(value, secret, requestAuthenticator, null, true, Buffer.allocUnsafe(value.length), 0);
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
  return saltedValue(pw, secret, requestAuthenticator, salt, [tag]);
}

/** Decrypt a Tunnel-Password attribute value (Tag || Salt || ciphertext). */
export function decryptTunnelPassword(value: Buffer, secret: Secret, requestAuthenticator: Buffer): { tag: number; password: Buffer } {
  checkAuthenticator(requestAuthenticator);
  if (value.length < 3 + 16) throw new RadiusDecodeError('tunnel-password-too-short', `${value.length} octets`);
  const tag = value[0]!;
  if (tag > 0x1f) throw new RadiusDecodeError('tunnel-password-tag-invalid', `tag 0x${tag.toString(16)}`);
  if ((value.length - 3) % 16 !== 0) throw new RadiusDecodeError('tunnel-password-not-padded');
  if ((value[1]! & 0x80) === 0) throw new RadiusDecodeError('tunnel-password-salt-invalid', 'MSB of salt not set');
  const plain = stream(
    value.subarray(3),
    secret,
    requestAuthenticator,
    value.subarray(1, 3),
    true,
    Buffer.allocUnsafe(value.length - 3),
    0,
  );
  const len = plain[0]!;
  if (len > plain.length - 1) {
    throw new RadiusDecodeError('tunnel-password-length-invalid', `length ${len} in ${plain.length} octets`);
  }
  return { tag, password: plain.subarray(1, 1 + len) };
}
