// RrbEndpoint over an in-memory segment, against the independent hostapd-like R1KH.
import { describe, expect, it } from 'vitest';
import { RrbEndpoint } from '../../../adapters/rrb/endpoint.js';
import { PacketType, decodeFrame, encodeFrame } from '../../../adapters/rrb/frame.js';
import { MemorySegment } from '../../helpers/memory-segment.js';
import { buildMessage } from '../../../adapters/rrb/messages.js';
import { macToBytes } from '../../../daemon/common/mac.js';
import type { PmkR1Entry, PullRequest } from '../../../daemon/ports/pmk-r1-transport.js';
import { derivePmkR1, derivePmkR1Name } from '../../../daemon/keys/index.js';
import { HostapdR1kh } from './hostapd-r1kh.js';
import * as V from './vectors.js';

const KMS = V.KMS_MAC;
const AP = '02:00:00:00:04:00';
const settle = async () => {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
};

function entryFor(r1khId: string, staMac = V.STA, r0khId = 'ap1.example.com'): PmkR1Entry {
  return {
    staMac,
    r0khId,
    r1khId,
    pmkR0Name: V.PMK_R0_NAME,
    pmkR1: derivePmkR1(V.PMK_R0, macToBytes(r1khId), macToBytes(staMac)),
    pmkR1Name: derivePmkR1Name(V.PMK_R0_NAME, macToBytes(r1khId), macToBytes(staMac)),
    pairwise: 0x10,
    expiresInS: 3600,
    vlan: { untagged: 100, tagged: [] },
    identity: 'alice@example.com',
    cui: null,
    sessionTimeoutS: 0,
  };
}

function setup(opts: { apKey?: Buffer; kmsKnows?: boolean; clock?: { nowS(): number }; mayTransmit?: () => boolean } = {}) {
  const seg = new MemorySegment();
  const events: string[] = [];
  const pulls: PullRequest[] = [];
  const kms = new RrbEndpoint(seg.attach(KMS), {
    keyFor: (src, r1khId) => (opts.kmsKnows === false ? null : src === AP && r1khId === AP ? V.KEY : null),
    pullHandler: (req) => {
      pulls.push(req);
      return req.pmkR0Name.equals(V.PMK_R0_NAME) ? entryFor(req.r1khId, req.staMac, req.r0khId) : null;
    },
    observer: (e, r) => events.push(r ? `${e}:${r}` : e),
    clock: opts.clock,
    ...(opts.mayTransmit ? { mayTransmit: opts.mayTransmit } : {}),
  });
  const ap = new HostapdR1kh(seg.attach(AP), AP, { addr: KMS, key: opts.apKey ?? V.KEY });
  const types = () => seg.sent.map((f) => `${decodeFrame(f).src === KMS ? 'kms' : 'ap'}:${decodeFrame(f).packetType}`);
  return { seg, kms, ap, events, pulls, types };
}

