import { describe, expect, it } from 'vitest';
import { normalizeMac, parseMac, macToBytes, bytesToMac } from '../../../daemon/common/mac.js';

describe('MAC addresses', () => {
  it('accepts the forms RADIUS and hostapd use', () => {
    expect(normalizeMac('AA-BB-CC-DD-EE-0F')).toBe('aa:bb:cc:dd:ee:0f');
    expect(normalizeMac('aa:bb:cc:dd:ee:0f')).toBe('aa:bb:cc:dd:ee:0f');
    expect(normalizeMac('AABBCCDDEE0F')).toBe('aa:bb:cc:dd:ee:0f');
  });
  it('rejects mixed separators, short and junk input', () => {
    for (const bad of ['aa:bb-cc:dd:ee:ff', 'aa:bb:cc:dd:ee', 'zz:bb:cc:dd:ee:ff', '', 'aa:bb:cc:dd:ee:ff:00']) {
      expect(normalizeMac(bad)).toBeNull();
    }
    expect(() => parseMac('nope', 'Calling-Station-Id')).toThrow(/Calling-Station-Id "nope"/);
  });
  it('converts to and from octets', () => {
    expect(bytesToMac(macToBytes('02:00:00:00:01:00'))).toBe('02:00:00:00:01:00');
    expect(() => bytesToMac(Buffer.alloc(5))).toThrow(/6 octets/);
  });
});
