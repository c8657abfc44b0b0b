// Replay protection (docs/hostapd-interfaces.md, "Sequence state and replay protection") with a fake clock.
import { describe, expect, it } from 'vitest';
import { BACKLOG, MAX_QUEUE, SeqReceiver, SeqSender, peerKey } from '../../../adapters/rrb/sequence.js';

class FakeClock {
  t = 5000.25;
  nowS() {
    return this.t;
  }
}
const P = peerKey('02:00:00:00:04:00', '02:00:00:00:04:00', Buffer.from('ap1'));
let n = 0;
const nonces = () => Buffer.alloc(16, ++n);

describe('SeqSender', () => {
  it('random dom with the low bit set, random start, +1 per message, ts = monotonic seconds, per peer', () => {
    const clock = new FakeClock();
    const rnd = [0xfffffffe, 0x10, 0x20, 0x31];
    const tx = new SeqSender(clock, () => rnd.shift()!);
    expect(tx.next('a')).toEqual({ seq: 0xfffffffe, dom: 0x11, ts: 5000 });
    clock.t += 3;
    expect(tx.next('a')).toEqual({ seq: 0xffffffff, dom: 0x11, ts: 5003 });
    expect(tx.next('a').seq).toBe(0); // wraps modulo 2^32
    expect(tx.next('b')).toEqual({ seq: 0x20, dom: 0x31, ts: 5003 });
    expect(new SeqSender().next('x').dom & 1).toBe(1);
  });
  it('keys peers by MAC, R1KH-ID and R0KH-ID', () => {
    expect(peerKey('a', 'b', Buffer.from('x'))).not.toBe(peerKey('a', 'b', Buffer.from('y')));
  });
});