describe('RrbEndpoint PUSH', () => {
  it('first PUSH: the AP asks SEQ_REQ, we answer SEQ_RESP, the AP accepts the queued PUSH', async () => {
    const { kms, ap, events, types } = setup();
    expect(await kms.push({ mac: AP, r1khId: AP, key: V.KEY }, entryFor(AP))).toEqual({ ok: true });
    await settle();
    expect(types()).toEqual(['kms:3', 'ap:4', 'kms:5']);
    expect(ap.stored).toHaveLength(1);
    expect(ap.stored[0]!.session.pmkR1).toEqual(V.PMK_R1);
    expect(ap.stored[0]!.session.pmkR1Name).toEqual(V.PMK_R1_NAME);
    expect(ap.stored[0]!.session.vlan).toEqual({ untagged: 100, tagged: [] });
    expect(events).toEqual(['tx:PUSH', 'rx:SEQ_REQ', 'tx:SEQ_RESP']);
    // Later PUSHes for that R0KH-ID go straight in.
    await kms.push({ mac: AP, r1khId: AP, key: V.KEY }, entryFor(AP, '02:00:00:00:01:01'));
    await settle();
    expect(types().slice(3)).toEqual(['kms:3']);
    expect(ap.stored).toHaveLength(2);
    kms.close();
  });

  it('a probe runs both SEQ exchanges ahead: the first PUSH and a PULL then go straight through', async () => {
    const { kms, ap, events, types } = setup();
    expect(kms.probe({ mac: AP, r1khId: AP, key: V.KEY }, 'ap1.example.com')).toBe(true);
    await settle();
    // probe PUSH, our SEQ_REQ; the AP's SEQ_REQ for the probe and its SEQ_RESP to ours; our SEQ_RESP.
    expect(types().sort()).toEqual(['ap:4', 'ap:5', 'kms:3', 'kms:4', 'kms:5'].sort());
    expect(ap.stored).toHaveLength(0);
    expect(ap.log).toContain('drop PUSH without S1KH-ID');
    expect(events).toContain('seq-synced');
    const before = types().length;
    await kms.push({ mac: AP, r1khId: AP, key: V.KEY }, entryFor(AP));
    await settle();
    expect(types().slice(before)).toEqual(['kms:3']);
    expect(ap.stored).toHaveLength(1);
    const r = await ap.pull('02:00:00:00:01:07', 'ap1.example.com', V.PMK_R0_NAME);
    expect(r.ok).toBe(true);
    expect(types().slice(before + 1)).toEqual(['ap:1', 'kms:2']);
    expect(events.filter((e) => e.startsWith('defer'))).toEqual([]);
    kms.close();
  });

  it('an unanswered probe is sent again, later each time, until the AP asks; then it stops', async () => {
    const seg = new MemorySegment();
    const events: string[] = [];
    const kms = new RrbEndpoint(seg.attach(KMS), {
      keyFor: () => V.KEY,
      pullHandler: () => null,
      observer: (e) => events.push(e),
      probeRetryMs: 5,
    });
    // The AP's hostapd is not up yet: the frames go nowhere.
    let lost = true;
    seg.tamper = (f) => (lost ? null : f);
    kms.probe({ mac: AP, r1khId: AP, key: V.KEY }, 'ap1.example.com');
    await expect.poll(() => events.filter((e) => e === 'probe-retry').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(kms.pendingProbes).toBe(1);
    lost = false;
    const ap = new HostapdR1kh(seg.attach(AP), AP, { addr: KMS, key: V.KEY });
    await expect.poll(() => ap.log, { timeout: 10_000 }).toContain('drop PUSH without S1KH-ID');
    await expect.poll(() => kms.pendingProbes).toBe(0);
    const retries = events.filter((e) => e === 'probe-retry').length;
    // A later probe of a pair that has its state (a refresh round) is sent once: the AP accepts it
    // silently, so waiting for its SEQ_REQ would resend it forever.
    kms.probe({ mac: AP, r1khId: AP, key: V.KEY }, 'ap1.example.com');
    expect(kms.pendingProbes).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(events.filter((e) => e === 'probe-retry').length).toBe(retries);
    kms.close();
  });

  it('a probe for another R0KH-ID is a state of its own', async () => {
    const { kms, ap } = setup();
    kms.probe({ mac: AP, r1khId: AP, key: V.KEY }, 'ap1.example.com');
    await settle();
    await kms.push({ mac: AP, r1khId: AP, key: V.KEY }, entryFor(AP, V.STA, 'ap2.example.com'));
    await settle();
    expect(ap.log.filter((l) => l === 'tx SEQ_REQ')).toHaveLength(2);
    expect(ap.stored).toHaveLength(1);
    kms.close();
  });

  it('a burst across R0KH-IDs before any SEQ exchange is all accepted (state per R0KH-ID)', async () => {
    const { kms, ap } = setup();
    const ids = ['ap1', 'ap2', 'ap3'];
    // All 60 frames leave before the AP sees the first one (as when priming after a burst of logins).
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        kms.push({ mac: AP, r1khId: AP, key: V.KEY }, entryFor(AP, `02:00:00:01:00:${i.toString(16).padStart(2, '0')}`, ids[i % 3])),
      ),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    await settle();
    expect(ap.stored).toHaveLength(60);
    expect(new Set(ap.stored.map((s) => s.r0khId))).toEqual(new Set(ids));
    kms.close();
  });

  it('refuses entries it cannot send, and reports transport failures', async () => {
    const { kms, seg } = setup();
    const peer = { mac: AP, r1khId: AP, key: V.KEY };
    expect(await kms.push(peer, entryFor('02:00:00:00:03:00'))).toEqual({ ok: false, reason: 'r1kh-mismatch' });
    expect((await kms.push(peer, { ...entryFor(AP), expiresInS: 1209600 })).ok).toBe(false);
    expect((await kms.push(peer, { ...entryFor(AP), r0khId: '' })).ok).toBe(false);
    expect(await kms.push({ ...peer, key: Buffer.alloc(16) }, entryFor(AP))).toEqual({ ok: false, reason: 'bad-key' });
    seg.tamper = () => {
      throw new Error('ENETDOWN');
    };
    expect(await kms.push(peer, entryFor(AP))).toEqual({ ok: false, reason: 'send-failed' });
    kms.close();
  });
});

