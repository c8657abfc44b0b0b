import type { PmkR1Entry, PmkR1Pusher, PullHandler, PushOutcome, RrbPeer } from '../../daemon/ports/pmk-r1-transport.js';
import { bytesToMac, isGroupMac, parseMac } from '../../daemon/common/mac.js';
import { silentLog, type Log } from '../../daemon/log/log.js';
import { Throttle } from '../../daemon/common/throttle.js';
import { PacketType, decodeFrame, encodeFrame, type PacketTypeNumber } from './frame.js';
import { openL2Socket, type L2Transport } from './l2-socket.js';
import { buildMessage, decryptEnvelope, parseEnvelope, parsePlaintext, type RrbMessage, type RrbSession } from './messages.js';
import { SeqReceiver, SeqSender, monotonicClock, peerKey, type Clock } from './sequence.js';
import { RrbDecodeError } from './tlv.js';

// The KMS's side of hostapd's R0KH-R1KH protocol on one L2 segment. The KMS is the R0KH of the
// whole mobility domain: it PUSHes PMK-R1s to APs, answers their PULLs and the SEQ_REQs both
// need, and asks APs for their sequence state (SEQ_REQ) when a PULL comes from one it does not
// know yet. It never PULLs, so RESP and PUSH frames addressed to it are dropped.
//
// Every received frame ends in exactly one outcome reported to the observer: an answer
// ('tx', type), a deferral ('defer', reason) or a drop ('drop', reason). Frame handling never
// throws: a hostile frame must not take the daemon down.

export type RrbObserver = (event: string, reason?: string) => void;
/** The per-AP key (its r0kh line for the KMS) for frames from `srcMac` claiming R1KH-ID `r1khId`; null = unknown AP. */
export type RrbKeyLookup = (srcMac: string, r1khId: string) => Buffer | null | undefined;

export interface RrbEndpointOptions {
  /** Interface on the APs' ft_iface segment (for open()). */
  ifname?: string;
  /** Source MAC of our frames; default the interface's (another one only receives if the NIC is promiscuous). */
  mac?: string;
  keyFor: RrbKeyLookup;
  pullHandler: PullHandler;
  observer?: RrbObserver;
  logger?: Log;
  /** Monotonic clock (tests inject a fake one). */
  clock?: Clock;
  /** First wait before an unanswered sequence probe is sent again; it doubles, up to a minute. */
  probeRetryMs?: number;
  /**
   * A cluster member's fence: asked before every frame goes out, false while this member may not
   * send (its lease has not been renewed for too long, so another member may hold the work now).
   * The frame is then dropped ('drop', 'fenced') and a PUSH fails with reason 'fenced'.
   */
  mayTransmit?: () => boolean;
}

const TYPE_NAME: Record<PacketTypeNumber, string> = { 1: 'PULL', 2: 'RESP', 3: 'PUSH', 4: 'SEQ_REQ', 5: 'SEQ_RESP' };
const QUIET_DROPS = new Set(['fenced', 'own-frame', 'not-for-us', 'multicast-src', 'seq-resp-bad-nonce', 'seq-req-timeout']);

/** The session TLVs of a PMK-R1 entry; throws RangeError on values the wire cannot carry. */
export function sessionOf(e: PmkR1Entry): RrbSession {
  if (!Number.isInteger(e.expiresInS) || e.expiresInS < 1 || e.expiresInS > 0xffff) {
    // EXPIRES_IN is le16 and hostapd truncates silently: refuse instead of sending a wrong lifetime.
    throw new RangeError(`expiresInS must be 1..65535, got ${e.expiresInS}`);
  }
  return {
    pmkR1: e.pmkR1,
    pmkR1Name: e.pmkR1Name,
    pairwise: e.pairwise,
    expiresIn: e.expiresInS,
    identity: Buffer.from(e.identity ?? '', 'utf8'),
    cui: Buffer.from(e.cui ?? '', 'utf8'),
    sessionTimeout: e.sessionTimeoutS,
    vlan: e.vlan,
  };
}

