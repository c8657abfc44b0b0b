// Shared test builders for the RF-neighbour tests: Beacon report bodies laid out as in
// docs/hostapd-interfaces.md "Beacon report", a seeded PRNG, and a fake clock.
import { Prng } from '../../helpers/prng.js';

export interface ReportFields {
  opClass?: number;
  channel?: number;
  startTsf?: bigint;
  durationTu?: number;
  frameInfo?: number;
  rcpi?: number;
  rsni?: number;
  bssid?: string;
  antennaId?: number;
  parentTsf?: number;
  subelements?: Buffer;
}

/** A Beacon report body: `<BBQHBBB` + BSSID + `<BI` + subelements (the hwsim BeaconReport layout). */
export function reportBody(f: ReportFields = {}): Buffer {
  const b = Buffer.alloc(26);
  b[0] = f.opClass ?? 115;
  b[1] = f.channel ?? 36;
  b.writeBigUInt64LE(f.startTsf ?? 0x0102030405060708n, 2);
  b.writeUInt16LE(f.durationTu ?? 100, 10);
  b[12] = f.frameInfo ?? 0x07;
  b[13] = f.rcpi ?? 150;
  b[14] = f.rsni ?? 255;
  Buffer.from((f.bssid ?? '02:00:00:00:07:00').replace(/:/g, ''), 'hex').copy(b, 15);
  b[21] = f.antennaId ?? 0;
  b.writeUInt32LE(f.parentTsf ?? 0x11223344, 22);
  return Buffer.concat([b, f.subelements ?? Buffer.alloc(0)]);
}

export const sub = (id: number, data: number[] | Buffer) => Buffer.concat([Buffer.from([id, data.length]), Buffer.from(data)]);

/** The shared seeded generator, with the draws these tests were written against (int by modulo, a Gaussian). */
export function prng(seed: number) {
  const p = new Prng(seed);
  const float = () => p.float();
  return {
    u32: () => p.u32(),
    float,
    int: (n: number) => p.u32() % n,
    /** Standard normal (Box–Muller). */
    gauss: () => Math.sqrt(-2 * Math.log(1 - float())) * Math.cos(2 * Math.PI * float()),
    bytes: (n: number) => p.bytes(n),
  };
}

export function fakeClock(start = 1_760_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

export const HOUR = 3_600_000;

/** AP name / BSSID on a grid: ap-<x>-<y>, 02:<x>:<y>:00:00:00. */
export const gridName = (x: number, y: number) => `ap-${x}-${y}`;
export const gridBssid = (x: number, y: number) =>
  `02:${(x >> 8).toString(16).padStart(2, '0')}:${(x & 0xff).toString(16).padStart(2, '0')}:${(y >> 8).toString(16).padStart(2, '0')}:${(y & 0xff).toString(16).padStart(2, '0')}:00`;
