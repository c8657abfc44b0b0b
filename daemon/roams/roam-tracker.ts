// Per-station state machine over decoded frame events: detects each (re)connection attempt, follows
// it to success or failure, classifies it (classify.ts) and times it from the frames' own timestamps.
// Pure logic: no clock, no timers; time only moves when frames (or tick()) say so, which makes a
// capture file and a live stream behave the same. Start/end frames per kind: README.md.
import { classifyAttempt, DEFAULT_SLOW_MS, endsAtAssocResponse, stalledPhase, type AttemptStart, type SlowThresholds } from './classify.js';
import { isGroupMac } from '../common/mac.js';
import type { FrameEvent, Mac } from './frame-events.js';
import { buildRoamEvent, type Attempt, type RoamEvent, type RoamTrackerOptions, type Sta } from './roam-event.js';

export type { RoamEvent, RoamTrackerOptions } from './roam-event.js';

// SAE answers "anti-clogging token required" (76) or with H2E/PK success codes (126, 127): not failures.
const AUTH_CONTINUE = new Set([0, 76, 126, 127]);
const RELATED_MS = 10_000; // a BTM request, a failure or a disconnect this recent explains an attempt
const STATION_IDLE_MS = 3_600_000;

export class RoamTracker {
  private readonly stas = new Map<Mac, Sta>();
  private readonly active = new Set<Sta>();
  private readonly lastSeq = new Map<string, number>();
  private readonly slowMs: SlowThresholds;
  private readonly timeoutMs: number;
  private readonly gapMs: number;
  private lastSweep = -Infinity;
  private lastGc = -Infinity;
  readonly stats = { frames: 0, duplicates: 0, roams: 0 };

  constructor(private readonly opts: RoamTrackerOptions = {}) {
    this.slowMs = { ...DEFAULT_SLOW_MS, ...opts.slowMs };
    this.timeoutMs = opts.attemptTimeoutMs ?? 5000;
    this.gapMs = opts.dataGapWindowMs ?? 2000;
  }

