// Property/fuzz test: random and mutated datagrams through every parser. Properties:
// 1. nothing but RadiusDecodeError escapes decodePacket, getInteger, getVendorAttrs,
//    decodeVendorSpecific, decryptMppeKey, unhidePassword, decryptTunnelPassword;
// 2. verifyRequest / verifyResponse / extractVlan never throw;
// 3. a decoded packet re-encodes to exactly the Length octets it came from;
// 4. no bit flip of a signed packet verifies (with Message-Authenticator required).
// Reproduce with RADIUS_FUZZ_SEED=<seed>; RADIUS_FUZZ_ITERATIONS changes the count.
import { describe, expect, it } from 'vitest';
import {
  Attr,
  Code,
  RadiusDecodeError,
  attrInteger,
  attrString,
  attrVendor,
  decodePacket,
  decodeVendorSpecific,
  decryptMppeKey,
  decryptTunnelPassword,
  encodePacket,
  encryptMppeKey,
  encryptTunnelPassword,
  extractVlan,
  finishAccessRequest,
  finishAccountingRequest,
  finishResponse,
  finishStatusServer,
  getInteger,
  getVendorAttrs,
  hidePassword,
  unhidePassword,
  verifyRequest,
  verifyResponse,
  type RadiusPacket,
} from '../../../adapters/radius/index.js';
import { Prng } from '../../helpers/prng.js';
import { ACCESS_ACCEPT, ACCESS_REQUEST, RECV_VSA, REQUEST_AUTH, SECRET, SEND_VSA } from './vectors.js';

const SEED = Number(process.env.RADIUS_FUZZ_SEED ?? 0x5eed5);
const ITERATIONS = Number(process.env.RADIUS_FUZZ_ITERATIONS ?? 120_000);

const base = (code: number, attributes: RadiusPacket['attributes']): RadiusPacket => ({
  code,
  identifier: 7,
  authenticator: Buffer.from(REQUEST_AUTH),
  attributes,
});
const vlanAttrs = [
  { type: Attr.TunnelType, value: Buffer.from('0100000d', 'hex') },
  { type: Attr.TunnelMediumType, value: Buffer.from('01000006', 'hex') },
  { type: Attr.TunnelPrivateGroupId, value: Buffer.from('\x01100') },
  { type: Attr.EgressVlanId, value: Buffer.from('31000065', 'hex') },
];

/** Valid packets, each with a flag: does it carry a Message-Authenticator that verify* must check? */
function corpus(): { bytes: Buffer; signed: 'request' | 'response' | null }[] {
  const send = { type: 26, value: SEND_VSA.subarray(2) };
  const recv = { type: 26, value: RECV_VSA.subarray(2) };
  const tp = { type: Attr.TunnelPassword, value: encryptTunnelPassword('pw', SECRET, REQUEST_AUTH, 0x8abc, 1) };
  const accept = base(Code.AccessAccept, [send, recv, ...vlanAttrs, tp, attrVendor(14823, 1, 'staff')]);
  const request = base(Code.AccessRequest, [
    attrString(Attr.UserName, 'bob'),
    { type: Attr.UserPassword, value: hidePassword('hunter2', SECRET, REQUEST_AUTH) },
    attrString(Attr.CalledStationId, '02-00-00-00-01-00:kms'),
    attrInteger(Attr.MobilityDomainId, 0xa1b2),
    attrString(Attr.EapMessage, Buffer.from('0201000a01616c696365', 'hex')),
  ]);
  const acct = base(Code.AccountingRequest, [attrInteger(Attr.AcctStatusType, 1), attrString(Attr.AcctSessionId, 'ABCD')]);
  const multi = base(Code.AccessAccept, [{ type: 26, value: Buffer.from('00000137100301110402021203aabb', 'hex') }]);
  return [
    { bytes: ACCESS_REQUEST, signed: 'request' },
    { bytes: ACCESS_ACCEPT, signed: 'response' },
    { bytes: finishResponse(accept, REQUEST_AUTH, SECRET), signed: 'response' },
    { bytes: finishAccessRequest(request, SECRET), signed: 'request' },
    { bytes: finishAccountingRequest(acct, SECRET, { messageAuthenticator: true }), signed: 'request' },
    { bytes: finishStatusServer(base(Code.StatusServer, []), SECRET), signed: 'request' },
    { bytes: encodePacket(multi), signed: null },
  ];
}

