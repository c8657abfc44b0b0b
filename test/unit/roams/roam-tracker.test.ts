import { describe, expect, it } from 'vitest';
import { RoamTracker, type RoamEvent, type RoamTrackerOptions } from '../../../daemon/roams/roam-tracker.js';
import type { FrameEvent } from '../../../daemon/roams/frame-events.js';
import {
  AKM_PSK,
  AP1,
  AP2,
  AP3,
  assocReq,
  assocResp,
  authReq,
  authResp,
  BCAST,
  btmRequest,
  data,
  deauth,
  eap,
  fourWayConnect,
  ftAction,
  key,
  STA,
} from './frames.js';

function track(frames: FrameEvent[], o: RoamTrackerOptions = {}, flush = true) {
  const out: RoamEvent[] = [];
  const t = new RoamTracker({ ...o, onRoam: (e) => out.push(e) });
  for (const f of frames) t.push(f);
  if (flush) t.flush();
  return { roams: out, tracker: t };
}
/** The station is on AP1: data frames at t. */
const onAp1 = (t: number) => [data(t, AP1), data(t + 1, AP1, false)];

const ftAir = (t: number, target = AP2, current = AP1) => [
  authReq(t, target, 2),
  authResp(t + 10, target, 2),
  assocReq(t + 15, target, { ft: true, currentAp: current }),
  assocResp(t + 30, target),
];