describe('SeqReceiver', () => {
  function synced(seq = 1000, dom = 7, ts = 100) {
    const clock = new FakeClock();
    const rx = new SeqReceiver<string>(clock, nonces);
    const nonce = rx.defer(P, 'first')!.nonce;
    const r = rx.onSeqResp(P, nonce, { dom, seq, ts });
    expect(r).toEqual({ ok: true, replay: ['first'] });
    return { clock, rx };
  }

  it('frames deferred within 100 ms share one SEQ_REQ; later ones ask again', () => {
    const clock = new FakeClock();
    const rx = new SeqReceiver<string>(clock, nonces);
    const first = rx.defer(P, 'a')!;
    expect(first.ask).toBe(true);
    const second = rx.defer(P, 'b')!;
    expect(second).toEqual({ nonce: first.nonce, ask: false });
    clock.t += 0.15;
    const third = rx.defer(P, 'c')!;
    expect(third.ask).toBe(true);
    expect(third.nonce.equals(first.nonce)).toBe(false);
  });

  it('a PULL deferred after a request asked ahead went unanswered asks again at once', () => {
    // The KMS asks every AP ahead at start; an AP that was down then never answers, and its
    // first PULL must not wait for that request to time out.
    const clock = new FakeClock();
    const rx = new SeqReceiver<string>(clock, nonces);
    const ahead = rx.prime(P)!;
    clock.t += 0.3;
    const pull = rx.defer(P, 'pull')!;
    expect(pull.ask).toBe(true);
    expect(pull.nonce.equals(ahead)).toBe(false);
  });

  it('asking ahead (prime) syncs a peer before its first frame needs deferring', () => {
    const clock = new FakeClock();
    const rx = new SeqReceiver<string>(clock, nonces);
    expect(rx.unknown(P)).toBe(true);
    const nonce = rx.prime(P)!;
    expect(rx.prime(P)).toBeNull(); // one outstanding request at a time
    expect(rx.onSeqResp(P, nonce, { dom: 7, seq: 1000, ts: 100 })).toEqual({ ok: true, replay: [] });
    expect(rx.unknown(P)).toBe(false);
    expect(rx.check(P, { dom: 7, seq: 1001, ts: 100 })).toEqual({ verdict: 'ok' });
  });

  it('an unknown peer is deferred, a SEQ_RESP with the nonce sets the state and replays the queue', () => {
    const clock = new FakeClock();
    const rx = new SeqReceiver<string>(clock, nonces);
    expect(rx.check(P, { dom: 7, seq: 990, ts: 100 })).toEqual({ verdict: 'defer', reason: 'seq-unknown-peer' });
    expect(rx.check(P, { dom: 7, seq: 990, ts: 100 }, true)).toEqual({ verdict: 'drop', reason: 'seq-unknown-no-defer' });
    const n1 = rx.defer(P, 'a')!.nonce;
    rx.defer(P, 'b');
    expect(rx.queued(P)).toBe(2);
    expect(rx.onSeqResp(P, Buffer.alloc(16, 0xee), { dom: 7, seq: 1000, ts: 100 })).toEqual({ ok: false, reason: 'seq-resp-bad-nonce' });
    expect(rx.onSeqResp(P, n1, { dom: 7, seq: 1000, ts: 100 })).toEqual({ ok: true, replay: ['a', 'b'] });
    expect(rx.queued(P)).toBe(0);
    // Frames sent before the SEQ_RESP (up to 16 + queue length back) are accepted on replay.
    expect(rx.check(P, { dom: 7, seq: 1000 - BACKLOG - 2 + 1, ts: 100 }, true).verdict).toBe('ok');
    expect(rx.check(P, { dom: 7, seq: 1000 - BACKLOG - 2 - 1, ts: 100 }, true)).toEqual({ verdict: 'drop', reason: 'seq-too-old' });
    expect(rx.check(P, { dom: 7, seq: 1000, ts: 100 })).toEqual({ verdict: 'drop', reason: 'seq-duplicate' });
  });

  it('duplicates within the last 16 are dropped; the window is 0x40000000; more than 0xC0000000 behind is dropped', () => {
    const { rx } = synced(1000);
    for (let s = 1001; s <= 1040; s++) {
      expect(rx.check(P, { dom: 7, seq: s, ts: 100 }).verdict).toBe('ok');
      rx.accept(P, { dom: 7, seq: s, ts: 100 });
    }
    expect(rx.check(P, { dom: 7, seq: 1040, ts: 100 })).toEqual({ verdict: 'drop', reason: 'seq-duplicate' });
    expect(rx.check(P, { dom: 7, seq: 1030, ts: 100 })).toEqual({ verdict: 'drop', reason: 'seq-duplicate' });
    // The backlog keeps 16: 1025..1040; 1024 is now below the window base.
    expect(rx.check(P, { dom: 7, seq: 1024, ts: 100 })).toEqual({ verdict: 'drop', reason: 'seq-too-old' });
    expect(rx.check(P, { dom: 7, seq: 1025 + 0x40000000, ts: 100 }).verdict).toBe('ok');
    expect(rx.check(P, { dom: 7, seq: 1025 + 0x40000001, ts: 100 })).toEqual({ verdict: 'defer', reason: 'seq-out-of-window' });
    expect(rx.check(P, { dom: 7, seq: (1025 + 0xc0000000) >>> 0, ts: 100 })).toEqual({ verdict: 'defer', reason: 'seq-out-of-window' });
    expect(rx.check(P, { dom: 7, seq: (1025 + 0xc0000001) >>> 0, ts: 100 })).toEqual({ verdict: 'drop', reason: 'seq-too-old' });
  });

  it('a new dom (peer rebooted) or a timestamp more than 10 s off defers', () => {
    const { clock, rx } = synced(1000, 7, 100);
    expect(rx.check(P, { dom: 9, seq: 1001, ts: 100 })).toEqual({ verdict: 'defer', reason: 'seq-dom-changed' });
    expect(rx.check(P, { dom: 7, seq: 1001, ts: 110 }).verdict).toBe('ok');
    expect(rx.check(P, { dom: 7, seq: 1001, ts: 90 }).verdict).toBe('ok');
    expect(rx.check(P, { dom: 7, seq: 1001, ts: 111 })).toEqual({ verdict: 'defer', reason: 'seq-ts-skew' });
    expect(rx.check(P, { dom: 7, seq: 1001, ts: 89 })).toEqual({ verdict: 'defer', reason: 'seq-ts-skew' });
    // A replay may not wait for a sequence exchange: one captured more than 10 s ago is stale.
    expect(rx.check(P, { dom: 7, seq: 1000, ts: 89 }, true)).toEqual({ verdict: 'drop', reason: 'seq-stale' });
    clock.t += 60; // the peer's clock moved on with ours
    expect(rx.check(P, { dom: 7, seq: 1001, ts: 160 }).verdict).toBe('ok');
    expect(rx.check(P, { dom: 7, seq: 1001, ts: 100 })).toEqual({ verdict: 'defer', reason: 'seq-ts-skew' });
  });

  it('a re-sync after a reboot adopts the new dom and numbers', () => {
    const { rx } = synced(1000, 7);
    const nonce = rx.defer(P, 'after-reboot')!.nonce;
    expect(rx.onSeqResp(P, nonce, { dom: 11, seq: 5, ts: 100 })).toEqual({ ok: true, replay: ['after-reboot'] });
    expect(rx.check(P, { dom: 11, seq: 6, ts: 100 }).verdict).toBe('ok');
    expect(rx.check(P, { dom: 7, seq: 1001, ts: 100 }).verdict).toBe('defer');
  });

  it('a SEQ_RESP that fits the current state just advances it', () => {
    const { rx } = synced(1000, 7);
    const nonce = rx.defer(P, 'x')!.nonce;
    expect(rx.onSeqResp(P, nonce, { dom: 7, seq: 1003, ts: 100 }).ok).toBe(true);
    expect(rx.check(P, { dom: 7, seq: 1003, ts: 100 }).verdict).toBe('drop');
    expect(rx.check(P, { dom: 7, seq: 1001, ts: 100 }).verdict).toBe('ok');
  });

  it('the queue holds at most 100; unanswered requests expire after 10 s', () => {
    const clock = new FakeClock();
    const rx = new SeqReceiver<number>(clock, nonces);
    const first = rx.defer(P, 0)!.nonce;
    for (let i = 1; i < MAX_QUEUE; i++) expect(rx.defer(P, i)).not.toBeNull();
    expect(rx.defer(P, 100)).toBeNull();
    clock.t += 10;
    expect(rx.sweep()).toEqual([]);
    clock.t += 0.5;
    expect(rx.sweep()).toHaveLength(MAX_QUEUE);
    expect(rx.onSeqResp(P, first, { dom: 1, seq: 1, ts: 1 })).toEqual({ ok: false, reason: 'seq-resp-bad-nonce' });
    expect(rx.defer(P, 1)).not.toBeNull();
    expect(rx.onSeqResp('other', first, { dom: 1, seq: 1, ts: 1 }).ok).toBe(false);
  });

  it('a late SEQ_RESP (over 10 s) is refused even before a sweep', () => {
    const clock = new FakeClock();
    const rx = new SeqReceiver<number>(clock, nonces);
    const nonce = rx.defer(P, 1)!.nonce;
    clock.t += 10.5;
    expect(rx.onSeqResp(P, nonce, { dom: 1, seq: 1, ts: 1 })).toEqual({ ok: false, reason: 'seq-resp-bad-nonce' });
  });

  it('sequence numbers wrap around 2^32', () => {
    const { rx } = synced(0xfffffff0);
    for (let i = 1; i <= 40; i++) {
      const seq = (0xfffffff0 + i) >>> 0;
      expect(rx.check(P, { dom: 7, seq, ts: 100 }).verdict).toBe('ok');
      rx.accept(P, { dom: 7, seq, ts: 100 });
    }
    expect(rx.check(P, { dom: 7, seq: 0xfffffff5, ts: 100 }).verdict).toBe('drop');
    expect(rx.check(P, { dom: 7, seq: 40 - 16, ts: 100 }).verdict).toBe('drop');
    expect(rx.check(P, { dom: 7, seq: 41, ts: 100 }).verdict).toBe('ok');
  });
});
