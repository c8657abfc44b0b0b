// Radiotap header decoder (https://www.radiotap.org): the per-frame radio metadata a monitor
// interface prepends. We need signal, channel and the flags that change how the 802.11 frame that
// follows must be read (FCS present, padding after the header, bad FCS). Fields are walked in bit
// order with their natural alignment, counted from the start of the header; a field we do not know
// the size of ends the walk (everything after it is unreachable), which is not an error.
import { FrameDecodeError, need } from './errors.js';

export interface Radiotap {
  /** Header length: the 802.11 frame starts here. */
  length: number;
  tsftUs?: number;
  flags: number;
  rateKbps?: number;
  freqMhz?: number;
  channel?: number;
  channelFlags?: number;
  signalDbm?: number;
  noiseDbm?: number;
  antenna?: number;
}

export const RT_FLAG_FCS = 0x10;
export const RT_FLAG_DATA_PAD = 0x20;
export const RT_FLAG_BAD_FCS = 0x40;

// [alignment, size] of radiotap namespace fields 0..27 (bit 28 starts TLVs: size unknown here).
const FIELDS: ReadonlyArray<readonly [number, number]> = [
  [8, 8],
  [1, 1],
  [1, 1],
  [2, 4],
  [1, 2],
  [1, 1],
  [1, 1],
  [2, 2],
  [2, 2],
  [2, 2],
  [1, 1],
  [1, 1],
  [1, 1],
  [1, 1],
  [2, 2],
  [2, 2],
  [1, 1],
  [1, 1],
  [4, 8],
  [1, 3],
  [4, 8],
  [2, 12],
  [8, 12],
  [2, 12],
  [2, 12],
  [2, 6],
  [1, 1],
  [2, 4],
];

/** Channel number for a centre frequency (2.4, 5 and 6 GHz bands). */
export function freqToChannel(mhz: number): number | undefined {
  if (mhz === 2484) return 14;
  if (mhz >= 2412 && mhz <= 2472) return (mhz - 2407) / 5;
  if (mhz >= 5955 && mhz <= 7115) return (mhz - 5950) / 5;
  if (mhz === 5935) return 2; // 6 GHz channel 2 is the one exception to the 5950 base
  if (mhz >= 4910 && mhz <= 5885) return (mhz - 5000) / 5;
  return undefined;
}

export function decodeRadiotap(b: Buffer): Radiotap {
  need(b.length >= 8, 'radiotap-short');
  need(b[0] === 0, 'radiotap-version');
  const length = b.readUInt16LE(2);
  need(length >= 8 && length <= b.length, 'radiotap-length');
  const rt: Radiotap = { length, flags: 0 };
  // Presence words: each with bit 31 set is followed by another.
  const words: number[] = [];
  let p = 4;
  for (;;) {
    need(p + 4 <= length, 'radiotap-present-overrun');
    const w = b.readUInt32LE(p);
    words.push(w);
    p += 4;
    if ((w & 0x80000000) === 0) break;
  }
  let off = p;
  let ns: 'radiotap' | 'vendor' | 'unknown' = 'radiotap';
  let seenSignal = false;
  let seenFlags = false;
  for (const w of words) {
    if (ns === 'unknown' && (w & 0x1fffffff) !== 0) return rt; // fields of unknown size follow
    if (ns === 'radiotap') {
      for (let bit = 0; bit <= 28; bit++) {
        if ((w & (1 << bit)) === 0) continue;
        const f = FIELDS[bit];
        if (!f) return rt; // TLVs or a future field: the rest is unreachable, keep what we have
        const [align, size] = f;
        off = (off + align - 1) & ~(align - 1);
        if (off + size > length) throw new FrameDecodeError('radiotap-field-overrun', `field ${bit}`);
        // Only the first occurrence of a field is the frame's; later namespaces repeat signal per antenna.
        switch (bit) {
          case 0:
            if (rt.tsftUs === undefined) rt.tsftUs = b.readUInt32LE(off + 4) * 4294967296 + b.readUInt32LE(off);
            break;
          case 1:
            if (!seenFlags) {
              rt.flags = b[off]!;
              seenFlags = true;
            }
            break;
          case 2:
            if (rt.rateKbps === undefined) rt.rateKbps = b[off]! * 500;
            break;
          case 3:
            if (rt.freqMhz === undefined) {
              rt.freqMhz = b.readUInt16LE(off);
              rt.channelFlags = b.readUInt16LE(off + 2);
              rt.channel = freqToChannel(rt.freqMhz);
            }
            break;
          case 5:
            if (!seenSignal) {
              rt.signalDbm = b.readInt8(off);
              seenSignal = true;
            }
            break;
          case 6:
            if (rt.noiseDbm === undefined) rt.noiseDbm = b.readInt8(off);
            break;
          case 11:
            if (rt.antenna === undefined) rt.antenna = b[off];
            break;
          default:
            break;
        }
        off += size;
      }
    }
    // Bits 29/30 say which namespace the *next* word belongs to; the vendor namespace field sits in
    // the data at this point (OUI, sub-namespace, skip length) and its data is skipped whole.
    if (w & 0x40000000) {
      off = (off + 1) & ~1;
      need(off + 6 <= length, 'radiotap-vendor-overrun');
      const skip = b.readUInt16LE(off + 4);
      off += 6 + skip;
      need(off <= length, 'radiotap-vendor-overrun');
      ns = 'vendor';
    } else if (w & 0x20000000) {
      ns = 'radiotap';
    } else if (ns === 'radiotap' && w & 0x80000000) {
      ns = 'unknown'; // radiotap bits 32+ are not defined: stop reading fields
    }
  }
  return rt;
}
