import type { KmsConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { partLogger } from '../log/logger.js';
import type { Registry } from 'prom-client';
import { DasMetrics } from '../metrics/das-metrics.js';
import { dasPortOfBss } from '../distribution/ap-config.js';
import { networkContains, parseNetwork, type IpNetwork } from '../common/ip-prefix.js';
import type { StationLocation, StationLocator } from '../records/station-locator.js';
import type { StartupSecrets } from './startup-checks.js';
import { DasProxy, type ApDasTarget } from '../../adapters/radius/das-proxy.js';

// The dynamic authorization proxy (RFC 5176) runs on the main thread, not the RADIUS thread: it
// needs the station records, which live here; its rate is that of operators and AAA policies
// disconnecting users, not of logins; and on its own socket and thread it cannot delay an
// Access-Request, whatever it is sent.

export interface RunningDas {
  port: number;
  /** A reload's upstreams and radius.clients[].das (the listener itself needs a restart). */
  reconfigure(next: KmsConfig, secrets: Pick<StartupSecrets, 'dasSecrets'>): void;
  stop(): Promise<void>;
}

export interface DasDeps {
  locator: StationLocator;
  secrets: Pick<StartupSecrets, 'dasSecrets'>;
  log: Logger;
  registry: Registry;
  /** An AP acknowledged a Disconnect of this station. */
  disconnected?(station: StationLocation, ap: string): void;
}

export async function startDynamicAuthorization(config: KmsConfig, deps: DasDeps): Promise<RunningDas | null> {
  const das = config.radius.dynamicAuthorization;
  if (!das) return null;
  const log = partLogger(deps.log, 'das');
  const metrics = new DasMetrics(deps.registry);
  const secrets = deps.secrets.dasSecrets!;
  const upstreamsOf = (c: KmsConfig, s: NonNullable<StartupSecrets['dasSecrets']>) =>
    (c.radius.dynamicAuthorization?.upstreams ?? []).map((u) => ({ name: u.name, address: u.address, secret: s.upstreams.get(u.name)! }));
  const proxy = new DasProxy({
    listen: das.listen,
    ...(das.sourceAddress ? { sourceAddress: das.sourceAddress } : {}),
    upstreams: upstreamsOf(config, secrets),
    locator: deps.locator,
    apDas: apDasTable(config, secrets.aps),
    coa: das.coa,
    eventTimestampWindowS: das.eventTimestampWindowS,
    requireEventTimestamp: das.requireEventTimestamp,
    timeoutMs: das.timeoutMs,
    tries: das.tries,
    maxSessionsPerRequest: das.maxSessionsPerRequest,
    logger: log,
    observer: {
      dropped: (reason) => metrics.dropped.inc({ reason }),
      answered: (kind, code, cause) => metrics.answered.inc({ kind, code, error_cause: cause }),
      forwarded: (ap) => metrics.forwarded.inc({ ap }),
      disconnected: (s, ap) => {
        log.info({ sta: s.staMac, ap }, 'station disconnected by its AP on an upstream\'s request');
        deps.disconnected?.(s, ap);
      },
    },
  });
  const { port } = await proxy.start();
  log.info({ address: das.listen.address, port, upstreams: das.upstreams.length, coa: das.coa }, 'dynamic authorization (Disconnect/CoA) listening');
  return {
    port,
    reconfigure: (next, s) => {
      const dasSecrets = s.dasSecrets!;
      proxy.reconfigure(upstreamsOf(next, dasSecrets), apDasTable(next, dasSecrets.aps));
      log.info({ upstreams: next.radius.dynamicAuthorization?.upstreams.length ?? 0 }, 'dynamic authorization upstreams and AP DAS table replaced');
    },
    stop: () => proxy.stop(),
  };
}

/**
 * The AP DAS for a station's client address: the radius.clients entry the address belongs to
 * (an exact address, or the longest prefix that holds it), at the entry's das.address
 * or else at the station's client address itself. hostapd runs one DAS per BSS, each on its own
 * port: the BSS at index i of its distribution.aps entry listens on das.port + i (as
 * `kmsctl ap-config` writes it).
 */
export function apDasTable(config: KmsConfig, secrets: Map<string, Buffer>): (clientAddress: string, bssid: string | null) => ApDasTarget | null {
  // Longest prefix first, as the RADIUS client table matches (an AP inside a prefix may have its own entry).
  const entries = config.radius.clients.filter((c) => c.das && secrets.has(c.name))
    .map((c) => ({ c, length: typeof parseNetwork(c.address) === 'string' ? -1 : (parseNetwork(c.address) as IpNetwork).length }))
    .sort((a, b) => b.length - a.length);
  const bssIndex = new Map<string, { client: string; index: number }>();
  for (const ap of config.distribution?.aps ?? []) ap.bsses.forEach((b, index) => bssIndex.set(b.bssid, { client: ap.radiusClient, index }));
  return (clientAddress, bssid) => {
    const address = clientAddress.startsWith('::ffff:') && clientAddress.includes('.') ? clientAddress.slice(7) : clientAddress;
    const hit = entries.find((e) => networkContains(e.c.address, address));
    if (!hit) return null;
    const bss = bssid === null ? undefined : bssIndex.get(bssid);
    const offset = bss && bss.client === hit.c.name ? bss.index : 0;
    return { name: hit.c.name, address: hit.c.das!.address ?? address, port: dasPortOfBss(hit.c.das!.port, offset), secret: secrets.get(hit.c.name)! };
  };
}
