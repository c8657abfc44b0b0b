import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import {
  CaptureFormatError,
  decodeAction,
  decodeEapol,
  decodeHeader,
  decodeManagement,
  decodeRadiotap,
  FrameDecodeError,
  FrameEventDecoder,
  parseElements,
  readCaptureBuffer,
} from '../../../adapters/pcap/index.js';
import { RoamTracker } from '../../../daemon/roams/roam-tracker.js';
import {
  actionBody,
  assocRespBody,
  authBody,
  beaconBody,
  beaconReportIe,
  beaconRequestIe,
  cat,
  dataHeader,
  dsIe,
  eapolKey,
  eapPacket,
  extCapsIe,
  fteIe,
  ftActionBody,
  KEY_INFO,
  mdeIe,
  mgmtHeader,
  nrIe,
  pcapFile,
  radiotap,
  reassocReqBody,
  rmCapsIe,
  rsnIe,
  ssidIe,
  timeoutIe,
  u16le,
} from './build.js';

// Every decoder gets seeded random inputs: mutations of valid frames (hand-built and from the lab
// captures) and plain noise. The only exception a decoder may throw is FrameDecodeError (for the
// capture reader: CaptureFormatError). Same seed, same inputs: a failure is reproducible.
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1);
const PER_DECODER = Number(process.env.FUZZ_PER_DECODER ?? 40_000);

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
const STA = '02:00:00:00:02:00';
const AP1 = '02:00:00:00:00:00';
const AP2 = '02:00:00:00:01:00';
const PMKID = '0d93e545afa75635cf9bf28051145523';

const ies = [
  ssidIe('vlab'),
  dsIe(1),
  rsnIe({ akms: [0x000fac03], pmkids: [PMKID], gmgmt: 0x000fac06 }),
  mdeIe('a1b2', 1),
  fteIe({ r1kh: AP2, r0kh: 'ap1' }),
  rmCapsIe(),
  extCapsIe(),
  timeoutIe(2, 1000),
  nrIe(AP2, { pref: 1 }),
  rsnIe({ akms: [0x000fac0d] }),
  fteIe({ micLen: 24 }),
];
const bodies = {
  mgmt: [
    cat(mgmtHeader(8, 'ff:ff:ff:ff:ff:ff', AP1, AP1), beaconBody(...ies)),
    cat(mgmtHeader(11, AP2, STA, AP2, { seq: 3 }), authBody(2, 1, 0, ...ies.slice(2, 5))),
    cat(mgmtHeader(2, AP2, STA, AP2), reassocReqBody(AP1, ...ies)),
    cat(mgmtHeader(3, STA, AP2, AP2, { order: true }), assocRespBody(0, 1, timeoutIe(3, 5))),
    cat(mgmtHeader(13, AP1, STA, AP1), ftActionBody(1, STA, AP2, undefined, ...ies.slice(2, 5))),
    cat(mgmtHeader(13, STA, AP1, AP1), actionBody(5, 0, [1], u16le(0), beaconRequestIe(1, { ssid: 'x' }))),
    cat(mgmtHeader(13, AP1, STA, AP1), actionBody(5, 1, [1], beaconReportIe(1, { bssid: AP2 }))),
    cat(mgmtHeader(13, STA, AP1, AP1), actionBody(10, 7, [1, 0x1f], u16le(1), [1], Buffer.alloc(12), [2, 0x41, 0x42], nrIe(AP2))),
    cat(mgmtHeader(13, STA, AP1, AP1), actionBody(5, 5, [1], nrIe(AP1), nrIe(AP2))),
  ],
  data: [
    cat(dataHeader(STA, AP1, AP1, { fromDs: true, tid: 7 }), eapPacket(1, 1, 25, Buffer.alloc(20))),
    cat(dataHeader(AP1, STA, AP1, { toDs: true, tid: 7 }), eapolKey(KEY_INFO.M2, { keyData: rsnIe() })),
    cat(dataHeader(STA, AP1, AP1, { fromDs: true }), eapolKey(KEY_INFO.M3, { micLen: 24, keyData: Buffer.alloc(56) })),
  ],
};

// Real frames from the lab captures, radiotap included.
const FIX = new URL('../../fixtures/pcap/', import.meta.url).pathname;
const real: Buffer[] = [];
for (const f of readdirSync(FIX).filter((n) => n.endsWith('.pcap')))
  readCaptureBuffer(readFileSync(FIX + f), (p) => {
    if (real.length < 2000) real.push(Buffer.from(p.data));
  });
const handmade = [...bodies.mgmt, ...bodies.data].map((f) =>
  cat(radiotap({ tsft: 1, flags: 0, rate: 2, freq: 2412, signal: -40, antenna: 0 }), f),
);

