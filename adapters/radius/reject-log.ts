import { Attr } from './codes.js';
import { getAttrs, getString, type RadiusPacket } from './packet.js';
import { requestStation } from './station-facts.js';

// What the log says about an Access-Reject the KMS relays: who was refused where, and the
// reason the AAA server gave. Only these fields are read, so nothing secret can slip in: the
// request's User-Password, CHAP and EAP attributes and the reply's State, EAP-Message and
// Message-Authenticator never reach the log.

export interface RejectLogFields {
  /** The outer identity (User-Name), as the AP sent it; null if it sent none. */
  identity: string | null;
  /** The station, from Calling-Station-Id; null if absent or not a MAC. */
  sta: string | null;
  nasIdentifier: string | null;
  /** The Reply-Message text(s), joined; null if the AAA server gave none. */
  reason: string | null;
}

/** Longer texts are cut: a log line stays one readable line whatever the AAA server sends. */
const MAX_TEXT = 200;

export function rejectLogFields(request: RadiusPacket, reject: RadiusPacket): RejectLogFields {
  const messages = getAttrs(reject, Attr.ReplyMessage).map((a) => a.value.toString('utf8'));
  return {
    identity: printable(getString(request, Attr.UserName)),
    sta: requestStation(request),
    nasIdentifier: printable(getString(request, Attr.NasIdentifier)),
    // RFC 2865 §5.18: several Reply-Messages are one text displayed in order.
    reason: printable(messages.length > 0 ? messages.join('') : undefined),
  };
}

function printable(text: string | undefined): string | null {
  if (text === undefined) return null;
  // Control characters (a line break in a Reply-Message) would forge or split log lines in a
  // plain-text sink; JSON escapes them, but the journal's short view does not.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT)}…` : clean;
}
