// The RadSec stream framer (RFC 6613/6614): packets cut out of a TCP/TLS byte stream by their
// Length field. Examples, then a fuzz run like the codec's (fuzz.test.ts). Properties:
// 1. any split of a stream of valid packets gives back exactly those packets;
// 2. nothing but RadsecFrameError escapes push(), and after one every later push throws it too;
// 3. every packet handed out is 20..4096 octets and as long as its own Length field, so
//    decodePacket on it throws nothing but RadiusDecodeError.
// Reproduce with RADSEC_FUZZ_SEED=<seed>; RADSEC_FUZZ_ITERATIONS changes the count.
import { describe, expect, it } from 'vitest';
import { MAX_PACKET, MIN_PACKET, RadsecFrameError, RadsecFramer } from '../../../adapters/radius/radsec-framer.js';
import { decodePacket, RadiusDecodeError } from '../../../adapters/radius/packet.js';
import { ACCESS_ACCEPT, ACCESS_REQUEST } from './vectors.js';
import { Prng } from '../../helpers/prng.js';

const SEED = Number(process.env.RADSEC_FUZZ_SEED ?? 0x7ad5ec);
const ITERATIONS = Number(process.env.RADSEC_FUZZ_ITERATIONS ?? 110_000);

const packet = (length: number, id = 1) => {
  const b = Buffer.alloc(length, 0xab);
  b[0] = 2;
  b[1] = id;
  b.writeUInt16BE(length, 2);
  return b;
};

describe('RadsecFramer', () => {
  it('cuts packets out of one chunk, and across chunk boundaries', () => {
    const f = new RadsecFramer();
    const a = packet(20, 1);
    const b = packet(100, 2);
    const c = packet(MAX_PACKET, 3);
    const stream = Buffer.concat([a, b, c]);
    expect(f.push(stream.subarray(0, 3))).toEqual([]);
    expect(f.push(stream.subarray(3, 25))).toEqual([a]);
    expect(f.pending).toBe(5);
    const rest = f.push(stream.subarray(25));
    expect(rest).toEqual([b, c]);
    expect(f.pending).toBe(0);
  });

  it('real packets back to back', () => {
    const f = new RadsecFramer();
    expect(f.push(Buffer.concat([ACCESS_REQUEST, ACCESS_ACCEPT]))).toEqual([ACCESS_REQUEST, ACCESS_ACCEPT]);
  });

  it('rejects a Length below the header and above the maximum, with the reason, for good', () => {
    const low = new RadsecFramer();
    const bad = Buffer.from([1, 1, 0, 19]);
    expect(() => low.push(bad)).toThrow(new RadsecFrameError('length-below-header', 'Length 19'));
    expect(() => low.push(packet(20))).toThrow(/length-below-header/);
    const high = new RadsecFramer();
    expect(() => high.push(Buffer.concat([packet(30), Buffer.from([2, 2, 0x10, 0x01])]))).toThrow(/length-above-maximum \(Length 4097\)/);
  });

  it(`${ITERATIONS} random and mutated streams (seed ${SEED})`, () => {
    const rng = new Prng(SEED);
    const started = performance.now();
    let packetsOut = 0;
    let errors = 0;
    const failures: string[] = [];
    for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
      // A stream of valid packets, then maybe corrupted, split at random points.
      const count = rng.range(1, 6);
      const packets = Array.from({ length: count }, () => {
        const r = rng.int(10);
        if (r === 0) return Buffer.from(ACCESS_REQUEST);
        if (r === 1) return Buffer.from(ACCESS_ACCEPT);
        const p = rng.bytes(rng.chance(0.05) ? rng.range(MIN_PACKET, MAX_PACKET) : rng.range(MIN_PACKET, 200));
        p.writeUInt16BE(p.length, 2);
        return p;
      });
      // Any Buffer: the mutations below put random bytes and views of other buffers here.
      let stream: Buffer = Buffer.concat(packets);
      const mutated = rng.chance(0.5);
      if (mutated) {
        stream = Buffer.from(stream);
        const kind = rng.int(4);
        if (kind === 0) stream = rng.bytes(rng.range(1, 600));
        else if (kind === 1) for (let k = rng.range(1, 8); k > 0; k--) stream[rng.int(stream.length)] ^= 1 << rng.int(8);
        else if (kind === 2) stream = stream.subarray(0, rng.int(stream.length));
        else stream.writeUInt16BE(rng.int(65536), rng.int(Math.max(1, stream.length - 1)));
      }
      const f = new RadsecFramer();
      const out: Buffer[] = [];
      let thrown: unknown = null;
      let offset = 0;
      while (offset < stream.length) {
        const n = rng.range(1, Math.max(1, Math.min(stream.length - offset, rng.chance(0.3) ? 3 : 700)));
        try {
          out.push(...f.push(stream.subarray(offset, offset + n)));
        } catch (e) {
          thrown = e;
          break;
        }
        offset += n;
      }
      if (thrown !== null) {
        errors++;
        if (!(thrown instanceof RadsecFrameError)) failures.push(`#${i}: ${String(thrown)}`);
        try {
          f.push(Buffer.alloc(1));
          failures.push(`#${i}: push after an error did not throw`);
        } catch (e) {
          if (e !== thrown) failures.push(`#${i}: a different error after the first`);
        }
      }
      for (const p of out) {
        packetsOut++;
        if (p.length < MIN_PACKET || p.length > MAX_PACKET || p.readUInt16BE(2) !== p.length)
          failures.push(`#${i}: packet of ${p.length} octets handed out`);
        try {
          decodePacket(p);
        } catch (e) {
          if (!(e instanceof RadiusDecodeError)) failures.push(`#${i}: decodePacket threw ${String(e)}`);
        }
      }
      if (!mutated) {
        if (thrown) failures.push(`#${i}: valid stream rejected: ${String(thrown)}`);
        else if (out.length !== packets.length || out.some((p, k) => !p.equals(packets[k]!)))
          failures.push(`#${i}: valid stream not given back exactly`);
      }
    }
    expect(failures).toEqual([]);
    console.log(
      `radsec framer fuzz: ${ITERATIONS} streams, seed ${SEED}, ${packetsOut} packets out, ${errors} rejected, ${Math.round(performance.now() - started)} ms`,
    );
  });
});
