// TLV, frame and message codec: round trips and every class of malformed input.
import { describe, expect, it } from 'vitest';
import { ETH_P_OUI, PacketType, decodeFrame, encodeFrame } from '../../../adapters/rrb/frame.js';
import { buildMessage, parseEnvelope, type RrbMessage, type RrbSession } from '../../../adapters/rrb/messages.js';
import { parseMessage } from './parse-message.js';
import { sivSeal } from '../../../adapters/rrb/siv.js';
import { RrbDecodeError, Tlv, decodeTlvs, encodeTlvs, type TlvItem } from '../../../adapters/rrb/tlv.js';
import { macToBytes } from '../../../daemon/common/mac.js';
import * as V from './vectors.js';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof RrbDecodeError) return e.reason;
    throw e;
  }
  return 'no error';
}
const t = (type: number, value: Buffer | number[]): TlvItem => ({ type, value: Buffer.from(value) });

describe('TLV lists', () => {
  it('round-trip, zero-length values as bare headers, unknown types kept', () => {
    const items = [t(Tlv.NONCE, V.range(0, 16)), t(Tlv.IDENTITY, []), t(999, [1, 2, 3]), t(Tlv.LAST_EMPTY, [0, 0])];
    const bytes = encodeTlvs(items);
    expect(bytes.subarray(20, 24).toString('hex')).toBe('0f000000');
    expect(decodeTlvs(bytes)).toEqual(items);
    expect(decodeTlvs(Buffer.alloc(0))).toEqual([]);
  });

  it('malformed lists are refused with a reason', () => {
    const ok = encodeTlvs([t(Tlv.R1KH_ID, [1, 2, 3, 4, 5, 6])]);
    expect(reason(() => decodeTlvs(ok.subarray(0, 3)))).toBe('tlv-truncated');
    expect(reason(() => decodeTlvs(Buffer.concat([ok, Buffer.from([1, 0])])))).toBe('tlv-truncated');
    expect(reason(() => decodeTlvs(ok.subarray(0, 9)))).toBe('tlv-overrun');
    expect(reason(() => decodeTlvs(Buffer.concat([ok, ok])))).toBe('duplicate-tlv');
    expect(reason(() => decodeTlvs(encodeTlvs([t(Tlv.R1KH_ID, [1, 2, 3, 4, 5])])))).toBe('tlv-bad-length');
    expect(reason(() => decodeTlvs(encodeTlvs([t(Tlv.R0KH_ID, [])])))).toBe('tlv-bad-length');
    expect(reason(() => decodeTlvs(encodeTlvs([t(Tlv.R0KH_ID, Buffer.alloc(49))])))).toBe('tlv-bad-length');
    expect(reason(() => decodeTlvs(encodeTlvs([t(Tlv.VLAN_TAGGED, [1, 0, 2])])))).toBe('tlv-bad-length');
    expect(reason(() => decodeTlvs(encodeTlvs([t(Tlv.VLAN_TAGGED, [])])))).toBe('tlv-bad-length');
    expect(reason(() => decodeTlvs(encodeTlvs([t(Tlv.LAST_EMPTY, []), t(Tlv.NONCE, Buffer.alloc(16))])))).toBe('padding-not-last');
    expect(() => encodeTlvs([t(1, Buffer.alloc(0x10000))])).toThrow(RangeError);
  });
});

describe('Ethernet framing', () => {
  const frame = { dst: '02:00:00:00:04:00', src: V.KMS_MAC, packetType: PacketType.PUSH, payload: V.PUSH_PAYLOAD };
  it('round-trips with ethertype 0x88B7, OUI 00:13:74, protocol 00 01 and the type octet', () => {
    const bytes = encodeFrame(frame);
    expect(bytes.subarray(0, 20).toString('hex')).toBe('020000000400020000000900' + '88b7' + '0013740001' + '03');
    expect(decodeFrame(bytes)).toEqual(frame);
    expect(ETH_P_OUI).toBe(0x88b7);
  });
  it('refuses short frames, other ethertypes, OUIs, protocol ids and packet types', () => {
    const bytes = encodeFrame(frame);
    expect(reason(() => decodeFrame(bytes.subarray(0, 19)))).toBe('frame-truncated');
    const mut = (i: number, v: number) => {
      const b = Buffer.from(bytes);
      b[i] = v;
      return b;
    };
    expect(reason(() => decodeFrame(mut(13, 0x0d)))).toBe('frame-bad-ethertype');
    expect(reason(() => decodeFrame(mut(16, 0x75)))).toBe('frame-bad-oui');
    expect(reason(() => decodeFrame(mut(18, 0x02)))).toBe('frame-bad-oui');
    expect(reason(() => decodeFrame(mut(19, 0)))).toBe('frame-unknown-type');
    expect(reason(() => decodeFrame(mut(19, 6)))).toBe('frame-unknown-type');
    expect(decodeFrame(bytes.subarray(0, 20)).payload.length).toBe(0);
  });
});

