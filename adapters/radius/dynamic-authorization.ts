// RFC 5176 Dynamic Authorization (Disconnect-Request, CoA-Request and their ACK/NAK) on top of
// the RADIUS codec. The requests are signed like Accounting-Request (RFC 5176 §2.3: MD5 over the
// packet with a zero Authenticator, then the secret), with Message-Authenticator computed before
// that over the zeroed Authenticator (§3.4). What is checked here, in order: structure, code,
// Request Authenticator, Message-Authenticator (always required), Event-Timestamp window (§3.5).
import { AUTHENTICATOR_LENGTH, Attr, Code, ErrorCause } from './codes.js';
import {
  finishAccountingRequest,
  finishResponse,
  verifyRequest,
  verifyResponse,
  type Secret,
  type VerifyReason,
} from './authenticators.js';
import { RadiusDecodeError, attrInteger, decodePacket, type RadiusAttribute, type RadiusPacket } from './packet.js';

export const DAS_REQUEST_CODES: ReadonlySet<number> = new Set([Code.DisconnectRequest, Code.CoaRequest]);
/** The answer codes of each request code: [ACK, NAK]. */
export const DAS_ANSWERS: ReadonlyMap<number, readonly [number, number]> = new Map([
  [Code.DisconnectRequest, [Code.DisconnectAck, Code.DisconnectNak] as const],
  [Code.CoaRequest, [Code.CoaAck, Code.CoaNak] as const],
]);
const DAS_RESPONSE_CODES: ReadonlySet<number> = new Set([Code.DisconnectAck, Code.DisconnectNak, Code.CoaAck, Code.CoaNak]);

/** Why a DAS request was dropped without an answer (a metrics label). */
export type DasDropReason =
  | Exclude<VerifyReason, 'not-a-request' | 'not-a-response' | 'response-authenticator-invalid'>
  | 'not-a-das-request'
  | 'event-timestamp-missing'
  | 'event-timestamp-bad-length'
  | 'event-timestamp-stale';

export interface DasTimePolicy {
  /** Seconds since the epoch, now. */
  nowS: number;
  /** Largest accepted |now - Event-Timestamp|, seconds. */
  windowS: number;
  requireEventTimestamp: boolean;
}

export type DasRequestCheck = { ok: true; packet: RadiusPacket; eventTimestamp: number | null } | { ok: false; reason: DasDropReason };

/**
 * Verify a received Disconnect-/CoA-Request. Never throws on hostile input. Message-Authenticator
 * is always required: without it a forged request is one MD5 away (BlastRADIUS), and the request
 * ends sessions.
 */
export function verifyDasRequest(buf: Uint8Array, secret: Secret, time: DasTimePolicy): DasRequestCheck {
  let packet: RadiusPacket;
  try {
    packet = decodePacket(buf);
  } catch (e) {
    if (e instanceof RadiusDecodeError) return { ok: false, reason: e.reason as DasDropReason };
    throw e;
  }
  if (!DAS_REQUEST_CODES.has(packet.code)) return { ok: false, reason: 'not-a-das-request' };
  const v = verifyRequest(buf, secret, { requireMessageAuthenticator: true }, packet);
  if (!v.ok) return { ok: false, reason: v.reason as DasDropReason };
  const ts = packet.attributes.find((a) => a.type === Attr.EventTimestamp);
  if (!ts)
    return time.requireEventTimestamp ? { ok: false, reason: 'event-timestamp-missing' } : { ok: true, packet, eventTimestamp: null };
  if (ts.value.length !== 4) return { ok: false, reason: 'event-timestamp-bad-length' };
  const eventTimestamp = ts.value.readUInt32BE(0);
  if (Math.abs(time.nowS - eventTimestamp) > time.windowS) return { ok: false, reason: 'event-timestamp-stale' };
  return { ok: true, packet, eventTimestamp };
}

/** What names the session(s) a request is about (RFC 5176 §3 "Session identification"). */
export interface DasSessionSelector {
  /** Calling-Station-Id as a normalised MAC (aa:bb:cc:dd:ee:ff). */
  staMac: string | null;
  userName: string | null;
  acctSessionId: string | null;
  acctMultiSessionId: string | null;
  cui: string | null;
}

/** Attributes a NAS uses to identify itself; the KMS locates the station itself and drops them. */
export const NAS_IDENTIFICATION: ReadonlySet<number> = new Set([Attr.NasIpAddress, Attr.NasIdentifier, Attr.NasIpv6Address]);

