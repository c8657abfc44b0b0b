import type Database from 'better-sqlite3';
import type { NeighborsConfig } from '../config/neighbors-schema.js';
import type { ApControl, ApEvent } from '../distribution/ports.js';
import type { Topology } from '../distribution/topology.js';
import type { RoamEvent } from '../roams/roam-event.js';
import { reqBeaconCommand, ubusBeaconRequest, type BeaconRequestParams } from '../neighbors/beacon-request.js';
import { removeNeighborCommand } from '../neighbors/neighbor-report.js';
import type { NeighborDbEntry, NeighborPort } from '../neighbors/nr-sync.js';
import type { NeighborStore } from '../neighbors/persistence.js';
import { RfGraph } from '../neighbors/rf-graph.js';
import { NeighborService } from '../neighbors/service.js';
import type { Log } from '../log/log.js';
import { parseNeighborList } from '../../adapters/hostapd/events.js';
import type { FrameEventDecoderOptions } from '../../adapters/pcap/index.js';
import { SqliteNeighborTable } from '../../adapters/store/neighbor-table.js';

// Builds RF-neighbour discovery for the lead's wire-distribution.ts: the graph (a NeighborSource
// to hand the KeyDistributor instead of StaticNeighbors; the static lists become pinned entries),
// the service fed with AP events, captured roams and beacons, one port per AP over its existing
// control channel (hostapd ctrl interface, or ubus on OpenWrt), the SQLite table, and the tick.

export interface NeighborsInputs {
  config: NeighborsConfig;
  /** distribution.aps[].neighbors: always listed. */
  pinned: ReadonlyMap<string, readonly string[]>;
  /** distribution.ssid, for BSSes whose own neighbour entry could not be read. */
  ssid: string;
}

export interface NeighborsDeps {
  topology: Topology;
  controls: ReadonlyMap<string, ApControl>;
  /** The store's database (the table is created on it), a NeighborStore, or null to keep nothing. */
  store: Database.Database | NeighborStore | null;
  /** kmsd's root logger (a pino one): the neighbour service logs as its child, part "neighbors". */
  log: Log & { child?(bindings: object): Log };
  onListChanged?(ap: string, list: string[]): void;
  now?: () => number;
}

export interface RunningNeighbors {
  graph: RfGraph;
  service: NeighborService;
  onApEvent(ap: string, ev: ApEvent): void;
  onRoam(e: RoamEvent): void;
  onBeacon(ap: string, bssid: string, signalDbm: number | null, freqMhz?: number): void;
  /** An onManagement callback for a capture taken next to `ap` (watchCaptureSource's third argument). */
  beaconTap(ap: string): NonNullable<FrameEventDecoderOptions['onManagement']>;
  tick(): Promise<void>;
  /**
   * A reload: new pins and forbids, the control channels as they are now (the topology has been
   * replaced already), and the APs that are new or changed, whose 802.11k databases are read
   * again and given their lists.
   */
  reconfigure(r: { pinned: ReadonlyMap<string, readonly string[]>; forbid: Record<string, string[]>; controls: ReadonlyMap<string, ApControl>; touched: readonly string[] }): void;
  stop(): void;
}

export function startNeighbors(inputs: NeighborsInputs, deps: NeighborsDeps): RunningNeighbors {
  const c = inputs.config;
  const log = deps.log.child?.({ part: 'neighbors' }) ?? deps.log;
  const now = deps.now ?? Date.now;
  const graph = new RfGraph({
    topK: c.topK, floorDbm: c.floorDbm, hysteresisDb: c.hysteresisDb, halfLifeS: c.halfLifeS, roamWeightDb: c.roamWeightDb,
    maxEdgesPerAp: c.maxEdgesPerAp, pinned: inputs.pinned, forbidden: new Map(Object.entries(c.forbid)), now,
  });
  if (deps.onListChanged) graph.on('listChanged', deps.onListChanged);
  const store = deps.store === null ? null : 'loadEdges' in deps.store ? deps.store : new SqliteNeighborTable(deps.store);
  const ports = new Map<string, NeighborPort>();
  const portsFrom = (controls: ReadonlyMap<string, ApControl>) => {
    ports.clear();
    for (const [ap, control] of controls) {
      const bssids = new Map(deps.topology.ap(ap)?.bsses.map((b) => [b.ifname, b.bssid]) ?? []);
      ports.set(ap, isUbus(control) ? ubusPort(control) : ctrlPort(control, bssids));
    }
  };
  portsFrom(deps.controls);
  const service = new NeighborService({
    beaconRequest: c.beaconRequest,
    neighborReports: { ...c.neighborReports, ssid: inputs.ssid },
    roamWindowS: c.roamWindowS, radioWeight: c.radioWeight, radioSampleS: c.radioSampleS,
    persistIntervalS: c.persistIntervalS, ageIntervalS: c.ageIntervalS,
  }, { graph, topology: deps.topology, portFor: (ap) => ports.get(ap) ?? null, store, log, now });
  service.start();

  const tick = (): Promise<void> => service.tick().catch((e: Error) => log.warn({ err: e.message }, 'neighbour tick failed'));
  const timer = setInterval(() => void tick(), c.tickS * 1000);
  timer.unref();
  return {
    graph, service, tick,
    onApEvent: (ap, ev) => service.onApEvent(ap, ev),
    onRoam: (e) => service.onRoam(e),
    onBeacon: (ap, bssid, dbm, freq) => service.onBeacon(ap, bssid, dbm, freq),
    beaconTap: (ap) => (_ts, h, body, rt) => {
      if (body.kind === 'beacon' && h.addr3) service.onBeacon(ap, h.addr3, rt?.signalDbm ?? null, rt?.freqMhz);
    },
    reconfigure: (r) => {
      portsFrom(r.controls);
      graph.setOverrides(r.pinned, new Map(Object.entries(r.forbid)));
      for (const ap of r.touched) {
        graph.neighborsOf(ap); // a node from now on, pinned list included
        service.nr.invalidate(ap);
      }
      log.info({ touched: r.touched.length }, 'RF-neighbour pins, forbids and AP ports updated');
    },
    stop: () => {
      clearInterval(timer);
      service.persist(true);
    },
  };
}