const session = (over: Partial<RrbSession> = {}): RrbSession => ({
  pmkR1: V.PMK_R1,
  pmkR1Name: V.PMK_R1_NAME,
  pairwise: 0x10,
  expiresIn: 3600,
  identity: Buffer.from('bob'),
  cui: Buffer.from('cui-1'),
  sessionTimeout: 7200,
  vlan: null,
  ...over,
});
const ids = { r0khId: V.R0KH_ID, r1khId: V.R1KH_ID };
const MESSAGES: RrbMessage[] = [
  { type: PacketType.PULL, nonce: V.range(1, 16), seq: V.SEQ, ...ids, staMac: V.STA, pmkR0Name: V.PMK_R0_NAME },
  { type: PacketType.RESP, nonce: V.range(2, 16), seq: V.SEQ, ...ids, staMac: V.STA, session: session() },
  { type: PacketType.RESP, nonce: V.range(3, 16), seq: V.SEQ, ...ids, staMac: V.STA, session: null },
  {
    type: PacketType.PUSH,
    seq: V.SEQ,
    ...ids,
    staMac: V.STA,
    pmkR0Name: V.PMK_R0_NAME,
    session: session({ vlan: { untagged: 10, tagged: [20, 30] } }),
  },
  {
    type: PacketType.PUSH,
    seq: V.SEQ,
    ...ids,
    staMac: V.STA,
    pmkR0Name: V.PMK_R0_NAME,
    session: session({ pmkR1: V.range(0, 48), vlan: { untagged: null, tagged: [4094] } }),
  },
  { type: PacketType.SEQ_REQ, nonce: V.range(4, 16), r0khId: Buffer.alloc(48, 0x61), r1khId: V.R1KH_ID },
  { type: PacketType.SEQ_RESP, nonce: V.range(5, 16), seq: { dom: 0xffffffff, seq: 0xfffffffe, ts: 0 }, ...ids },
  { type: PacketType.PUSH, seq: V.SEQ, ...ids, probe: true },
];

