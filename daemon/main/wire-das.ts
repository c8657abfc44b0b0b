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
import { DasClient } from '../../adapters/radius/das-client.js';
import { DasDisconnecter } from '../../adapters/radius/das-disconnecter.js';
import type { DisconnectPlace } from '../ports/station-disconnecter.js';

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

/**
 * The KMS's own sender towards the APs' DAS: revocation's Disconnects and the proxy's relayed
 * ones go through it. Null when no radius.clients entry has a DAS.
 */
export interface DasSender {
  client: DasClient;
  disconnecter: DasDisconnecter;
  reconfigure(next: KmsConfig, secrets: Pick<StartupSecrets, 'dasSecrets'>): void;
  stop(): Promise<void>;
}

export function startDasSender(
  config: KmsConfig,
  deps: { secrets: Pick<StartupSecrets, 'dasSecrets'>; log: Logger; registry: Registry; metrics?: DasMetrics },
): DasSender | null {
  if (!config.radius.clients.some((c) => c.das)) return null;
  const das = config.radius.dynamicAuthorization;
  const log = partLogger(deps.log, 'das');
  const metrics = deps.metrics ?? new DasMetrics(deps.registry);
  const client = new DasClient({
    ...(das?.sourceAddress ? { sourceAddress: das.sourceAddress } : {}),
    timeoutMs: das?.timeoutMs ?? 1000,
    tries: das?.tries ?? 3,
    logger: log,
    observer: {
      sent: (ap) => metrics.forwarded.inc({ ap }),
      dropped: (reason, from, detail) => {
        metrics.dropped.inc({ reason });
        log.warn({ reason, from, ...(detail ? { detail } : {}) }, 'dynamic authorization packet dropped');
      },
    },
  });
  const disconnecter = new DasDisconnecter(client, placeDasTable(config, deps.secrets.dasSecrets!.aps));
  return {
    client,
    disconnecter,
    reconfigure: (next, s) => {
      disconnecter.targetOf = placeDasTable(next, s.dasSecrets!.aps);
    },
    stop: () => client.stop(),
  };
}

/** A place as the core names it (an AP by name, or a record's RADIUS source) to its DAS. */
export function placeDasTable(config: KmsConfig, secrets: Map<string, Buffer>): (at: DisconnectPlace) => ApDasTarget | null {
  const table = apDasTable(config, secrets);
  const clientAddress = new Map(config.radius.clients.map((c) => [c.name, c.address]));
  const radiusAddress = new Map(
    (config.distribution?.aps ?? []).map((a) => [a.name, a.radiusAddress ?? clientAddress.get(a.radiusClient)]),
  );
  return (at) => {
    const address = at.clientAddress ?? (at.ap ? radiusAddress.get(at.ap) : undefined);
    // A prefix names no single AP: without the AP's own radiusAddress its DAS cannot be found.
    if (!address || address.includes('/')) return null;
    return table(address, at.bssid);
  };
}

export interface DasDeps {
  locator: StationLocator;
  /** The shared sender (startDasSender), so the proxy's and revocation's Disconnects go one way. */
  sender?: DasSender | null;
  secrets: Pick<StartupSecrets, 'dasSecrets'>;
  log: Logger;
  registry: Registry;
  /** An AP acknowledged a Disconnect of this station that an upstream asked for (revocation starts here). */
  disconnected?(station: StationLocation, ap: string): void;
  /** Shared with startDasSender's (one set of counters). */
  metrics?: DasMetrics;
}

export async function startDynamicAuthorization(config: KmsConfig, deps: DasDeps): Promise<RunningDas | null> {
  const das = config.radius.dynamicAuthorization;
  if (!das) return null;
  const log = partLogger(deps.log, 'das');
  const metrics = deps.metrics ?? new DasMetrics(deps.registry);
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
    ...(deps.sender ? { client: deps.sender.client } : {}),
    logger: log,
    observer: {
      dropped: (reason) => metrics.dropped.inc({ reason }),
      answered: (kind, code, cause) => metrics.answered.inc({ kind, code, error_cause: cause }),
      forwarded: (ap) => metrics.forwarded.inc({ ap }),
      disconnected: (s, ap) => {
        log.info({ sta: s.staMac, ap }, "station disconnected by its AP on an upstream's request");
        deps.disconnected?.(s, ap);
      },
    },
  });
  const { port } = await proxy.start();
  log.info(
    { address: das.listen.address, port, upstreams: das.upstreams.length, coa: das.coa },
    'dynamic authorization (Disconnect/CoA) listening',
  );
  return {
    port,
    reconfigure: (next, s) => {
      const dasSecrets = s.dasSecrets!;
      proxy.reconfigure(upstreamsOf(next, dasSecrets), apDasTable(next, dasSecrets.aps));
      log.info(
        { upstreams: next.radius.dynamicAuthorization?.upstreams.length ?? 0 },
        'dynamic authorization upstreams and AP DAS table replaced',
      );
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
export function apDasTable(
  config: KmsConfig,
  secrets: Map<string, Buffer>,
): (clientAddress: string, bssid: string | null) => ApDasTarget | null {
  // Longest prefix first, as the RADIUS client table matches (an AP inside a prefix may have its own entry).
  const entries = config.radius.clients
    .filter((c) => c.das && secrets.has(c.name))
    .map((c) => ({ c, length: typeof parseNetwork(c.address) === 'string' ? -1 : (parseNetwork(c.address) as IpNetwork).length }))
    .sort((a, b) => b.length - a.length);
  const bssIndex = new Map<string, { client: string; index: number }>();
  for (const ap of config.distribution?.aps ?? [])
    ap.bsses.forEach((b, index) => bssIndex.set(b.bssid, { client: ap.radiusClient, index }));
  return (clientAddress, bssid) => {
    const address = clientAddress.startsWith('::ffff:') && clientAddress.includes('.') ? clientAddress.slice(7) : clientAddress;
    const hit = entries.find((e) => networkContains(e.c.address, address));
    if (!hit) return null;
    const bss = bssid === null ? undefined : bssIndex.get(bssid);
    const offset = bss && bss.client === hit.c.name ? bss.index : 0;
    return {
      name: hit.c.name,
      address: hit.c.das!.address ?? address,
      port: dasPortOfBss(hit.c.das!.port, offset),
      secret: secrets.get(hit.c.name)!,
    };
  };
}
