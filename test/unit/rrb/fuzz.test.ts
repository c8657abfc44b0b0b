// Fuzz test of frame + message parsing: seeded random and mutated frames through decodeFrame,
// parseEnvelope, decryptEnvelope and parsePlaintext, and through RrbEndpoint.receive. Properties:
// 1. nothing but RrbDecodeError escapes the parsers;
// 2. a mutated frame that still parses is the original message (AES-SIV lets nothing else through);
// 3. the endpoint never throws and never reports 'internal-error';
// 4. random valid TLV lists round-trip.
// Reproduce with RRB_FUZZ_SEED=<seed>; RRB_FUZZ_ITERATIONS changes the count.
import { describe, expect, it } from 'vitest';
import { RrbEndpoint } from '../../../adapters/rrb/endpoint.js';
import { PacketType, decodeFrame, encodeFrame } from '../../../adapters/rrb/frame.js';
import { MemorySegment } from '../../helpers/memory-segment.js';
import { buildMessage, decryptEnvelope, parseEnvelope, parsePlaintext, type RrbMessage } from '../../../adapters/rrb/messages.js';
import { RrbDecodeError, Tlv, decodeTlvs, encodeTlvs, type TlvItem } from '../../../adapters/rrb/tlv.js';
import { Prng } from '../../helpers/prng.js';
import * as V from './vectors.js';

const SEED = Number(process.env.RRB_FUZZ_SEED ?? 0x88b7);
const ITERATIONS = Number(process.env.RRB_FUZZ_ITERATIONS ?? 120_000);
const AP = '02:00:00:00:04:00';

const session = {
  pmkR1: V.PMK_R1,
  pmkR1Name: V.PMK_R1_NAME,
  pairwise: 0x10,
  expiresIn: 60,
  identity: Buffer.from('id'),
  cui: Buffer.alloc(0),
  sessionTimeout: 0,
  vlan: { untagged: 5, tagged: [6, 7] },
};
const SEEDS: RrbMessage[] = [
  { type: PacketType.PULL, nonce: V.range(1, 16), seq: V.SEQ, r0khId: V.R0KH_ID, r1khId: AP, staMac: V.STA, pmkR0Name: V.PMK_R0_NAME },
  { type: PacketType.RESP, nonce: V.range(2, 16), seq: V.SEQ, r0khId: V.R0KH_ID, r1khId: AP, staMac: V.STA, session },
  { type: PacketType.RESP, nonce: V.range(2, 16), seq: V.SEQ, r0khId: V.R0KH_ID, r1khId: AP, staMac: V.STA, session: null },
  { type: PacketType.PUSH, seq: V.SEQ, r0khId: V.R0KH_ID, r1khId: AP, staMac: V.STA, pmkR0Name: V.PMK_R0_NAME, session },
  { type: PacketType.SEQ_REQ, nonce: V.range(4, 16), r0khId: Buffer.from('x'), r1khId: AP },
  { type: PacketType.SEQ_RESP, nonce: V.range(5, 16), seq: V.SEQ, r0khId: V.R0KH_ID, r1khId: AP },
];
const FRAMES = SEEDS.map((m) => encodeFrame({ dst: V.KMS_MAC, src: AP, packetType: m.type, payload: buildMessage(m, V.KEY, AP) }));