describe('RrbEndpoint fence (a cluster holder whose lease is stale)', () => {
  it('sends nothing while the fence says no, PUSH, probe, SEQ or PULL answer, and everything once it says yes', async () => {
    let allowed = false;
    const { kms, ap, events, seg } = setup({ mayTransmit: () => allowed });
    const peer = { mac: AP, r1khId: AP, key: V.KEY };
    expect(await kms.push(peer, entryFor(AP))).toEqual({ ok: false, reason: 'fenced' });
    expect(kms.probe(peer, 'ap1.example.com')).toBe(false); // not sent; its retry stays scheduled
    const pull = await ap.pull(V.STA, 'ap1.example.com', V.PMK_R0_NAME, 300);
    await settle();
    expect(pull).toEqual({ ok: false, nak: false });
    expect(seg.sent.filter((f) => decodeFrame(f).src === KMS)).toHaveLength(0);
    expect(events).toContain('push-failed:fenced');
    expect(events).toContain('drop:fenced');
    expect(ap.stored).toHaveLength(0);

    allowed = true;
    expect(await kms.push(peer, entryFor(AP))).toEqual({ ok: true });
    await settle();
    expect(ap.stored).toHaveLength(1);
    const again = await ap.pull(V.STA, 'ap1.example.com', V.PMK_R0_NAME);
    expect(again.ok && again.session.pmkR1).toEqual(V.PMK_R1);
    kms.close();
  });
});

describe('RrbEndpoint PULL', () => {
  it('PULL from an AP we have no state for: defer, our SEQ_REQ, its SEQ_RESP, then RESP with the PMK-R1', async () => {
    const { kms, ap, events, pulls, types } = setup();
    const r = await ap.pull(V.STA, 'ap1.example.com', V.PMK_R0_NAME);
    expect(r.ok && r.session.pmkR1).toEqual(V.PMK_R1);
    expect(pulls).toEqual([{ fromMac: AP, r0khId: 'ap1.example.com', r1khId: AP, staMac: V.STA, pmkR0Name: V.PMK_R0_NAME }]);
    // AP: SEQ_REQ + PULL; KMS: SEQ_RESP, (PULL deferred) SEQ_REQ; AP: SEQ_RESP; KMS: RESP.
    expect(types()).toEqual(['ap:4', 'ap:1', 'kms:5', 'kms:4', 'ap:5', 'kms:2']);
    expect(events).toContain('defer:seq-unknown-peer');
    expect(events).toContain('seq-synced');
    expect(events).toContain('pull-answered');
    // A second PULL needs no sequence exchange at all.
    const before = types().length;
    expect((await ap.pull('02:00:00:00:01:02', 'ap1.example.com', V.PMK_R0_NAME)).ok).toBe(true);
    expect(types().slice(before)).toEqual(['ap:1', 'kms:2']);
    kms.close();
  });

  it('unknown PMKR0Name → NAK (S1KH_ID only)', async () => {
    const { kms, ap, events } = setup();
    expect(await ap.pull(V.STA, 'ap1.example.com', Buffer.alloc(16, 0xaa))).toEqual({ ok: false, nak: true });
    expect(events).toContain('pull-nak');
    kms.close();
  });

  it('a throwing or wrong PULL handler answers NAK', async () => {
    const seg = new MemorySegment();
    const events: string[] = [];
    let mode = 'throw';
    const kms = new RrbEndpoint(seg.attach(KMS), {
      keyFor: () => V.KEY,
      pullHandler: () => {
        if (mode === 'throw') throw new Error('db down');
        return entryFor('02:00:00:00:03:00');
      },
      observer: (e, r) => events.push(r ? `${e}:${r}` : e),
    });
    const ap = new HostapdR1kh(seg.attach(AP), AP, { addr: KMS, key: V.KEY });
    expect(await ap.pull(V.STA, 'x', V.PMK_R0_NAME)).toEqual({ ok: false, nak: true });
    mode = 'mismatch';
    expect(await ap.pull(V.STA, 'x', V.PMK_R0_NAME)).toEqual({ ok: false, nak: true });
    expect(events).toContain('pull-handler-error');
    expect(events).toContain('pull-handler-error:mismatch');
    kms.close();
  });
});

