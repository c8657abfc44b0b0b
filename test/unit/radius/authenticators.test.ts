import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Attr,
  Code,
  RadiusEncodeError,
  attrInteger,
  attrString,
  decodePacket,
  encodePacket,
  finishAccessRequest,
  finishAccountingRequest,
  finishResponse,
  finishStatusServer,
  verifyRequest,
  verifyResponse,
  type RadiusPacket,
} from '../../../adapters/radius/index.js';
import { ACCESS_ACCEPT, ACCESS_REQUEST, REQUEST_AUTH, SECRET, hex } from './vectors.js';

const REQUIRE = { requireMessageAuthenticator: true };
const OPTIONAL = { requireMessageAuthenticator: false };
const OK = { ok: true };
const bad = (reason: string) => ({ ok: false, reason });

const md5 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('md5')).digest();
const hmac = (b: Buffer) => createHmac('md5', SECRET).update(b).digest();

const packet = (code: number, attributes: RadiusPacket['attributes'] = []): RadiusPacket => ({
  code,
  identifier: 9,
  authenticator: Buffer.from(REQUEST_AUTH),
  attributes,
});
const EAP = attrString(Attr.EapMessage, hex('0201000a01616c696365'));
const USER = attrString(Attr.UserName, 'alice');

/** Re-encode a packet with `attributes` (authenticators untouched). */
const rewrite = (bytes: Buffer, f: (p: RadiusPacket) => RadiusPacket) => encodePacket(f(decodePacket(bytes)));
const flip = (bytes: Buffer, i: number) => {
  const b = Buffer.from(bytes);
  b[i]! ^= 1;
  return b;
};

describe('Access-Request', () => {
  it("verifies hostapd's MA-last layout and rejects a wrong secret", () => {
    expect(verifyRequest(ACCESS_REQUEST, SECRET, REQUIRE)).toEqual(OK);
    expect(verifyRequest(ACCESS_REQUEST, 'wrong', REQUIRE)).toEqual(bad('message-authenticator-invalid'));
  });

  it('finishAccessRequest puts MA first, keeps the authenticator, and matches an independent HMAC', () => {
    const bytes = finishAccessRequest(packet(Code.AccessRequest, [USER]), SECRET);
    expect(bytes.subarray(20, 22)).toEqual(hex('5012'));
    expect(bytes.subarray(4, 20)).toEqual(REQUEST_AUTH);
    const zeroed = Buffer.from(bytes).fill(0, 22, 38);
    expect(bytes.subarray(22, 38)).toEqual(hmac(zeroed));
    expect(verifyRequest(bytes, SECRET, REQUIRE)).toEqual(OK);
    // Same content as the hostapd vector, only the MA moved: a different MA value.
    expect(bytes.subarray(22, 38)).not.toEqual(ACCESS_REQUEST.subarray(29));
  });

  it('replaces a stale MA wherever it was', () => {
    const stale = packet(Code.AccessRequest, [USER, { type: Attr.MessageAuthenticator, value: Buffer.alloc(16, 7) }]);
    const bytes = finishAccessRequest(stale, SECRET);
    expect(decodePacket(bytes).attributes.map((a) => a.type)).toEqual([Attr.MessageAuthenticator, Attr.UserName]);
  });

  it('MA missing: rejected when required or when EAP-Message is present (RFC 3579 §3.3)', () => {
    const plain = encodePacket(packet(Code.AccessRequest, [USER]));
    expect(verifyRequest(plain, SECRET, REQUIRE)).toEqual(bad('message-authenticator-missing'));
    expect(verifyRequest(plain, SECRET, OPTIONAL)).toEqual(OK);
    const eap = encodePacket(packet(Code.AccessRequest, [USER, EAP]));
    expect(verifyRequest(eap, SECRET, OPTIONAL)).toEqual(bad('message-authenticator-missing'));
  });

  it('MA duplicated or of the wrong length', () => {
    const twice = rewrite(ACCESS_REQUEST, (p) => ({ ...p, attributes: [...p.attributes, p.attributes[1]!] }));
    expect(verifyRequest(twice, SECRET, OPTIONAL)).toEqual(bad('message-authenticator-duplicate'));
    const short = encodePacket(packet(Code.AccessRequest, [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(15) }]));
    expect(verifyRequest(short, SECRET, OPTIONAL)).toEqual(bad('message-authenticator-bad-length'));
  });

  it('every single-bit flip of a signed request fails', () => {
    const bytes = finishAccessRequest(packet(Code.AccessRequest, [USER, EAP]), SECRET);
    for (let i = 0; i < bytes.length; i++) expect(verifyRequest(flip(bytes, i), SECRET, REQUIRE).ok).toBe(false);
  });

  it('verifies bytes, not the decoded view: padding after Length is ignored', () => {
    expect(verifyRequest(Buffer.concat([ACCESS_REQUEST, hex('00ff')]), SECRET, REQUIRE)).toEqual(OK);
  });
});

