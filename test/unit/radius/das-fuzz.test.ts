// Fuzz of the RFC 5176 path, as the KMS runs it on each datagram from an upstream or an AP:
// verifyDasRequest, then (for what verifies) sessionSelector and authorizationChanges, and
// verifyDasResponse for the APs' answers. Properties:
// 1. none of them throws, whatever the bytes;
// 2. a request that verifies really is a signed Disconnect/CoA-Request with MA and a fresh Event-Timestamp;
// 3. no bit flip of a signed request or answer verifies;
// 4. a selector result is either a session selector or a NAK with an RFC 5176 Error-Cause.
// Half the inputs are re-signed after mutation, so the selector sees hostile attributes that passed
// the authenticators (what a compromised or buggy AAA server could send).
// Reproduce with DAS_FUZZ_SEED=<seed>; DAS_FUZZ_ITERATIONS changes the count.
import { describe, expect, it } from 'vitest';
import { Attr, Code, ErrorCause, attrInteger, attrString, encodePacket, type RadiusPacket } from '../../../adapters/radius/index.js';
import {
  authorizationChanges,
  finishDasRequest,
  finishDasResponse,
  sessionSelector,
  verifyDasRequest,
  verifyDasResponse,
} from '../../../adapters/radius/dynamic-authorization.js';
import { Prng } from '../../helpers/prng.js';

const SEED = Number(process.env.DAS_FUZZ_SEED ?? 0xda5);
const ITERATIONS = Number(process.env.DAS_FUZZ_ITERATIONS ?? 120_000);
const SECRET = 'das-fuzz-secret';
const NOW = 1_764_650_000;
const TIME = { nowS: NOW, windowS: 300, requireEventTimestamp: true };
const REQ_AUTH = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const CAUSES = new Set<number>(Object.values(ErrorCause));

const SELECTOR_TYPES = [
  Attr.UserName,
  Attr.CallingStationId,
  Attr.AcctSessionId,
  Attr.AcctMultiSessionId,
  Attr.ChargeableUserIdentity,
  Attr.NasIpAddress,
  Attr.NasIdentifier,
  Attr.NasIpv6Address,
  Attr.EventTimestamp,
  Attr.ProxyState,
  Attr.FilterId,
  Attr.ErrorCause,
  Attr.MessageAuthenticator,
  Attr.VendorSpecific,
  Attr.State,
  Attr.ServiceType,
];

function seeds(): RadiusPacket[] {
  const ts = attrInteger(Attr.EventTimestamp, NOW);
  return [
    {
      code: Code.DisconnectRequest,
      identifier: 1,
      authenticator: REQ_AUTH,
      attributes: [attrString(Attr.CallingStationId, '02-00-00-00-00-41'), ts],
    },
    {
      code: Code.DisconnectRequest,
      identifier: 2,
      authenticator: REQ_AUTH,
      attributes: [attrString(Attr.UserName, 'alice'), attrString(Attr.ProxyState, 'ps'), ts],
    },
    {
      code: Code.CoaRequest,
      identifier: 3,
      authenticator: REQ_AUTH,
      attributes: [attrString(Attr.AcctSessionId, 'D10059148802D570'), attrString(Attr.FilterId, 'guest'), ts],
    },
    {
      code: Code.CoaRequest,
      identifier: 4,
      authenticator: REQ_AUTH,
      attributes: [attrString(Attr.ChargeableUserIdentity, 'cui'), attrString(Attr.NasIdentifier, 'ap'), ts],
    },
  ];
}

function randomAttribute(rng: Prng): { type: number; value: Buffer } {
  const type = rng.chance(0.8) ? rng.pick(SELECTOR_TYPES) : rng.int(256);
  const value =
    type === Attr.CallingStationId && rng.chance(0.5)
      ? Buffer.from(rng.pick(['02-00-00-00-00-41', '0200.0000.0041', '02:00:00:00:00:4', 'zz-zz-zz-zz-zz-zz', '020000000041', '']))
      : rng.bytes(rng.pick([0, 1, 3, 4, 5, 16, rng.int(80)]));
  return { type, value: value.subarray(0, 253) };
}

function mutatePacket(rng: Prng, p: RadiusPacket): RadiusPacket {
  const attributes = [...p.attributes];
  for (let n = rng.int(4); n >= 0; n--) {
    switch (rng.int(4)) {
      case 0:
        attributes.push(randomAttribute(rng));
        break;
      case 1:
        if (attributes.length) attributes.splice(rng.int(attributes.length), 1);
        break;
      case 2:
        if (attributes.length) attributes[rng.int(attributes.length)] = randomAttribute(rng);
        break;
      default:
        if (attributes.length) attributes.push(attributes[rng.int(attributes.length)]!);
    }
  }
  return {
    ...p,
    code: rng.chance(0.9) ? p.code : rng.pick([Code.AccessRequest, Code.AccountingRequest, Code.DisconnectAck, rng.int(256)]),
    attributes,
  };
}

