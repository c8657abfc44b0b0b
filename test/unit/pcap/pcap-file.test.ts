import { describe, expect, it } from 'vitest';
import { CaptureFormatError, CaptureReader, readCaptureBuffer, type CapturedPacket } from '../../../adapters/pcap/index.js';
import { cat, ngBlock, ngInterface, ngPacket, ngSection, pcapFile, u16le, u32le } from './build.js';

const collect = (buf: Buffer) => {
  const got: { ts: number; linkType: number; data: string; origLen: number; iface: number }[] = [];
  const stats = readCaptureBuffer(buf, (p: CapturedPacket) =>
    got.push({ ts: p.ts, linkType: p.linkType, data: p.data.toString('hex'), origLen: p.origLen, iface: p.interfaceId }),
  );
  return { got, stats };
};

const recs = [
  { ts: 1_700_000_000_123.456, data: Buffer.from('0102030405', 'hex') },
  { ts: 1_700_000_001_000.001, data: Buffer.from('aabb', 'hex'), origLen: 100 },
];

describe('classic pcap', () => {
  it.each([
    ['little-endian µs', {}],
    ['big-endian µs', { be: true }],
    ['little-endian ns', { nanos: true }],
    ['big-endian ns', { be: true, nanos: true }],
  ])('%s: timestamps, link type, lengths', (_n, o) => {
    const { got, stats } = collect(pcapFile(recs, { ...o, linkType: 105 }));
    expect(stats).toMatchObject({ format: 'pcap', packets: 2, truncatedTailBytes: 0 });
    expect(got.map((g) => g.data)).toEqual(['0102030405', 'aabb']);
    expect(got[0]!.ts).toBeCloseTo(recs[0]!.ts, 3);
    expect(got[1]!.ts).toBeCloseTo(recs[1]!.ts, 3);
    expect(got[1]!.origLen).toBe(100);
    expect(got.every((g) => g.linkType === 105)).toBe(true);
  });

  it('masks the FCS-length bits out of the link type word', () => {
    const f = pcapFile(recs);
    f.writeUInt32LE(0x10000000 | 127, 20);
    expect(collect(f).got[0]!.linkType).toBe(127);
  });

  it('streams: the same packets whatever the chunk boundaries', async () => {
    const f = pcapFile(recs);
    const whole = collect(f).got;
    for (const size of [1, 2, 3, 7, 16, 17, 24, 25]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < f.length; i += size) chunks.push(f.subarray(i, i + size));
      const got: string[] = [];
      const reader = new CaptureReader((p) => got.push(p.data.toString('hex')));
      for (const c of chunks) reader.push(c);
      reader.end();
      expect(got).toEqual(whole.map((g) => g.data));
    }
  });

  it('reports a record cut short at the end instead of failing', () => {
    const f = pcapFile(recs);
    const { got, stats } = collect(f.subarray(0, f.length - 1));
    expect(got).toHaveLength(1);
    expect(stats.truncatedTailBytes).toBe(16 + 1);
  });

  it('is strict about the header and record lengths', () => {
    expect(() => collect(Buffer.from('not a capture file at all'))).toThrow(CaptureFormatError);
    expect(() => collect(Buffer.alloc(0))).toThrow(/empty/);
    const v1 = pcapFile(recs);
    v1.writeUInt16LE(1, 4);
    expect(() => collect(v1)).toThrow(/version 1/);
    const huge = pcapFile(recs);
    huge.writeUInt32LE(10_000_000, 24 + 8);
    expect(() => collect(huge)).toThrow(/claims 10000000/);
    const frac = pcapFile(recs);
    frac.writeUInt32LE(1_000_000, 24 + 4);
    expect(() => collect(frac)).toThrow(/fraction/);
  });
});

