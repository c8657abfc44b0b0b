import { describe, expect, it } from 'vitest';
import { decodeRadiotap, freqToChannel, FrameDecodeError } from '../../../adapters/pcap/index.js';
import { cat, radiotap, u16le, u32le } from './build.js';

const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof FrameDecodeError ? e.reason : `not a FrameDecodeError: ${String(e)}`;
  }
  return 'no error';
};

describe('radiotap', () => {
  it('decodes TSFT, flags, rate, channel, signal, noise and antenna with their alignment', () => {
    const b = radiotap({ tsft: 1795648461098932, flags: 0x10, rate: 2, freq: 2412, chFlags: 0x00a0, signal: -45, noise: -95, antenna: 1 });
    expect(decodeRadiotap(b)).toEqual({
      length: b.length,
      tsftUs: 1795648461098932,
      flags: 0x10,
      rateKbps: 1000,
      freqMhz: 2412,
      channelFlags: 0x00a0,
      channel: 1,
      signalDbm: -45,
      noiseDbm: -95,
      antenna: 1,
    });
  });

  it('aligns fields: channel after a lone flags octet starts on an even offset', () => {
    const b = radiotap({ flags: 0, freq: 5180 });
    expect(b.length).toBe(8 + 1 + 1 + 4);
    expect(decodeRadiotap(b)).toMatchObject({ freqMhz: 5180, channel: 36 });
  });

  it('reads the first namespace and keeps the first signal when per-antenna namespaces follow', () => {
    // mac80211's layout: word 0 (flags, channel, signal, then another radiotap-namespace word), then one word per antenna.
    const present0 = (1 << 1) | (1 << 3) | (1 << 5) | (1 << 29) | (1 << 31);
    const present1 = (1 << 5) | (1 << 11) | (1 << 29) | (1 << 31);
    const present2 = (1 << 5) | (1 << 11);
    const fields = cat([0x00], [0], u16le(2437), u16le(0x00a0), [0xd3 /* -45 */], [0xce /* -50 */, 0], [0xc9 /* -55 */, 1]);
    const body = cat(u32le(present0), u32le(present1), u32le(present2), fields);
    const b = cat([0, 0], u16le(4 + body.length), body);
    expect(decodeRadiotap(b)).toMatchObject({ freqMhz: 2437, channel: 6, signalDbm: -45, antenna: 0 });
  });

  it('skips a vendor namespace by its skip length and resumes the radiotap namespace', () => {
    const present0 = (1 << 1) | (1 << 30) | (1 << 31); // flags, then vendor namespace next
    const present1 = (1 << 0) | (1 << 29) | (1 << 31); // a vendor field, then back to radiotap
    const present2 = 1 << 5; // signal
    // data: flags(1) pad(1) vendor header OUI(3) subns(1) skip(2)=3, vendor data(3), signal(1)
    const data = cat([0x02, 0], [0x00, 0x11, 0x22, 0], u16le(3), [9, 9, 9], [0xc4]);
    const body = cat(u32le(present0), u32le(present1), u32le(present2), data);
    const b = cat([0, 0], u16le(4 + body.length), body);
    expect(decodeRadiotap(b)).toMatchObject({ flags: 0x02, signalDbm: -60 });
  });

  it('stops (without error) at a field whose size it cannot know', () => {
    const b = cat([0, 0], u16le(12), u32le((1 << 1) | (1 << 28)), [0x10, 0, 0, 0]);
    expect(decodeRadiotap(b)).toMatchObject({ flags: 0x10, length: 12 });
  });

  it('counts malformed headers by reason', () => {
    expect(reason(() => decodeRadiotap(Buffer.alloc(4)))).toBe('radiotap-short');
    expect(reason(() => decodeRadiotap(cat([1, 0], u16le(8), u32le(0))))).toBe('radiotap-version');
    expect(reason(() => decodeRadiotap(cat([0, 0], u16le(40), u32le(0))))).toBe('radiotap-length');
    expect(reason(() => decodeRadiotap(cat([0, 0], u16le(8), u32le(0x80000000))))).toBe('radiotap-present-overrun');
    expect(reason(() => decodeRadiotap(cat([0, 0], u16le(10), u32le(1), [0, 0])))).toBe('radiotap-field-overrun');
    expect(reason(() => decodeRadiotap(cat([0, 0], u16le(12), u32le(1 << 30), [0, 0, 0, 0])))).toBe('radiotap-vendor-overrun');
  });

  it('maps frequencies to channels in the 2.4, 5 and 6 GHz bands', () => {
    expect([2412, 2437, 2472, 2484, 5180, 5825, 5955, 6415, 5935, 900].map(freqToChannel)).toEqual([
      1,
      6,
      13,
      14,
      36,
      165,
      1,
      93,
      2,
      undefined,
    ]);
  });
});
