import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeStationKeys, encodeStationKeys, SealedBox } from '../../../adapters/store/sealed-box.js';
import type { StationKeys } from '../../../daemon/records/station.js';

describe('SealedBox', () => {
  const master = randomBytes(32);
  const ctx = Buffer.from('station-keys\0aa:bb:cc:dd:ee:ff');

  it('seals with a fresh IV each time and opens only with the same key, purpose and context', () => {
    const box = new SealedBox(master, 'test');
    const plain = Buffer.from('secret');
    const a = box.seal(plain, ctx);
    const b = box.seal(plain, ctx);
    expect(a).toHaveLength(1 + 12 + plain.length + 16);
    expect(a[0]).toBe(1);
    expect(a.equals(b)).toBe(false);
    expect(box.open(a, ctx)).toEqual({ ok: true, plaintext: plain });
    expect(box.open(a, Buffer.from('station-keys\0aa:bb:cc:dd:ee:fe')).ok).toBe(false);
    expect(new SealedBox(master, 'other purpose').open(a, ctx).ok).toBe(false);
    expect(new SealedBox(randomBytes(32), 'test').open(a, ctx).ok).toBe(false);
    for (let i = 0; i < a.length; i++) {
      const bad = Buffer.from(a);
      bad[i] ^= 0x80;
      expect(box.open(bad, ctx).ok).toBe(false);
    }
  });

  it('is unusable after destroy()', () => {
    const box = new SealedBox(master, 'test');
    const sealed = box.seal(Buffer.from('x'), ctx);
    box.destroy();
    expect(box.open(sealed, ctx).ok).toBe(false);
  });
});

describe('StationKeys encoding', () => {
  it('round-trips every mix of present and absent keys compactly', () => {
    const full: StationKeys = { pmk: randomBytes(48), mpmk: randomBytes(32), pmkR0: randomBytes(48), pmkR0Name: randomBytes(16) };
    const encoded = encodeStationKeys(full);
    expect(encoded).toHaveLength(1 + 4 + 48 + 32 + 48 + 16);
    expect(decodeStationKeys(encoded)).toEqual(full);
    const none: StationKeys = { pmk: null, mpmk: null, pmkR0: null, pmkR0Name: null };
    expect(decodeStationKeys(encodeStationKeys(none))).toEqual(none);
    const empty: StationKeys = { ...none, pmk: Buffer.alloc(0) };
    expect(decodeStationKeys(encodeStationKeys(empty))).toEqual(empty);
  });

  it('rejects truncated, padded, oversized and unknown-version input', () => {
    const enc = encodeStationKeys({ pmk: randomBytes(32), mpmk: null, pmkR0: null, pmkR0Name: null });
    expect(() => decodeStationKeys(enc.subarray(0, enc.length - 1))).toThrow(/truncated/);
    expect(() => decodeStationKeys(Buffer.concat([enc, Buffer.of(0)]))).toThrow(/trailing/);
    expect(() => decodeStationKeys(Buffer.concat([Buffer.of(9), enc.subarray(1)]))).toThrow(/unknown station keys format 9/);
    expect(() => encodeStationKeys({ pmk: Buffer.alloc(255), mpmk: null, pmkR0: null, pmkR0Name: null })).toThrow(/at most 254/);
  });
});
