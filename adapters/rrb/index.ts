// Public API of the R0KH-R1KH adapter: codec (frames, TLVs, messages, AES-SIV), replay
// protection, the L2 transport and the endpoint that implements the core's PmkR1Pusher.
export { RrbEndpoint, sessionOf, type RrbEndpointOptions, type RrbKeyLookup, type RrbObserver } from './endpoint.js';
export {
  ETH_P_OUI,
  FRAME_HEADER_LEN,
  PacketType,
  decodeFrame,
  encodeFrame,
  isPacketType,
  type PacketTypeNumber,
  type RrbFrame,
} from './frame.js';
export { loadAfPacket, openL2Socket, type L2Transport } from './l2-socket.js';
export {
  buildMessage,
  decryptEnvelope,
  parseEnvelope,
  parsePlaintext,
  type RrbEnvelope,
  type RrbMessage,
  type RrbSeq,
  type RrbSession,
  type RrbVlan,
} from './messages.js';
export {
  BACKLOG,
  MAX_QUEUE,
  SEQ_TIMEOUT_S,
  SeqReceiver,
  SeqSender,
  monotonicClock,
  peerKey,
  type Clock,
  type SeqCheck,
} from './sequence.js';
export { SIV_KEY_LEN, SIV_TAG_LEN, sivOpen, sivSeal } from './siv.js';
export { RrbDecodeError, Tlv, decodeTlvs, encodeTlvs, requireTlv, tlvMap, type RrbDecodeReason, type TlvItem } from './tlv.js';