describe('roam tracker: successful roams', () => {
  it('FT over the air: FT auth → reassociation response, no EAP; the data gap from the last/first data frames', () => {
    const { roams } = track([...onAp1(980), ...ftAir(1000), data(1045, AP2)]);
    expect(roams).toEqual([
      {
        sta: STA,
        fromBssid: AP1,
        toBssid: AP2,
        method: 'ft-over-air',
        auth: 'ft-over-air',
        startTs: 1000,
        endTs: 1030,
        durationMs: 30,
        startFrame: 'ft-auth',
        endFrame: 'reassoc-resp',
        eapFrames: 0,
        eapolKeyFrames: 0,
        dataGapMs: 1045 - 981,
        slow: false,
      },
    ]);
  });

  it('FT over the DS: FT Request action via the current AP → reassociation response at the target', () => {
    const { roams } = track([
      ...onAp1(900),
      ftAction(1000, AP1, AP2, 1),
      ftAction(1020, AP1, AP2, 2, 0),
      data(1040, AP1),
      assocReq(1100, AP2, { ft: true, currentAp: AP1 }),
      assocResp(1112, AP2),
      data(1120, AP2, false),
    ]);
    expect(roams).toHaveLength(1);
    // Data kept flowing through AP1 until 1040: that is where the gap starts.
    expect(roams[0]).toMatchObject({
      method: 'ft-over-ds',
      fromBssid: AP1,
      toBssid: AP2,
      startTs: 1000,
      endTs: 1112,
      durationMs: 112,
      startFrame: 'ft-request',
      endFrame: 'reassoc-resp',
      dataGapMs: 80,
    });
  });

  it('full EAP: open auth → EAPOL-Key M4 with EAP packets in between', () => {
    const { roams } = track([...onAp1(900), ...fourWayConnect(1000, AP2, { eapCount: 8, currentAp: AP1 })]);
    expect(roams).toEqual([
      expect.objectContaining({
        method: 'full-eap',
        auth: 'full-eap',
        fromBssid: AP1,
        startTs: 1000,
        endTs: 1000 + 8 + 9 * 2 + 6,
        eapFrames: 9,
        eapolKeyFrames: 4,
        startFrame: 'auth',
        endFrame: 'eapol-key-m4',
      }),
    ]);
  });

  it('a fresh join to the BSS the station was already on is a re-join, not a roam; FT back to it stays a roam', () => {
    const { roams } = track([
      ...onAp1(900),
      deauth(950, AP1, false),
      ...fourWayConnect(1000, AP1, { eapCount: 8, reassoc: false }),
      ...onAp1(1100),
      ...ftAir(1200, AP1, AP1),
    ]);
    expect(roams[0]).toMatchObject({ method: 'initial', auth: 'full-eap', fromBssid: AP1, toBssid: AP1, slow: false });
    expect(roams[0]!.reason).toMatch(/already on/);
    expect(roams[1]).toMatchObject({ method: 'ft-over-air', fromBssid: AP1, toBssid: AP1 });
  });

  it('PMKSA/OKC: 4-way handshake without EAP', () => {
    const { roams } = track([...onAp1(900), ...fourWayConnect(1000, AP2)]);
    expect(roams[0]).toMatchObject({ method: 'pmksa', eapFrames: 0, eapolKeyFrames: 4, durationMs: 14 });
  });

  it('PSK, SAE and open networks are named for what they are', () => {
    expect(track([...onAp1(900), ...fourWayConnect(1000, AP2, { akms: [AKM_PSK] })]).roams[0]).toMatchObject({ method: 'psk' });
    const sae = [
      authReq(1000, AP2, 3),
      authResp(1005, AP2, 3, 0, { transaction: 1 }),
      authReq(1006, AP2, 3, { transaction: 2 }),
      authResp(1008, AP2, 3, 0, { transaction: 2 }),
      assocReq(1010, AP2, { akms: [0x000fac08] }),
      assocResp(1012, AP2),
      key(1014, AP2, 'M1'),
      key(1016, AP2, 'M2'),
      key(1018, AP2, 'M3'),
      key(1020, AP2, 'M4'),
    ];
    expect(track([...onAp1(900), ...sae]).roams).toEqual([
      expect.objectContaining({ method: 'sae', startFrame: 'sae-commit', startTs: 1000, endTs: 1020 }),
    ]);
    const open = [authReq(1000, AP2), authResp(1002, AP2), assocReq(1004, AP2, { rsn: false }), assocResp(1006, AP2)];
    expect(track([...onAp1(900), ...open]).roams).toEqual([
      expect.objectContaining({ method: 'open', endFrame: 'reassoc-resp', durationMs: 6 }),
    ]);
  });

  it('a first association is "initial", with the method it used; it is never slow', () => {
    const { roams } = track(fourWayConnect(1000, AP1, { eapCount: 10, reassoc: false }));
    expect(roams).toEqual([expect.objectContaining({ method: 'initial', auth: 'full-eap', fromBssid: null, toBssid: AP1, slow: false })]);
  });

  it('chained roams: each starts from where the previous one ended', () => {
    const { roams } = track([
      ...fourWayConnect(1000, AP1, { eapCount: 4, reassoc: false }),
      ...ftAir(5000, AP2, AP1),
      ...ftAir(9000, AP3, AP2),
    ]);
    expect(roams.map((r) => [r.method, r.fromBssid, r.toBssid])).toEqual([
      ['initial', null, AP1],
      ['ft-over-air', AP1, AP2],
      ['ft-over-air', AP2, AP3],
    ]);
  });

  it('the Current AP field of a Reassociation Request names the old BSS when nothing else did', () => {
    expect(track(fourWayConnect(1000, AP2, { currentAp: AP1 })).roams[0]).toMatchObject({ method: 'pmksa', fromBssid: AP1 });
  });

  it('a BSS Transition Management request before the roam is recorded as its trigger', () => {
    const { roams } = track([...onAp1(900), btmRequest(950, AP1), ...fourWayConnect(1000, AP2)]);
    expect(roams[0]).toMatchObject({ method: 'pmksa', trigger: 'bss-tm' });
  });
});

