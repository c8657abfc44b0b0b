// The `radius` npm package (1.1.4) as a test oracle: on valid packets both codecs must agree;
// the last block shows, with counts, where `radius` is lax (why it is an oracle and not the codec).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  Attr,
  Code,
  type RadiusDecodeError,
  attrString,
  attrVendor,
  decodePacket,
  encodePacket,
  finishAccessRequest,
  finishAccountingRequest,
  finishResponse,
  hidePassword,
  unhidePassword,
  verifyRequest,
  verifyResponse,
  type RadiusAttribute,
  type RadiusPacket,
} from '../../../adapters/radius/index.js';
import { Prng } from '../../helpers/prng.js';
import { ACCESS_REQUEST, REQUEST_AUTH, SECRET } from './vectors.js';

interface Decoded {
  code: string;
  identifier: number;
  attributes: Record<string, unknown>;
  raw_attributes: [number, Buffer][];
}
interface RadiusLib {
  encode(args: object): Buffer;
  encode_response(args: object): Buffer;
  decode(args: { packet: Buffer; secret: string }): Decoded;
  decode_without_secret(args: { packet: Buffer }): Decoded;
  verify_response(args: { request: Buffer; response: Buffer; secret: string }): boolean;
}
const radius = createRequire(import.meta.url)('radius') as RadiusLib;

const OK = { ok: true };
const REQUIRE = { requireMessageAuthenticator: true };
const OPTIONAL = { requireMessageAuthenticator: false };
const raw = (d: Decoded): RadiusAttribute[] => d.raw_attributes.map(([type, value]) => ({ type, value }));

/** Attributes both codecs can carry: octet/text types, 4-octet integers, unknown types, VSAs. */
function randomAttributes(rng: Prng): RadiusAttribute[] {
  const out: RadiusAttribute[] = [];
  for (let n = rng.int(12); n > 0; n--) {
    const kind = rng.int(4);
    if (kind === 0) out.push(attrString(rng.pick([1, 11, 18, 24, 25, 30, 31, 32, 33, 44, 79, 89]), rng.bytes(rng.range(1, 60))));
    else if (kind === 1) out.push({ type: rng.pick([5, 12, 27, 85]), value: rng.bytes(4) });
    else if (kind === 2) out.push({ type: rng.range(200, 230), value: rng.bytes(rng.int(40)) });
    else out.push(attrVendor(rng.pick([311, 14823, 9]), rng.range(1, 255), rng.bytes(rng.int(30))));
  }
  return out;
}

