// The RoamEvent the tracker emits, its options, and the per-station/attempt state it keeps; split
// from roam-tracker.ts so the state machine there reads on its own.
import type { AttemptFacts, AttemptStart, AuthKind, RoamMethod, SlowThresholds } from './classify.js';
import { classifyAttempt } from './classify.js';
import type { Mac } from './frame-events.js';

export interface RoamEvent {
  sta: Mac;
  /** The BSS the station left; null for a first association (method 'initial'). */
  fromBssid: Mac | null;
  toBssid: Mac;
  method: RoamMethod;
  /** How the station authenticated; for 'failed' what it was trying, for 'initial' what it used. */
  auth: AuthKind;
  startTs: number;
  endTs: number;
  durationMs: number;
  /** The frames that started and stopped the clock, e.g. 'ft-auth' → 'reassoc-resp'. */
  startFrame: string;
  endFrame: string;
  eapFrames: number;
  eapolKeyFrames: number;
  /** Last data frame with the old BSS to first data frame with the new one, when both were seen. */
  dataGapMs?: number;
  slow: boolean;
  reason?: string;
  /** The roam followed a BSS Transition Management request to the station. */
  trigger?: 'bss-tm';
}

export interface RoamTrackerOptions {
  onRoam?: (e: RoamEvent) => void;
  slowMs?: Partial<SlowThresholds>;
  /** An attempt with no frame for this long has failed (default 5000 ms). */
  attemptTimeoutMs?: number;
  /** How far before the start / after the end data frames may be to count for the data gap (default 2000 ms). */
  dataGapWindowMs?: number;
}

export interface Attempt extends AttemptFacts {
  target: Mac;
  from: Mac | null;
  startTs: number;
  lastTs: number;
  authAnswered: boolean;
  assocOk: boolean;
  lastKeyMessage?: string;
  dataBefore?: number;
  notes: string[];
  trigger?: 'bss-tm';
}

export interface Sta {
  mac: Mac;
  /**
   * The BSS this capture last saw the station connect to: classification state (a roam is an
   * attempt away from a known BSS), valid for this capture only. Where the station is, for the
   * KMS, is its record's currentAp, which StationLife keeps from all sources.
   */
  bssid?: Mac;
  left?: { bssid: Mac; ts: number; why: string };
  lastDataTs: number;
  lastDataBssid?: Mac;
  lastSeen: number;
  attempt?: Attempt;
  /** A finished roam held back until its data gap is known. */
  pending?: { event: RoamEvent; before: number };
  lastFailure?: { target: Mac; ts: number; what: string };
  lastBtmTs?: number;
}

export const START_FRAME: Record<AttemptStart, string> = {
  'ft-auth': 'ft-auth',
  'ft-action': 'ft-request',
  'open-auth': 'auth',
  'sae-auth': 'sae-commit',
  'other-auth': 'auth',
  'assoc-req': 'assoc-req',
};

/** The event for a finished (or failed) attempt. Slow is judged for roams only, not first joins or failures. */
export function buildRoamEvent(sta: Mac, a: Attempt, endTs: number, endFrame: string, failed: boolean, slowMs: SlowThresholds): RoamEvent {
  const auth = classifyAttempt(a);
  // A fresh authentication with the BSS the station was already on (a reconnect after a drop or a
  // re-join) is no roam: it is reported like a first join, so roam counts, slow flags and priming
  // ignore it. An FT re-association back to the same BSS (after a failed try elsewhere) stays a roam.
  const rejoin = a.from !== null && a.from === a.target && auth !== 'ft-over-air' && auth !== 'ft-over-ds';
  const method: RoamMethod = failed ? 'failed' : a.from === null || rejoin ? 'initial' : auth;
  const durationMs = endTs - a.startTs;
  const e: RoamEvent = {
    sta,
    fromBssid: a.from,
    toBssid: a.target,
    method,
    auth,
    startTs: a.startTs,
    endTs,
    durationMs,
    startFrame: START_FRAME[a.start],
    endFrame,
    eapFrames: a.eapFrames,
    eapolKeyFrames: a.eapolKeyFrames,
    slow: !failed && method !== 'initial' && durationMs > slowMs[auth],
  };
  const notes = a.from === a.target && !failed ? [...a.notes, 'reassociated with the BSS it was already on'] : a.notes;
  if (notes.length) e.reason = notes.join('; ');
  if (a.trigger) e.trigger = a.trigger;
  return e;
}