describe('roam tracker: retries and missing frames', () => {
  it('802.11 retransmissions (Retry bit, same sequence control) move neither start nor end', () => {
    const a = authReq(1000, AP2, 2, { seqCtl: 0x100 });
    const r = assocResp(1030, AP2, 0, { seqCtl: 0x200 });
    const { roams, tracker } = track([
      ...onAp1(980),
      a,
      authReq(1003, AP2, 2, { seqCtl: 0x100, retry: true }),
      authResp(1010, AP2, 2),
      assocReq(1015, AP2, { ft: true }),
      r,
      assocResp(1034, AP2, 0, { seqCtl: 0x200, retry: true }),
    ]);
    expect(roams).toHaveLength(1);
    expect(roams[0]).toMatchObject({ startTs: 1000, endTs: 1030 });
    expect(tracker.stats.duplicates).toBe(2);
  });

  it('a retransmitted EAP packet is not counted twice; a retried M4 does not end the roam twice', () => {
    const f = fourWayConnect(1000, AP2, { eapCount: 2 });
    const eapFrame = f[5]!;
    const m4 = f[f.length - 1]!;
    const { roams } = track([
      ...onAp1(900),
      ...f.slice(0, 6),
      { ...eapFrame, ts: 1011, retry: true },
      ...f.slice(6),
      { ...m4, ts: m4.ts + 3, retry: true },
    ]);
    expect(roams).toHaveLength(1);
    expect(roams[0]).toMatchObject({ eapFrames: 3, endTs: m4.ts });
  });

  it('a retry whose original was not captured is the first copy we saw, and counts', () => {
    const { roams } = track([
      ...onAp1(980),
      authReq(1003, AP2, 2, { retry: true }),
      authResp(1010, AP2, 2),
      assocReq(1015, AP2, { ft: true }),
      assocResp(1030, AP2),
    ]);
    expect(roams[0]).toMatchObject({ startTs: 1003, method: 'ft-over-air' });
  });

  it('a repeated request before any answer (new sequence number) continues the same attempt', () => {
    const { roams } = track([
      ...onAp1(900),
      authReq(1000, AP2, 2),
      authReq(1200, AP2, 2),
      authResp(1210, AP2, 2),
      assocReq(1215, AP2, { ft: true }),
      assocResp(1230, AP2),
    ]);
    expect(roams).toEqual([expect.objectContaining({ startTs: 1000, durationMs: 230 })]);
  });

  it('authentication not captured: timed from the reassociation request; FT without FT auth is FT over the DS', () => {
    const { roams } = track([...onAp1(900), assocReq(1015, AP2, { ft: true, currentAp: AP1 }), assocResp(1030, AP2)]);
    expect(roams[0]).toMatchObject({
      method: 'ft-over-ds',
      startFrame: 'assoc-req',
      startTs: 1015,
      durationMs: 15,
      reason: expect.stringMatching(/authentication not captured/),
    });
  });

  it('association response not captured: M4 still ends a PMKSA roam', () => {
    const f = fourWayConnect(1000, AP2).filter((e) => e.kind !== 'assoc-resp');
    expect(track([...onAp1(900), ...f]).roams[0]).toMatchObject({ method: 'pmksa', endFrame: 'eapol-key-m4' });
  });
});