describe('messages', () => {
  it.each(MESSAGES.map((m, i) => [i, m] as const))('message %i round-trips through build and parse', (_, m) => {
    const payload = buildMessage(m, V.KEY, V.KMS_MAC);
    expect(payload.length).toBeGreaterThanOrEqual(64);
    expect(parseMessage(m.type, payload, V.KEY, V.KMS_MAC)).toEqual(m);
  });

  it('a NAK carries only S1KH_ID in its encrypted part', () => {
    const nak = MESSAGES[2]!;
    const payload = buildMessage(nak, V.KEY, V.KMS_MAC);
    const env = parseEnvelope(PacketType.RESP, payload);
    expect(env.enc.length).toBe(16 + 10);
  });

  it('refuses values the wire cannot carry', () => {
    const push = MESSAGES[3] as Extract<RrbMessage, { type: 3; session: RrbSession }>;
    const bad = (s: Partial<RrbSession>) => () => buildMessage({ ...push, session: session(s) }, V.KEY, V.KMS_MAC);
    expect(bad({ expiresIn: 65536 })).toThrow(RangeError);
    expect(bad({ pmkR1: Buffer.alloc(16) })).toThrow(RangeError);
    expect(bad({ vlan: { untagged: 4095, tagged: [] } })).toThrow(RangeError);
    expect(bad({ pmkR1Name: Buffer.alloc(15) })).toThrow(RangeError);
    expect(() => buildMessage({ ...push, r0khId: Buffer.alloc(0) }, V.KEY, V.KMS_MAC)).toThrow(RangeError);
  });

  /** Seal arbitrary auth/plain TLV lists the way hostapd would, to reach the semantic checks. */
  function forge(type: number, auth: TlvItem[], plain: TlvItem[]): Buffer {
    const a = encodeTlvs(auth);
    const sealed = sivSeal(V.KEY, [macToBytes(V.KMS_MAC), a, Buffer.from([type])], encodeTlvs(plain));
    const len = Buffer.alloc(2);
    len.writeUInt16LE(a.length);
    return Buffer.concat([len, a, sealed]);
  }
  const seqT = t(Tlv.SEQ, Buffer.alloc(12));
  const idT = [t(Tlv.R0KH_ID, V.R0KH_ID), t(Tlv.R1KH_ID, macToBytes(V.R1KH_ID))];
  const parse = (type: 1 | 2 | 3 | 4 | 5, p: Buffer) => reason(() => parseMessage(type, p, V.KEY, V.KMS_MAC));

  it('malformed payloads: every class has its reason', () => {
    const good = buildMessage(MESSAGES[0]!, V.KEY, V.KMS_MAC);
    expect(parse(1, Buffer.alloc(1))).toBe('payload-truncated');
    expect(parse(1, Buffer.from([0xff, 0xff, 0]))).toBe('auth-overrun');
    expect(parse(1, good.subarray(0, good.length - 1))).toBe('decrypt-failed');
    const shortAuth = Buffer.from(good);
    shortAuth.writeUInt16LE(good.readUInt16LE(0) - 1, 0);
    expect(parse(1, shortAuth)).toBe('tlv-overrun');
    const rawPlain = (type: number, auth: TlvItem[], plain: Buffer) => {
      const a = encodeTlvs(auth);
      const len = Buffer.alloc(2);
      len.writeUInt16LE(a.length);
      return Buffer.concat([len, a, sivSeal(V.KEY, [macToBytes(V.KMS_MAC), a, Buffer.from([type])], plain)]);
    };
    expect(parse(3, rawPlain(3, [seqT, ...idT], Buffer.from([6, 0, 6, 0, 1, 2])))).toBe('tlv-overrun');
    expect(parse(3, rawPlain(3, [seqT, ...idT], Buffer.from([6, 0])))).toBe('tlv-truncated');
    expect(parse(1, Buffer.concat([good.subarray(0, 2 + good.readUInt16LE(0)), Buffer.alloc(15)]))).toBe('payload-truncated');
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1]! ^= 1;
    expect(parse(1, flipped)).toBe('decrypt-failed');
    const authFlip = Buffer.from(good);
    authFlip[10]! ^= 1;
    expect(parse(1, authFlip)).toBe('decrypt-failed');
    expect(reason(() => parseMessage(1, good, Buffer.alloc(32), V.KMS_MAC))).toBe('decrypt-failed');
    // A PUSH with nothing encrypted is the sequence probe; with anything else, the station's TLVs are required.
    expect(parseMessage(3, forge(3, [seqT, ...idT], []), V.KEY, V.KMS_MAC)).toMatchObject({ type: 3, probe: true });
    expect(parse(3, forge(3, [seqT, ...idT], [t(Tlv.PMK_R0_NAME, V.PMK_R0_NAME)]))).toBe('missing-tlv');
    expect(parse(3, forge(3, [seqT, idT[0]!], []))).toBe('missing-tlv');
    expect(parse(4, forge(4, [t(Tlv.NONCE, Buffer.alloc(16)), seqT, ...idT], []))).toBe('unexpected-tlv');
    expect(parse(4, forge(4, [t(Tlv.NONCE, Buffer.alloc(16)), ...idT], [t(Tlv.S1KH_ID, Buffer.alloc(6))]))).toBe('unexpected-tlv');
    expect(parse(4, forge(4, [t(Tlv.NONCE, Buffer.alloc(16)), ...idT, t(Tlv.LAST_EMPTY, [0])], []))).toBe('no error');
    expect(parse(4, forge(4, [t(Tlv.NONCE, Buffer.alloc(16)), ...idT], [t(Tlv.LAST_EMPTY, [0])]))).toBe('unexpected-tlv');
    const pushEnc = [
      t(Tlv.S1KH_ID, macToBytes(V.STA)),
      t(Tlv.PMK_R0_NAME, V.PMK_R0_NAME),
      t(Tlv.PMK_R1, V.PMK_R1),
      t(Tlv.PMK_R1_NAME, V.PMK_R1_NAME),
    ];
    expect(parse(3, forge(3, [seqT, ...idT], [...pushEnc, t(Tlv.PAIRWISE, [0x10, 0])]))).toBe('no error');
    expect(parse(3, forge(3, [seqT, ...idT], pushEnc))).toBe('missing-tlv');
    expect(parse(3, forge(3, [seqT, ...idT], [...pushEnc, t(Tlv.PAIRWISE, [0x10, 0]), t(Tlv.VLAN_UNTAGGED, [0, 0])]))).toBe('bad-vlan');
    expect(parse(3, forge(3, [seqT, ...idT], [...pushEnc, t(Tlv.PAIRWISE, [0x10, 0]), t(Tlv.PMK_R0, Buffer.alloc(32))]))).toBe(
      'unexpected-tlv',
    );
    expect(parse(3, forge(3, [seqT, ...idT], [...pushEnc, t(Tlv.PAIRWISE, [0x10, 0]), t(Tlv.PAIRWISE, [0x10, 0])]))).toBe('duplicate-tlv');
    expect(
      parse(2, forge(2, [t(Tlv.NONCE, Buffer.alloc(16)), seqT, ...idT], [t(Tlv.S1KH_ID, macToBytes(V.STA)), t(Tlv.PMK_R1, V.PMK_R1)])),
    ).toBe('missing-tlv');
    expect(parse(3, forge(3, [seqT, ...idT], [...pushEnc, t(Tlv.PAIRWISE, [0x10, 0]), t(77, [1])]))).toBe('no error');
  });
});