function mutateBytes(rng: Prng, b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (rng.int(5)) {
    case 0:
      return rng.bytes(rng.int(120));
    case 1:
      return out.subarray(0, rng.int(out.length));
    case 2:
      if (out.length >= 4) out.writeUInt16BE(rng.pick([0, 19, 20, out.length - 1, out.length + 1, 4096, rng.int(0x10000)]), 2);
      return out;
    case 3:
      if (out.length > 21) out[20 + rng.int(out.length - 20)] = rng.int(256);
      return out;
    default: {
      const tail = rng.bytes(rng.int(30));
      const all = Buffer.concat([out, tail]);
      if (rng.chance(0.7) && all.length >= 4) all.writeUInt16BE(all.length & 0xffff, 2);
      return all;
    }
  }
}

describe('DAS fuzz', () => {
  it(`${ITERATIONS} random, mutated and re-signed inputs through the Disconnect/CoA path (seed ${SEED})`, () => {
    const rng = new Prng(SEED);
    const base = seeds();
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    for (let i = 0; i < ITERATIONS && failures.length < 10; i++) {
      const seed = rng.pick(base);
      let input: Buffer;
      let resigned = false;
      try {
        if (rng.chance(0.5)) {
          input = finishDasRequestOrRaw(mutatePacket(rng, seed));
          resigned = true;
        } else {
          input = mutateBytes(rng, finishDasRequest(seed, SECRET));
        }
      } catch (e) {
        // A mutation the encoder refuses (e.g. a packet over 4096 octets) is a caller bug, not input.
        if (e instanceof RangeError || (e as Error).name === 'RadiusEncodeError') continue;
        throw e;
      }
      try {
        const r = verifyDasRequest(input, SECRET, TIME);
        count(r.ok ? 'verified' : r.reason);
        if (!r.ok) continue;
        // Property 2.
        if (r.packet.code !== Code.DisconnectRequest && r.packet.code !== Code.CoaRequest)
          failures.push(`#${i}: verified code ${r.packet.code}`);
        if (!r.packet.attributes.some((a) => a.type === Attr.MessageAuthenticator)) failures.push(`#${i}: verified without MA`);
        if (r.eventTimestamp === null || Math.abs(r.eventTimestamp - NOW) > 300)
          failures.push(`#${i}: verified with Event-Timestamp ${r.eventTimestamp}`);
        if (!resigned && !input.subarray(0, input.readUInt16BE(2)).equals(finishDasRequest(seed, SECRET))) {
          // Only padding past Length may differ from the signed seed.
          failures.push(`#${i}: a mutated datagram verified`);
        }
        // Property 4.
        const s = sessionSelector(r.packet);
        count(s.ok ? 'selector' : `nak-${s.errorCause}`);
        if (!s.ok && !CAUSES.has(s.errorCause)) failures.push(`#${i}: Error-Cause ${s.errorCause}`);
        authorizationChanges(r.packet);
      } catch (e) {
        failures.push(`#${i} (${input.toString('hex')}): ${String(e)}`);
      }
      // Answers from an AP: the same bytes, and a signed answer with flipped bits (property 3).
      try {
        const answer = rng.chance(0.5)
          ? input
          : flip(
              rng,
              finishDasResponse(
                { code: Code.DisconnectNak, identifier: 1, authenticator: REQ_AUTH, attributes: [attrInteger(Attr.ErrorCause, 503)] },
                REQ_AUTH,
                SECRET,
              ),
            );
        const v = verifyDasResponse(answer, Code.DisconnectRequest, REQ_AUTH, SECRET);
        count(v.ok ? 'answer-verified' : `answer-${v.reason}`);
        if (v.ok) failures.push(`#${i}: a forged or flipped answer verified`);
      } catch (e) {
        failures.push(`#${i} answer: ${String(e)}`);
      }
    }
    expect(failures).toEqual([]);
    // The fuzz reaches every stage: drops of each kind, verified requests, selectors and NAKs.
    for (const k of ['verified', 'selector', 'request-authenticator-invalid', 'nak-401', 'nak-407'])
      expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
  }, 120_000);
});

/** Re-signed when the encoder takes it; raw bytes otherwise (they still go through verify). */
function finishDasRequestOrRaw(p: RadiusPacket): Buffer {
  if (p.code === Code.DisconnectRequest || p.code === Code.CoaRequest) return finishDasRequest(p, SECRET);
  return encodePacket(p);
}

function flip(rng: Prng, b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let n = rng.range(1, 4); n > 0; n--) out[rng.int(out.length)]! ^= 1 << rng.int(8);
  return out.equals(b) ? flip(rng, b) : out;
}