/** A Vendor-Specific value of random shape, usually vendor 311 so the MPPE path is reached. */
function vsaGarbage(rng: Prng): Buffer {
  const vendor = Buffer.alloc(4);
  vendor.writeUInt32BE(rng.chance(0.8) ? 311 : rng.u32(), 0);
  const subs: Buffer[] = [];
  for (let n = rng.int(4); n >= 0; n--) {
    const body = rng.chance(0.5)
      ? encryptMppeKey(rng.bytes(rng.range(1, 64)), rng.chance(0.7) ? SECRET : 'x', REQUEST_AUTH, rng.range(0x8000, 0xffff))
      : rng.bytes(rng.int(40));
    const len = rng.chance(0.8) ? body.length + 2 : rng.int(256);
    subs.push(Buffer.from([rng.pick([16, 17, 1, rng.int(256)]), len & 0xff]), body);
  }
  return Buffer.concat([vendor, ...subs]).subarray(0, rng.chance(0.9) ? 253 : rng.int(10));
}

/** An attribute soup of random types/lengths, some lengths lying. */
function soup(rng: Prng): Buffer {
  const parts: Buffer[] = [];
  for (let n = rng.int(10); n > 0; n--) {
    const type = rng.pick([1, 2, 26, 56, 64, 65, 69, 79, 80, 81, rng.int(256)]);
    const value = type === 26 ? vsaGarbage(rng) : rng.bytes(rng.pick([0, 1, 3, 4, 5, 16, 18, rng.int(60)]));
    const len = rng.chance(0.9) ? value.length + 2 : rng.int(256);
    parts.push(Buffer.from([type, len & 0xff]), value.subarray(0, 253));
  }
  return Buffer.concat(parts);
}

function withLength(b: Buffer, length: number): Buffer {
  if (b.length >= 4) b.writeUInt16BE(length & 0xffff, 2);
  return b;
}