  push(ev: FrameEvent): void {
    this.stats.frames++;
    if (ev.ts - this.lastSweep >= 250) this.tick(ev.ts);
    if (ev.kind === 'data') return this.data(ev);
    // A frame with Retry set and the sequence control of the previous one from the same transmitter
    // is a retransmission we already have; a Retry frame whose original we missed is kept.
    if (ev.seqCtl >= 0) {
      const key = ev.kind === 'eapol' ? `${ev.src}d` : ev.src;
      if (ev.retry && this.lastSeq.get(key) === ev.seqCtl) {
        this.stats.duplicates++;
        return;
      }
      this.lastSeq.set(key, ev.seqCtl);
    }
    const fromAp = ev.bssid !== undefined && ev.src === ev.bssid;
    switch (ev.kind) {
      case 'auth': {
        if (!fromAp) {
          const sta = this.sta(ev.src, ev.ts);
          const a = sta.attempt;
          const target = ev.bssid ?? ev.dst;
          // A repeated request before any answer (or SAE's confirm) continues the same attempt.
          const same = a && a.target === target && a.start !== 'ft-action' && !a.assocReqSeen;
          if (same && (!a.authAnswered || (a.start === 'sae-auth' && ev.transaction === 2))) {
            a.lastTs = ev.ts;
            return;
          }
          if (ev.algorithm === 3 && ev.transaction !== 1) return;
          const start: AttemptStart =
            ev.algorithm === 2 ? 'ft-auth' : ev.algorithm === 3 ? 'sae-auth' : ev.algorithm === 0 ? 'open-auth' : 'other-auth';
          this.begin(sta, target, start, ev.ts, null);
          return;
        }
        const a = this.attemptWith(ev.dst, ev.src, ev.ts);
        if (!a) return;
        if (!AUTH_CONTINUE.has(ev.status)) return this.fail(ev.dst, ev.ts, 'auth-resp', `authentication rejected (status ${ev.status})`);
        a.authAnswered = true;
        return;
      }
      case 'ft-action': {
        if (ev.action === 1) {
          const sta = this.sta(ev.sta, ev.ts);
          const a = sta.attempt;
          if (a && a.start === 'ft-action' && a.target === ev.targetAp && !a.authAnswered) {
            a.lastTs = ev.ts;
            return;
          }
          this.begin(sta, ev.targetAp, 'ft-action', ev.ts, sta.bssid ?? ev.bssid ?? null);
          return;
        }
        const a = this.attemptWith(ev.sta, ev.targetAp, ev.ts);
        if (!a || ev.action !== 2) return;
        if (ev.status !== undefined && ev.status !== 0) return this.fail(ev.sta, ev.ts, 'ft-response', `FT Response status ${ev.status}`);
        a.authAnswered = true;
        return;
      }
      case 'assoc-req': {
        const sta = this.sta(ev.src, ev.ts);
        const target = ev.bssid ?? ev.dst;
        let a = sta.attempt;
        if (!a || a.target !== target) {
          a = this.begin(sta, target, 'assoc-req', ev.ts, ev.currentAp ?? null);
          a.notes.push('authentication not captured: timed from the (Re)Association Request');
        }
        a.lastTs = ev.ts;
        a.assocReqSeen = true;
        a.rsn = ev.rsn;
        a.akms = ev.akms;
        a.ftElements = ev.ft;
        a.pmkidOffered = ev.pmkids.length > 0;
        if (a.from === null && ev.currentAp) a.from = ev.currentAp;
        return;
      }
      case 'assoc-resp': {
        const a = this.attemptWith(ev.dst, ev.src, ev.ts);
        if (!a) return;
        const what = ev.reassoc ? 'reassoc-resp' : 'assoc-resp';
        if (ev.status !== 0) return this.fail(ev.dst, ev.ts, what, `${ev.reassoc ? 're' : ''}association rejected (status ${ev.status})`);
        a.assocOk = true;
        if (endsAtAssocResponse(classifyAttempt(a))) this.complete(ev.dst, ev.ts, what);
        return;
      }
      case 'eapol': {
        const staMac = fromAp ? ev.dst : ev.src;
        const a = this.attemptWith(staMac, fromAp ? ev.src : ev.dst, ev.ts);
        if (!a) return; // outside an attempt: a rekey or group-key update
        if (ev.eapolType === 0) {
          a.eapFrames++;
          if (ev.eapCode === 4) return this.fail(staMac, ev.ts, 'eap-failure', 'EAP failure');
        } else if (ev.eapolType === 3) {
          a.eapolKeyFrames++;
          if (ev.keyMessage) a.lastKeyMessage = ev.keyMessage;
          if (ev.keyMessage === 'M4' && !fromAp) this.complete(staMac, ev.ts, 'eapol-key-m4');
        }
        return;
      }
      case 'deauth':
      case 'disassoc': {
        const ap = fromAp ? ev.src : (ev.bssid ?? ev.dst);
        const why = `${ev.kind === 'deauth' ? 'deauthentication' : 'disassociation'} by ${fromAp ? 'AP' : 'station'} (reason ${ev.reason})`;
        const macs = fromAp && isGroupMac(ev.dst) ? [...this.stas.keys()] : [fromAp ? ev.dst : ev.src];
        for (const mac of macs) {
          const sta = this.stas.get(mac);
          if (!sta) continue;
          if (sta.attempt?.target === ap) this.fail(mac, ev.ts, ev.kind, why);
          if (sta.bssid === ap) {
            sta.bssid = undefined;
            sta.left = { bssid: ap, ts: ev.ts, why };
          }
        }
        return;
      }
      case 'btm':
        if (ev.action === 7 && fromAp) this.sta(ev.dst, ev.ts).lastBtmTs = ev.ts;
        return;
    }
  }

  /** Advances capture time: attempts silent for too long fail, held roams give up on their data gap. */
  tick(now: number): void {
    this.lastSweep = now;
    if (now - this.lastGc >= 60_000) this.gc(now);
    for (const sta of this.active) {
      const a = sta.attempt;
      if (a && now - a.lastTs > this.timeoutMs)
        this.fail(sta.mac, a.lastTs, 'timeout', `${stalledPhase(a)} (no frame for ${this.timeoutMs} ms)`);
      if (sta.pending && now - sta.pending.event.endTs > this.gapMs) this.release(sta);
      if (!sta.attempt && !sta.pending) this.active.delete(sta);
    }
  }

  /** End of the capture: unfinished attempts fail, held roams are emitted. */
  flush(): void {
    for (const sta of this.active) {
      if (sta.attempt) this.fail(sta.mac, sta.attempt.lastTs, 'capture-end', `${stalledPhase(sta.attempt)} (capture ended)`);
      this.release(sta);
    }
    this.active.clear();
  }

  /** Forgets stations idle for an hour, so a long live run does not grow without bound. */
  private gc(now: number): void {
    this.lastGc = now;
    for (const [mac, sta] of this.stas) {
      if (sta.attempt || sta.pending || now - sta.lastSeen < STATION_IDLE_MS) continue;
      this.stas.delete(mac);
      this.lastSeq.delete(mac);
      this.lastSeq.delete(`${mac}d`);
    }
    // Transmitters that never became stations (stray EAPOL) would otherwise stay forever; losing the
    // last sequence numbers only risks counting one retransmission twice.
    if (this.lastSeq.size > 100_000) this.lastSeq.clear();
  }