describe('valid packets: both codecs agree', () => {
  it('packets `radius` encodes decode identically here, verify, and re-encode byte for byte', () => {
    const rng = new Prng(0x0dac1e);
    for (let i = 0; i < 300; i++) {
      const acct = rng.chance(0.3);
      // `radius` cannot sign an Accounting-Request with MA, and EAP-Message requires MA (RFC 3579 §3.2).
      const attrs = randomAttributes(rng).filter((a) => !(acct && a.type === Attr.EapMessage));
      const bytes = radius.encode({
        code: acct ? 'Accounting-Request' : 'Access-Request',
        secret: SECRET,
        identifier: i & 0xff,
        authenticator: acct ? undefined : rng.bytes(16),
        attributes: attrs.map((a) => [a.type, a.value]),
        add_message_authenticator: !acct,
      });
      const ours = decodePacket(bytes);
      expect(ours.attributes).toEqual(raw(radius.decode({ packet: bytes, secret: SECRET })));
      expect(encodePacket(ours)).toEqual(bytes);
      expect(verifyRequest(bytes, SECRET, acct ? OPTIONAL : REQUIRE)).toEqual(OK);
    }
  });

  it('packets finished here decode and verify in `radius`', () => {
    const rng = new Prng(0xfeed);
    for (let i = 0; i < 300; i++) {
      const p: RadiusPacket = { code: 0, identifier: i & 0xff, authenticator: rng.bytes(16), attributes: randomAttributes(rng) };
      const acct = rng.chance(0.3);
      const bytes = acct
        ? finishAccountingRequest({ ...p, code: Code.AccountingRequest }, SECRET)
        : finishAccessRequest({ ...p, code: Code.AccessRequest }, SECRET);
      // radius.decode throws if the Request Authenticator or Message-Authenticator is wrong.
      const theirs = radius.decode({ packet: bytes, secret: SECRET });
      expect(raw(theirs)).toEqual(decodePacket(bytes).attributes);

      const reply = finishResponse({ ...p, code: acct ? Code.AccountingResponse : Code.AccessAccept }, bytes.subarray(4, 20), SECRET);
      expect(radius.verify_response({ request: bytes, response: reply, secret: SECRET })).toBe(true);
    }
  });

  it('the hostapd Access-Request, and an encode_response reply to it', () => {
    const req = radius.decode({ packet: ACCESS_REQUEST, secret: SECRET });
    expect(req.attributes['User-Name']).toBe('alice');
    const reply = radius.encode_response({
      packet: req,
      code: 'Access-Challenge',
      secret: SECRET,
      attributes: [['State', Buffer.from('abc')]],
    });
    expect(verifyResponse(reply, REQUEST_AUTH, SECRET, REQUIRE)).toEqual(OK);
  });

  it('User-Password hiding matches for 1..128 octets', () => {
    for (let n = 1; n <= 128; n += 9) {
      const pw = 'p'.repeat(n);
      const bytes = radius.encode({
        code: 'Access-Request',
        secret: SECRET,
        identifier: 1,
        authenticator: REQUEST_AUTH,
        attributes: [['User-Password', pw]],
      });
      const hidden = decodePacket(bytes).attributes[0]!.value;
      expect(hidden).toEqual(hidePassword(pw, SECRET, REQUEST_AUTH));
      expect(unhidePassword(hidden, SECRET, REQUEST_AUTH).toString()).toBe(pw);
    }
  });
});

