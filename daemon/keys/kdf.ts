import { hmac } from '../common/digest.js';

// IEEE 802.11 KDF-Hash-Length (hostapd sha256_prf_bits / sha384_prf):
// block_i = HMAC(K, LE16(i) || label || context || LE16(bits)); label has no NUL.

export type KdfHash = 'sha256' | 'sha384';

export function kdf(hash: KdfHash, key: Uint8Array, label: string, context: Uint8Array, bits: number): Buffer {
  const octets = Math.ceil(bits / 8);
  const counter = Buffer.allocUnsafe(2);
  const length = Buffer.allocUnsafe(2);
  length.writeUInt16LE(bits);
  const labelBytes = Buffer.from(label, 'ascii');
  const blocks: Buffer[] = [];
  let produced = 0;
  for (let i = 1; produced < octets; i++) {
    counter.writeUInt16LE(i);
    const block = hmac(hash, key, counter, labelBytes, context, length);
    blocks.push(block);
    produced += block.length;
  }
  const out = Buffer.concat(blocks).subarray(0, octets);
  const spare = octets * 8 - bits;
  if (spare > 0) out[octets - 1]! &= (0xff << spare) & 0xff;
  return out;
}