describe('Accounting-Request and CoA/Disconnect-Request', () => {
  const acct = packet(Code.AccountingRequest, [attrInteger(Attr.AcctStatusType, 1), USER]);

  it('Request Authenticator = MD5(packet with zero authenticator || secret)', () => {
    const bytes = finishAccountingRequest(acct, SECRET);
    const zeroed = Buffer.from(bytes).fill(0, 4, 20);
    expect(bytes.subarray(4, 20)).toEqual(md5(zeroed, Buffer.from(SECRET)));
    expect(verifyRequest(bytes, SECRET, OPTIONAL)).toEqual(OK);
    expect(verifyRequest(bytes, SECRET, REQUIRE)).toEqual(bad('message-authenticator-missing'));
    expect(verifyRequest(flip(bytes, 30), SECRET, OPTIONAL)).toEqual(bad('request-authenticator-invalid'));
    expect(verifyRequest(bytes, 'wrong', OPTIONAL)).toEqual(bad('request-authenticator-invalid'));
  });

  it('with MA: first, computed over a zero authenticator, before the Request Authenticator', () => {
    const bytes = finishAccountingRequest(acct, SECRET, { messageAuthenticator: true });
    expect(bytes.subarray(20, 22)).toEqual(hex('5012'));
    const zeroed = Buffer.from(bytes).fill(0, 4, 20).fill(0, 22, 38);
    expect(bytes.subarray(22, 38)).toEqual(hmac(zeroed));
    const authZeroed = Buffer.from(bytes).fill(0, 4, 20);
    expect(bytes.subarray(4, 20)).toEqual(md5(authZeroed, Buffer.from(SECRET)));
    expect(verifyRequest(bytes, SECRET, REQUIRE)).toEqual(OK);
  });

  it('an MA computed over the final authenticator is invalid', () => {
    const bytes = finishAccountingRequest(acct, SECRET, { messageAuthenticator: true });
    const wrong = Buffer.from(bytes);
    hmac(Buffer.from(bytes).fill(0, 22, 38)).copy(wrong, 22);
    md5(Buffer.from(wrong).fill(0, 4, 20), Buffer.from(SECRET)).copy(wrong, 4);
    expect(verifyRequest(wrong, SECRET, OPTIONAL)).toEqual(bad('message-authenticator-invalid'));
  });

  it.each([Code.DisconnectRequest, Code.CoaRequest])('code %i uses the same construction', (code) => {
    const bytes = finishAccountingRequest(packet(code, [USER]), SECRET, { messageAuthenticator: true });
    expect(verifyRequest(bytes, SECRET, REQUIRE)).toEqual(OK);
  });
});

describe('Status-Server (RFC 5997)', () => {
  it('always carries and requires MA', () => {
    const bytes = finishStatusServer(packet(Code.StatusServer, [attrString(Attr.NasIdentifier, 'kms')]), SECRET);
    expect(verifyRequest(bytes, SECRET, OPTIONAL)).toEqual(OK);
    const bare = encodePacket(packet(Code.StatusServer));
    expect(verifyRequest(bare, SECRET, OPTIONAL)).toEqual(bad('message-authenticator-missing'));
  });

  it('its Access-Accept answer verifies against its authenticator', () => {
    const ss = finishStatusServer(packet(Code.StatusServer), SECRET);
    const reply = finishResponse(packet(Code.AccessAccept), ss.subarray(4, 20), SECRET);
    expect(verifyResponse(reply, ss.subarray(4, 20), SECRET, REQUIRE)).toEqual(OK);
  });
});

