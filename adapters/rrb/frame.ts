import { bytesToMac, macToBytes } from '../../daemon/common/mac.js';
import { RrbDecodeError } from './tlv.js';

// The Ethernet frame around an R0KH-R1KH message (hostapd src/ap/eth_p_oui.c): IEEE 802
// "OUI Extended EtherType" 0x88B7, then OUI 00:13:74 and protocol id 00 01 (hostapd's
// global_oui), then one octet "oui_suffix" that is the packet type, then the payload.
// hostapd drops frames shorter than header + 5 + 1 and frames whose 5-octet OUI block differs.

export const ETH_P_OUI = 0x88b7;
const OUI_BLOCK = Buffer.from([0x00, 0x13, 0x74, 0x00, 0x01]);
/** dst(6) src(6) ethertype(2) oui+proto(5) type(1). */
export const FRAME_HEADER_LEN = 20;

/** The five packet types (FT_PACKET_R0KH_R1KH_* in wpa_auth.h). */
export const PacketType = { PULL: 1, RESP: 2, PUSH: 3, SEQ_REQ: 4, SEQ_RESP: 5 } as const;
export type PacketTypeNumber = (typeof PacketType)[keyof typeof PacketType];

export interface RrbFrame {
  /** Canonical MAC text (aa:bb:…). */
  dst: string;
  src: string;
  packetType: PacketTypeNumber;
  /** The octets after the packet type: le16 auth_len | auth TLVs | SIV || ciphertext. */
  payload: Buffer;
}

export function isPacketType(n: number): n is PacketTypeNumber {
  return n >= PacketType.PULL && n <= PacketType.SEQ_RESP;
}

export function encodeFrame(f: RrbFrame): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_LEN + f.payload.length);
  macToBytes(f.dst).copy(out, 0);
  macToBytes(f.src).copy(out, 6);
  out.writeUInt16BE(ETH_P_OUI, 12);
  OUI_BLOCK.copy(out, 14);
  out[19] = f.packetType;
  f.payload.copy(out, FRAME_HEADER_LEN);
  return out;
}

/** Strict parse of a received frame; the payload is a view into `buf`. */
export function decodeFrame(buf: Buffer): RrbFrame {
  if (buf.length < FRAME_HEADER_LEN) throw new RrbDecodeError('frame-truncated', `${buf.length} octets`);
  if (buf.readUInt16BE(12) !== ETH_P_OUI) throw new RrbDecodeError('frame-bad-ethertype', buf.subarray(12, 14).toString('hex'));
  if (!buf.subarray(14, 19).equals(OUI_BLOCK)) throw new RrbDecodeError('frame-bad-oui', buf.subarray(14, 19).toString('hex'));
  const type = buf[19]!;
  if (!isPacketType(type)) throw new RrbDecodeError('frame-unknown-type', String(type));
  return {
    dst: bytesToMac(buf.subarray(0, 6)),
    src: bytesToMac(buf.subarray(6, 12)),
    packetType: type,
    payload: buf.subarray(FRAME_HEADER_LEN),
  };
}
