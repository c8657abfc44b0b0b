import type { RoamEvent } from './roam-event.js';
import type { RoamLog } from './roam-log.js';

// What kmsd does with each roam a live capture's tracker classifies: keeps it for GET /v1/roams,
// counts it, logs it (a slow or failed one as a warning), and passes it on to whoever places
// stations (StationLife).

export interface RoamReportDeps {
  log: RoamLog;
  logger: { info(o: object, m: string): void; warn(o: object, m: string): void };
  observer?: { roam(method: string, seconds: number, slow: boolean): void };
  /** After it is kept, counted and logged. */
  next?(e: RoamEvent): void;
}

export function roamReport(d: RoamReportDeps): (e: RoamEvent) => void {
  return (e) => {
    d.log.add(e);
    d.observer?.roam(e.method, e.durationMs / 1000, e.slow);
    d.logger[e.slow || e.method === 'failed' ? 'warn' : 'info'](
      {
        sta: e.sta,
        from: e.fromBssid,
        to: e.toBssid,
        method: e.method,
        ms: Math.round(e.durationMs * 10) / 10,
        eapFrames: e.eapFrames,
        slow: e.slow,
        reason: e.reason,
      },
      'roam',
    );
    d.next?.(e);
  };
}
