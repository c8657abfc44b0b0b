// Streaming readers for classic pcap and pcapng. Chunks arrive from a file, from `tcpdump -U -w -`
// (local or over SSH) or from a buffer; records may straddle chunks, so the reader keeps the unparsed
// tail and resumes. "Strict" means structural damage (unknown magic, a block length that is not a
// multiple of 4 or disagrees with its trailer, a record longer than any snaplen) throws
// CaptureFormatError: after such damage nothing later in the stream can be trusted. A record cut
// short at the very end is normal (tcpdump killed mid-write) and is only reported in the stats.
import { CaptureFormatError } from './errors.js';

export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;

/** One captured packet. `data` is a view into the reader's buffer: valid during the callback only. */
export interface CapturedPacket {
  /** Capture time, ms since the Unix epoch (µs resolution survives in a double). */
  ts: number;
  linkType: number;
  data: Buffer;
  origLen: number;
  interfaceId: number;
}

export interface ReaderStats {
  format: 'pcap' | 'pcapng' | undefined;
  packets: number;
  bytes: number;
  /** Bytes left over at the end that did not make a whole record (a capture stopped mid-write). */
  truncatedTailBytes: number;
  /** pcapng blocks we do not need (name resolution, statistics, custom…). */
  skippedBlocks: number;
}

// A record larger than this is corruption, not a frame: 802.11 frames stay under 12 KB and
// tcpdump's largest snaplen is 256 KiB.
const MAX_RECORD = 262_144 + 4096;
const MAX_BLOCK = 16 * 1024 * 1024;

interface Iface {
  linkType: number;
  unitsPerMs: number;
  offsetMs: number;
}

export type PacketHandler = (p: CapturedPacket) => void;

export class CaptureReader {
  private pending: Buffer | undefined;
  private le = true;
  private linkType = 0;
  private nanos = false;
  private ifaces: Iface[] = [];
  private readonly stats: ReaderStats = { format: undefined, packets: 0, bytes: 0, truncatedTailBytes: 0, skippedBlocks: 0 };
  // One object reused for every packet: the hot loop allocates nothing per record.
  private readonly pkt: CapturedPacket = { ts: 0, linkType: 0, data: Buffer.alloc(0), origLen: 0, interfaceId: 0 };

  constructor(private readonly onPacket: PacketHandler) {}

  push(chunk: Buffer): void {
    this.stats.bytes += chunk.length;
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    if (this.stats.format === undefined) {
      if (buf.length < 4) {
        this.pending = buf;
        return;
      }
      const m = buf.readUInt32LE(0);
      if (m === 0x0a0d0d0a) this.stats.format = 'pcapng';
      else off = this.classicHeader(buf);
      if (off < 0) {
        this.pending = buf;
        return;
      }
    }
    off = this.stats.format === 'pcap' ? this.classicRecords(buf, off) : this.ngBlocks(buf, off);
    this.pending = off < buf.length ? buf.subarray(off) : undefined;
  }

  /** Call once after the last chunk. */
  end(): ReaderStats {
    if (this.stats.format === undefined) throw new CaptureFormatError('empty or unrecognised capture (no pcap/pcapng header)');
    this.stats.truncatedTailBytes = this.pending?.length ?? 0;
    this.pending = undefined;
    return { ...this.stats };
  }