/**
 * What a Disconnect-Request may carry besides session and NAS identification (RFC 5176 §3.6's
 * table; Vendor-Specific too, as ISE and ClearPass send their own): none changes what a
 * disconnect does, so the KMS reads none of them.
 */
const DISCONNECT_EXTRA: ReadonlySet<number> = new Set([
  Attr.EventTimestamp,
  Attr.MessageAuthenticator,
  Attr.ProxyState,
  Attr.ReplyMessage,
  Attr.Class,
  Attr.State,
  Attr.ServiceType,
  Attr.AcctTerminateCause,
  Attr.VendorSpecific,
  Attr.NasPort,
  Attr.NasPortId,
  Attr.NasPortType,
  Attr.CalledStationId,
  Attr.FramedIpAddress,
  94 /* Originating-Line-Info */,
  96 /* Framed-Interface-Id */,
  97 /* Framed-IPv6-Prefix */,
]);
const SESSION_IDENTIFICATION: ReadonlySet<number> = new Set([
  Attr.UserName,
  Attr.CallingStationId,
  Attr.AcctSessionId,
  Attr.AcctMultiSessionId,
  Attr.ChargeableUserIdentity,
]);

export type SelectorResult = { ok: true; selector: DasSessionSelector } | { ok: false; errorCause: number; detail: string };

/**
 * The session selector of a verified request, or the Error-Cause its NAK carries: 407 for a value
 * that cannot be one (a Calling-Station-Id that is no MAC, a repeated identifier), 402 when no
 * attribute names a session, and for Disconnect-Request 401 for any attribute it does not know
 * (a NAS "MUST" NAK what it does not support, RFC 5176 §3). A CoA-Request's other attributes are
 * its authorisation change, judged by the caller.
 */
export function sessionSelector(p: RadiusPacket): SelectorResult {
  const one = (type: number): string | null | RadiusAttribute[] => {
    const all = p.attributes.filter((a) => a.type === type);
    if (all.length > 1) return all;
    return all.length === 1 ? all[0]!.value.toString('utf8') : null;
  };
  const sel: Partial<DasSessionSelector> = {};
  const fields: [keyof DasSessionSelector, number, string][] = [
    ['userName', Attr.UserName, 'User-Name'],
    ['acctSessionId', Attr.AcctSessionId, 'Acct-Session-Id'],
    ['acctMultiSessionId', Attr.AcctMultiSessionId, 'Acct-Multi-Session-Id'],
    ['cui', Attr.ChargeableUserIdentity, 'Chargeable-User-Identity'],
    ['staMac', Attr.CallingStationId, 'Calling-Station-Id'],
  ];
  for (const [field, type, label] of fields) {
    const v = one(type);
    if (Array.isArray(v)) return { ok: false, errorCause: ErrorCause.InvalidAttributeValue, detail: `${label} appears ${v.length} times` };
    sel[field] = v;
  }
  if (sel.staMac !== null) {
    const mac = macFromCallingStationId(sel.staMac!);
    if (!mac) return { ok: false, errorCause: ErrorCause.InvalidAttributeValue, detail: 'Calling-Station-Id is not a MAC address' };
    sel.staMac = mac;
  }
  if (p.code === Code.DisconnectRequest) {
    const unknown = p.attributes.find(
      (a) => !SESSION_IDENTIFICATION.has(a.type) && !NAS_IDENTIFICATION.has(a.type) && !DISCONNECT_EXTRA.has(a.type),
    );
    if (unknown)
      return { ok: false, errorCause: ErrorCause.UnsupportedAttribute, detail: `attribute ${unknown.type} in a Disconnect-Request` };
  }
  const s = sel as DasSessionSelector;
  if (s.staMac === null && s.userName === null && s.acctSessionId === null && s.cui === null) {
    return {
      ok: false,
      errorCause: ErrorCause.MissingAttribute,
      detail: 'no Calling-Station-Id, User-Name, Acct-Session-Id or Chargeable-User-Identity',
    };
  }
  return { ok: true, selector: s };
}

/** The attributes of a CoA-Request that change authorisation (everything that is not identification or framing). */
export function authorizationChanges(p: RadiusPacket): RadiusAttribute[] {
  return p.attributes.filter(
    (a) =>
      !SESSION_IDENTIFICATION.has(a.type) &&
      !NAS_IDENTIFICATION.has(a.type) &&
      a.type !== Attr.EventTimestamp &&
      a.type !== Attr.MessageAuthenticator &&
      a.type !== Attr.ProxyState,
  );
}

