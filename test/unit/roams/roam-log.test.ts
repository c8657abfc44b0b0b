import { describe, expect, it } from 'vitest';
import { RoamLog } from '../../../daemon/roams/roam-log.js';
import type { RoamEvent } from '../../../daemon/roams/roam-tracker.js';
import { classifyAttempt, DEFAULT_SLOW_MS, endsAtAssocResponse, slowThresholds, stalledPhase } from '../../../daemon/roams/classify.js';

const ev = (i: number, o: Partial<RoamEvent> = {}): RoamEvent => ({
  sta: `02:00:00:00:00:${(i % 4).toString(16).padStart(2, '0')}`,
  fromBssid: 'aa:00:00:00:00:01',
  toBssid: 'aa:00:00:00:00:02',
  method: 'ft-over-air',
  auth: 'ft-over-air',
  startTs: i * 1000,
  endTs: i * 1000 + 30,
  durationMs: 30,
  startFrame: 'ft-auth',
  endFrame: 'reassoc-resp',
  eapFrames: 0,
  eapolKeyFrames: 0,
  slow: false,
  ...o,
});

describe('RoamLog', () => {
  it('keeps the newest `capacity` events, oldest first', () => {
    const log = new RoamLog(3);
    for (let i = 0; i < 5; i++) log.add(ev(i));
    expect(log.size).toBe(3);
    expect(log.list().map((e) => e.startTs)).toEqual([2000, 3000, 4000]);
  });

  it('filters by station, time and method, and limits to the newest', () => {
    const log = new RoamLog(100);
    for (let i = 0; i < 10; i++)
      log.add(ev(i, i === 7 ? { method: 'failed', slow: false } : i === 8 ? { slow: true, durationMs: 500 } : {}));
    expect(log.list({ sta: '02:00:00:00:00:01' }).map((e) => e.startTs)).toEqual([1000, 5000, 9000]);
    expect(log.list({ since: 8030 }).map((e) => e.startTs)).toEqual([8000, 9000]);
    expect(log.list({ method: 'failed' })).toHaveLength(1);
    expect(log.list({ limit: 2 }).map((e) => e.startTs)).toEqual([8000, 9000]);
  });

  it('totals per method are not limited by the capacity', () => {
    const log = new RoamLog(2);
    for (let i = 0; i < 6; i++) log.add(ev(i, i % 2 ? { method: 'full-eap', auth: 'full-eap', slow: true } : {}));
    expect(log.stats()).toEqual({ byMethod: { 'ft-over-air': 3, 'full-eap': 3 }, slow: 3 });
  });

  it('rejects a useless capacity', () => {
    expect(() => new RoamLog(0)).toThrow(/positive integer/);
  });
});

describe('classify', () => {
  const facts = {
    start: 'open-auth' as const,
    assocReqSeen: true,
    rsn: true,
    akms: [0x000fac01],
    ftElements: false,
    pmkidOffered: false,
    eapFrames: 0,
    eapolKeyFrames: 4,
  };
  it('names attempts', () => {
    expect(classifyAttempt({ ...facts, start: 'ft-auth' })).toBe('ft-over-air');
    expect(classifyAttempt({ ...facts, start: 'ft-action' })).toBe('ft-over-ds');
    expect(classifyAttempt({ ...facts, start: 'assoc-req', ftElements: true })).toBe('ft-over-ds');
    expect(classifyAttempt({ ...facts, start: 'sae-auth' })).toBe('sae');
    expect(classifyAttempt({ ...facts, rsn: false })).toBe('open');
    expect(classifyAttempt({ ...facts, eapFrames: 3 })).toBe('full-eap');
    expect(classifyAttempt({ ...facts, akms: [0x000fac06] })).toBe('psk');
    expect(classifyAttempt(facts)).toBe('pmksa');
    expect(classifyAttempt({ ...facts, eapolKeyFrames: 0 })).toBe('full-eap');
    expect(classifyAttempt({ ...facts, eapolKeyFrames: 0, pmkidOffered: true })).toBe('pmksa');
  });

  it('FT and open attempts end at the association response', () => {
    expect(['ft-over-air', 'ft-over-ds', 'open', 'pmksa', 'full-eap'].map((k) => endsAtAssocResponse(k as never))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('slow thresholds: Mist defaults, FT and other overrides', () => {
    expect(DEFAULT_SLOW_MS['ft-over-air']).toBe(400);
    expect(DEFAULT_SLOW_MS['full-eap']).toBe(2000);
    expect(slowThresholds(250, 1000)).toMatchObject({ 'ft-over-air': 250, 'ft-over-ds': 250, pmksa: 1000, 'full-eap': 1000, sae: 1000 });
    expect(slowThresholds()).toEqual(DEFAULT_SLOW_MS);
  });

  it('describes where an attempt stalled', () => {
    expect(stalledPhase({ authAnswered: false, assocReqSeen: false, assocOk: false, eapFrames: 0 })).toBe('no authentication response');
    expect(stalledPhase({ authAnswered: true, assocReqSeen: true, assocOk: false, eapFrames: 0 })).toBe('no (re)association response');
    expect(stalledPhase({ authAnswered: true, assocReqSeen: true, assocOk: true, eapFrames: 5 })).toBe('EAP did not complete');
  });
});
