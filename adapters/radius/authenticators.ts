// Request/Response Authenticators and Message-Authenticator (RFC 2865 §3, RFC 2866 §3,
// RFC 3579 §3.2, RFC 5176 §2.3/§3.4, RFC 5997). The finish* functions return wire bytes; the
// verify* functions work on the bytes as received, so what is checked is exactly what arrived.
//
// Message-Authenticator (MA) is always written FIRST (BlastRADIUS / CVE-2024-3596 hardening);
// received packets may carry it anywhere (hostapd 2.10 puts it last).
import { timingSafeEqual } from 'node:crypto';
import { hmacMd5 as hmac, md5 } from './md5.js';
import { AUTHENTICATOR_LENGTH, Attr, Code, HASHED_REQUEST_CODES, HEADER_LENGTH, RANDOM_REQUEST_CODES, RESPONSE_CODES } from './codes.js';
import { RadiusDecodeError, RadiusEncodeError, decodePacket, encodePacket, type RadiusDecodeReason, type RadiusPacket } from './packet.js';

export type Secret = string | Buffer;

export type VerifyReason =
  | RadiusDecodeReason
  | 'not-a-request'
  | 'not-a-response'
  | 'request-authenticator-invalid'
  | 'response-authenticator-invalid'
  | 'message-authenticator-missing'
  | 'message-authenticator-invalid'
  | 'message-authenticator-duplicate'
  | 'message-authenticator-bad-length';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyReason };

/**
 * Which value fills the Authenticator field while the MA of a response is computed. RFC 3579 §3.2,
 * RFC 5176 §3.4 and hostapd use the request's authenticator ('request'). FreeRADIUS uses zeros for
 * Accounting-Response and CoA/Disconnect ACK/NAK ('zero') unless answering a Status-Server.
 */
export type MaVector = 'request' | 'zero';

const ZERO16 = Buffer.alloc(AUTHENTICATOR_LENGTH);
/** Offset of the MA value when MA is the first attribute. */
const FIRST_MA_VALUE = HEADER_LENGTH + 2;

