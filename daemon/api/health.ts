// GET /v1/health: one object from the parts that know (the RADIUS thread's heartbeat and status,
// the station count, the distribution queues, the last reload).

export interface HealthSources {
  version: string;
  startedAt: number;
  radius: { alive(): boolean; status(): object };
  stations: { readonly size: number };
  /** Placements queued per AP; absent without key distribution. */
  queued?: () => Record<string, number>;
  config: { health(): object };
  /** A cluster member's state (daemon/cluster/cluster-status.ts); absent for a single kmsd. */
  cluster?: () => object;
  now?: () => number;
}

export function healthReport(s: HealthSources): () => object {
  const now = s.now ?? Date.now;
  return () => ({
    status: s.radius.alive() ? 'ok' : 'radius-thread-not-answering',
    version: s.version,
    uptimeS: Math.round((now() - s.startedAt) / 1000),
    stations: s.stations.size,
    radius: s.radius.status(),
    distribution: s.queued ? { queued: s.queued() } : null,
    config: s.config.health(),
    ...(s.cluster ? { cluster: s.cluster() } : {}),
  });
}
