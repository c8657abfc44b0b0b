import { describe, expect, it } from 'vitest';
import { derivePmkR1, derivePmkR1Name } from '../../../daemon/keys/index.js';
import { macToBytes } from '../../../daemon/common/mac.js';
import { PacketType } from '../../../adapters/rrb/frame.js';
import { buildMessage, decryptEnvelope, parseEnvelope, type RrbMessage } from '../../../adapters/rrb/messages.js';
import { parseMessage } from './parse-message.js';
import { expandOldKey, rrbKeyFromHex } from '../../../daemon/keys/rrb-key.js';
import { sivOpen, sivSeal } from '../../../adapters/rrb/siv.js';
import * as V from './vectors.js';

describe('AES-SIV (RFC 5297)', () => {
  for (const [name, v] of Object.entries(V.RFC5297)) {
    it(`${name}: seal and open reproduce the RFC output`, () => {
      expect(sivSeal(v.key, v.ad, v.plaintext).toString('hex')).toBe(v.output.toString('hex'));
      expect(sivOpen(v.key, v.ad, v.output)?.toString('hex')).toBe(v.plaintext.toString('hex'));
    });
    it(`${name}: any flipped bit of output, AD or key fails to open`, () => {
      for (let i = 0; i < v.output.length * 8; i += 7) {
        const bad = Buffer.from(v.output);
        bad[i >> 3]! ^= 1 << (i & 7);
        expect(sivOpen(v.key, v.ad, bad)).toBeNull();
      }
      const ad = v.ad.map((a) => Buffer.from(a));
      ad[0]![0]! ^= 1;
      expect(sivOpen(v.key, ad, v.output)).toBeNull();
      const key = Buffer.from(v.key);
      key[31]! ^= 0x80;
      expect(sivOpen(key, v.ad, v.output)).toBeNull();
      expect(sivOpen(v.key, v.ad.slice(1), v.output)).toBeNull();
    });
  }
  it('rejects a key that is not 32 octets and a too-short input', () => {
    expect(() => sivSeal(Buffer.alloc(16), [], Buffer.alloc(1))).toThrow(RangeError);
    expect(sivOpen(V.KEY, [], Buffer.alloc(15))).toBeNull();
  });
});

describe('RRB keys as hostapd reads them (rkh_derive_key)', () => {
  it('expands a legacy 32-digit key to the hostapd-generated vector', () => {
    expect(expandOldKey(V.range(0, 16)).toString('hex')).toBe('19dafc5c6b21def65f42f15bc967aa63777ba7553557803d6849fc947ef66ff7');
    expect(rrbKeyFromHex(V.range(0, 16).toString('hex'))).toEqual({ ok: true, key: expandOldKey(V.range(0, 16)) });
    expect(rrbKeyFromHex(V.range(0, 16).toString('hex').toUpperCase())).toEqual({ ok: true, key: expandOldKey(V.range(0, 16)) });
    expect(() => expandOldKey(Buffer.alloc(32))).toThrow(RangeError);
  });

  it('takes 64 digits as the key itself, white space around it ignored', () => {
    expect(rrbKeyFromHex(V.KEY.toString('hex'))).toEqual({ ok: true, key: V.KEY });
    expect(rrbKeyFromHex(` ${V.KEY.toString('hex')}\n`)).toEqual({ ok: true, key: V.KEY });
  });

  it('refuses every other length and anything not hex, saying what it got', () => {
    for (const n of [0, 2, 31, 33, 63, 65, 96]) {
      expect(rrbKeyFromHex('a'.repeat(n))).toEqual({ ok: false, problem: expect.stringMatching(new RegExp(`got ${n} hex digits$`)) });
    }
    expect(rrbKeyFromHex('zz'.repeat(32))).toEqual({
      ok: false,
      problem: expect.stringMatching(/got characters that are not hex digits$/),
    });
    expect(rrbKeyFromHex(`${'a'.repeat(32)} ${'b'.repeat(31)}`)).toMatchObject({ ok: false });
  });
});