describe('responses', () => {
  it('finishResponse reproduces the hostapd Access-Accept exactly', () => {
    const accept = { ...packet(Code.AccessAccept), identifier: 0x2a, authenticator: Buffer.alloc(16, 0xee) };
    expect(finishResponse(accept, REQUEST_AUTH, SECRET)).toEqual(ACCESS_ACCEPT);
    expect(verifyResponse(ACCESS_ACCEPT, REQUEST_AUTH, SECRET, REQUIRE)).toEqual(OK);
  });

  it('Response Authenticator = MD5(Code|ID|Length|RequestAuth|Attributes|Secret); MA uses the request authenticator', () => {
    const bytes = finishResponse(packet(Code.AccessChallenge, [EAP, attrString(Attr.State, 'st')]), REQUEST_AUTH, SECRET);
    expect(bytes.subarray(4, 20)).toEqual(md5(bytes.subarray(0, 4), REQUEST_AUTH, bytes.subarray(20), Buffer.from(SECRET)));
    const forMa = Buffer.from(bytes).fill(0, 22, 38);
    REQUEST_AUTH.copy(forMa, 4);
    expect(bytes.subarray(22, 38)).toEqual(hmac(forMa));
  });

  it.each([Code.AccessReject, Code.AccountingResponse, Code.DisconnectAck, Code.DisconnectNak, Code.CoaAck, Code.CoaNak])(
    'code %i round-trips, with and without MA',
    (code) => {
      const withMa = finishResponse(packet(code, [USER]), REQUEST_AUTH, SECRET);
      expect(verifyResponse(withMa, REQUEST_AUTH, SECRET, REQUIRE)).toEqual(OK);
      const noMa = finishResponse(packet(code, [USER]), REQUEST_AUTH, SECRET, { messageAuthenticator: false });
      expect(decodePacket(noMa).attributes).toHaveLength(1);
      expect(verifyResponse(noMa, REQUEST_AUTH, SECRET, OPTIONAL)).toEqual(OK);
      expect(verifyResponse(noMa, REQUEST_AUTH, SECRET, REQUIRE)).toEqual(bad('message-authenticator-missing'));
    },
  );

  it("maVector 'zero' (FreeRADIUS for Accounting-Response and CoA/Disconnect ACK/NAK) must match on both ends", () => {
    const bytes = finishResponse(packet(Code.CoaAck), REQUEST_AUTH, SECRET, { maVector: 'zero' });
    expect(verifyResponse(bytes, REQUEST_AUTH, SECRET, { ...REQUIRE, maVector: 'zero' })).toEqual(OK);
    expect(verifyResponse(bytes, REQUEST_AUTH, SECRET, REQUIRE)).toEqual(bad('message-authenticator-invalid'));
  });

  it('rejects a wrong request authenticator, a tampered byte, a wrong secret', () => {
    const other = Buffer.alloc(16, 1);
    expect(verifyResponse(ACCESS_ACCEPT, other, SECRET, REQUIRE)).toEqual(bad('response-authenticator-invalid'));
    expect(verifyResponse(flip(ACCESS_ACCEPT, 30), REQUEST_AUTH, SECRET, REQUIRE)).toEqual(bad('response-authenticator-invalid'));
    expect(verifyResponse(ACCESS_ACCEPT, REQUEST_AUTH, 'x', REQUIRE)).toEqual(bad('response-authenticator-invalid'));
  });

  it('a valid Response Authenticator over a forged MA still fails (BlastRADIUS shape)', () => {
    const forged = Buffer.from(ACCESS_ACCEPT).fill(0xab, 22, 38);
    md5(forged.subarray(0, 4), REQUEST_AUTH, forged.subarray(20), Buffer.from(SECRET)).copy(forged, 4);
    expect(verifyResponse(forged, REQUEST_AUTH, SECRET, OPTIONAL)).toEqual(bad('message-authenticator-invalid'));
  });
});

describe('misuse and hostile input', () => {
  it('verify* report decode failures and wrong directions as reasons', () => {
    expect(verifyRequest(Buffer.alloc(5), SECRET, REQUIRE)).toEqual(bad('short-header'));
    expect(verifyResponse(ACCESS_REQUEST, REQUEST_AUTH, SECRET, REQUIRE)).toEqual(bad('not-a-response'));
    expect(verifyRequest(ACCESS_ACCEPT, SECRET, REQUIRE)).toEqual(bad('not-a-request'));
    expect(verifyRequest(encodePacket(packet(99)), SECRET, OPTIONAL)).toEqual(bad('not-a-request'));
  });

  it('finish* refuse the wrong code, verifyResponse a bad request authenticator', () => {
    expect(() => finishAccessRequest(packet(Code.AccessAccept), SECRET)).toThrow(RadiusEncodeError);
    expect(() => finishStatusServer(packet(Code.AccessRequest), SECRET)).toThrow(RadiusEncodeError);
    expect(() => finishAccountingRequest(packet(Code.AccessRequest), SECRET)).toThrow(RadiusEncodeError);
    expect(() => finishResponse(packet(Code.AccessRequest), REQUEST_AUTH, SECRET)).toThrow(RadiusEncodeError);
    expect(() => finishResponse(packet(Code.AccessAccept), Buffer.alloc(3), SECRET)).toThrow(RadiusEncodeError);
    expect(() => verifyResponse(ACCESS_ACCEPT, Buffer.alloc(3), SECRET, REQUIRE)).toThrow(RadiusEncodeError);
  });

  it('accepts Buffer secrets', () => {
    expect(verifyRequest(ACCESS_REQUEST, Buffer.from(SECRET), REQUIRE)).toEqual(OK);
  });
});
