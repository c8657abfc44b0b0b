// A deliberately small reader for the lab's capture of hwsim0: classic pcap files with radiotap
// link type, decoded only as far as the roam table needs (who sent which management frame to whom,
// and which data frames carry EAPOL/EAP). A full decoder belongs in adapters/pcap.
import { macAt } from '../../daemon/common/mac.js';

/** One 802.11 frame of interest, with its capture time in ms since the epoch. */
export interface WifiFrame {
  at: number;
  kind:
    | 'auth'
    | 'assoc-req'
    | 'assoc-resp'
    | 'reassoc-req'
    | 'reassoc-resp'
    | 'deauth'
    | 'disassoc'
    | 'action'
    | 'eapol-key'
    | 'eap'
    | 'eapol-other';
  /** Transmitter and receiver (addr2, addr1). */
  src: string;
  dst: string;
  /** Authentication algorithm (0 open, 2 FT) for auth frames. */
  authAlg?: number;
  /** Authentication transaction sequence number. */
  authSeq?: number;
  status?: number;
  /** Reason code of a Deauthentication or Disassociation. */
  reason?: number;
}

const LINKTYPE_IEEE802_11_RADIOTAP = 127;
const LINKTYPE_IEEE802_11 = 105;

const MGMT_KINDS: Record<number, WifiFrame['kind']> = {
  0: 'assoc-req',
  1: 'assoc-resp',
  2: 'reassoc-req',
  3: 'reassoc-resp',
  10: 'disassoc',
  11: 'auth',
  12: 'deauth',
  13: 'action',
};

/** Decodes one 802.11 frame (no radiotap). Returns undefined for frames the roam table ignores. */
export function decode80211(f: Buffer, at: number): WifiFrame | undefined {
  if (f.length < 24) return undefined;
  const fc0 = f[0]!;
  const fc1 = f[1]!;
  const type = (fc0 >> 2) & 3;
  const subtype = fc0 >> 4;
  const retry = (fc1 & 0x08) !== 0;
  // Retransmissions repeat a frame already counted.
  if (retry) return undefined;
  const dst = macAt(f, 4);
  const src = macAt(f, 10);
  if (type === 0) {
    const kind = MGMT_KINDS[subtype];
    if (!kind) return undefined;
    const frame: WifiFrame = { at, kind, src, dst };
    if (kind === 'auth' && f.length >= 30) {
      frame.authAlg = f.readUInt16LE(24);
      frame.authSeq = f.readUInt16LE(26);
      frame.status = f.readUInt16LE(28);
    }
    // (Re)Association Response: capability, then the status code.
    if ((kind === 'assoc-resp' || kind === 'reassoc-resp') && f.length >= 28) frame.status = f.readUInt16LE(26);
    if ((kind === 'deauth' || kind === 'disassoc') && f.length >= 26) frame.reason = f.readUInt16LE(24);
    return frame;
  }
  if (type !== 2) return undefined;
  const protectedFrame = (fc1 & 0x40) !== 0;
  if (protectedFrame) return undefined;
  const fourAddr = (fc1 & 0x03) === 0x03;
  let off = 24 + (fourAddr ? 6 : 0);
  if (subtype & 0x08) off += 2; // QoS control
  if (subtype & 0x04) return undefined; // null / no data
  if (f.length < off + 12) return undefined;
  // LLC/SNAP header AA AA 03 00 00 00, then ethertype 0x888E for EAPOL.
  if (f[off] !== 0xaa || f[off + 1] !== 0xaa || f[off + 2] !== 0x03 || f.readUInt16BE(off + 6) !== 0x888e) return undefined;
  const eapolType = f[off + 9];
  const kind = eapolType === 0 ? 'eap' : eapolType === 3 ? 'eapol-key' : 'eapol-other';
  return { at, kind, src, dst };
}

/** Reads a classic pcap file (either byte order, µs or ns timestamps). */
export function readPcap(buf: Buffer): WifiFrame[] {
  if (buf.length < 24) throw new Error('pcap file is shorter than its header');
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nanos: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    le = true;
    nanos = magic === 0xa1b23c4d;
  } else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    le = false;
    nanos = magic === 0x4d3cb2a1;
  } else throw new Error(`not a pcap file (magic 0x${magic.toString(16)}); pcapng is not supported here`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  if (linkType !== LINKTYPE_IEEE802_11_RADIOTAP && linkType !== LINKTYPE_IEEE802_11)
    throw new Error(`pcap link type ${linkType} is not 802.11`);
  const frames: WifiFrame[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const capLen = u32(off + 8);
    const start = off + 16;
    off = start + capLen;
    if (off > buf.length) break; // a record cut short when the capture was stopped
    let pkt = buf.subarray(start, start + capLen);
    if (linkType === LINKTYPE_IEEE802_11_RADIOTAP) {
      if (pkt.length < 4) continue;
      pkt = pkt.subarray(pkt.readUInt16LE(2)); // radiotap length is always little-endian
    }
    const at = sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3);
    const frame = decode80211(pkt, at);
    if (frame) frames.push(frame);
  }
  return frames;
}

/** One record of a pcap file, undecoded: capture time (ms since the epoch), link type, bytes. */
export interface PcapRecord {
  at: number;
  linkType: number;
  data: Buffer;
}

/** Every record of a classic pcap file, whatever its link type (the DS capture is Ethernet). */
export function readPcapRecords(buf: Buffer): PcapRecord[] {
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nanos: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    le = true;
    nanos = magic === 0xa1b23c4d;
  } else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    le = false;
    nanos = magic === 0x4d3cb2a1;
  } else throw new Error(`not a pcap file (magic 0x${magic.toString(16)})`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  const out: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const at = u32(off) * 1000 + (nanos ? u32(off + 4) / 1e6 : u32(off + 4) / 1e3);
    const capLen = u32(off + 8);
    const start = off + 16;
    off = start + capLen;
    if (off > buf.length) break;
    out.push({ at, linkType, data: buf.subarray(start, off) });
  }
  return out;
}

/** An R0KH-R1KH frame (ethertype 0x88B7, hostapd's OUI 00:13:74 / 00 01) seen on the DS. */
export interface RrbWireFrame {
  at: number;
  src: string;
  dst: string;
  type: 'PULL' | 'RESP' | 'PUSH' | 'SEQ_REQ' | 'SEQ_RESP' | 'other';
  frame: Buffer;
}

const RRB_TYPES = ['other', 'PULL', 'RESP', 'PUSH', 'SEQ_REQ', 'SEQ_RESP'] as const;

/** The R0KH-R1KH frames of an Ethernet capture (LINKTYPE_ETHERNET = 1), in order. */
export function rrbFrames(buf: Buffer): RrbWireFrame[] {
  return readPcapRecords(buf)
    .filter((r) => r.linkType === 1 && r.data.length >= 20 && r.data.readUInt16BE(12) === 0x88b7)
    .map((r) => ({
      at: r.at,
      dst: macAt(r.data, 0),
      src: macAt(r.data, 6),
      type: RRB_TYPES[r.data[19]!] ?? 'other',
      frame: Buffer.from(r.data),
    }));
}
