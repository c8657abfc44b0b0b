// adapters/pcap: 802.11 captures in, the core's frame events out.
//   pcap-file.ts  pcap/pcapng stream reader      radiotap.ts  radio metadata
//   ieee80211.ts  MAC header, management bodies  elements.ts  information elements
//   action.ts     802.11k/v/r action frames      eapol.ts     EAPOL, EAP, EAPOL-Key
//   events.ts     packet → FrameEvent            sources.ts   local tcpdump
export { FrameDecodeError, CaptureFormatError } from './errors.js';
export {
  CaptureReader,
  readCaptureBuffer,
  LINKTYPE_IEEE802_11,
  LINKTYPE_IEEE802_11_RADIOTAP,
  type CapturedPacket,
  type ReaderStats,
  type PacketHandler,
} from './pcap-file.js';
export { decodeRadiotap, freqToChannel, type Radiotap } from './radiotap.js';
export { decodeHeader, decodeManagement, MGMT, AUTH_ALG, type Dot11Header, type MgmtBody } from './ieee80211.js';
export { parseElements, type Elements, type Rsn, type Mde, type Fte, type RmCaps, type NeighborReport } from './elements.js';
export {
  decodeAction,
  CATEGORY,
  type ActionFrame,
  type BeaconReport,
  type BeaconRequest,
  type MeasurementReport,
  type MeasurementRequest,
} from './action.js';
export { decodeEapol, snapEthertype, keyMessage, ETHERTYPE_EAPOL, type Eapol, type EapolKey } from './eapol.js';
export { FrameEventDecoder, type DecodeStats, type FrameEventDecoderOptions } from './events.js';
export { tcpdumpSource, tcpdumpArgs, type CaptureSource } from './sources.js';
