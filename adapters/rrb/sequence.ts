import { randomBytes } from 'node:crypto';
import type { RrbSeq } from './messages.js';

// Replay protection of the R0KH-R1KH protocol (hostapd wpa_auth_ft.c: wpa_ft_new_seq,
// wpa_ft_rrb_seq_chk/_accept/_req, wpa_ft_rrb_rx_seq_resp; docs/hostapd-interfaces.md, "Sequence state
// and replay protection"). Pure logic: the clock and the randomness are injected so tests can drive time.
//
// Sender: per peer a random "dom" (low bit set, so 0 means "no state"), a sequence number that
// starts random and goes up by one per message, and ts = our monotonic seconds.
// Receiver: per peer the sender's dom, the estimated offset between our clock and theirs, and
// the last 16 accepted numbers. A frame from an unknown peer, a new dom (peer rebooted), a ts
// more than 10 s off, or a number beyond the window is deferred: queued (≤ 100) while a SEQ_REQ
// with a fresh nonce asks the peer for its current number; its SEQ_RESP (nonce echoed within
// 10 s) sets the state and the queue is replayed with deferral disabled.
//
// "Peer" is a string the caller chooses. hostapd keeps this state per r0kh/r1kh *entry*, i.e.
// per remote key-holder ID: an AP that learned the KMS through a wildcard r0kh line keeps one
// state per R0KH-ID the KMS speaks for. So the endpoint keys peers by (MAC, R1KH-ID, R0KH-ID),
// see peerKey(); one shared counter across R0KH-IDs would push a queued PUSH out of the window.

export const SEQ_TIMEOUT_S = 10; // ftRRBseqTimeout
export const MAX_QUEUE = 100; // ftRRBmaxQueueLen
export const BACKLOG = 16; // FT_REMOTE_SEQ_BACKLOG
/** A deferred frame shares an outstanding SEQ_REQ younger than this; an older one is asked again. */
export const REASK_AFTER_S = 0.1;
const WINDOW = 0x40000000;
const TOO_OLD = 0xc0000000;

export interface Clock {
  /** Monotonic seconds (fractions allowed). */
  nowS(): number;
}
export const monotonicClock: Clock = { nowS: () => Number(process.hrtime.bigint() / 1000000n) / 1000 };

export function peerKey(mac: string, r1khId: string, r0khId: Uint8Array): string {
  return `${mac}|${r1khId}|${Buffer.from(r0khId).toString('hex')}`;
}

const randomU32 = () => randomBytes(4).readUInt32LE(0);

/** Our sequence numbers towards each peer. */
export class SeqSender {
  private readonly state = new Map<string, { dom: number; seq: number }>();
  constructor(
    private readonly clock: Clock = monotonicClock,
    private readonly random32: () => number = randomU32,
  ) {}

  /** We have sent this peer something (a PUSH, a SEQ_RESP) before. */
  knows(peer: string): boolean {
    return this.state.has(peer);
  }

  next(peer: string): RrbSeq {
    let s = this.state.get(peer);
    if (!s) {
      s = { seq: this.random32() >>> 0, dom: (this.random32() | 1) >>> 0 };
      this.state.set(peer, s);
    }
    const out = { dom: s.dom, seq: s.seq, ts: Math.floor(this.clock.nowS()) >>> 0 };
    s.seq = (s.seq + 1) >>> 0;
    return out;
  }
}

export type SeqCheck =
  | { verdict: 'ok' }
  /** seq-stale: a frame that may not wait (a replay, a multicast) whose timestamp is more than 10 s off. */
  | { verdict: 'drop'; reason: 'seq-too-old' | 'seq-duplicate' | 'seq-stale' | 'seq-unknown-no-defer' }
  | { verdict: 'defer'; reason: 'seq-unknown-peer' | 'seq-dom-changed' | 'seq-ts-skew' | 'seq-out-of-window' };

/** A SEQ_REQ we sent, with the frame it holds back (null when we asked ahead of any frame). */
interface Pending<T> {
  nonce: Buffer;
  at: number;
  item: T | null;
}
interface RxState<T> {
  /** 0 = no state yet (dom always has its low bit set). */
  dom: number;
  /** Local minus remote seconds. */
  offset: number;
  /** Up to BACKLOG recently accepted numbers, oldest first. */
  last: number[];
  queue: Pending<T>[];
}

const diff = (a: number, b: number) => (a - b) >>> 0;

/** What we accept from each peer; T is whatever the caller needs to replay a deferred frame. */
export class SeqReceiver<T> {
  private readonly state = new Map<string, RxState<T>>();
  constructor(
    private readonly clock: Clock = monotonicClock,
    private readonly nonce: () => Buffer = () => randomBytes(16),
  ) {}

  private get(peer: string): RxState<T> {
    let s = this.state.get(peer);
    if (!s) this.state.set(peer, (s = { dom: 0, offset: 0, last: [], queue: [] }));
    return s;
  }

  /** The base of the window: the oldest of the backlog. */
  private base(s: RxState<T>): number {
    return s.last[0]!;
  }

