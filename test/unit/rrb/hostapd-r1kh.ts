// A minimal R1KH that behaves like hostapd 2.10's (wpa_auth_ft.c wpa_ft_rrb_rx_r1,
// wpa_ft_pull_pmk_r1, wpa_ft_rrb_rx_seq_req/_resp, wpa_ft_rrb_seq_chk/_accept) for an AP
// configured with one wildcard line `r0kh=<KMS MAC> * <key>` and pmk_r1_push=0. It is written
// independently of adapters/rrb/sequence.ts and endpoint.ts (only the codec is shared), keeps
// its state per R0KH-ID entry learned from the wildcard as hostapd does, and implements hostapd's
// own backlog bookkeeping (offsetidx), so it checks our endpoint against hostapd's rules rather
// than against itself.
import { randomBytes } from 'node:crypto';
import { PacketType, decodeFrame, encodeFrame, type PacketTypeNumber } from '../../../adapters/rrb/frame.js';
import type { L2Transport } from '../../../adapters/rrb/l2-socket.js';
import {
  buildMessage,
  decryptEnvelope,
  parseEnvelope,
  parsePlaintext,
  type RrbMessage,
  type RrbSeq,
  type RrbSession,
} from '../../../adapters/rrb/messages.js';

interface Item {
  nonce: Buffer;
  at: number;
  frame: Buffer | null;
}
interface R0kh {
  addr: string;
  rx: { dom: number; last: number[]; offsetidx: number; offset: number; queue: Item[] };
  tx: { dom: number; seq: number };
}
export interface StoredR1 {
  staMac: string;
  r0khId: string;
  session: RrbSession;
}
export type PullResult = { ok: true; session: RrbSession } | { ok: false; nak: boolean };

const SEQ_TIMEOUT = 10;
const u32 = (n: number) => n >>> 0;

export class HostapdR1kh {
  /** PMK-R1s stored, in arrival order (hostapd does not de-duplicate either). */
  readonly stored: StoredR1[] = [];
  readonly log: string[] = [];
  private readonly r0khs = new Map<string, R0kh>();
  private readonly pending = new Map<string, { resolve: (r: PullResult) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly l2: L2Transport,
    readonly r1khId: string,
    private readonly wildcard: { addr: string; key: Buffer },
    private readonly now: () => number = () => Math.floor(performance.now() / 1000),
  ) {
    l2.onFrame((f) => this.rx(f, false));
  }

  private entry(r0khId: string, addr: string): R0kh {
    let e = this.r0khs.get(r0khId);
    if (!e) {
      e = { addr, rx: { dom: 0, last: [], offsetidx: 0, offset: 0, queue: [] }, tx: { dom: 0, seq: 0 } };
      this.r0khs.set(r0khId, e);
    }
    return e;
  }

  private newSeq(e: R0kh): RrbSeq {
    if (!e.tx.dom) e.tx = { seq: randomBytes(4).readUInt32LE(0), dom: u32(randomBytes(4).readUInt32LE(0) | 1) };
    const s = { dom: e.tx.dom, seq: e.tx.seq, ts: u32(this.now()) };
    e.tx.seq = u32(e.tx.seq + 1);
    return s;
  }

  private send(dst: string, m: RrbMessage): void {
    this.l2.send(encodeFrame({ dst, src: this.l2.mac, packetType: m.type, payload: buildMessage(m, this.wildcard.key, this.l2.mac) }));
  }

  private seqReq(e: R0kh, dst: string, r0khId: Buffer, frame: Buffer | null): void {
    if (e.rx.queue.length >= 100) return;
    const nonce = randomBytes(16);
    e.rx.queue.push({ nonce, at: this.now(), frame });
    this.log.push('tx SEQ_REQ');
    this.send(dst, { type: PacketType.SEQ_REQ, nonce, r0khId, r1khId: this.r1khId });
  }

  /** hostapd's wpa_ft_rrb_seq_chk: 'ok' | 'drop' | 'defer'. */
  private seqChk(e: R0kh, seq: RrbSeq, noDefer: boolean): 'ok' | 'drop' | 'defer' {
    const rx = e.rx;
    const defer = noDefer ? 'drop' : 'defer';
    if (rx.last.length === 0 || seq.dom !== rx.dom) return defer;
    const remoteNow = this.now() - rx.offset;
    if (u32(seq.ts - (remoteNow - SEQ_TIMEOUT)) > 2 * SEQ_TIMEOUT) return defer;
    const off = u32(seq.seq - rx.last[rx.offsetidx]!);
    if (off > 0xc0000000) return 'drop';
    if (off <= 0x40000000) return rx.last.includes(seq.seq) ? 'drop' : 'ok';
    return defer;
  }

  /** hostapd's wpa_ft_rrb_seq_accept, offsetidx bookkeeping included. */
  private seqAccept(e: R0kh, seq: number): void {
    const rx = e.rx;
    if (rx.last.length < 16) {
      rx.last.push(seq);
      return;
    }
    const base = rx.last[rx.offsetidx]!;
    let minidx = 0;
    for (let i = 0; i < rx.last.length; i++) {
      if (u32(rx.last[i]! - base) < u32(rx.last[minidx]! - base) && i !== rx.offsetidx) minidx = i;
    }
    rx.last[rx.offsetidx] = seq;
    rx.offsetidx = minidx;
  }

