import type { Logger } from 'pino';
import { partLogger } from '../log/logger.js';
import type { KmsConfig } from '../config/schema.js';
import type { KmsMetrics } from '../metrics/metrics.js';
import { RoamTracker } from '../roams/roam-tracker.js';
import { RoamLog } from '../roams/roam-log.js';
import type { RoamEvent } from '../roams/roam-event.js';
import { roamReport } from '../roams/roam-report.js';
import { slowThresholds } from '../roams/classify.js';
import { tcpdumpSource } from '../../adapters/pcap/index.js';
import { watchCaptureSource, type CaptureWatch } from '../../adapters/pcap/roam-analysis.js';

// Live roam observation: each configured monitor interface is read with tcpdump into one
// tracker; every roam goes to the log (GET /v1/roams), the metrics, and StationLife (roam-report.ts),
// which moves the station and so primes the new AP's neighbours. A source that dies is restarted
// with backoff.

export interface RunningRoams {
  log: RoamLog;
  stop(): void;
}

export function startRoams(config: KmsConfig, deps: { log: Logger; metrics: KmsMetrics; onRoam(e: RoamEvent): void }): RunningRoams {
  const r = config.roams;
  const log = partLogger(deps.log, 'roams');
  const roamLog = new RoamLog(r.logSize);
  const tracker = new RoamTracker({
    slowMs: slowThresholds(r.slowFtMs, r.slowOtherMs),
    onRoam: roamReport({
      log: roamLog,
      logger: log,
      next: deps.onRoam,
      observer: {
        roam: (method, seconds, slow) => {
          deps.metrics.roams.inc({ method });
          if (slow) deps.metrics.roamsSlow.inc({ method });
          deps.metrics.roamSeconds.observe({ method }, seconds);
        },
      },
    }),
  });
  let stopped = false;
  const watches: CaptureWatch[] = [];
  for (const s of r.sources) {
    let backoffMs = 1000;
    const run = () => {
      if (stopped) return;
      const source = tcpdumpSource({ iface: s.interface, ...(s.filter ? { filter: s.filter } : {}) });
      const w = watchCaptureSource(source, tracker);
      watches.push(w);
      log.info({ source: source.description }, 'roam capture started');
      w.done
        .then(
          () => (backoffMs = 1000),
          (e: Error) => log.warn({ iface: s.interface, err: e.message }, 'roam capture failed'),
        )
        .finally(() => {
          watches.splice(watches.indexOf(w), 1);
          if (stopped) return;
          setTimeout(run, backoffMs).unref();
          backoffMs = Math.min(backoffMs * 2, 60_000);
        });
    };
    run();
  }
  return {
    log: roamLog,
    stop: () => {
      stopped = true;
      for (const w of watches) w.stop();
      tracker.flush();
    },
  };
}