  /** Classify a frame's SEQ before decrypting it; `noDefer` for replays and multicast frames. */
  check(peer: string, seq: RrbSeq, noDefer = false): SeqCheck {
    const s = this.state.get(peer);
    // A frame that may not wait is dropped; the reason says whether its sender was unknown or the
    // frame itself was stale (a replay captured more than 10 s ago).
    const defer = (reason: Extract<SeqCheck, { verdict: 'defer' }>['reason']): SeqCheck =>
      noDefer ? { verdict: 'drop', reason: reason === 'seq-ts-skew' ? 'seq-stale' : 'seq-unknown-no-defer' } : { verdict: 'defer', reason };
    if (!s || s.last.length === 0) return defer('seq-unknown-peer');
    if (seq.dom !== s.dom) return defer('seq-dom-changed');
    const remoteNow = Math.floor(this.clock.nowS() - s.offset);
    // ts must lie within ±10 s of the peer's clock as we estimate it (u32 arithmetic like hostapd).
    if (diff(seq.ts, remoteNow - SEQ_TIMEOUT_S) > 2 * SEQ_TIMEOUT_S) return defer('seq-ts-skew');
    const off = diff(seq.seq, this.base(s));
    if (off > TOO_OLD) return { verdict: 'drop', reason: 'seq-too-old' };
    if (off <= WINDOW) return s.last.includes(seq.seq) ? { verdict: 'drop', reason: 'seq-duplicate' } : { verdict: 'ok' };
    return defer('seq-out-of-window');
  }

  /** Record an authenticated frame that check() passed. */
  accept(peer: string, seq: RrbSeq): void {
    const s = this.get(peer);
    s.last.push(seq.seq);
    if (s.last.length > BACKLOG) {
      // Forget the oldest, counted back from the newest (modulo 2^32), and keep oldest first.
      const newest = seq.seq;
      s.last.sort((a, b) => diff(newest, b) - diff(newest, a));
      s.last.shift();
    }
  }

  /**
   * Queue an authenticated frame that check() deferred; when `ask`, the caller sends a SEQ_REQ
   * with the returned nonce. null when the peer's queue is full (the frame is dropped).
   */
  defer(peer: string, item: T): { nonce: Buffer; ask: boolean } | null {
    const s = this.get(peer);
    this.expire(s);
    if (s.queue.length >= MAX_QUEUE) return null;
    const now = this.clock.nowS();
    // A SEQ_REQ sent moments ago is still on its way: wait for its answer instead of asking
    // again. Only moments: an AP answers within a round trip, so an older request was lost (one
    // sent ahead while the AP was down) and a roam's PULL must not wait out its timeout.
    const recent = s.queue.find((p) => now - p.at < REASK_AFTER_S);
    if (recent) {
      s.queue.push({ nonce: recent.nonce, at: recent.at, item });
      return { nonce: recent.nonce, ask: false };
    }
    const nonce = this.nonce();
    s.queue.push({ nonce, at: now, item });
    return { nonce, ask: true };
  }

  /** Nothing is known of the peer's sequence yet: a frame from it would be deferred. */
  unknown(peer: string): boolean {
    const s = this.state.get(peer);
    return !s || s.last.length === 0;
  }

  /**
   * Ask ahead: a nonce for a SEQ_REQ sent before any frame of the peer needs deferring (when the
   * peer has just asked us, a PULL is about to follow). null if a request is already outstanding.
   */
  prime(peer: string): Buffer | null {
    const s = this.get(peer);
    this.expire(s);
    if (s.queue.length > 0) return null;
    const nonce = this.nonce();
    s.queue.push({ nonce, at: this.clock.nowS(), item: null });
    return nonce;
  }

  /**
   * An authenticated SEQ_RESP: if its nonce matches a queued request younger than 10 s, adopt
   * the peer's sequence state and hand back every queued frame for replay (with noDefer).
   */
  onSeqResp(peer: string, nonce: Uint8Array, seq: RrbSeq): { ok: true; replay: T[] } | { ok: false; reason: 'seq-resp-bad-nonce' } {
    const s = this.state.get(peer);
    if (!s) return { ok: false, reason: 'seq-resp-bad-nonce' };
    this.expire(s);
    if (!s.queue.some((p) => p.nonce.equals(nonce))) return { ok: false, reason: 'seq-resp-bad-nonce' };
    if (this.check(peer, seq, true).verdict === 'ok') {
      this.accept(peer, seq);
    } else {
      // Reset: trust the peer's numbers from here, leaving room below for the frames it sent
      // before answering (they are in our queue) and some older ones still in flight.
      s.dom = seq.dom;
      s.last = [diff(seq.seq, BACKLOG + s.queue.length), seq.seq];
      s.offset = this.clock.nowS() - seq.ts;
    }
    const replay = s.queue.flatMap((p) => (p.item === null ? [] : [p.item]));
    s.queue = [];
    return { ok: true, replay };
  }

  /** Drop queued frames whose SEQ_REQ went unanswered for 10 s; returns them (for counting). */
  sweep(): T[] {
    const out: T[] = [];
    for (const s of this.state.values()) out.push(...this.expire(s));
    return out;
  }

  private expire(s: RxState<T>): T[] {
    const now = this.clock.nowS();
    const old = s.queue.filter((p) => now - p.at > SEQ_TIMEOUT_S);
    if (old.length > 0) s.queue = s.queue.filter((p) => now - p.at <= SEQ_TIMEOUT_S);
    return old.flatMap((p) => (p.item === null ? [] : [p.item]));
  }

  /** Queued frames for a peer (for tests and metrics). */
  queued(peer: string): number {
    return this.state.get(peer)?.queue.length ?? 0;
  }
}
