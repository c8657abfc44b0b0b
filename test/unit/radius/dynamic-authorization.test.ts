import { describe, expect, it } from 'vitest';
import {
  Attr,
  Code,
  ErrorCause,
  attrInteger,
  attrString,
  decodePacket,
  finishAccountingRequest,
  finishResponse,
  getInteger,
  type RadiusPacket,
} from '../../../adapters/radius/index.js';
import {
  authorizationChanges,
  finishDasRequest,
  finishDasResponse,
  macFromCallingStationId,
  sessionSelector,
  verifyDasRequest,
  verifyDasResponse,
} from '../../../adapters/radius/dynamic-authorization.js';
import { hex } from './vectors.js';
import { md5 } from '../../../adapters/radius/md5.js';

// RFC 5176 pieces of the codec. The first vector is FreeRADIUS 3.2.1's radclient's own
// Disconnect-Request (secret das-secret; Message-Authenticator last, where radclient puts it).

const RADCLIENT_DISCONNECT = hex(
  '284f00469a10ac28e378ff16c017fce312bf09051f1330322d30302d30302d30302d30302d34310107616c6963653706692e6c105012b373c1dcf3d9dc88fb46bdd2cee51397',
);
const RADCLIENT_TS = 1764650000;
const time = (nowS = RADCLIENT_TS) => ({ nowS, windowS: 300, requireEventTimestamp: true });
const ZERO = Buffer.alloc(16);
const req = (code: number, attributes: RadiusPacket['attributes']): RadiusPacket => ({
  code,
  identifier: 3,
  authenticator: ZERO,
  attributes,
});

describe('Disconnect/CoA requests (RFC 5176 §2.3, §3.4, §3.5)', () => {
  it("verifies radclient's Disconnect-Request: Request Authenticator, Message-Authenticator, Event-Timestamp", () => {
    const r = verifyDasRequest(RADCLIENT_DISCONNECT, 'das-secret', time());
    expect(r).toMatchObject({ ok: true, eventTimestamp: RADCLIENT_TS });
    if (!r.ok) throw new Error('unreachable');
    expect(sessionSelector(r.packet)).toEqual({
      ok: true,
      selector: { staMac: '02:00:00:00:00:41', userName: 'alice', acctSessionId: null, acctMultiSessionId: null, cui: null },
    });
  });

  it('drops with a reason: wrong secret, stale or missing Event-Timestamp, no MA, a bad MA, not a DAS code', () => {
    expect(verifyDasRequest(RADCLIENT_DISCONNECT, 'other', time())).toEqual({ ok: false, reason: 'request-authenticator-invalid' });
    expect(verifyDasRequest(RADCLIENT_DISCONNECT, 'das-secret', time(RADCLIENT_TS + 301))).toEqual({
      ok: false,
      reason: 'event-timestamp-stale',
    });
    expect(verifyDasRequest(RADCLIENT_DISCONNECT, 'das-secret', time(RADCLIENT_TS - 301))).toEqual({
      ok: false,
      reason: 'event-timestamp-stale',
    });
    expect(verifyDasRequest(RADCLIENT_DISCONNECT, 'das-secret', time(RADCLIENT_TS + 300)).ok).toBe(true);
    const noTs = finishDasRequest(req(Code.DisconnectRequest, [attrString(Attr.CallingStationId, '02-00-00-00-00-41')]), 's');
    expect(verifyDasRequest(noTs, 's', time())).toEqual({ ok: false, reason: 'event-timestamp-missing' });
    expect(verifyDasRequest(noTs, 's', { ...time(), requireEventTimestamp: false })).toMatchObject({ ok: true, eventTimestamp: null });
    const noMa = finishAccountingRequest(req(Code.DisconnectRequest, [attrInteger(Attr.EventTimestamp, RADCLIENT_TS)]), 's');
    expect(verifyDasRequest(noMa, 's', time())).toEqual({ ok: false, reason: 'message-authenticator-missing' });
    // MA keyed with another secret, Request Authenticator recomputed with the right one: still refused.
    const forged = finishDasRequest(req(Code.DisconnectRequest, [attrInteger(Attr.EventTimestamp, RADCLIENT_TS)]), 'other');
    const resigned = Buffer.from(forged);
    resigned.fill(0, 4, 20);
    md5(resigned, Buffer.from('s')).copy(resigned, 4);
    expect(verifyDasRequest(resigned, 's', time())).toEqual({ ok: false, reason: 'message-authenticator-invalid' });
    const acct = finishAccountingRequest(req(Code.AccountingRequest, []), 's', { messageAuthenticator: true });
    expect(verifyDasRequest(acct, 's', time())).toEqual({ ok: false, reason: 'not-a-das-request' });
    const shortTs = finishDasRequest(req(Code.CoaRequest, [attrString(Attr.EventTimestamp, 'abc')]), 's');
    expect(verifyDasRequest(shortTs, 's', time())).toEqual({ ok: false, reason: 'event-timestamp-bad-length' });
    expect(verifyDasRequest(Buffer.from([40, 1, 0]), 's', time())).toEqual({ ok: false, reason: 'short-header' });
  });

  it("what we sign, hostapd's check accepts: MA first over a zero Authenticator, then the MD5 authenticator", () => {
    const bytes = finishDasRequest(
      req(Code.DisconnectRequest, [attrString(Attr.CallingStationId, 'AA-BB-CC-DD-EE-FF'), attrInteger(Attr.EventTimestamp, RADCLIENT_TS)]),
      'k',
    );
    expect(bytes[20]).toBe(Attr.MessageAuthenticator);
    expect(verifyDasRequest(bytes, 'k', time()).ok).toBe(true);
    expect(() => finishDasRequest(req(Code.AccessRequest, []), 'k')).toThrow(RangeError);
  });
});