describe('RrbEndpoint rejects bad frames with a reason and never throws', () => {
  it('replayed PULL, wrong key, unknown R1KH, garbage, misaddressed and unexpected frames', async () => {
    const { kms, ap, seg, events } = setup();
    await ap.pull(V.STA, 'ap1.example.com', V.PMK_R0_NAME);
    const pull = seg.sent.find((f) => decodeFrame(f).packetType === PacketType.PULL)!;
    const nResp = () => seg.sent.filter((f) => decodeFrame(f).packetType === PacketType.RESP).length;
    const resps = nResp();
    kms.receive(pull);
    expect(events.at(-1)).toBe('drop:seq-duplicate');
    expect(nResp()).toBe(resps);

    const forged = (key: Buffer, r1khId = AP, src = AP, dst = KMS) =>
      encodeFrame({
        dst,
        src,
        packetType: PacketType.SEQ_REQ,
        payload: buildMessage({ type: PacketType.SEQ_REQ, nonce: Buffer.alloc(16), r0khId: Buffer.from('x'), r1khId }, key, src),
      });
    kms.receive(forged(Buffer.alloc(32, 9)));
    expect(events.at(-1)).toBe('drop:decrypt-failed');
    kms.receive(forged(V.KEY, '02:00:00:00:07:00'));
    expect(events.at(-1)).toBe('drop:unknown-r1kh');
    kms.receive(forged(V.KEY, AP, AP, '02:00:00:00:0a:00'));
    expect(events.at(-1)).toBe('drop:not-for-us');
    kms.receive(forged(V.KEY, AP, '03:00:00:00:04:00'));
    expect(events.at(-1)).toBe('drop:multicast-src');
    kms.receive(forged(V.KEY, AP, KMS));
    expect(events.at(-1)).toBe('drop:own-frame');
    kms.receive(Buffer.alloc(10));
    expect(events.at(-1)).toBe('drop:frame-truncated');
    const truncated = forged(V.KEY);
    truncated.writeUInt16LE(9, 20);
    kms.receive(truncated);
    expect(events.at(-1)).toBe('drop:tlv-overrun');
    const push = Buffer.from(forged(V.KEY));
    push[19] = PacketType.PUSH;
    kms.receive(push);
    expect(events.at(-1)).toBe('drop:unexpected-type');
    kms.close();
  });

  it('a PULL whose SEQ_REQ goes unanswered is dropped after 10 s; a multicast PULL without state is dropped', async () => {
    const clock = {
      t: 100,
      nowS() {
        return this.t;
      },
    };
    const { kms, seg, events } = setup({ clock });
    seg.tamper = (f) => (decodeFrame(f).src === KMS ? null : f); // the KMS's frames are lost
    const pull = (dst: string, seq: number) =>
      encodeFrame({
        dst,
        src: AP,
        packetType: PacketType.PULL,
        payload: buildMessage(
          {
            type: PacketType.PULL,
            nonce: Buffer.alloc(16, 1),
            seq: { dom: 3, seq, ts: 1 },
            r0khId: Buffer.from('a'),
            r1khId: AP,
            staMac: V.STA,
            pmkR0Name: V.PMK_R0_NAME,
          },
          V.KEY,
          AP,
        ),
      });
    kms.receive(pull(KMS, 1));
    expect(events.slice(-2)).toEqual(['defer:seq-unknown-peer', 'tx:SEQ_REQ']);
    clock.t += 11;
    kms.sweep();
    expect(events.at(-1)).toBe('drop:seq-req-timeout');
    kms.receive(pull('ff:ff:ff:ff:ff:ff', 2));
    expect(events.at(-1)).toBe('drop:seq-unknown-no-defer');
    expect(kms.counts.get('drop:seq-req-timeout')).toBe(1);
    kms.close();
  });

  it('an AP with the wrong key gets nothing: its SEQ_REQ is dropped and the PUSH is never accepted', async () => {
    const { kms, ap, events } = setup({ apKey: Buffer.alloc(32, 5) });
    await kms.push({ mac: AP, r1khId: AP, key: V.KEY }, entryFor(AP));
    await settle();
    expect(ap.stored).toHaveLength(0);
    expect(ap.log.some((l) => l.includes('decrypt-failed'))).toBe(true);
    expect(events.filter((e) => e.startsWith('drop'))).toEqual([]);
    kms.close();
  });

  it('an observer that throws does not break frame handling', async () => {
    const seg = new MemorySegment();
    const kms = new RrbEndpoint(seg.attach(KMS), {
      keyFor: () => V.KEY,
      pullHandler: () => null,
      observer: () => {
        throw new Error('x');
      },
    });
    expect(() => kms.receive(Buffer.alloc(3))).not.toThrow();
    kms.close();
  });
});
