import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { KmsConfig } from '../config/schema.js';
import type { ApConfig } from '../config/distribution-schema.js';
import { resolveSecret } from '../config/load.js';
import type { KmsMetrics } from '../metrics/metrics.js';
import type { StationTable } from '../records/station-table.js';
import type { PlacementStore } from '../distribution/placement.js';
import { KeyDistributor } from '../distribution/distributor.js';
import { StaticNeighbors, Topology, type ApInfo } from '../distribution/topology.js';
import type { ApControl, ApEvent } from '../distribution/ports.js';
import { RrbEndpoint } from '../../adapters/rrb/endpoint.js';
import { HostapdControl, SshTransport, UbusControl } from '../../adapters/hostapd/index.js';
import type { NeighborStore } from '../neighbors/persistence.js';
import { startNeighbors, type RunningNeighbors } from './wire-neighbors.js';

// Builds key distribution from the `distribution:` section: the topology, the R0KH-R1KH
// endpoint on the APs' L2 segment, one control channel per AP, and the distributor that ties
// them to the station table.

export interface RunningDistribution {
  distributor: KeyDistributor;
  topology: Topology;
  /** RF-neighbour discovery, when configured. */
  neighbors: RunningNeighbors | null;
  stop(): Promise<void>;
}

interface EventSource {
  on(name: 'event', fn: (ev: ApEvent) => void): unknown;
  startEvents?(ifnames: readonly string[]): Promise<void>;
}

export function startDistribution(config: KmsConfig, deps: {
  stations: StationTable; ledger: PlacementStore; neighborStore: NeighborStore; log: Logger; metrics: KmsMetrics;
}): RunningDistribution {
  const d = config.distribution!;
  const log = deps.log.child({ part: 'distribution' });
  const clientAddress = new Map(config.radius.clients.map((c) => [c.name, c.address]));
  const apInfos: ApInfo[] = d.aps.map((a) => ({
    name: a.name, nasIdentifier: a.nasIdentifier, radiusAddress: clientAddress.get(a.radiusClient)!,
    bsses: a.bsses.map((b) => ({ ap: a.name, ifname: b.ifname, bssid: b.bssid, r1khId: b.r1khId ?? b.bssid, ...(a.hostapdVersion ? { hostapdVersion: a.hostapdVersion } : {}) })),
  }));
  const topology = new Topology(apInfos);
  const rrbKeys = new Map(d.aps.map((a) => [a.name, rrbKey(a)]));

  let distributor: KeyDistributor | null = null;
  const endpoint = RrbEndpoint.open({
    ifname: d.rrb.interface,
    mac: d.rrb.mac,
    keyFor: (_srcMac, r1khId) => {
      const bss = topology.bssByR1khId(r1khId);
      return bss ? rrbKeys.get(bss.ap) : null;
    },
    pullHandler: (req) => distributor?.handlePull(req) ?? null,
    observer: (event, reason) => {
      const [kind, why] = event.includes(':') ? [event.slice(0, event.indexOf(':')), event.slice(event.indexOf(':') + 1)] : [event, reason ?? ''];
      deps.metrics.rrbFrames.inc({ event: kind, reason: why ?? '' });
    },
    logger: log.child({ part: 'rrb' }),
  });
  log.info({ interface: d.rrb.interface, mac: endpoint.mac }, 'R0KH-R1KH endpoint open');

  const controls = new Map<string, ApControl>();
  let neighbors: RunningNeighbors | null = null;
  for (const a of d.aps) {
    const control = openControl(a, config.stateDir, log);
    if (!control) continue;
    controls.set(a.name, control);
    deps.metrics.apTransportUp.set({ ap: a.name }, control.connected ? 1 : 0);
    const events = control as unknown as EventSource;
    events.on('event', (ev: ApEvent) => {
      if (ev.type === 'transport') {
        deps.metrics.apTransportUp.set({ ap: a.name }, ev.up ? 1 : 0);
        log[ev.up ? 'info' : 'warn']({ ap: a.name, reason: ev.reason }, ev.up ? 'AP control channel up' : 'AP control channel down');
      }
      distributor?.onApEvent(a.name, ev);
      neighbors?.onApEvent(a.name, ev);
    });
    events.startEvents?.(a.bsses.map((b) => b.ifname)).catch((e: Error) => log.warn({ ap: a.name, err: e.message }, 'cannot stream hostapd events yet (retried on reconnect)'));
  }

  const pinned = new Map(d.aps.map((a) => [a.name, a.neighbors]));
  if (d.neighbors?.enabled) {
    neighbors = startNeighbors({ config: d.neighbors, pinned, ssid: d.ssid }, { topology, controls, store: deps.neighborStore, log });
  }
  distributor = new KeyDistributor({
    topology,
    // The RF graph when discovery is on (static lists become pinned entries), else the static lists.
    neighbors: neighbors?.graph ?? new StaticNeighbors(pinned),
    pusher: endpoint,
    rrbPeerFor: (bss) => ({ mac: bss.bssid, r1khId: bss.r1khId, key: rrbKeys.get(bss.ap)! }),
    controlFor: (name) => controls.get(name) ?? null,
    stations: deps.stations,
    ledger: deps.ledger,
    policy: { keyLifetimeS: d.keyLifetimeS, repushMarginS: d.repushMarginS, ssid: d.ssid, mobilityDomain: d.mobilityDomain, retry: d.retry },
    logger: log,
    observer: {
      placed: (kind, via) => deps.metrics.keysPlaced.inc({ kind, via }),
      failed: (kind, reason) => deps.metrics.keysMissed.inc({ kind, reason: reason.length > 60 ? 'error' : reason }),
      primed: (seconds) => deps.metrics.primeSeconds.observe(seconds),
      dropped: (reason) => deps.metrics.keysMissed.inc({ kind: 'any', reason }),
    },
  });
  distributor.start();
  return {
    distributor,
    topology,
    neighbors,
    stop: async () => {
      neighbors?.stop();
      distributor!.stop();
      endpoint.close();
      await Promise.all([...controls.values()].map((c) => c.close().catch(() => undefined)));
    },
  };
}

function rrbKey(a: ApConfig): Buffer {
  const hex = resolveSecret(a.rrbKey, `distribution.aps[${a.name}].rrbKey`).trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`distribution.aps[${a.name}].rrbKey must be 64 hex digits (a 256-bit key)`);
  return Buffer.from(hex, 'hex');
}

function openControl(a: ApConfig, stateDir: string, log: Logger): ApControl | null {
  const c = a.control;
  if (c.kind === 'none') return null;
  if (c.kind === 'ctrl-socket') {
    const localDir = join(stateDir, 'ctrl', a.name);
    mkdirSync(localDir, { recursive: true, mode: 0o700 });
    return HostapdControl.local({ ctrlDir: c.ctrlDir, interfaces: a.bsses.map((b) => b.ifname), localDir });
  }
  const transport = new SshTransport({
    apName: a.name, host: c.host, port: c.port, username: c.user, hostKeySha256: c.hostKey,
    privateKey: resolveSecret(c.privateKey, `distribution.aps[${a.name}].control.privateKey`),
  });
  transport.connect().catch((e: Error) => log.warn({ ap: a.name, err: e.message }, 'AP not reachable over SSH yet; retrying in the background'));
  return c.kind === 'ubus'
    ? new UbusControl({ transport, ctrlDir: c.ctrlDir })
    : HostapdControl.overSsh({ transport, ctrlDir: c.ctrlDir });
}