describe('roam tracker: failures', () => {
  it('FT authentication rejected, then a fallback to full EAP with the same AP', () => {
    const { roams } = track([
      ...onAp1(900),
      authReq(1000, AP2, 2),
      authResp(1021, AP2, 2, 53),
      ...fourWayConnect(1300, AP2, { eapCount: 8, currentAp: AP1 }),
    ]);
    expect(roams[0]).toMatchObject({
      method: 'failed',
      auth: 'ft-over-air',
      fromBssid: AP1,
      toBssid: AP2,
      durationMs: 21,
      endFrame: 'auth-resp',
      reason: 'authentication rejected (status 53)',
      slow: false,
    });
    expect(roams[1]).toMatchObject({
      method: 'full-eap',
      fromBssid: AP1,
      reason: 'after a failed attempt: ft-over-air authentication rejected (status 53)',
    });
  });

  it('no EAPOL-Key message 4: fails after the timeout, at its last frame, naming the phase', () => {
    const f = fourWayConnect(1000, AP2, { eapCount: 4 }).slice(0, -1);
    const last = f[f.length - 1]!.ts;
    const { roams } = track([...onAp1(900), ...f, data(last + 6000, AP3, true, { sta: '02:00:00:00:09:00' })], {}, false);
    expect(roams).toEqual([
      expect.objectContaining({
        method: 'failed',
        auth: 'full-eap',
        endTs: last,
        endFrame: 'timeout',
        eapolKeyFrames: 3,
        reason: '4-way handshake incomplete (last EAPOL-Key M3, no M4) (no frame for 5000 ms)',
      }),
    ]);
  });

  it('an attempt still open when the capture ends fails as such', () => {
    const { roams } = track([...onAp1(900), authReq(1000, AP2), authResp(1002, AP2)]);
    expect(roams[0]).toMatchObject({
      method: 'failed',
      endFrame: 'capture-end',
      reason: 'no (re)association request after authentication (capture ended)',
    });
  });

  it('EAP failure, reassociation rejected, FT over the DS refused, deauthentication mid-handshake', () => {
    const eapFail = track([...onAp1(900), ...fourWayConnect(1000, AP2, { eapCount: 4 }).slice(0, 8), eap(1020, AP2, true, 4)]).roams[0];
    expect(eapFail).toMatchObject({ method: 'failed', auth: 'full-eap', endFrame: 'eap-failure', reason: 'EAP failure', eapFrames: 5 });
    const rejected = track([...onAp1(900), authReq(1000, AP2), authResp(1002, AP2), assocReq(1004, AP2), assocResp(1006, AP2, 17)])
      .roams[0];
    expect(rejected).toMatchObject({ method: 'failed', endFrame: 'reassoc-resp', reason: 'reassociation rejected (status 17)' });
    const ds = track([...onAp1(900), ftAction(1000, AP1, AP2, 1), ftAction(1020, AP1, AP2, 2, 28)]).roams[0];
    expect(ds).toMatchObject({
      method: 'failed',
      auth: 'ft-over-ds',
      endFrame: 'ft-response',
      reason: 'FT Response status 28',
      durationMs: 20,
    });
    const kicked = track([...onAp1(900), ...fourWayConnect(1000, AP2).slice(0, 6), deauth(1015, AP2, true, 15)]).roams[0];
    expect(kicked).toMatchObject({ method: 'failed', endFrame: 'deauth', reason: 'deauthentication by AP (reason 15)', endTs: 1015 });
  });

  it('a failure before any EAPOL frame: what the station was trying is told by the PMKID it offered', () => {
    const upTo = (pmkid: boolean) => [
      ...onAp1(900),
      authReq(1000, AP2),
      authResp(1002, AP2),
      assocReq(1004, AP2, { pmkid }),
      assocResp(1006, AP2),
    ];
    expect(track(upTo(true)).roams[0]).toMatchObject({
      method: 'failed',
      auth: 'pmksa',
      reason: 'no EAP or 4-way handshake after association (capture ended)',
    });
    expect(track(upTo(false)).roams[0]).toMatchObject({ method: 'failed', auth: 'full-eap' });
  });

  it('an attempt abandoned for another AP fails as superseded', () => {
    const { roams } = track([...onAp1(900), authReq(1000, AP2), authResp(1002, AP2), ...ftAir(1100, AP3)]);
    expect(roams[0]).toMatchObject({ method: 'failed', toBssid: AP2, endFrame: 'superseded', endTs: 1002 });
    expect(roams[1]).toMatchObject({
      method: 'ft-over-air',
      toBssid: AP3,
      fromBssid: AP1,
      reason: `after a failed attempt with ${AP2}: full-eap no (re)association request after authentication; the station started a new attempt with ${AP3}`,
    });
  });
});

