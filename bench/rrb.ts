import { PacketType, encodeFrame } from '../adapters/rrb/frame.js';
import { buildMessage, type RrbMessage } from '../adapters/rrb/messages.js';
import { sivSeal } from '../adapters/rrb/siv.js';

// R0KH-R1KH costs on one core: building a whole PUSH frame (TLVs, padding rule, AES-SIV with the
// three AD items, Ethernet header) and a bare AES-SIV seal of the same size (126-octet PUSH
// plaintext, AD = 6 + 45 + 1 octets), so the two can be compared: the seal is most of a PUSH.

const KEY = Buffer.alloc(32, 7);
const MAC = '02:00:00:00:09:00';
const PUSH: Extract<RrbMessage, { type: 3 }> = {
  type: PacketType.PUSH, seq: { dom: 0x01020305, seq: 7, ts: 1700000000 }, r0khId: Buffer.from('ap1.example.com'),
  r1khId: '02:00:00:00:04:00', staMac: '02:00:00:00:01:00', pmkR0Name: Buffer.alloc(16, 1),
  session: {
    pmkR1: Buffer.alloc(32, 2), pmkR1Name: Buffer.alloc(16, 3), pairwise: 0x10, expiresIn: 3600,
    identity: Buffer.from('alice@example.com'), cui: Buffer.alloc(0), sessionTimeout: 0, vlan: { untagged: 100, tagged: [] },
  },
};

function rate(fn: () => void, seconds: number): number {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < seconds);
  return n / elapsed;
}

export function benchRrb(seconds = Number(process.env.KMS_BENCH_RRB_SECONDS ?? 1)): { pushBuildsPerS: number; sivSealsPerS: number } {
  let seq = 0;
  const pushBuildsPerS = rate(() => {
    const msg: RrbMessage = { ...PUSH, seq: { ...PUSH.seq, seq: seq++ } };
    encodeFrame({ dst: '02:00:00:00:04:00', src: MAC, packetType: PacketType.PUSH, payload: buildMessage(msg, KEY, MAC) });
  }, seconds);
  const ad = [Buffer.alloc(6, 1), Buffer.alloc(45, 2), Buffer.from([PacketType.PUSH])];
  const plain = Buffer.alloc(126, 4);
  const sivSealsPerS = rate(() => sivSeal(KEY, ad, plain), seconds);
  return { pushBuildsPerS, sivSealsPerS };
}
