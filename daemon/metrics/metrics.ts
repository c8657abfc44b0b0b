import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Everything an operator graphs or alerts on, in one registry served at /metrics.

export class KmsMetrics {
  readonly registry = new Registry();
  readonly radiusDropped = new Counter({
    name: 'kms_radius_dropped_total',
    help: 'RADIUS packets dropped or answered from the duplicate cache, by reason and RADIUS client (ap; empty: from no configured client)',
    labelNames: ['reason', 'ap'],
    registers: [this.registry],
  });
  readonly radiusForwarded = new Counter({
    name: 'kms_radius_forwarded_total',
    help: 'Requests sent to an upstream AAA server (retries included), by RADIUS client (ap)',
    labelNames: ['kind', 'upstream', 'ap'],
    registers: [this.registry],
  });
  readonly radiusAnswered = new Counter({
    name: 'kms_radius_answered_total',
    help: 'Upstream answers relayed to APs, by packet code and RADIUS client (ap): code AccessReject counts rejected logins per AP',
    labelNames: ['kind', 'code', 'upstream', 'ap'],
    registers: [this.registry],
  });
  readonly radiusLatency = new Histogram({
    name: 'kms_radius_upstream_seconds',
    help: 'Time from an AP request to the relayed answer',
    labelNames: ['kind'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly upstreamUp = new Gauge({
    name: 'kms_radius_upstream_up',
    help: '1 if the upstream AAA server is believed alive',
    labelNames: ['upstream'],
    registers: [this.registry],
  });
  readonly stations = new Gauge({
    name: 'kms_stations',
    help: 'Station records not yet expired (counted at each scrape)',
    registers: [this.registry],
  });
  readonly stationsLearned = new Counter({
    name: 'kms_stations_learned_total',
    help: 'Station records created from an Access-Accept',
    labelNames: ['keys'],
    registers: [this.registry],
  });
  readonly revocations = new Counter({
    name: 'kms_revocations_total',
    help: 'Stations revoked, by what asked (kmsctl, api, disconnect-ack, accounting)',
    labelNames: ['trigger'],
    registers: [this.registry],
  });
  readonly revocationKicks = new Counter({
    name: 'kms_revocation_kicks_total',
    registers: [this.registry],
    labelNames: ['result'],
    help: 'APs told to drop a revoked station (at revocation and when its session shows up again), by outcome: ack, nak, timeout, driver (no DAS: deauthenticated through the control channel), no-das, unreachable',
  });
  readonly stationsPurged = new Counter({ name: 'kms_stations_purged_total', help: 'Expired records removed', registers: [this.registry] });
  readonly keysPlaced = new Counter({
    name: 'kms_keys_placed_total',
    help: 'Keys placed on APs: FT PMK-R1 (pushed or pulled) and OKC PMKSA entries',
    labelNames: ['kind', 'via'],
    registers: [this.registry],
  });
  readonly keysMissed = new Counter({
    name: 'kms_keys_missed_total',
    help: 'Placements that failed or had to be queued, and PULLs answered with NAK',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  readonly primeSeconds = new Histogram({
    name: 'kms_distribution_prime_seconds',
    help: 'From a station event to the last key placed on its neighbours',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly retryQueue = new Gauge({
    name: 'kms_distribution_queued',
    help: 'Placements waiting for an unreachable AP',
    labelNames: ['ap'],
    registers: [this.registry],
  });
  readonly rrbFrames = new Counter({
    name: 'kms_rrb_frames_total',
    help: 'R0KH-R1KH frames by event (sent/received/dropped) and reason',
    labelNames: ['event', 'reason'],
    registers: [this.registry],
  });
  readonly apTransportUp = new Gauge({
    name: 'kms_ap_control_up',
    help: '1 while the control channel to the AP is connected',
    labelNames: ['ap'],
    registers: [this.registry],
  });

  readonly roams = new Counter({
    name: 'kms_roams_total',
    help: 'Roams seen in captures, by method',
    labelNames: ['method'],
    registers: [this.registry],
  });
  readonly roamsSlow = new Counter({
    name: 'kms_roams_slow_total',
    help: 'Roams over the slow threshold, by method',
    labelNames: ['method'],
    registers: [this.registry],
  });
  readonly roamSeconds = new Histogram({
    name: 'kms_roam_duration_seconds',
    help: 'Roam time measured from frames, by method',
    labelNames: ['method'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2],
    registers: [this.registry],
  });

  constructor() {
    // prom-client's default metrics already carry their own family prefix (process_, nodejs_), so
    // 'kms_' gives kms_process_cpu_seconds_total and kms_nodejs_eventloop_lag_seconds.
    collectDefaultMetrics({ register: this.registry, prefix: 'kms_' });
  }
}

/**
 * Memoises `make(...labelValues)`: prom-client hashes the label object on every inc()/observe(),
 * and the RADIUS path counts every packet. Label values come from small fixed sets (kinds,
 * codes, upstream names, drop reasons, configured RADIUS client names), so the cache stays small.
 */
export function perLabels<T>(make: (...values: string[]) => T): (...values: string[]) => T {
  const children = new Map<string, T>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (child === undefined) children.set(key, (child = make(...values)));
    return child;
  };
}