function mutate(r: () => number, seed: Buffer): Buffer {
  const pick = r();
  if (pick < 0.1) return Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256))); // noise
  const b = Buffer.from(seed);
  if (pick < 0.2) return b.subarray(0, Math.floor(r() * b.length)); // truncation
  if (pick < 0.3) return cat(b, Buffer.from(Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256))));
  const interesting = [0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, 3, 4, 13, 16, 24, 48, 54, 55, 255];
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n && b.length; i++) {
    const at = Math.floor(r() * b.length);
    b[at] = r() < 0.5 ? interesting[Math.floor(r() * interesting.length)]! : b[at]! ^ (1 << Math.floor(r() * 8));
  }
  return b;
}

/** Runs `fn` on `count` inputs; returns how many decoded cleanly. Anything but `allowed` fails the test. */
function fuzz(count: number, seedOffset: number, seeds: Buffer[], fn: (b: Buffer) => void, allowed: Function = FrameDecodeError): number {
  const r = rng(SEED + seedOffset);
  let ok = 0;
  for (let i = 0; i < count; i++) {
    const input = mutate(r, seeds[Math.floor(r() * seeds.length)]!);
    try {
      fn(input);
      ok++;
    } catch (e) {
      if (!(e instanceof allowed))
        throw new Error(`input #${i} (seed ${SEED}+${seedOffset}) ${input.toString('hex')} threw ${String((e as Error).stack)}`);
    }
  }
  return ok;
}

describe(`fuzz (seed ${SEED}, ${PER_DECODER} inputs per decoder)`, () => {
  const totals: number[] = [];

  it('whole pipeline: radiotap → 802.11 → events → roam tracker never throws', () => {
    const tracker = new RoamTracker();
    let ts = 0;
    const dec = new FrameEventDecoder({ onEvent: (e) => tracker.push(e), onManagement: () => undefined });
    const r = rng(SEED);
    for (let i = 0; i < PER_DECODER * 2; i++) {
      const data = mutate(r, r() < 0.5 ? real[Math.floor(r() * real.length)]! : handmade[Math.floor(r() * handmade.length)]!);
      ts += r() * 50;
      dec.packet({ ts, linkType: r() < 0.9 ? 127 : 105, data, origLen: data.length, interfaceId: 0 });
    }
    tracker.flush();
    expect(dec.stats.packets).toBe(PER_DECODER * 2);
    expect(dec.stats.malformedTotal).toBeGreaterThan(0);
    expect(dec.stats.events).toBeGreaterThan(0);
    totals.push(dec.stats.packets);
  });

  it('radiotap', () => {
    totals.push(PER_DECODER);
    expect(fuzz(PER_DECODER, 1, [...real, ...handmade], (b) => decodeRadiotap(b))).toBeGreaterThan(0);
  });

  it('802.11 header and management bodies', () => {
    totals.push(PER_DECODER);
    expect(
      fuzz(PER_DECODER, 2, [...bodies.mgmt, ...bodies.data], (b) => {
        const h = decodeHeader(b);
        if (h.type === 0) decodeManagement(h, b);
      }),
    ).toBeGreaterThan(0);
  });

  it('information elements', () => {
    totals.push(PER_DECODER);
    expect(fuzz(PER_DECODER, 3, [cat(...ies), ...ies], (b) => parseElements(b, 0, b.length))).toBeGreaterThan(0);
  });

  it('action frames', () => {
    totals.push(PER_DECODER);
    const seeds = bodies.mgmt.filter((f) => f[0] === 0xd0).map((f) => f.subarray(24));
    expect(fuzz(PER_DECODER, 4, seeds, (b) => decodeAction(b, 0, b.length))).toBeGreaterThan(0);
  });

  it('EAPOL', () => {
    totals.push(PER_DECODER);
    const seeds = [
      eapPacket(1, 1, 1),
      eapPacket(4, 2),
      eapolKey(KEY_INFO.M1),
      eapolKey(KEY_INFO.M3, { keyData: Buffer.alloc(56) }),
      eapolKey(KEY_INFO.M2, { micLen: 24 }),
    ].map((b) => b.subarray(8));
    expect(fuzz(PER_DECODER, 5, seeds, (b) => decodeEapol(b, 0, b.length))).toBeGreaterThan(0);
  });

  it('capture reader: only CaptureFormatError', () => {
    const files = [
      pcapFile(handmade.slice(0, 4).map((data, i) => ({ ts: 1000 + i, data }))),
      readFileSync(`${FIX}roam-full-eap.pcapng`).subarray(0, 3000),
    ];
    const n = Math.max(1000, PER_DECODER / 10);
    totals.push(n);
    fuzz(n, 6, files, (b) => readCaptureBuffer(b, () => undefined), CaptureFormatError);
  });

  it('covers at least 100,000 inputs in all', () => {
    expect(totals.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(PER_DECODER < 40_000 ? 0 : 100_000);
  });
});