  /** Returns the offset after the 24-octet header, or -1 if more bytes are needed. */
  private classicHeader(buf: Buffer): number {
    const m = buf.readUInt32LE(0);
    if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) this.le = true;
    else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) this.le = false;
    else throw new CaptureFormatError(`not a pcap or pcapng capture (magic 0x${m.toString(16).padStart(8, '0')})`);
    if (buf.length < 24) return -1;
    this.nanos = m === 0xa1b23c4d || m === 0x4d3cb2a1;
    const major = this.le ? buf.readUInt16LE(4) : buf.readUInt16BE(4);
    if (major !== 2) throw new CaptureFormatError(`pcap version ${major} is not 2`);
    // The top bits of the link-type word carry FCS-length flags (pcap-linktype(7)).
    this.linkType = (this.le ? buf.readUInt32LE(20) : buf.readUInt32BE(20)) & 0x0fffffff;
    this.stats.format = 'pcap';
    return 24;
  }

  private classicRecords(buf: Buffer, off: number): number {
    const le = this.le;
    const pkt = this.pkt;
    const fracPerMs = this.nanos ? 1e6 : 1e3;
    pkt.linkType = this.linkType;
    while (off + 16 <= buf.length) {
      const sec = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
      const frac = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
      const capLen = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
      const origLen = le ? buf.readUInt32LE(off + 12) : buf.readUInt32BE(off + 12);
      if (capLen > MAX_RECORD)
        throw new CaptureFormatError(`pcap record at byte ${this.stats.bytes - buf.length + off} claims ${capLen} octets`);
      if (frac >= fracPerMs * 1000) throw new CaptureFormatError(`pcap record timestamp fraction ${frac} out of range`);
      if (off + 16 + capLen > buf.length) break;
      pkt.ts = sec * 1000 + frac / fracPerMs;
      pkt.data = buf.subarray(off + 16, off + 16 + capLen);
      pkt.origLen = origLen;
      this.stats.packets++;
      this.onPacket(pkt);
      off += 16 + capLen;
    }
    return off;
  }

  private u32(buf: Buffer, o: number): number {
    return this.le ? buf.readUInt32LE(o) : buf.readUInt32BE(o);
  }

  private ngBlocks(buf: Buffer, off: number): number {
    while (off + 12 <= buf.length) {
      let type = this.u32(buf, off);
      if (buf.readUInt32LE(off) === 0x0a0d0d0a) {
        // A Section Header Block sets the byte order for everything up to the next one.
        const bom = buf.readUInt32LE(off + 8);
        if (bom === 0x1a2b3c4d) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else throw new CaptureFormatError(`pcapng section header with bad byte-order magic 0x${bom.toString(16)}`);
        type = 0x0a0d0d0a;
      }
      const len = this.u32(buf, off + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK)
        throw new CaptureFormatError(`pcapng block of type 0x${type.toString(16)} has bad length ${len}`);
      if (off + len > buf.length) break;
      if (this.u32(buf, off + len - 4) !== len)
        throw new CaptureFormatError(`pcapng block of type 0x${type.toString(16)}: trailing length differs from ${len}`);
      this.ngBlock(type, buf, off + 8, off + len - 4);
      off += len;
    }
    return off;
  }

  /** One block's body, [start, end) without the type/length words. */
  private ngBlock(type: number, buf: Buffer, start: number, end: number): void {
    const bodyLen = end - start;
    if (type === 0x0a0d0d0a) {
      this.ifaces = []; // interface ids are numbered per section
      return;
    }
    if (type === 1) {
      if (bodyLen < 8) throw new CaptureFormatError('pcapng interface block too short');
      const linkType = this.le ? buf.readUInt16LE(start) : buf.readUInt16BE(start);
      this.ifaces.push({ linkType, ...this.ifaceOptions(buf, start + 8, end) });
      return;
    }
    if (type === 6 || type === 3 || type === 2) {
      const pkt = this.pkt;
      let dataStart: number;
      let capLen: number;
      let units = 0;
      let iface: Iface | undefined;
      if (type === 3) {
        // Simple Packet Block: interface 0, no timestamp; captured length is what the block holds.
        if (bodyLen < 4) throw new CaptureFormatError('pcapng simple packet block too short');
        iface = this.ifaces[0];
        pkt.interfaceId = 0;
        pkt.origLen = this.u32(buf, start);
        dataStart = start + 4;
        capLen = Math.min(pkt.origLen, bodyLen - 4);
      } else {
        if (bodyLen < 20) throw new CaptureFormatError('pcapng packet block too short');
        // Obsolete Packet Block (2) has a 16-bit interface id followed by a drops count.
        const id = type === 6 ? this.u32(buf, start) : this.le ? buf.readUInt16LE(start) : buf.readUInt16BE(start);
        iface = this.ifaces[id];
        pkt.interfaceId = id;
        units = this.u32(buf, start + 4) * 4294967296 + this.u32(buf, start + 8);
        capLen = this.u32(buf, start + 12);
        pkt.origLen = this.u32(buf, start + 16);
        dataStart = start + 20;
        if (capLen > bodyLen - 20) throw new CaptureFormatError(`pcapng packet block: captured length ${capLen} exceeds the block`);
      }
      if (!iface) throw new CaptureFormatError(`pcapng packet refers to interface ${pkt.interfaceId}, which was not described`);
      pkt.linkType = iface.linkType;
      pkt.ts = units / iface.unitsPerMs + iface.offsetMs;
      pkt.data = buf.subarray(dataStart, dataStart + capLen);
      this.stats.packets++;
      this.onPacket(pkt);
      return;
    }
    this.stats.skippedBlocks++;
  }

  /** if_tsresol (9) and if_tsoffset (14) decide how a block's 64-bit timestamp becomes ms. */
  private ifaceOptions(buf: Buffer, off: number, end: number): { unitsPerMs: number; offsetMs: number } {
    let unitsPerMs = 1000; // default resolution: µs
    let offsetMs = 0;
    while (off + 4 <= end) {
      const code = this.le ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
      const len = this.le ? buf.readUInt16LE(off + 2) : buf.readUInt16BE(off + 2);
      if (code === 0) break;
      if (off + 4 + len > end) throw new CaptureFormatError('pcapng interface option overruns its block');
      if (code === 9 && len >= 1) {
        const r = buf[off + 4]!;
        const perSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** (r & 0x7f);
        if (!Number.isFinite(perSec) || perSec < 1) throw new CaptureFormatError(`pcapng if_tsresol 0x${r.toString(16)} is unusable`);
        unitsPerMs = perSec / 1000;
      }
      if (code === 14 && len >= 8) {
        const lo = this.u32(buf, off + 4 + (this.le ? 0 : 4));
        const hi = this.u32(buf, off + 4 + (this.le ? 4 : 0));
        offsetMs = (hi * 4294967296 + lo) * 1000;
      }
      off += 4 + ((len + 3) & ~3);
    }
    return { unitsPerMs, offsetMs };
  }
}

/** Same, for bytes already in memory (tests, small files). */
export function readCaptureBuffer(buf: Buffer, onPacket: PacketHandler): ReaderStats {
  const reader = new CaptureReader(onPacket);
  reader.push(buf);
  return reader.end();
}