describe('pcapng', () => {
  const d1 = Buffer.from('0102030405', 'hex');
  const d2 = Buffer.from('aabbcc', 'hex');

  it('reads enhanced, simple and obsolete packet blocks with per-interface resolution', () => {
    const spb = ngBlock(3, cat(u32le(3), d2));
    const opb = ngBlock(2, cat(u16le(1), u16le(0), u32le(0), u32le(1_700_000_000), u32le(3), u32le(3), d2));
    const f = cat(
      ngSection(),
      ngInterface(127),
      ngInterface(105, 9),
      ngBlock(4, Buffer.alloc(8)), // name resolution: skipped
      ngPacket(0, 1_700_000_000_123_456n, d1),
      ngPacket(1, 1_700_000_000_123_456_789n, d1),
      spb,
      opb,
    );
    const { got, stats } = collect(f);
    expect(stats).toMatchObject({ format: 'pcapng', packets: 4, skippedBlocks: 1 });
    expect(got[0]).toMatchObject({ linkType: 127, data: '0102030405', iface: 0 });
    expect(got[0]!.ts).toBeCloseTo(1_700_000_000_123.456, 3);
    expect(got[1]).toMatchObject({ linkType: 105, iface: 1 });
    expect(got[1]!.ts).toBeCloseTo(1_700_000_000_123.4568, 3);
    expect(got[2]).toMatchObject({ linkType: 127, data: 'aabbcc', ts: 0 });
    expect(got[3]).toMatchObject({ linkType: 105, data: 'aabbcc', iface: 1 });
    expect(got[3]!.ts).toBeCloseTo(1_700_000_000 / 1e6, 6); // ns units on interface 1
  });

  it('binary (2^-n) resolution and a second section with its own interfaces', () => {
    const f = cat(
      ngSection(),
      ngInterface(127, 0x80 | 10),
      ngPacket(0, 1024n * 5n, d1),
      ngSection(),
      ngInterface(105),
      ngPacket(0, 2000n, d2),
    );
    const { got } = collect(f);
    expect(got[0]).toMatchObject({ ts: 5000, linkType: 127 });
    expect(got[1]).toMatchObject({ ts: 2, linkType: 105 });
  });

  it('streams across chunk boundaries', async () => {
    const f = cat(ngSection(), ngInterface(127), ngPacket(0, 1n, d1), ngPacket(0, 2n, d2));
    for (const size of [1, 5, 13]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < f.length; i += size) chunks.push(f.subarray(i, i + size));
      const got: string[] = [];
      const reader = new CaptureReader((p) => got.push(p.data.toString('hex')));
      for (const c of chunks) reader.push(c);
      const stats = reader.end();
      expect(got).toEqual(['0102030405', 'aabbcc']);
      expect(stats.packets).toBe(2);
    }
  });

  it('is strict about block structure', () => {
    const good = cat(ngSection(), ngInterface(127), ngPacket(0, 1n, d1));
    const trailer = Buffer.from(good);
    trailer.writeUInt32LE(999, trailer.length - 4);
    expect(() => collect(trailer)).toThrow(/trailing length/);
    const odd = Buffer.from(good);
    odd.writeUInt32LE(30, ngSection().length + 4);
    expect(() => collect(odd)).toThrow(/bad length 30/);
    expect(() => collect(cat(ngSection(), ngPacket(0, 1n, d1)))).toThrow(/interface 0/);
    const bom = ngSection();
    bom.writeUInt32LE(0x11223344, 8);
    expect(() => collect(bom)).toThrow(/byte-order/);
    const cap = cat(ngSection(), ngInterface(127), ngPacket(0, 1n, d1));
    cap.writeUInt32LE(200, cap.length - 4 - 8 - 4 - 4); // captured length field of the EPB
    expect(() => collect(cap)).toThrow(CaptureFormatError);
  });

  it('a CaptureReader can be fed by hand', () => {
    const seen: number[] = [];
    const r = new CaptureReader((p) => seen.push(p.data.length));
    const f = pcapFile(recs);
    r.push(f.subarray(0, 3));
    r.push(f.subarray(3));
    expect(r.end().packets).toBe(2);
    expect(seen).toEqual([5, 2]);
  });
});