function mutate(rng: Prng, seed: Buffer): { input: Buffer; flipOnly: boolean } {
  const b = Buffer.from(seed);
  switch (rng.int(9)) {
    case 0:
      return { input: rng.bytes(rng.chance(0.98) ? rng.int(80) : rng.range(4000, 5000)), flipOnly: false };
    case 1: {
      const head = rng.bytes(20);
      head[0] = rng.pick([1, 2, 3, 4, 5, 11, 12, 40, 43, rng.int(256)]);
      const body = soup(rng);
      return { input: withLength(Buffer.concat([head, body]), rng.chance(0.8) ? 20 + body.length : rng.int(0x10000)), flipOnly: false };
    }
    case 2:
      return { input: b.subarray(0, rng.int(b.length)), flipOnly: false };
    case 3:
      for (let n = rng.range(1, 8); n > 0; n--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
      return { input: b, flipOnly: true };
    case 4:
      return {
        input: withLength(b, rng.pick([0, 19, 20, b.length - 1, b.length + 1, 4096, 4097, 0xffff, rng.int(0x10000)])),
        flipOnly: false,
      };
    case 5: {
      // Lie in one attribute's length octet.
      let off = 20;
      const stop = rng.int(8);
      for (let i = 0; i < stop && off + 1 < b.length && b[off + 1]! >= 2 && off + b[off + 1]! < b.length; i++) off += b[off + 1]!;
      if (off + 1 < b.length) b[off + 1] = rng.int(256);
      return { input: b, flipOnly: false };
    }
    case 6: {
      const extra = Buffer.concat([Buffer.from([26, 0]), vsaGarbage(rng)]);
      extra[1] = rng.chance(0.9) ? Math.min(extra.length, 255) : rng.int(256);
      const out = Buffer.concat([b, extra.subarray(0, 255)]);
      return { input: withLength(out, out.length), flipOnly: false };
    }
    case 7: {
      const at = rng.range(20, b.length);
      const out = Buffer.concat([b.subarray(0, at), rng.bytes(rng.int(6)), b.subarray(at + rng.int(6))]);
      return { input: withLength(out, rng.chance(0.7) ? out.length : b.length), flipOnly: false };
    }
    default: {
      const out = Buffer.concat([b, soup(rng)]);
      return { input: withLength(out, out.length), flipOnly: false };
    }
  }
}

/** Per parser: how often it succeeded and each reason it gave (shows the fuzz reaches it). */
const reached = new Map<string, Map<string, number>>();

function expectDecodeError(f: () => unknown, where: string, failures: string[]): void {
  const name = where.split(' ')[0]!;
  const tally = reached.get(name) ?? reached.set(name, new Map()).get(name)!;
  let outcome = 'ok';
  try {
    f();
  } catch (e) {
    if (!(e instanceof RadiusDecodeError)) failures.push(`${where}: ${String(e)}`);
    else outcome = e.reason;
  }
  tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
}

describe('fuzz', () => {
  it(`${ITERATIONS} random and mutated inputs through every parser (seed ${SEED})`, () => {
    const rng = new Prng(SEED);
    const seeds = corpus();
    const failures: string[] = [];
    const reasons = new Map<string, number>();
    let decoded = 0;
    let signedFlipsVerified = 0;
    let vlansFound = 0;
    const t0 = performance.now();

    for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
      const seed = rng.pick(seeds);
      const { input, flipOnly } = mutate(rng, seed.bytes);
      const where = `iteration ${i} input ${input.toString('hex')}`;
      try {
        const strict = { requireMessageAuthenticator: rng.chance(0.5) };
        const rq = verifyRequest(input, SECRET, strict);
        const rs = verifyResponse(input, REQUEST_AUTH, SECRET, { ...strict, maVector: rng.chance(0.1) ? 'zero' : 'request' });
        if (!rq.ok) reasons.set(rq.reason, (reasons.get(rq.reason) ?? 0) + 1);
        const req = { requireMessageAuthenticator: true };
        const flipped = flipOnly && !input.equals(seed.bytes);
        if (flipped && seed.signed === 'request' && verifyRequest(input, SECRET, req).ok) signedFlipsVerified++;
        if (flipped && seed.signed === 'response' && verifyResponse(input, REQUEST_AUTH, SECRET, req).ok) signedFlipsVerified++;
        void rs;
      } catch (e) {
        failures.push(`verify threw ${String(e)} at ${where}`);
      }

      let p: RadiusPacket;
      try {
        p = decodePacket(input);
      } catch (e) {
        if (!(e instanceof RadiusDecodeError)) failures.push(`decodePacket threw ${String(e)} at ${where}`);
        continue;
      }
      decoded++;
      if (!encodePacket(p).equals(input.subarray(0, input.readUInt16BE(2)))) failures.push(`re-encode differs at ${where}`);
      try {
        if (extractVlan(p, []) !== null) vlansFound++;
      } catch (e) {
        failures.push(`extractVlan threw ${String(e)} at ${where}`);
      }
      expectDecodeError(() => getVendorAttrs(p, rng.pick([311, 14823, rng.u32()])), `getVendorAttrs at ${where}`, failures);
      expectDecodeError(
        () => {
          for (const sub of getVendorAttrs(p, 311)) decryptMppeKey(sub.value, SECRET, REQUEST_AUTH);
        },
        `decryptMppeKey at ${where}`,
        failures,
      );
      for (const a of p.attributes) {
        expectDecodeError(() => getInteger(p, a.type), `getInteger at ${where}`, failures);
        if (a.type === 26) expectDecodeError(() => decodeVendorSpecific(a.value), `decodeVendorSpecific at ${where}`, failures);
        if (a.type === 26) expectDecodeError(() => decryptMppeKey(a.value.subarray(6), SECRET, REQUEST_AUTH), `mppe at ${where}`, failures);
        if (a.type === 2) expectDecodeError(() => unhidePassword(a.value, SECRET, REQUEST_AUTH), `password at ${where}`, failures);
        if (a.type === 69) expectDecodeError(() => decryptTunnelPassword(a.value, SECRET, REQUEST_AUTH), `tunnel at ${where}`, failures);
      }
    }

    const ms = Math.round(performance.now() - t0);
    console.log(
      `fuzz: ${ITERATIONS} inputs, seed ${SEED}, ${decoded} decoded, ${vlansFound} with a VLAN, ${ms} ms; verifyRequest reasons:`,
      Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1])),
    );
    for (const [name, tally] of reached) console.log(`  ${name}:`, Object.fromEntries(tally));
    expect(failures).toEqual([]);
    expect(reached.get('mppe')!.get('ok')).toBeGreaterThan(1000);
    expect(vlansFound).toBeGreaterThan(1000);
    expect(reached.get('tunnel')!.get('ok')).toBeGreaterThan(100);
    expect(signedFlipsVerified).toBe(0);
    expect(decoded).toBeGreaterThan(ITERATIONS / 10);
  });
});
