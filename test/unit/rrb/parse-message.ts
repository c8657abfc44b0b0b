import type { PacketTypeNumber } from '../../../adapters/rrb/frame.js';
import { decryptEnvelope, parseEnvelope, parsePlaintext, type RrbMessage } from '../../../adapters/rrb/messages.js';

/** The endpoint's three steps for a received payload (parse the clear part, open it, parse the rest) in one call. */
export function parseMessage(type: PacketTypeNumber, payload: Buffer, key: Uint8Array, srcMac: string): RrbMessage {
  const env = parseEnvelope(type, payload);
  return parsePlaintext(env, decryptEnvelope(env, key, srcMac));
}