const key = (secret: Secret): Buffer => (typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
const hmacMd5 = (secret: Secret, data: Buffer): Buffer => hmac(key(secret), data);

function checkCode(p: RadiusPacket, allowed: ReadonlySet<number>, fn: string): void {
  if (!allowed.has(p.code)) throw new RadiusEncodeError('wrong-code', `${fn} cannot finish code ${p.code}`);
}

/** `p`'s attributes with any MA removed and, if `ma`, a zeroed MA placed first. */
function attributesWithMa(p: RadiusPacket, ma: boolean): RadiusPacket['attributes'] {
  const rest = p.attributes.filter((a) => a.type !== Attr.MessageAuthenticator);
  // The zeroed placeholder is only read (encodePacket copies it); the MA is written into the packet.
  return ma ? [{ type: Attr.MessageAuthenticator, value: ZERO16 }, ...rest] : rest;
}

const ACCESS_REQUEST: ReadonlySet<number> = new Set([Code.AccessRequest]);
const STATUS_SERVER: ReadonlySet<number> = new Set([Code.StatusServer]);

function finishRandomRequest(p: RadiusPacket, secret: Secret): Buffer {
  const buf = encodePacket({ ...p, attributes: attributesWithMa(p, true) });
  hmacMd5(secret, buf).copy(buf, FIRST_MA_VALUE);
  return buf;
}

/** Access-Request: keeps p.authenticator (the caller's 16 random octets); MA first, over the whole packet. */
export function finishAccessRequest(p: RadiusPacket, secret: Secret): Buffer {
  checkCode(p, ACCESS_REQUEST, 'finishAccessRequest');
  return finishRandomRequest(p, secret);
}

/** Status-Server (RFC 5997 §3): random authenticator from the caller, MA required. */
export function finishStatusServer(p: RadiusPacket, secret: Secret): Buffer {
  checkCode(p, STATUS_SERVER, 'finishStatusServer');
  return finishRandomRequest(p, secret);
}

/**
 * Accounting-Request (RFC 2866 §3), and CoA-/Disconnect-Request which use the same construction
 * (RFC 5176 §2.3). With `messageAuthenticator`, MA is first and is computed with the Authenticator
 * field zeroed, before the Request Authenticator (RFC 5176 §3.4; RFC 3579 defines MA only for
 * Access-* packets, and FreeRADIUS treats Accounting-Request the same way as CoA-Request).
 */
export function finishAccountingRequest(p: RadiusPacket, secret: Secret, opts: { messageAuthenticator?: boolean } = {}): Buffer {
  checkCode(p, HASHED_REQUEST_CODES, 'finishAccountingRequest');
  const ma = opts.messageAuthenticator === true;
  const buf = encodePacket({ ...p, authenticator: ZERO16, attributes: attributesWithMa(p, ma) });
  if (ma) hmacMd5(secret, buf).copy(buf, FIRST_MA_VALUE);
  md5(buf, key(secret)).copy(buf, 4);
  return buf;
}

/**
 * Any response: MA first (unless `messageAuthenticator: false`), computed with the request's
 * authenticator in the Authenticator field, then
 * Response Authenticator = MD5(Code|ID|Length|RequestAuth|Attributes|Secret).
 */
export function finishResponse(
  p: RadiusPacket,
  requestAuthenticator: Buffer,
  secret: Secret,
  opts: { messageAuthenticator?: boolean; maVector?: MaVector } = {},
): Buffer {
  checkCode(p, RESPONSE_CODES, 'finishResponse');
  if (requestAuthenticator.length !== AUTHENTICATOR_LENGTH) throw new RadiusEncodeError('authenticator-bad-length');
  const ma = opts.messageAuthenticator !== false;
  const buf = encodePacket({ ...p, authenticator: requestAuthenticator, attributes: attributesWithMa(p, ma) });
  if (ma) {
    if (opts.maVector === 'zero') ZERO16.copy(buf, 4);
    hmacMd5(secret, buf).copy(buf, FIRST_MA_VALUE);
    requestAuthenticator.copy(buf, 4);
  }
  md5(buf, key(secret)).copy(buf, 4);
  return buf;
}

// ---- verification ----------------------------------------------------------------------------

interface Received {
  packet: RadiusPacket;
  /** Exactly the Length octets of the datagram. */
  bytes: Buffer;
  /** Offset of the MA value within `bytes`, or null when absent. */
  maOffset: number | null;
  hasEap: boolean;
}

const fail = (reason: VerifyReason): VerifyResult => ({ ok: false, reason });
const OK: VerifyResult = { ok: true };

function receive(input: Uint8Array, decoded?: RadiusPacket): Received | VerifyResult {
  let packet: RadiusPacket;
  try {
    packet = decoded ?? decodePacket(input);
  } catch (e) {
    if (e instanceof RadiusDecodeError) return fail(e.reason);
    throw e;
  }
  const all = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const bytes = all.subarray(0, all.readUInt16BE(2));
  let maOffset: number | null = null;
  let hasEap = false;
  for (const a of packet.attributes) {
    if (a.type === Attr.EapMessage) hasEap = true;
    if (a.type !== Attr.MessageAuthenticator) continue;
    if (maOffset !== null) return fail('message-authenticator-duplicate');
    if (a.value.length !== 16) return fail('message-authenticator-bad-length');
    maOffset = a.value.byteOffset - bytes.byteOffset;
  }
  return { packet, bytes, maOffset, hasEap };
}

/** MA check over the packet as if MA were zero and, if given, the Authenticator replaced (no copy made). */
function checkMa(r: Received, secret: Secret, vector: Buffer | null, required: boolean): VerifyResult {
  if (r.maOffset === null) return required || r.hasEap ? fail('message-authenticator-missing') : OK;
  const b = r.bytes;
  const expected = hmac(
    key(secret),
    b.subarray(0, 4),
    vector ?? b.subarray(4, HEADER_LENGTH),
    b.subarray(HEADER_LENGTH, r.maOffset),
    ZERO16,
    b.subarray(r.maOffset + 16),
  );
  return timingSafeEqual(expected, r.bytes.subarray(r.maOffset, r.maOffset + 16)) ? OK : fail('message-authenticator-invalid');
}

/**
 * Verify a received request. Access-Request: MA (required if asked, or if EAP-Message is present,
 * RFC 3579 §3.3). Status-Server: MA always required. Accounting/CoA/Disconnect-Request: Request
 * Authenticator, then MA if present or required. Never throws on hostile input.
 */
export function verifyRequest(
  buf: Uint8Array,
  secret: Secret,
  opts: { requireMessageAuthenticator: boolean },
  /** `decodePacket(buf)` when the caller has it already. */
  decoded?: RadiusPacket,
): VerifyResult {
  const r = receive(buf, decoded);
  if (!('packet' in r)) return r;
  const code = r.packet.code;
  if (RANDOM_REQUEST_CODES.has(code)) {
    return checkMa(r, secret, null, opts.requireMessageAuthenticator || code === Code.StatusServer);
  }
  if (!HASHED_REQUEST_CODES.has(code)) return fail('not-a-request');
  const work = Buffer.from(r.bytes);
  ZERO16.copy(work, 4);
  if (!timingSafeEqual(md5(work, key(secret)), r.packet.authenticator)) return fail('request-authenticator-invalid');
  return checkMa(r, secret, ZERO16, opts.requireMessageAuthenticator);
}

/**
 * Verify a received response against the authenticator of the request it answers:
 * Response Authenticator, then MA (required if asked or if EAP-Message is present).
 */
export function verifyResponse(
  buf: Uint8Array,
  requestAuthenticator: Buffer,
  secret: Secret,
  opts: { requireMessageAuthenticator: boolean; maVector?: MaVector },
  /** `decodePacket(buf)` when the caller has it already. */
  decoded?: RadiusPacket,
): VerifyResult {
  if (requestAuthenticator.length !== AUTHENTICATOR_LENGTH) {
    throw new RadiusEncodeError('authenticator-bad-length', 'requestAuthenticator');
  }
  const r = receive(buf, decoded);
  if (!('packet' in r)) return r;
  if (!RESPONSE_CODES.has(r.packet.code)) return fail('not-a-response');
  const expected = md5(r.bytes.subarray(0, 4), requestAuthenticator, r.bytes.subarray(HEADER_LENGTH), key(secret));
  if (!timingSafeEqual(expected, r.packet.authenticator)) return fail('response-authenticator-invalid');
  const vector = opts.maVector === 'zero' ? ZERO16 : requestAuthenticator;
  return checkMa(r, secret, vector, opts.requireMessageAuthenticator);
}