interface UbusLike extends ApControl {
  call(ifname: string, method: string, args?: Record<string, unknown>): Promise<Record<string, unknown> | null>;
  rrmNrSet(ifname: string, list: ReadonlyArray<readonly [string, string, string]>): Promise<void>;
  rrmBeaconReq(ifname: string, req: ReturnType<typeof ubusBeaconRequest>): Promise<void>;
}

const isUbus = (c: ApControl): c is UbusLike => typeof (c as Partial<UbusLike>).rrmNrSet === 'function';

/** hostapd's ctrl interface (local socket or hostapd_cli over SSH). */
export function ctrlPort(control: ApControl, bssidOf: ReadonlyMap<string, string>): NeighborPort {
  const ok = async (ifname: string, cmd: string, tolerateFail = false) => {
    const reply = (await control.command(ifname, cmd)).trim();
    if (reply !== 'OK' && !(tolerateFail && reply === 'FAIL')) throw new Error(`${cmd.split(' ')[0]} answered ${JSON.stringify(reply.slice(0, 40))}`);
  };
  return {
    get connected() {
      return control.connected;
    },
    async readNeighborDb(ifname) {
      let text = await control.command(ifname, 'SHOW_NEIGHBOR');
      if (text.trim() === 'FAIL') return null; // rrm_neighbor_report=0
      // hostapd cuts replies at 4096 octets, maybe mid-line: keep the whole lines.
      if (text !== '' && !text.endsWith('\n')) text = text.slice(0, text.lastIndexOf('\n') + 1);
      const own = bssidOf.get(ifname);
      const all = parseNeighborList(text).filter((e): e is typeof e & { nr: Buffer } => e.nr !== null);
      const entry = (e: (typeof all)[number]): NeighborDbEntry => ({ bssid: e.bssid, ssid: e.ssid, nr: e.nr });
      return { own: all.filter((e) => e.bssid === own).map(entry)[0] ?? null, others: all.filter((e) => e.bssid !== own).map(entry) };
    },
    async setNeighbors(ifname, entries, previous) {
      const key = (e: NeighborDbEntry) => `${e.bssid}/${e.ssid.toString('hex')}`;
      const want = new Map(entries.map((e) => [key(e), e]));
      const had = new Map(previous.map((e) => [key(e), e]));
      // REMOVE of an entry that is already gone answers FAIL: that is the state we want anyway.
      for (const [k, e] of had) if (!want.has(k)) await ok(ifname, removeNeighborCommand(e.bssid, e.ssid), true);
      for (const [k, e] of want) {
        if (had.get(k)?.nr.equals(e.nr)) continue;
        await ok(ifname, `SET_NEIGHBOR ${e.bssid} ssid=${e.ssid.toString('hex')} nr=${e.nr.toString('hex')}`);
      }
    },
    async requestBeaconReport(ifname, sta, req: BeaconRequestParams) {
      const reply = (await control.command(ifname, reqBeaconCommand(sta, req))).trim();
      if (/^\d+$/.test(reply)) return 'sent'; // the dialog token
      if (reply !== 'FAIL') throw new Error(`REQ_BEACON answered ${JSON.stringify(reply.slice(0, 40))}`);
      // FAIL means "not authorized" or "no RM beacon capability": only the second is worth remembering.
      const sta2 = (await control.command(ifname, `STA ${sta}`)).trim();
      return sta2 === '' || sta2 === 'FAIL' ? 'gone' : 'rejected';
    },
  };
}

/** OpenWrt's hostapd ubus object. A UbusError (ubus answered, with an error status) is a refusal. */
export function ubusPort(control: UbusLike): NeighborPort {
  const refused = (e: unknown) => (e as Error).name === 'UbusError';
  const entry = (v: unknown): NeighborDbEntry | null => {
    if (!Array.isArray(v) || v.length < 3 || !v.every((x) => typeof x === 'string') || !/^(?:[0-9a-fA-F]{2})+$/.test(v[2])) return null;
    return { bssid: v[0].toLowerCase(), ssid: Buffer.from(v[1], 'utf8'), nr: Buffer.from(v[2], 'hex') };
  };
  return {
    get connected() {
      return control.connected;
    },
    async readNeighborDb(ifname) {
      try {
        const own = await control.call(ifname, 'rrm_nr_get_own');
        const list = await control.call(ifname, 'rrm_nr_list');
        const others = (Array.isArray(list?.list) ? list.list : []).map(entry).filter((e): e is NeighborDbEntry => e !== null);
        return { own: entry(own?.value), others };
      } catch (e) {
        if (refused(e)) return null;
        throw e;
      }
    },
    async setNeighbors(ifname, entries) {
      // rrm_nr_set replaces every non-own entry at once: no diff needed.
      await control.rrmNrSet(ifname, entries.map((e) => [e.bssid, e.ssid.toString('utf8'), e.nr.toString('hex')] as const));
    },
    async requestBeaconReport(ifname, sta, req) {
      try {
        await control.rrmBeaconReq(ifname, ubusBeaconRequest(sta, req));
        return 'sent';
      } catch (e) {
        if (refused(e)) return 'rejected';
        throw e;
      }
    },
  };
}