describe('session selection (RFC 5176 §3)', () => {
  const sel = (code: number, attributes: RadiusPacket['attributes']) => sessionSelector(req(code, attributes));
  it('402 without any identifier, 407 for a Calling-Station-Id that is no MAC or a repeated one, 401 for an unknown attribute in a Disconnect', () => {
    expect(sel(Code.DisconnectRequest, [attrString(Attr.NasIdentifier, 'ap1')])).toMatchObject({
      ok: false,
      errorCause: ErrorCause.MissingAttribute,
    });
    expect(sel(Code.DisconnectRequest, [attrString(Attr.CallingStationId, 'not-a-mac')])).toMatchObject({
      ok: false,
      errorCause: ErrorCause.InvalidAttributeValue,
    });
    expect(sel(Code.DisconnectRequest, [attrString(Attr.UserName, 'a'), attrString(Attr.UserName, 'b')])).toMatchObject({
      ok: false,
      errorCause: ErrorCause.InvalidAttributeValue,
    });
    expect(sel(Code.DisconnectRequest, [attrString(Attr.UserName, 'a'), attrString(Attr.FilterId, 'x')])).toMatchObject({
      ok: false,
      errorCause: ErrorCause.UnsupportedAttribute,
    });
    // What RFC 5176 lets a Disconnect carry, and vendors' own attributes, are no reason to refuse it.
    expect(
      sel(Code.DisconnectRequest, [
        attrString(Attr.UserName, 'a'),
        attrInteger(Attr.AcctTerminateCause, 6),
        attrString(Attr.VendorSpecific, Buffer.from('0000000901', 'hex')),
      ]).ok,
    ).toBe(true);
    // In a CoA the Filter-Id is the change asked for.
    const coa = req(Code.CoaRequest, [attrString(Attr.UserName, 'a'), attrString(Attr.FilterId, 'x'), attrString(Attr.ProxyState, 'p')]);
    expect(sessionSelector(coa).ok).toBe(true);
    expect(authorizationChanges(coa).map((a) => a.type)).toEqual([Attr.FilterId]);
  });

  it('reads every MAC form AAA servers write', () => {
    for (const s of ['02-00-00-00-00-41', '02:00:00:00:00:41', '0200.0000.0041', '020000000041', '02-00-00-00-00-41'.toUpperCase()]) {
      expect(macFromCallingStationId(s), s).toBe('02:00:00:00:00:41');
    }
    for (const s of ['02-00:00-00-00-41', '02-00-00-00-00', '02-00-00-00-00-41:ssid', '']) expect(macFromCallingStationId(s), s).toBeNull();
  });
});

describe('ACK/NAK', () => {
  const request = hex('101112131415161718191a1b1c1d1e1f');
  it('our answers: MA over the request authenticator; Error-Cause on a NAK', () => {
    const nak = finishDasResponse(
      { code: Code.DisconnectNak, identifier: 3, authenticator: request, attributes: [attrInteger(Attr.ErrorCause, 503)] },
      request,
      's',
    );
    expect(verifyDasResponse(nak, Code.DisconnectRequest, request, 's')).toMatchObject({ ok: true, errorCause: 503 });
    expect(getInteger(decodePacket(nak), Attr.ErrorCause)).toBe(503);
  });

  it("accepts an AP's answer with MA over zeros (FreeRADIUS) as well as over the request authenticator (hostapd)", () => {
    const zero = finishResponse({ code: Code.CoaAck, identifier: 3, authenticator: request, attributes: [] }, request, 's', {
      maVector: 'zero',
    });
    expect(verifyDasResponse(zero, Code.CoaRequest, request, 's')).toMatchObject({ ok: true, errorCause: null });
  });

  it('refuses an answer of the wrong kind, without MA, or signed with another secret', () => {
    const ack = finishDasResponse({ code: Code.CoaAck, identifier: 3, authenticator: request, attributes: [] }, request, 's');
    expect(verifyDasResponse(ack, Code.DisconnectRequest, request, 's')).toEqual({ ok: false, reason: 'wrong-answer-code' });
    expect(verifyDasResponse(ack, Code.CoaRequest, request, 'x')).toEqual({ ok: false, reason: 'response-authenticator-invalid' });
    const noMa = finishResponse({ code: Code.DisconnectAck, identifier: 3, authenticator: request, attributes: [] }, request, 's', {
      messageAuthenticator: false,
    });
    expect(verifyDasResponse(noMa, Code.DisconnectRequest, request, 's')).toEqual({ ok: false, reason: 'message-authenticator-missing' });
    const badEc = finishDasResponse(
      { code: Code.DisconnectNak, identifier: 3, authenticator: request, attributes: [attrString(Attr.ErrorCause, 'xy')] },
      request,
      's',
    );
    expect(verifyDasResponse(badEc, Code.DisconnectRequest, request, 's')).toEqual({ ok: false, reason: 'error-cause-bad-length' });
  });
});