function mutate(r: Prng, src: Buffer): Buffer {
  let b = Buffer.from(src);
  const n = r.range(1, 4);
  for (let k = 0; k < n; k++) {
    switch (r.int(7)) {
      case 0:
        if (b.length) b[r.int(b.length)]! ^= 1 << r.int(8);
        break; // bit flip
      case 1:
        b = b.subarray(0, r.int(b.length + 1));
        break; // truncate
      case 2:
        b = Buffer.concat([b, r.bytes(r.range(1, 8))]);
        break; // trailing junk (NIC padding and worse)
      case 3:
        if (b.length >= 22) b.writeUInt16LE(r.pick([0, 1, 3, 4, b.length - 22, r.int(0x10000)]), 20);
        break; // auth_len
      case 4: {
        // TLV header inside the auth block: type or length
        const at = 22 + 4 * r.int(6);
        if (b.length >= at + 4) b.writeUInt16LE(r.pick([0, 1, 2, 4, 5, 6, 7, 17, 18, 0xffff, r.int(0x10000)]), at + 2 * r.int(2));
        break;
      }
      case 5:
        if (b.length > 20) b[19] = r.range(0, 7);
        break; // packet type
      case 6: {
        const i = r.int(b.length + 1);
        b = Buffer.concat([b.subarray(0, i), r.bytes(r.range(1, 6)), b.subarray(i)]);
        break;
      } // insert
    }
  }
  return b;
}

/** Parse like the endpoint does, for any frame; returns the message or null; only RrbDecodeError may be thrown. */
function parseAll(frame: Buffer): RrbMessage | null {
  try {
    const f = decodeFrame(frame);
    const env = parseEnvelope(f.packetType, f.payload);
    return parsePlaintext(env, decryptEnvelope(env, V.KEY, f.src));
  } catch (e) {
    if (e instanceof RrbDecodeError) return null;
    throw e;
  }
}

describe(`RRB fuzz (seed ${SEED}, ${ITERATIONS} inputs)`, () => {
  it('parsers throw only RrbDecodeError and accept only untampered content', () => {
    const r = new Prng(SEED);
    let accepted = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const which = r.int(FRAMES.length);
      const input = r.chance(0.1) ? r.bytes(r.int(300)) : mutate(r, FRAMES[which]!);
      const msg = parseAll(input);
      if (msg) {
        accepted++;
        // Only content-preserving mutations survive (e.g. ≤2 trailing octets, or none effective).
        expect(msg, `iteration ${i}`).toEqual(SEEDS[which]);
      }
    }
    expect(accepted).toBeLessThan(ITERATIONS / 10);
  });

  it('the endpoint never throws and never fails internally on mutated traffic', () => {
    const r = new Prng(SEED + 1);
    const events = new Map<string, number>();
    const kms = new RrbEndpoint(new MemorySegment().attach(V.KMS_MAC), {
      keyFor: (src) => (src === AP ? V.KEY : null),
      pullHandler: () => null,
      observer: (e, reason) => events.set(`${e}:${reason}`, (events.get(`${e}:${reason}`) ?? 0) + 1),
    });
    for (let i = 0; i < ITERATIONS / 4; i++) {
      expect(() => kms.receive(mutate(r, r.pick(FRAMES)))).not.toThrow();
    }
    kms.close();
    expect(events.get('drop:internal-error')).toBeUndefined();
    expect(events.size).toBeGreaterThan(10);
  });

  it('random valid TLV lists round-trip', () => {
    const r = new Prng(SEED + 2);
    const lengths: Record<number, number[]> = {
      [Tlv.SEQ]: [12],
      [Tlv.NONCE]: [16],
      [Tlv.R0KH_ID]: [1, 48],
      [Tlv.R1KH_ID]: [6],
      [Tlv.PMK_R1]: [32, 48],
      [Tlv.VLAN_TAGGED]: [2, 8],
      [Tlv.IDENTITY]: [0, 300],
      40: [0, 20],
    };
    for (let i = 0; i < 5000; i++) {
      const types = Object.keys(lengths)
        .map(Number)
        .filter(() => r.chance(0.5));
      const items: TlvItem[] = types.map((type) => ({ type, value: r.bytes(r.pick(lengths[type]!)) }));
      if (r.chance(0.3)) items.push({ type: Tlv.LAST_EMPTY, value: Buffer.alloc(r.int(12)) });
      expect(decodeTlvs(encodeTlvs(items))).toEqual(items);
    }
  });
});
