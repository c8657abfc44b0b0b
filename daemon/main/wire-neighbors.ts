import type { RfEvidenceChannel } from '../neighbors/evidence.js';
import type { NeighborsConfig } from '../config/neighbors-schema.js';
import type { ApDriver, ApEvent } from '../ports/ap-driver.js';
import type { Topology } from '../distribution/topology.js';
import type { NeighborStore } from '../ports/neighbor-store.js';
import { RfGraph } from '../neighbors/rf-graph.js';
import { NeighborService } from '../neighbors/service.js';
import type { Log } from '../log/log.js';
import type { FrameEventDecoderOptions } from '../../adapters/pcap/index.js';

// Builds RF-neighbour discovery for wire-distribution.ts: the graph (a NeighborSource to hand the
// KeyDistributor instead of StaticNeighbors; the static lists become pinned entries), the service
// fed with AP events, station moves (StationLife) and beacons and driving each AP through its
// ApDriver, and the tick.

export interface NeighborsInputs {
  config: NeighborsConfig;
  /** distribution.aps[].neighbors: always listed. */
  pinned: ReadonlyMap<string, readonly string[]>;
  /** distribution.ssid, for BSSes whose own neighbour entry could not be read. */
  ssid: string;
}

export interface NeighborsDeps {
  topology: Topology;
  /** The AP drivers by AP name; wire-distribution.ts keeps this map current across reloads. */
  controls: ReadonlyMap<string, ApDriver>;
  /** Where the graph is persisted, or null to keep nothing. */
  store: NeighborStore | null;
  /** kmsd's root logger (a pino one): the neighbour service logs as its child, part "neighbors". */
  log: Log & { child?(bindings: object): Log };
  onListChanged?(ap: string, list: string[]): void;
  /** Cluster: the other members' RF evidence, and where this member's goes. */
  evidence?: RfEvidenceChannel;
  now?: () => number;
}

export interface RunningNeighbors {
  graph: RfGraph;
  service: NeighborService;
  onApEvent(ap: string, ev: ApEvent): void;
  onBeacon(ap: string, bssid: string, signalDbm: number | null, freqMhz?: number): void;
  /** An onManagement callback for a capture taken next to `ap` (watchCaptureSource's third argument). */
  beaconTap(ap: string): NonNullable<FrameEventDecoderOptions['onManagement']>;
  tick(): Promise<void>;
  /**
   * A reload: new pins and forbids, the control channels as they are now (the topology has been
   * replaced already), and the APs that are new or changed, whose 802.11k databases are read
   * again and given their lists.
   */
  reconfigure(r: {
    pinned: ReadonlyMap<string, readonly string[]>;
    forbid: Record<string, string[]>;
    controls: ReadonlyMap<string, ApDriver>;
    touched: readonly string[];
  }): void;
  stop(): void;
}

export function startNeighbors(inputs: NeighborsInputs, deps: NeighborsDeps): RunningNeighbors {
  const c = inputs.config;
  const log = deps.log.child?.({ part: 'neighbors' }) ?? deps.log;
  const now = deps.now ?? Date.now;
  const graph = new RfGraph({
    topK: c.topK,
    floorDbm: c.floorDbm,
    hysteresisDb: c.hysteresisDb,
    halfLifeS: c.halfLifeS,
    roamWeightDb: c.roamWeightDb,
    maxEdgesPerAp: c.maxEdgesPerAp,
    pinned: inputs.pinned,
    forbidden: new Map(Object.entries(c.forbid)),
    now,
  });
  if (deps.onListChanged) graph.on('listChanged', deps.onListChanged);
  let controls = deps.controls;
  const service = new NeighborService(
    {
      beaconRequest: c.beaconRequest,
      neighborReports: { ...c.neighborReports, ssid: inputs.ssid },
      roamWindowS: c.roamWindowS,
      radioWeight: c.radioWeight,
      radioSampleS: c.radioSampleS,
      persistIntervalS: c.persistIntervalS,
      ageIntervalS: c.ageIntervalS,
    },
    {
      graph,
      topology: deps.topology,
      driverFor: (ap) => controls.get(ap) ?? null,
      store: deps.store,
      log,
      now,
      ...(deps.evidence ? { evidence: deps.evidence } : {}),
    },
  );
  service.start();

  const tick = (): Promise<void> => service.tick().catch((e: Error) => log.warn({ err: e.message }, 'neighbour tick failed'));
  const timer = setInterval(() => void tick(), c.tickS * 1000);
  timer.unref();
  return {
    graph,
    service,
    tick,
    onApEvent: (ap, ev) => service.onApEvent(ap, ev),
    onBeacon: (ap, bssid, dbm, freq) => service.onBeacon(ap, bssid, dbm, freq),
    beaconTap: (ap) => (_ts, h, body, rt) => {
      if (body.kind === 'beacon' && h.addr3) service.onBeacon(ap, h.addr3, rt?.signalDbm ?? null, rt?.freqMhz);
    },
    reconfigure: (r) => {
      controls = r.controls;
      graph.setOverrides(r.pinned, new Map(Object.entries(r.forbid)));
      for (const ap of r.touched) {
        graph.neighborsOf(ap); // a node from now on, pinned list included
        service.nr.invalidate(ap);
      }
      log.info({ touched: r.touched.length }, 'RF-neighbour pins, forbids and AP drivers updated');
    },
    stop: () => {
      clearInterval(timer);
      service.persist(true);
    },
  };
}
