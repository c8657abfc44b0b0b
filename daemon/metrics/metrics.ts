import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Everything an operator graphs or alerts on, in one registry served at /metrics.

export class KmsMetrics {
  readonly registry = new Registry();
  readonly radiusDropped = new Counter({
    name: 'kms_radius_dropped_total', help: 'RADIUS packets dropped or answered from the duplicate cache, by reason',
    labelNames: ['reason'], registers: [this.registry],
  });
  readonly radiusForwarded = new Counter({
    name: 'kms_radius_forwarded_total', help: 'Requests sent to an upstream AAA server (retries included)',
    labelNames: ['kind', 'upstream'], registers: [this.registry],
  });
  readonly radiusAnswered = new Counter({
    name: 'kms_radius_answered_total', help: 'Upstream answers relayed to APs, by packet code',
    labelNames: ['kind', 'code', 'upstream'], registers: [this.registry],
  });
  readonly radiusLatency = new Histogram({
    name: 'kms_radius_upstream_seconds', help: 'Time from an AP request to the relayed answer',
    labelNames: ['kind'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly upstreamUp = new Gauge({
    name: 'kms_radius_upstream_up', help: '1 if the upstream AAA server is believed alive', labelNames: ['upstream'],
    registers: [this.registry],
  });
  readonly stations = new Gauge({ name: 'kms_stations', help: 'Station records held', registers: [this.registry] });
  readonly stationsLearned = new Counter({
    name: 'kms_stations_learned_total', help: 'Station records created from an Access-Accept', labelNames: ['keys'],
    registers: [this.registry],
  });
  readonly stationsPurged = new Counter({ name: 'kms_stations_purged_total', help: 'Expired records removed', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kms_process_' });
  }
}