/** The MAC forms APs and AAA servers write: AA-BB-CC-DD-EE-FF, aa:bb:…, aabb.ccdd.eeff, bare hex. */
const MAC_FORMS = /^(?:[0-9a-f]{2}([-:])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}|[0-9a-f]{12})$/i;

/** A Calling-Station-Id as aa:bb:cc:dd:ee:ff, or null if it is no MAC address. */
export function macFromCallingStationId(s: string): string | null {
  if (!MAC_FORMS.test(s)) return null;
  return s.replace(/[-:.]/g, '').toLowerCase().match(/../g)!.join(':');
}

/** A Disconnect-/CoA-Request on the wire: Message-Authenticator first, the Request Authenticator hashed. */
export function finishDasRequest(p: RadiusPacket, secret: Secret): Buffer {
  if (!DAS_REQUEST_CODES.has(p.code)) throw new RangeError(`finishDasRequest cannot finish code ${p.code}`);
  return finishAccountingRequest(p, secret, { messageAuthenticator: true });
}

/**
 * An ACK/NAK on the wire: Message-Authenticator first, computed over the request's authenticator
 * (RFC 5176 §3.4, as hostapd does; FreeRADIUS's radclient checks it the same way).
 */
export function finishDasResponse(p: RadiusPacket, requestAuthenticator: Buffer, secret: Secret): Buffer {
  if (!DAS_RESPONSE_CODES.has(p.code)) throw new RangeError(`finishDasResponse cannot finish code ${p.code}`);
  return finishResponse(p, requestAuthenticator, secret, { messageAuthenticator: true, maVector: 'request' });
}

export type DasResponseCheck =
  | { ok: true; packet: RadiusPacket; errorCause: number | null }
  | { ok: false; reason: VerifyReason | 'not-a-das-response' | 'wrong-answer-code' | 'error-cause-bad-length' };

/**
 * Verify an AP's ACK/NAK to the request we sent (code `requestCode`, authenticator
 * `requestAuthenticator`). Message-Authenticator is required; hostapd computes it over the
 * request's authenticator, FreeRADIUS over zeros: both are accepted.
 */
export function verifyDasResponse(buf: Uint8Array, requestCode: number, requestAuthenticator: Buffer, secret: Secret): DasResponseCheck {
  if (requestAuthenticator.length !== AUTHENTICATOR_LENGTH) throw new RangeError('requestAuthenticator must be 16 octets');
  let packet: RadiusPacket;
  try {
    packet = decodePacket(buf);
  } catch (e) {
    if (e instanceof RadiusDecodeError) return { ok: false, reason: e.reason };
    throw e;
  }
  if (!DAS_RESPONSE_CODES.has(packet.code)) return { ok: false, reason: 'not-a-das-response' };
  if (!DAS_ANSWERS.get(requestCode)?.includes(packet.code)) return { ok: false, reason: 'wrong-answer-code' };
  let v = verifyResponse(buf, requestAuthenticator, secret, { requireMessageAuthenticator: true, maVector: 'request' }, packet);
  if (!v.ok && v.reason === 'message-authenticator-invalid') {
    v = verifyResponse(buf, requestAuthenticator, secret, { requireMessageAuthenticator: true, maVector: 'zero' }, packet);
  }
  if (!v.ok) return { ok: false, reason: v.reason };
  const ec = packet.attributes.find((a) => a.type === Attr.ErrorCause);
  if (ec && ec.value.length !== 4) return { ok: false, reason: 'error-cause-bad-length' };
  return { ok: true, packet, errorCause: ec ? ec.value.readUInt32BE(0) : null };
}

/** Event-Timestamp for `nowS` (seconds since the epoch). */
export function eventTimestamp(nowS: number): RadiusAttribute {
  return attrInteger(Attr.EventTimestamp, Math.floor(nowS) >>> 0);
}

/** Error-Cause attribute. */
export function errorCause(cause: number): RadiusAttribute {
  return attrInteger(Attr.ErrorCause, cause);
}

/** Error-Cause names (RFC 5176 §3.6), for logs. */
export function errorCauseName(cause: number | null): string {
  if (cause === null) return 'none';
  const hit = Object.entries(ErrorCause).find(([, v]) => v === cause);
  return hit ? hit[0] : `Error-Cause-${cause}`;
}