  private rx(frame: Buffer, noDefer: boolean): void {
    let f;
    try {
      f = decodeFrame(frame);
    } catch {
      return;
    }
    if (f.dst !== this.l2.mac) return;
    try {
      this.handle(f.src, f.packetType, f.payload, frame, noDefer);
    } catch (err) {
      this.log.push(`drop ${(err as Error).message}`);
    }
  }

  private handle(src: string, type: PacketTypeNumber, payload: Buffer, frame: Buffer, noDefer: boolean): void {
    const env = parseEnvelope(type, payload);
    const r0khId = env.r0khId.toString('utf8');
    if (env.r1khId !== this.r1khId) {
      this.log.push('drop R1KH-ID mismatch');
      return;
    }
    const known = this.r0khs.get(r0khId);
    if (type === PacketType.SEQ_REQ || type === PacketType.SEQ_RESP) {
      // wpa_ft_rrb_rx_seq: with a wildcard any source is allowed; decrypt, learn the entry.
      const m = parsePlaintext(env, decryptEnvelope(env, this.wildcard.key, src));
      const e = known ?? this.entry(r0khId, src);
      if (m.type === PacketType.SEQ_REQ) {
        this.log.push('tx SEQ_RESP');
        this.send(src, { type: PacketType.SEQ_RESP, nonce: m.nonce, seq: this.newSeq(e), r0khId: env.r0khId, r1khId: this.r1khId });
        return;
      }
      if (m.type !== PacketType.SEQ_RESP) return;
      const item = e.rx.queue.find((i) => i.nonce.equals(m.nonce) && this.now() - i.at <= SEQ_TIMEOUT);
      if (!item) {
        this.log.push('drop seq response - bad nonce');
        return;
      }
      e.addr = src;
      if (this.seqChk(e, m.seq, true) === 'ok') this.seqAccept(e, m.seq.seq);
      else {
        e.rx.dom = m.seq.dom;
        e.rx.offsetidx = 0;
        e.rx.last = [u32(m.seq.seq - 16 - e.rx.queue.length), m.seq.seq];
        e.rx.offset = this.now() - m.seq.ts;
      }
      const queue = e.rx.queue;
      e.rx.queue = [];
      this.log.push('seq synced');
      for (const q of queue) if (q.frame) this.rx(q.frame, true);
      return;
    }
    if (type !== PacketType.PUSH && type !== PacketType.RESP) {
      this.log.push(`drop type ${type}`);
      return;
    }
    // wpa_ft_rrb_rx_r1: check the sequence, defer via the wildcard when unknown or moved.
    let verdict = known ? this.seqChk(known, env.seq!, noDefer) : 'drop';
    if (!noDefer && (!known || known.addr !== src)) verdict = 'defer';
    if (verdict === 'drop') {
      this.log.push('drop seq');
      return;
    }
    const m = parsePlaintext(env, decryptEnvelope(env, this.wildcard.key, src));
    const e = known ?? this.entry(r0khId, src);
    if (verdict === 'defer') {
      this.seqReq(e, src, env.r0khId, Buffer.from(frame));
      return;
    }
    this.seqAccept(e, env.seq!.seq);
    if (m.type === PacketType.PUSH && 'probe' in m) {
      // wpa_ft_rrb_rx_r1 reads the S1KH-ID only after the sequence number is accepted.
      this.log.push('drop PUSH without S1KH-ID');
    } else if (m.type === PacketType.PUSH) {
      this.stored.push({ staMac: m.staMac, r0khId, session: m.session });
      this.log.push('stored PUSH');
    } else if (m.type === PacketType.RESP) {
      const p = this.pending.get(m.nonce.toString('hex'));
      if (!p) {
        this.log.push('drop RESP - invalid nonce');
        return;
      }
      clearTimeout(p.timer);
      this.pending.delete(m.nonce.toString('hex'));
      if (m.session) this.stored.push({ staMac: m.staMac, r0khId, session: m.session });
      p.resolve(m.session ? { ok: true, session: m.session } : { ok: false, nak: true });
    }
  }

  /** wpa_ft_pull_pmk_r1 (one try): SEQ_REQ first when the entry has no state, then the PULL. */
  pull(staMac: string, r0khId: string, pmkR0Name: Buffer, timeoutMs = 2000): Promise<PullResult> {
    const e = this.entry(r0khId, this.wildcard.addr);
    const id = Buffer.from(r0khId, 'utf8');
    if (e.rx.last.length === 0) this.seqReq(e, e.addr, id, null);
    const nonce = randomBytes(16);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(nonce.toString('hex'));
        resolve({ ok: false, nak: false });
      }, timeoutMs);
      this.pending.set(nonce.toString('hex'), { resolve, timer });
      this.log.push('tx PULL');
      this.send(e.addr, { type: PacketType.PULL, nonce, seq: this.newSeq(e), r0khId: id, r1khId: this.r1khId, staMac, pmkR0Name });
    });
  }
}