describe('R0KH-R1KH messages: hostapd-generated vectors (docs/hostapd-interfaces.md)', () => {
  const session = {
    pmkR1: V.PMK_R1,
    pmkR1Name: V.PMK_R1_NAME,
    pairwise: 0x10,
    expiresIn: 0,
    identity: Buffer.from('alice@example.com'),
    cui: Buffer.alloc(0),
    sessionTimeout: 0,
    vlan: { untagged: 100, tagged: [] },
  };
  const push: RrbMessage = {
    type: PacketType.PUSH,
    seq: V.SEQ,
    r0khId: V.R0KH_ID,
    r1khId: V.R1KH_ID,
    staMac: V.STA,
    pmkR0Name: V.PMK_R0_NAME,
    session,
  };

  it('the PMK-R1 in the vector is the documented FT-EAP key hierarchy', () => {
    expect(derivePmkR1(V.PMK_R0, macToBytes(V.R1KH_ID), macToBytes(V.STA))).toEqual(V.PMK_R1);
    expect(derivePmkR1Name(V.PMK_R0_NAME, macToBytes(V.R1KH_ID), macToBytes(V.STA))).toEqual(V.PMK_R1_NAME);
  });

  it('PUSH payload is byte for byte hostapd’s (200 octets)', () => {
    const out = buildMessage(push, V.KEY, V.KMS_MAC);
    expect(out.length).toBe(200);
    expect(out.toString('hex')).toBe(V.PUSH_PAYLOAD.toString('hex'));
  });

  it('PUSH decrypts to the listed TLVs and parses back to the message', () => {
    const env = parseEnvelope(PacketType.PUSH, V.PUSH_PAYLOAD);
    expect(env.auth.length).toBe(45);
    expect(env.seq).toEqual(V.SEQ);
    expect(decryptEnvelope(env, V.KEY, V.KMS_MAC).toString('hex')).toBe(V.PUSH_PLAINTEXT.toString('hex'));
    expect(parseMessage(PacketType.PUSH, V.PUSH_PAYLOAD, V.KEY, V.KMS_MAC)).toEqual(push);
  });

  it('SEQ_RESP is byte for byte hostapd’s', () => {
    const m: RrbMessage = {
      type: PacketType.SEQ_RESP,
      nonce: V.range(0, 16),
      seq: { ...V.SEQ, seq: 8 },
      r0khId: V.R0KH_ID,
      r1khId: V.R1KH_ID,
    };
    expect(buildMessage(m, V.KEY, V.KMS_MAC).toString('hex')).toBe(V.SEQ_RESP_PAYLOAD.toString('hex'));
    expect(parseMessage(PacketType.SEQ_RESP, V.SEQ_RESP_PAYLOAD, V.KEY, V.KMS_MAC)).toEqual(m);
  });

  it('SEQ_REQ with a 1-octet R0KH-ID is padded with an 11-octet type-0 TLV, byte for byte', () => {
    const m: RrbMessage = { type: PacketType.SEQ_REQ, nonce: V.range(0, 16), r0khId: Buffer.from('x'), r1khId: V.R1KH_ID };
    const out = buildMessage(m, V.KEY, V.KMS_MAC);
    expect(out.length).toBe(64);
    expect(out.toString('hex')).toBe(V.SEQ_REQ_PAYLOAD.toString('hex'));
    expect(parseMessage(PacketType.SEQ_REQ, V.SEQ_REQ_PAYLOAD, V.KEY, V.KMS_MAC)).toEqual(m);
  });

  it('the source MAC and the packet type are bound into the AD', () => {
    expect(() => parseMessage(PacketType.PUSH, V.PUSH_PAYLOAD, V.KEY, '02:00:00:00:09:01')).toThrow(/decrypt-failed/);
    expect(() => parseMessage(PacketType.RESP, V.SEQ_RESP_PAYLOAD, V.KEY, V.KMS_MAC)).toThrow();
  });

  it('a NIC that appends 2 octets is tolerated (hostapd retries without them)', () => {
    const padded = Buffer.concat([V.PUSH_PAYLOAD, Buffer.from([0, 0])]);
    expect(parseMessage(PacketType.PUSH, padded, V.KEY, V.KMS_MAC)).toEqual(push);
    const padded3 = Buffer.concat([V.PUSH_PAYLOAD, Buffer.from([0, 0, 0])]);
    expect(() => parseMessage(PacketType.PUSH, padded3, V.KEY, V.KMS_MAC)).toThrow(/decrypt-failed/);
  });
});