describe('roam tracker: disconnections, slow roams, data gap, bookkeeping', () => {
  it('a broadcast deauthentication clears the association; reconnecting elsewhere within 10 s is still a roam', () => {
    const { roams } = track([
      ...onAp1(900),
      deauth(1000, AP1, true, 3, { to: BCAST }),
      ...fourWayConnect(3000, AP2, { eapCount: 4, reassoc: false }),
    ]);
    expect(roams[0]).toMatchObject({ method: 'full-eap', fromBssid: AP1, reason: `after deauthentication by AP (reason 3) at ${AP1}` });
    const later = track([...onAp1(900), deauth(1000, AP1, true), ...fourWayConnect(20_000, AP2, { eapCount: 4, reassoc: false })]).roams[0];
    expect(later).toMatchObject({ method: 'initial' });
  });

  it('slow: 400 ms for FT and 2 s for the others by default; thresholds are configurable', () => {
    const slowFt = [...onAp1(900), authReq(1000, AP2, 2), authResp(1010, AP2, 2), assocReq(1300, AP2, { ft: true }), assocResp(1450, AP2)];
    expect(track(slowFt).roams[0]).toMatchObject({ durationMs: 450, slow: true });
    expect(track(slowFt, { slowMs: { 'ft-over-air': 500 } }).roams[0]).toMatchObject({ slow: false });
    const eap1500 = [
      ...onAp1(900),
      authReq(1000, AP2),
      authResp(1002, AP2),
      assocReq(1004, AP2),
      assocResp(1006, AP2),
      eap(1100, AP2, true),
      eap(2000, AP2, false),
      key(2400, AP2, 'M1'),
      key(2450, AP2, 'M2'),
      key(2460, AP2, 'M3'),
      key(2500, AP2, 'M4'),
    ];
    expect(track(eap1500).roams[0]).toMatchObject({ method: 'full-eap', durationMs: 1500, slow: false });
    expect(track(eap1500, { slowMs: { 'full-eap': 1000 } }).roams[0]).toMatchObject({ slow: true });
  });

  it('the event waits for the first data frame with the new AP, or gives up on the gap when the window passes', () => {
    const out: RoamEvent[] = [];
    const t = new RoamTracker({ onRoam: (e) => out.push(e) });
    for (const f of [...onAp1(980), ...ftAir(1000)]) t.push(f);
    expect(out).toHaveLength(0); // held for the data gap
    t.tick(1030 + 2001);
    expect(out).toHaveLength(1);
    expect(out[0]!.dataGapMs).toBeUndefined();
  });

  it('no data seen before the roam: emitted at once, without a gap', () => {
    const out: RoamEvent[] = [];
    const t = new RoamTracker({ onRoam: (e) => out.push(e) });
    for (const f of [...fourWayConnect(1000, AP2, { currentAp: AP1 })]) t.push(f);
    expect(out).toHaveLength(1);
  });

  it('stations roam independently', () => {
    const other = '02:00:00:00:05:00';
    const frames = [
      ...onAp1(900),
      data(901, AP2, true, { sta: other }),
      authReq(1000, AP2, 2),
      authReq(1001, AP1, 2, { sta: other }),
      authResp(1010, AP2, 2),
      authResp(1011, AP1, 2, 0, { sta: other }),
      assocReq(1015, AP2, { ft: true }),
      assocReq(1016, AP1, { ft: true, sta: other }),
      assocResp(1030, AP2),
      assocResp(1040, AP1, 0, { sta: other }),
    ];
    const { roams, tracker } = track(frames);
    expect(roams.map((r) => [r.sta, r.fromBssid, r.toBssid, r.durationMs]).sort()).toEqual([
      [STA, AP1, AP2, 30],
      [other, AP2, AP1, 39],
    ]);
    expect(tracker.stationCount).toBe(2);
  });

  it('EAPOL outside an attempt (a rekey) and frames of unknown stations are ignored', () => {
    const { roams } = track([
      ...fourWayConnect(1000, AP1, { eapCount: 2, reassoc: false }),
      key(9000, AP1, 'M1'),
      key(9002, AP1, 'M2'),
      key(9004, AP1, 'G1'),
      assocResp(9010, AP2, 0, { sta: '02:00:00:00:07:00' }),
    ]);
    expect(roams).toHaveLength(1);
  });
});
