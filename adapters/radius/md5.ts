// MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) for RADIUS, in JavaScript. Why not node:crypto: a
// proxied Access-Accept needs ~26 MD5 computations (authenticators, Message-Authenticator, the
// User-Password and MS-MPPE key streams), almost all of one or two 64-octet blocks. A call into
// OpenSSL costs ~0.6 µs and a fresh ArrayBuffer for the result whatever the input size; this
// costs ~0.17 µs per block and allocates nothing but the 16-octet result. HMAC keys are kept
// with the MD5 state after the padded key block, so a Message-Authenticator is two blocks cheaper.

const SHIFT = new Int32Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11,
  16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);
// T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 §3.4.
const T = new Int32Array(64);
for (let i = 0; i < 64; i++) T[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

const INITIAL = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
const W = new Int32Array(16);

function compress(state: Int32Array, bytes: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) {
    W[i] = bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
  }
  let a = state[0]!,
    b = state[1]!,
    c = state[2]!,
    d = state[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number, g: number;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const x = (a + f + T[i]! + W[g]!) | 0;
    const s = SHIFT[i]!;
    a = d;
    d = c;
    c = b;
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

const TAIL = new Uint8Array(128);
const STATE = new Int32Array(4);

/**
 * Finishes MD5 over `parts`, starting from `start` (the state after `prefixLength` octets,
 * a multiple of 64, were absorbed). The parts are absorbed as one message without being joined.
 */
function finish(start: Int32Array, prefixLength: number, parts: readonly Uint8Array[], out: Buffer): Buffer {
  STATE.set(start);
  let total = prefixLength;
  let fill = 0; // octets waiting in TAIL
  for (const p of parts) {
    total += p.length;
    let i = 0;
    if (fill > 0) {
      const take = Math.min(64 - fill, p.length);
      TAIL.set(p.subarray(0, take), fill);
      fill += take;
      i = take;
      if (fill < 64) continue;
      compress(STATE, TAIL, 0);
      fill = 0;
    }
    for (; i + 64 <= p.length; i += 64) compress(STATE, p, i);
    for (; i < p.length; i++) TAIL[fill++] = p[i]!;
  }
  TAIL.fill(0, fill);
  TAIL[fill] = 0x80;
  const end = fill < 56 ? 64 : 128;
  const bits = total * 8;
  TAIL[end - 8] = bits & 0xff;
  TAIL[end - 7] = (bits >>> 8) & 0xff;
  TAIL[end - 6] = (bits >>> 16) & 0xff;
  TAIL[end - 5] = (bits >>> 24) & 0xff;
  TAIL[end - 4] = Math.floor(bits / 2 ** 32) & 0xff;
  compress(STATE, TAIL, 0);
  if (end === 128) compress(STATE, TAIL, 64);
  for (let i = 0; i < 4; i++) out.writeInt32LE(STATE[i]!, 4 * i);
  return out;
}

/** MD5(parts[0] || parts[1] || ...). */
export function md5(...parts: Uint8Array[]): Buffer {
  return finish(INITIAL, 0, parts, Buffer.allocUnsafe(16));
}

/**
 * MD5 of the concatenated parts written into `out` (16 octets), for loops that would otherwise
 * allocate a digest and an arguments array per block: the caller keeps both.
 */
export function md5Into(out: Buffer, parts: readonly Uint8Array[]): Buffer {
  return finish(INITIAL, 0, parts, out);
}

/** An HMAC-MD5 key with its inner and outer pads already absorbed. */
export class HmacMd5Key {
  private readonly inner = new Int32Array(INITIAL);
  private readonly outer = new Int32Array(INITIAL);

  constructor(key: Uint8Array) {
    const k = key.length > 64 ? md5(key) : key;
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = (k[i] ?? 0) ^ 0x36;
    compress(this.inner, pad, 0);
    for (let i = 0; i < 64; i++) pad[i] = (k[i] ?? 0) ^ 0x5c;
    compress(this.outer, pad, 0);
  }

  mac(...parts: Uint8Array[]): Buffer {
    const out = Buffer.allocUnsafe(16);
    finish(this.inner, 64, parts, out);
    return finish(this.outer, 64, [out], out);
  }
}

const keys = new WeakMap<Buffer, { bytes: Buffer; key: HmacMd5Key }>();

/**
 * HMAC-MD5. The pads of a key are computed once and kept while that Buffer lives (the RADIUS
 * secrets are long-lived Buffers); a Buffer whose contents changed is keyed again.
 */
export function hmacMd5(key: Buffer, ...parts: Uint8Array[]): Buffer {
  let k = keys.get(key);
  if (!k?.bytes.equals(key)) keys.set(key, (k = { bytes: Buffer.from(key), key: new HmacMd5Key(key) }));
  return k.key.mac(...parts);
}