export class RrbEndpoint implements PmkR1Pusher {
  readonly mac: string;
  private readonly tx: SeqSender;
  private readonly dropLog = new Throttle(10, 10_000);
  /** Deferred PULLs, kept as whole frames so a replay goes through the same checks. */
  private readonly rx: SeqReceiver<Buffer>;
  private readonly observer: RrbObserver;
  private readonly log: Log;
  private readonly sweeper: NodeJS.Timeout;
  /** Sequence probes not yet answered by their AP, by peer key. */
  private readonly probes = new Map<string, { tries: number; timer: NodeJS.Timeout }>();
  private readonly probeRetryMs: number;
  private wasFenced = false;
  /** Peers that have asked for our sequence state (so they have it, unless they restart and ask again). */
  private readonly synced = new Set<string>();
  /** Counts by "event" or "event:reason", for tests and metrics. */
  readonly counts = new Map<string, number>();

  /** Open the AF_PACKET socket on opts.ifname and serve on it. */
  static open(opts: RrbEndpointOptions & { ifname: string }): RrbEndpoint {
    return new RrbEndpoint(openL2Socket(opts.ifname), opts);
  }

  constructor(
    private readonly transport: L2Transport,
    private readonly opts: RrbEndpointOptions,
  ) {
    this.mac = parseMac(opts.mac ?? transport.mac, 'RRB endpoint MAC');
    const clock = opts.clock ?? monotonicClock;
    this.tx = new SeqSender(clock);
    this.rx = new SeqReceiver<Buffer>(clock);
    this.log = opts.logger ?? silentLog;
    this.probeRetryMs = opts.probeRetryMs ?? 1000;
    this.observer = opts.observer ?? (() => {});
    transport.onFrame((frame) => this.receive(frame));
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const p of this.probes.values()) clearTimeout(p.timer);
    this.probes.clear();
    this.transport.close();
  }

  /** Drop deferred PULLs whose SEQ_REQ went unanswered for 10 s. */
  sweep(): void {
    for (const _ of this.rx.sweep()) this.emit('drop', 'seq-req-timeout');
  }

  async push(peer: RrbPeer, entry: PmkR1Entry): Promise<PushOutcome> {
    try {
      if (this.fenced()) return this.pushFailed('fenced');
      if (peer.key.length !== 32) return this.pushFailed('bad-key');
      const r1khId = parseMac(peer.r1khId, 'R1KH-ID');
      if (parseMac(entry.r1khId, 'entry R1KH-ID') !== r1khId) return this.pushFailed('r1kh-mismatch');
      const r0khId = Buffer.from(entry.r0khId, 'utf8');
      const msg: RrbMessage = {
        type: PacketType.PUSH,
        seq: this.tx.next(peerKey(parseMac(peer.mac), r1khId, r0khId)),
        r0khId,
        r1khId,
        staMac: parseMac(entry.staMac, 'STA MAC'),
        pmkR0Name: entry.pmkR0Name,
        session: sessionOf(entry),
      };
      return this.send(parseMac(peer.mac), msg, peer.key) ? { ok: true } : this.pushFailed('send-failed');
    } catch (err) {
      return this.pushFailed(`bad-entry: ${(err as Error).message}`);
    }
  }

  /**
   * Runs both sequence exchanges with one BSS for one R0KH-ID ahead of any station, so neither a
   * first PUSH nor a roam-time PULL waits for them: a probe PUSH makes hostapd ask for our
   * sequence state (it drops the probe itself, which names no station), and our SEQ_REQ learns
   * the AP's, unless we know it already. hostapd keeps this state per R0KH-ID, hence the pair.
   */
  probe(peer: RrbPeer, r0khId: string): boolean {
    try {
      if (peer.key.length !== 32) return false;
      const r1khId = parseMac(peer.r1khId, 'R1KH-ID');
      const dst = parseMac(peer.mac);
      const id = Buffer.from(r0khId, 'utf8');
      const key = peerKey(dst, r1khId, id);
      if (this.fenced()) {
        this.emit('drop', 'fenced');
        this.retryProbe(key, peer, r0khId);
        return false;
      }
      const sent = this.send(dst, { type: PacketType.PUSH, seq: this.tx.next(key), r0khId: id, r1khId, probe: true }, peer.key);
      const nonce = this.rx.unknown(key) ? this.rx.prime(key) : null;
      if (nonce) this.send(dst, { type: PacketType.SEQ_REQ, nonce, r0khId: id, r1khId }, peer.key);
      if (sent) this.emit('probe');
      // An AP that knows our state already accepts the probe without a word: only a pair that
      // has not asked yet is sent again.
      if (!this.synced.has(key)) this.retryProbe(key, peer, r0khId);
      return sent;
    } catch (err) {
      this.log.warn({ dst: peer.mac, err: (err as Error).message }, 'RRB sequence probe not sent');
      return false;
    }
  }

  /**
   * Until the AP asks for our state (its SEQ_REQ answers the probe), the probe is sent again,
   * each time later (up to a minute apart): an AP whose hostapd is not up yet, or one that lost
   * the frame, learns the KMS's state as soon as it can, and a down AP costs a frame a minute.
   */
  private retryProbe(key: string, peer: RrbPeer, r0khId: string): void {
    const pending = this.probes.get(key);
    if (pending) clearTimeout(pending.timer);
    const tries = (pending?.tries ?? 0) + 1;
    const delay = Math.min(this.probeRetryMs * 2 ** (tries - 1), 60_000);
    const timer = setTimeout(() => {
      this.emit('probe-retry');
      this.probe(peer, r0khId);
    }, delay);
    timer.unref();
    this.probes.set(key, { tries, timer });
  }

  /** Probes still waiting for their AP (for tests and metrics). */
  get pendingProbes(): number {
    return this.probes.size;
  }

  private pushFailed(reason: string): PushOutcome {
    this.emit('push-failed', reason);
    return { ok: false, reason };
  }

  private emit(event: string, reason?: string): void {
    const k = reason ? `${event}:${reason}` : event;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    try {
      this.observer(event, reason);
    } catch {
      // An observer bug must not turn into a frame-handling exception.
    }
  }

  /** True while the fence forbids sending; the first refusal of each spell is logged. */
  private fenced(): boolean {
    const fenced = this.opts.mayTransmit ? !this.opts.mayTransmit() : false;
    if (fenced && !this.wasFenced)
      this.log.warn({}, "RRB frames held back: this member's cluster lease has not been renewed for half its TTL");
    else if (!fenced && this.wasFenced) this.log.info({}, 'RRB frames go out again: the cluster lease is renewed');
    this.wasFenced = fenced;
    return fenced;
  }

  private send(dst: string, msg: RrbMessage, key: Buffer): boolean {
    if (this.fenced()) {
      this.emit('drop', 'fenced');
      return false;
    }
    try {
      const payload = buildMessage(msg, key, this.mac);
      this.transport.send(encodeFrame({ dst, src: this.mac, packetType: msg.type, payload }));
      this.emit('tx', TYPE_NAME[msg.type]);
      return true;
    } catch (err) {
      this.log.warn({ dst, type: TYPE_NAME[msg.type], err: (err as Error).message }, 'RRB send failed');
      this.emit('drop', 'send-failed');
      return false;
    }
  }

  /** Entry point for every received frame (also for replays of deferred ones). Never throws. */
  receive(frame: Buffer, noDefer = false): void {
    // Behind the fence a frame changes no state either: a SEQ_REQ whose answer could not go out
    // would leave a deferred PULL waiting for a SEQ_RESP that never comes.
    if (this.fenced()) return this.drop('fenced');
    try {
      this.handle(frame, noDefer);
    } catch (err) {
      if (!(err instanceof RrbDecodeError)) {
        this.log.error({ err: (err as Error).message }, 'RRB frame handling failed');
        this.emit('drop', 'internal-error');
        return;
      }
      this.drop(err.reason, { src: frame.length >= 12 ? bytesToMac(frame.subarray(6, 12)) : null });
    }
  }

  /**
   * Every drop is counted; the ones that point at a misconfigured or hostile sender (wrong key,
   * replay, unknown R1KH, malformed) are also logged at warn, at most 10 per reason per 10 s.
   * Frames simply not meant for us, or stale SEQ answers, stay at debug.
   */
  private drop(reason: string, detail: object = {}): void {
    const quiet = QUIET_DROPS.has(reason) || !this.dropLog.allow(reason);
    this.log[quiet ? 'debug' : 'warn']({ reason, ...detail }, 'RRB frame dropped');
    this.emit('drop', reason);
  }

  private handle(buf: Buffer, replay: boolean): void {
    const f = decodeFrame(buf);
    if (f.src === this.mac) return this.drop('own-frame');
    if (isGroupMac(f.src)) return this.drop('multicast-src');
    const multicast = isGroupMac(f.dst);
    if (!multicast && f.dst !== this.mac) return this.drop('not-for-us');
    this.emit('rx', TYPE_NAME[f.packetType]);
    if (f.packetType === PacketType.RESP || f.packetType === PacketType.PUSH) return this.drop('unexpected-type');
    const env = parseEnvelope(f.packetType, f.payload);
    const key = this.opts.keyFor(f.src, env.r1khId);
    if (!key) return this.drop('unknown-r1kh', { src: f.src, r1khId: env.r1khId });
    const peer = peerKey(f.src, env.r1khId, env.r0khId);
    // hostapd checks the sequence number before decrypting (cheap drop of old or repeated frames)
    // but decrypts before deferring, so an unauthenticated frame never triggers a SEQ_REQ.
    // (SEQ_RESP carries a SEQ too, but it is the answer that *sets* the state: not checked here.)
    const seq = env.type === PacketType.PULL && env.seq ? this.rx.check(peer, env.seq, replay || multicast) : null;
    if (seq?.verdict === 'drop') return this.drop(seq.reason, { src: f.src });
    const msg = parsePlaintext(env, decryptEnvelope(env, key, f.src));

    switch (msg.type) {
      case PacketType.SEQ_REQ: {
        // Our sequence state towards this AP (for this R0KH-ID), echoing its nonce and IDs.
        const answeringOurPush = this.tx.knows(peer);
        this.synced.add(peer);
        const probe = this.probes.get(peer);
        if (probe) {
          clearTimeout(probe.timer);
          this.probes.delete(peer);
        }
        this.send(
          f.src,
          { type: PacketType.SEQ_RESP, nonce: msg.nonce, seq: this.tx.next(peer), r0khId: msg.r0khId, r1khId: msg.r1khId },
          key,
        );
        // An AP that asks without having had a PUSH from us is about to PULL. Asking back now,
        // instead of when the PULL arrives, saves one round trip of a roam-time PULL (the station
        // waits in its FT authentication meanwhile).
        if (!answeringOurPush && this.rx.unknown(peer)) {
          const nonce = this.rx.prime(peer);
          if (nonce) this.send(f.src, { type: PacketType.SEQ_REQ, nonce, r0khId: msg.r0khId, r1khId: msg.r1khId }, key);
        }
        return;
      }
      case PacketType.SEQ_RESP: {
        const r = this.rx.onSeqResp(peer, msg.nonce, msg.seq);
        if (!r.ok) return this.drop(r.reason, { src: f.src });
        this.emit('seq-synced');
        for (const queued of r.replay) this.receive(queued, true);
        return;
      }
      case PacketType.PULL: {
        if (seq?.verdict === 'defer') {
          const deferred = this.rx.defer(peer, Buffer.from(buf));
          if (!deferred) return this.drop('queue-full', { src: f.src });
          this.emit('defer', seq.reason);
          if (deferred.ask)
            this.send(f.src, { type: PacketType.SEQ_REQ, nonce: deferred.nonce, r0khId: msg.r0khId, r1khId: msg.r1khId }, key);
          return;
        }
        this.rx.accept(peer, msg.seq);
        return this.answerPull(f.src, msg, key, peer);
      }
    }
  }

  private answerPull(src: string, pull: Extract<RrbMessage, { type: 1 }>, key: Buffer, peer: string): void {
    let entry: PmkR1Entry | null = null;
    try {
      entry = this.opts.pullHandler({
        fromMac: src,
        r0khId: pull.r0khId.toString('utf8'),
        r1khId: pull.r1khId,
        staMac: pull.staMac,
        pmkR0Name: pull.pmkR0Name,
      });
    } catch (err) {
      this.log.error({ src, err: (err as Error).message }, 'PULL handler failed; answering NAK');
      this.emit('pull-handler-error');
    }
    let session: RrbSession | null = null;
    if (entry) {
      if (parseMac(entry.r1khId) !== pull.r1khId || parseMac(entry.staMac) !== pull.staMac) {
        this.log.error({ src, r1khId: pull.r1khId }, 'PULL handler returned a key for another R1KH/STA; answering NAK');
        this.emit('pull-handler-error', 'mismatch');
      } else {
        try {
          session = sessionOf(entry);
        } catch (err) {
          this.log.error({ src, err: (err as Error).message }, 'PULL handler entry not sendable; answering NAK');
          this.emit('pull-handler-error', 'bad-entry');
        }
      }
    }
    this.emit(session ? 'pull-answered' : 'pull-nak');
    // RESP echoes the PULL's nonce and IDs (wpa_ft_rrb_rx_pull); a NAK carries the S1KH-ID only.
    this.send(
      src,
      {
        type: PacketType.RESP,
        nonce: pull.nonce,
        seq: this.tx.next(peer),
        r0khId: pull.r0khId,
        r1khId: pull.r1khId,
        staMac: pull.staMac,
        session,
      },
      key,
    );
  }
}