  /** Stations with state (for tests and the API). */
  get stationCount(): number {
    return this.stas.size;
  }

  private sta(mac: Mac, ts: number): Sta {
    let s = this.stas.get(mac);
    if (!s) {
      s = { mac, lastDataTs: -Infinity, lastSeen: ts };
      this.stas.set(mac, s);
    }
    s.lastSeen = ts;
    return s;
  }

  /** The station's attempt if it is with `ap`; touching it keeps it alive. */
  private attemptWith(staMac: Mac, ap: Mac, ts: number): Attempt | undefined {
    const a = this.stas.get(staMac)?.attempt;
    if (!a || a.target !== ap) return undefined;
    a.lastTs = ts;
    return a;
  }

  private begin(sta: Sta, target: Mac, start: AttemptStart, ts: number, from: Mac | null): Attempt {
    if (sta.attempt)
      this.fail(
        sta.mac,
        sta.attempt.lastTs,
        'superseded',
        `${stalledPhase(sta.attempt)}; the station started a new attempt with ${target}`,
      );
    this.release(sta);
    const a: Attempt = {
      target,
      from: sta.bssid ?? from,
      startTs: ts,
      lastTs: ts,
      start,
      assocReqSeen: false,
      rsn: true,
      akms: [],
      ftElements: false,
      pmkidOffered: false,
      eapFrames: 0,
      eapolKeyFrames: 0,
      authAnswered: false,
      assocOk: false,
      notes: [],
    };
    if (a.from === null && sta.left && ts - sta.left.ts <= RELATED_MS) {
      a.from = sta.left.bssid;
      a.notes.push(`after ${sta.left.why} at ${sta.left.bssid}`);
    }
    if (sta.lastDataBssid === a.from && ts - sta.lastDataTs <= this.gapMs) a.dataBefore = sta.lastDataTs;
    if (sta.lastBtmTs !== undefined && ts - sta.lastBtmTs <= RELATED_MS) {
      a.trigger = 'bss-tm';
      sta.lastBtmTs = undefined;
    }
    const f = sta.lastFailure;
    if (f && ts - f.ts <= RELATED_MS) a.notes.push(`after a failed attempt${f.target === target ? '' : ` with ${f.target}`}: ${f.what}`);
    sta.lastFailure = undefined;
    sta.attempt = a;
    this.active.add(sta);
    return a;
  }

  private complete(staMac: Mac, ts: number, endFrame: string): void {
    const sta = this.stas.get(staMac)!;
    const a = sta.attempt!;
    sta.attempt = undefined;
    sta.bssid = a.target;
    sta.left = undefined;
    const e = buildRoamEvent(sta.mac, a, ts, endFrame, false, this.slowMs);
    // Held until the first data frame with the new BSS (or the window passes) to measure the data gap.
    if (a.dataBefore !== undefined) {
      sta.pending = { event: e, before: a.dataBefore };
      this.active.add(sta);
    } else this.emit(e);
  }

  private fail(staMac: Mac, ts: number, endFrame: string, reason: string): void {
    const sta = this.stas.get(staMac)!;
    const a = sta.attempt!;
    sta.attempt = undefined;
    a.notes.unshift(reason);
    const e = buildRoamEvent(sta.mac, a, ts, endFrame, true, this.slowMs);
    sta.lastFailure = { target: a.target, ts, what: `${e.auth} ${reason}` };
    this.emit(e);
  }

  private data(ev: FrameEvent): void {
    const ap = ev.bssid;
    if (ap === undefined) return;
    const staMac = ev.src === ap ? ev.dst : ev.src;
    if (isGroupMac(staMac)) return;
    const sta = this.sta(staMac, ev.ts);
    sta.lastDataTs = ev.ts;
    sta.lastDataBssid = ap;
    const a = sta.attempt;
    if (a && a.from === ap) a.dataBefore = ev.ts; // e.g. FT over the DS: traffic continues via the old AP
    if (!a && sta.bssid === undefined) sta.bssid = ap; // associated before the capture began
    const p = sta.pending;
    if (p && ap === p.event.toBssid && ev.ts >= p.event.endTs) {
      if (ev.ts - p.event.endTs <= this.gapMs) p.event.dataGapMs = ev.ts - p.before;
      this.release(sta);
    }
  }

  private release(sta: Sta): void {
    const p = sta.pending;
    if (!p) return;
    sta.pending = undefined;
    this.emit(p.event);
  }

  private emit(e: RoamEvent): void {
    this.stats.roams++;
    this.opts.onRoam?.(e);
  }
}