describe('where `radius` disagrees', () => {
  const acctReq: RadiusPacket = {
    code: Code.AccountingRequest,
    identifier: 5,
    authenticator: Buffer.alloc(16),
    attributes: [{ type: Attr.AcctStatusType, value: Buffer.from([0, 0, 0, 1]) }],
  };

  it('Accounting-Request with Message-Authenticator: it cannot verify ours, nor its own', () => {
    // Ours: MA over a zero authenticator, then the Request Authenticator (RFC 5176 §3.4, FreeRADIUS).
    const ours = finishAccountingRequest(acctReq, SECRET, { messageAuthenticator: true });
    expect(() => radius.decode({ packet: ours, secret: SECRET })).toThrow(/Message-Authenticator mismatch/);
    // Its own: the Request Authenticator is computed before the MA is filled in, so it no longer holds.
    const own = radius.encode({
      code: 'Accounting-Request',
      secret: SECRET,
      identifier: 5,
      attributes: [['Acct-Status-Type', 'Start']],
      add_message_authenticator: true,
    });
    expect(() => radius.decode({ packet: own, secret: SECRET })).toThrow(/authenticator mismatch/);
    expect(verifyRequest(own, SECRET, OPTIONAL)).toEqual({ ok: false, reason: 'request-authenticator-invalid' });
  });

  it('compares authenticators as UTF-8 strings: a forged Response Authenticator passes', () => {
    let found = false;
    for (let id = 0; id < 256 && !found; id++) {
      const request = radius.encode({
        code: 'Access-Request',
        secret: SECRET,
        identifier: id,
        authenticator: REQUEST_AUTH,
        attributes: [['User-Name', 'bob']],
        add_message_authenticator: false,
      });
      const response = radius.encode_response({
        packet: radius.decode({ packet: request, secret: SECRET }),
        code: 'Access-Accept',
        secret: SECRET,
      });
      for (let i = 4; i < 20 && !found; i++) {
        const forged = Buffer.from(response);
        forged[i] = forged[i]! ^ 0x01;
        if (forged.subarray(4, 20).toString() !== response.subarray(4, 20).toString()) continue;
        found = true;
        expect(radius.verify_response({ request, response: forged, secret: SECRET })).toBe(true);
        expect(verifyResponse(forged, REQUEST_AUTH, SECRET, OPTIONAL)).toEqual({ ok: false, reason: 'response-authenticator-invalid' });
      }
    }
    expect(found).toBe(true);
  });

  it('accepts structurally invalid packets that are rejected here', () => {
    const rng = new Prng(0xbad);
    const seeds = [
      ACCESS_REQUEST,
      finishResponse({ ...acctReq, code: Code.AccessAccept, attributes: randomAttributes(rng) }, REQUEST_AUTH, SECRET),
    ];
    const tally = new Map<string, { total: number; radiusAccepted: number }>();
    let invalid = 0;
    while (invalid < 5000) {
      const b = Buffer.from(rng.pick(seeds));
      const m = rng.int(3);
      if (m === 0)
        b.writeUInt16BE(rng.range(0, b.length + 8), 2); // Length lie
      else if (m === 1) b[rng.range(20, b.length - 1)] = rng.int(256); // attribute octet garbage
      const input = m === 2 ? b.subarray(0, rng.range(4, b.length - 1)) : b; // truncated datagram
      let reason: string;
      try {
        decodePacket(input);
        continue;
      } catch (e) {
        reason = (e as RadiusDecodeError).reason;
      }
      invalid++;
      let accepted = true;
      try {
        radius.decode_without_secret({ packet: Buffer.from(input) });
      } catch {
        accepted = false;
      }
      const t = tally.get(reason) ?? { total: 0, radiusAccepted: 0 };
      t.total++;
      if (accepted) t.radiusAccepted++;
      tally.set(reason, t);
    }
    const accepted = [...tally.values()].reduce((n, t) => n + t.radiusAccepted, 0);
    console.log(`radius accepted ${accepted} of ${invalid} packets rejected here:`, Object.fromEntries(tally));
    expect(tally.get('attribute-overrun')!.radiusAccepted).toBeGreaterThan(0);
    expect(tally.get('length-field-too-small')!.radiusAccepted).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(invalid / 4);
  });

  it.each([
    ['short-header', () => Buffer.from('0201000c' + '00'.repeat(8), 'hex')],
    [
      'packet-too-long',
      () => {
        const b = Buffer.alloc(4200);
        b[0] = 2;
        b.writeUInt16BE(4200, 2);
        for (let o = 20; o < 4200; o += 20) (b[o] = 25), (b[o + 1] = 20);
        return b;
      },
    ],
    ['length-field-too-small', () => Buffer.concat([Buffer.from('02010000', 'hex'), Buffer.alloc(16)])],
    ['attribute-overrun', () => Buffer.concat([Buffer.from('02010017', 'hex'), Buffer.alloc(16), Buffer.from('0109aa', 'hex')])],
  ])('example: %s is accepted by `radius`', (reason, make) => {
    const b = make();
    expect(() => decodePacket(b)).toThrow(expect.objectContaining({ reason }));
    expect(() => radius.decode_without_secret({ packet: b })).not.toThrow();
  });

  it('is stricter on two points that are not structure: unknown codes and Vendor-Ids >= 2^24', () => {
    const unknown = encodePacket({ code: 0, identifier: 0, authenticator: Buffer.alloc(16), attributes: [] });
    expect(decodePacket(unknown).code).toBe(0);
    expect(() => radius.decode_without_secret({ packet: unknown })).toThrow(/invalid packet code/);
    const vsa = encodePacket({
      code: 2,
      identifier: 0,
      authenticator: Buffer.alloc(16),
      attributes: [{ type: 26, value: Buffer.from('0100000001020000', 'hex') }],
    });
    expect(decodePacket(vsa).attributes).toHaveLength(1);
    expect(() => radius.decode_without_secret({ packet: vsa })).toThrow(/Invalid vendor id/);
  });

  it('drops empty string attributes when encoding', () => {
    const bytes = radius.encode({
      code: 'Access-Request',
      secret: SECRET,
      identifier: 1,
      attributes: [
        ['User-Name', ''],
        ['Class', Buffer.alloc(0)],
      ],
      add_message_authenticator: false,
    });
    expect(decodePacket(bytes).attributes.map((a) => a.type)).toEqual([Attr.Class]);
  });
});
