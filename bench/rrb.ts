import { aessiv } from '@noble/ciphers/aes.js';
import { PacketType, encodeFrame } from '../adapters/rrb/frame.js';
import { buildMessage, type RrbMessage } from '../adapters/rrb/messages.js';
import { sivOpen, sivSeal } from '../adapters/rrb/siv.js';

// R0KH-R1KH costs on one core (kmsd seals and opens every frame on its one R0KH-R1KH thread):
// building a whole PUSH frame (TLVs, padding rule, AES-SIV with the three AD items, Ethernet
// header), and AES-SIV itself, kmsd's (adapters/rrb/siv.ts, on node:crypto's AES) next to
// @noble/ciphers' audited pure-JS aessiv, on the shapes the KMS really seals and opens (a PUSH
// plaintext of 126 octets with AD of 6 + 45 + 1 octets; a PULL of 48 octets). Both are set
// against the rate the KMS must sustain: a burst of new stations, each PMK-R1 pushed to every neighbouring BSS, and a
// PULL for each new station (a roam before its key was pushed). The share of one core each
// implementation needs at that rate is the figure that decides which one production uses.

const KEY = Buffer.alloc(32, 7);
const PUSH_AD = [Buffer.alloc(6, 1), Buffer.alloc(45, 2), Buffer.from([PacketType.PUSH])];
const PUSH_PLAIN = Buffer.alloc(126, 4);
const PULL_AD = [Buffer.alloc(6, 1), Buffer.alloc(45, 2), Buffer.from([PacketType.PULL])];
const PULL_PLAIN = Buffer.alloc(48, 5);

/** The burst the KMS is sized for: new stations per second, and the BSSes each one's key goes to. */
export const BURST = { stationsPerS: 2000, neighbourBsses: 8 } as const;

export interface SivImpl {
  name: string;
  seal(key: Uint8Array, ad: readonly Uint8Array[], p: Uint8Array): Uint8Array;
  open(key: Uint8Array, ad: readonly Uint8Array[], sealed: Uint8Array): Uint8Array | null;
}

export const SIV_IMPLS: SivImpl[] = [
  { name: 'node:crypto AES (kmsd)', seal: sivSeal, open: sivOpen },
  {
    name: '@noble/ciphers aessiv',
    seal: (key, ad, p) => aessiv(key, ...ad).encrypt(p),
    open: (key, ad, sealed) => {
      try {
        return aessiv(key, ...ad).decrypt(sealed);
      } catch {
        return null; // a tag that does not verify
      }
    },
  },
];

/**
 * Calls per second of CPU time (this process's, user + system): the machine may be shared, and
 * CPU time is what the R0KH-R1KH thread has to spend, whoever else runs. Best of `rounds`.
 */
function rate(fn: () => void, seconds: number, rounds = 3): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up: both implementations reach their optimised code
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = process.cpuUsage();
    let cpu = 0;
    do {
      for (let i = 0; i < 100; i++) fn();
      n += 100;
      const d = process.cpuUsage(start);
      cpu = (d.user + d.system) / 1e6;
    } while (cpu < seconds / rounds);
    best = Math.max(best, n / cpu);
  }
  return best;
}

export interface SivFigures {
  name: string;
  /** PUSH-shaped seals per second on one core. */
  sealsPerS: number;
  /** PULL-shaped opens per second on one core. */
  opensPerS: number;
  /** One seal and one open, each PUSH-shaped, per second: the round trip of one key. */
  sealOpenPairsPerS: number;
  /** Microseconds of one core per PUSH frame (TLVs, padding, seal, Ethernet header): kmsd's as
   *  measured, the peer's as kmsd's with the time of kmsd's seal replaced by the peer's. */
  usPerPushFrame: number;
  /** Share of one core the burst needs: its PUSH seals plus one PULL open per new station. */
  coreShareAtBurst: number;
}

const PUSH: Extract<RrbMessage, { type: 3 }> = {
  type: PacketType.PUSH,
  seq: { dom: 0x01020305, seq: 7, ts: 1700000000 },
  r0khId: Buffer.from('ap1.example.com'),
  r1khId: '02:00:00:00:04:00',
  staMac: '02:00:00:00:01:00',
  pmkR0Name: Buffer.alloc(16, 1),
  session: {
    pmkR1: Buffer.alloc(32, 2),
    pmkR1Name: Buffer.alloc(16, 3),
    pairwise: 0x10,
    expiresIn: 3600,
    identity: Buffer.from('alice@example.com'),
    cui: Buffer.alloc(0),
    sessionTimeout: 0,
    vlan: { untagged: 100, tagged: [] },
  },
};
const MAC = '02:00:00:00:09:00';

/** Microseconds per PUSH frame as the KMS builds it (TLVs, padding, its AES-SIV, Ethernet header). */
function usPerPushFrame(seconds: number): number {
  let seq = 0;
  return (
    1e6 /
    rate(() => {
      const msg: RrbMessage = { ...PUSH, seq: { ...PUSH.seq, seq: seq++ } };
      encodeFrame({ dst: '02:00:00:00:04:00', src: MAC, packetType: PacketType.PUSH, payload: buildMessage(msg, KEY, MAC) });
    }, seconds)
  );
}

function figuresOf(impl: SivImpl, seconds: number, frameUs: number, kmsdSealUs: number): SivFigures {
  const pushSealed = impl.seal(KEY, PUSH_AD, PUSH_PLAIN);
  const pullSealed = impl.seal(KEY, PULL_AD, PULL_PLAIN);
  if (!impl.open(KEY, PULL_AD, pullSealed)) throw new Error(`${impl.name} cannot open what it sealed`);
  const sealsPerS = rate(() => impl.seal(KEY, PUSH_AD, PUSH_PLAIN), seconds);
  const opensPerS = rate(() => impl.open(KEY, PULL_AD, pullSealed), seconds);
  const sealOpenPairsPerS = rate(() => (impl.seal(KEY, PUSH_AD, PUSH_PLAIN), impl.open(KEY, PUSH_AD, pushSealed)), seconds);
  const seals = BURST.stationsPerS * BURST.neighbourBsses;
  return {
    name: impl.name,
    sealsPerS,
    opensPerS,
    sealOpenPairsPerS,
    usPerPushFrame: impl === SIV_IMPLS[0] ? frameUs : frameUs - kmsdSealUs + 1e6 / sealsPerS,
    coreShareAtBurst: seals / sealsPerS + BURST.stationsPerS / opensPerS,
  };
}

export function benchRrb(seconds = Number(process.env.KMS_BENCH_RRB_SECONDS ?? 1)): { pushBuildsPerS: number; siv: SivFigures[] } {
  const frameUs = usPerPushFrame(seconds);
  const kmsdSealUs = 1e6 / rate(() => sivSeal(KEY, PUSH_AD, PUSH_PLAIN), seconds);
  return { pushBuildsPerS: 1e6 / frameUs, siv: SIV_IMPLS.map((impl) => figuresOf(impl, seconds, frameUs, kmsdSealUs)) };
}
