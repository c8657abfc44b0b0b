import { describe, expect, it } from 'vitest';
import { normalizeMac, parseMac, macToBytes, bytesToMac, macAt, writeMac, isGroupMac } from '../../../daemon/common/mac.js';

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
    expect(macToBytes('AA-BB-CC-DD-EE-0F').toString('hex')).toBe('aabbccddee0f');
    expect(() => macToBytes('aa:bb')).toThrow(/not a MAC address/);
  });
  it('reads and writes the octets inside a larger buffer', () => {
    const b = Buffer.alloc(14, 0xee);
    writeMac('02:00:00:00:01:0a', b, 4);
    expect(b.toString('hex')).toBe('eeeeeeee02000000010aeeeeeeee');
    expect(macAt(b, 4)).toBe('02:00:00:00:01:0a');
    expect(() => writeMac('02:00:00:00:01:0a', b, 9)).toThrow(RangeError);
    expect(() => writeMac('02:00:00:00:01:0a', b, -1)).toThrow(RangeError);
    expect(() => writeMac('nope', b, 0)).toThrow(/not a MAC address/);
    for (let v = 0; v < 256; v += 17)
      expect(macAt(Buffer.alloc(6, v), 0)).toBe(
        Buffer.alloc(6, v)
          .toString('hex')
          .replace(/(..)(?!$)/g, '$1:'),
      );
  });
  it('tells group addresses by the I/G bit', () => {
    expect(isGroupMac('ff:ff:ff:ff:ff:ff')).toBe(true);
    expect(isGroupMac('01:80:c2:00:00:0e')).toBe(true);
    expect(isGroupMac('33:33:00:00:00:01')).toBe(true);
    expect(isGroupMac('02:00:00:00:09:00')).toBe(false);
  });
});
