// The RF-neighbour service: turns what the network observes into graph updates, asks stations for
// beacon reports, keeps the APs' 802.11k neighbour databases in step and persists the graph. It
// holds no sockets or timers; daemon/main/wire-neighbors.ts gives it the AP drivers and calls tick().
import type { ApDriver, ApEvent } from '../ports/ap-driver.js';
import type { Topology } from '../distribution/topology.js';
import type { StationLifeEvent } from '../stations/events.js';
import type { Log } from '../log/log.js';
import { bandChannels, type BeaconMode, type BeaconRequestParams } from './beacon-request.js';
import { BeaconReportError, parseBeaconReportEvent, reportedPhyType } from './beacon-report.js';
import { opClassForFreq } from './neighbor-report.js';
import { NeighborReportSync, type NrSyncOptions } from './nr-sync.js';
import type { EdgeRecord, NeighborStore } from '../ports/neighbor-store.js';
import type { RfGraph } from './rf-graph.js';
import type { RfEvidence, RfEvidenceChannel } from './evidence.js';
import { BeaconScheduler, type SchedulerOptions } from './scheduler.js';

const STALE_STAY_MS = 86_400_000;

export interface NeighborServiceOptions {
  beaconRequest: SchedulerOptions & { enabled: boolean; mode: BeaconMode; durationTu: number };
  neighborReports: NrSyncOptions;
  /** Two sightings of a station at different APs this close together are a roam. */
  roamWindowS: number;
  /** Weight of a beacon heard by an AP radio or monitor, relative to a station's report (1). */
  radioWeight: number;
  /** At most one radio sighting per (AP, BSSID) per this many seconds: a monitor hears ten beacons a second. */
  radioSampleS: number;
  persistIntervalS: number;
  ageIntervalS: number;
}

export interface NeighborServiceDeps {
  graph: RfGraph;
  topology: Topology;
  driverFor(ap: string): ApDriver | null;
  store: NeighborStore | null;
  log: Log;
  /** Cluster: the other members' evidence comes in here, and this member's own goes out. */
  evidence?: RfEvidenceChannel;
  now?: () => number;
}

export class NeighborService {
  readonly scheduler: BeaconScheduler;
  readonly nr: NeighborReportSync;
  readonly stats = {
    reports: 0,
    rejected: {} as Record<string, number>,
    foreign: 0,
    self: 0,
    noSignal: 0,
    roams: 0,
    beacons: 0,
    /** Evidence from other cluster members applied to the graph (a roam already counted here is not counted again). */
    relayed: 0,
    requests: { sent: 0, rejected: 0, gone: 0, errors: 0 },
  };
  private readonly now: () => number;
  private readonly recentRoams = new Map<string, number>();
  private readonly radioSeen = new Map<string, number>();
  private lastPersist = 0;
  private lastAge = 0;
  private persistBacklog = false;
  /** False on a cluster member without the exactly-once work (standby). */
  private active = true;

  constructor(
    private readonly o: NeighborServiceOptions,
    private readonly d: NeighborServiceDeps,
  ) {
    this.now = d.now ?? Date.now;
    this.scheduler = new BeaconScheduler(o.beaconRequest);
    this.nr = new NeighborReportSync(o.neighborReports, {
      topology: d.topology,
      driverFor: d.driverFor,
      neighborsOf: (ap) => d.graph.neighborsOf(ap),
      log: d.log,
    });
    d.graph.on('listChanged', (ap: string) => this.nr.markDirty(ap));
    d.evidence?.subscribe((e) => this.onEvidence(e));
  }

  /** Loads the persisted graph (edges of APs no longer configured are dropped) and queues every AP's 802.11k list. */
  start(): void {
    const now = this.now();
    this.lastPersist = this.lastAge = now;
    if (this.d.store) {
      const known: EdgeRecord[] = [];
      const gone: EdgeRecord[] = [];
      for (const r of this.d.store.loadEdges()) (this.d.topology.ap(r.from) && this.d.topology.ap(r.to) ? known : gone).push(r);
      this.d.graph.load(known);
      if (gone.length) this.d.store.saveEdges([], gone);
      this.d.log.info({ edges: known.length, dropped: gone.length }, 'RF graph loaded');
    }
    for (const ap of this.d.topology.aps) {
      this.d.graph.neighborsOf(ap.name); // every configured AP is a node, pinned lists included
      this.nr.markDirty(ap.name); // ticks read its database, then push its list
    }
  }

  /**
   * Cluster: another member holds the exactly-once work, and with it what this service asks of
   * the APs. Beacon requests and 802.11k list updates stop: from two members a station would be
   * asked twice as often, and two graphs that differ by a report would take turns rewriting an
   * AP's neighbour list. The graph goes on learning from what it hears: every member's control
   * channel receives the beacon reports the holder asked for, and every member sees the stations
   * move, so the member that takes over has a graph of its own that is not empty.
   */
  standby(): void {
    this.active = false;
  }

  /** Takes the AP-facing work (up) again: every AP's 802.11k database is read afresh, then given its list. */
  activate(): void {
    if (this.active) return;
    this.active = true;
    for (const ap of this.d.topology.aps) this.nr.invalidate(ap.name);
  }

  onApEvent(ap: string, ev: ApEvent): void {
    const now = this.now();
    switch (ev.type) {
      case 'transport':
        if (ev.up) this.nr.invalidate(ap);
        return;
      // Whom to ask for beacon reports, and through which BSS. Where the station is, and whether
      // it roamed, is StationLife's (onStationLife).
      case 'sta-connected':
        return this.scheduler.connected(ev.staMac, ap, ev.ifname, now);
      case 'sta-disconnected':
        return this.scheduler.disconnected(ev.staMac, ap);
      case 'beacon-report':
        return this.onBeaconReport(ap, ev.reportMode, ev.body, now);
      default:
    }
  }

  /**
   * A station moved (StationLife, whichever source saw it first): a roam between two APs when it
   * was still at the first, or left it within roamWindowS. A place it was at for a day without a
   * word is stale (a disconnect event was lost): moving on from it is no evidence of adjacency.
   */
  onStationLife(e: StationLifeEvent): void {
    if (e.type !== 'moved') return;
    const now = this.now();
    const from = this.d.topology.locate(e.from)?.name;
    const to = this.d.topology.locate(e.to)?.name;
    if (!from || !to || from === to) return;
    const fresh = e.from.leftAt === undefined ? now - e.from.since <= STALE_STAY_MS : now - e.from.leftAt <= this.o.roamWindowS * 1000;
    if (fresh && this.roam(e.record.staMac, from, to, now))
      this.d.evidence?.publish({ kind: 'roam', sta: e.record.staMac, from, to, at: now });
  }

  /**
   * Evidence another cluster member saw. A roam goes through the same once-per-window rule as this
   * member's own, so one seen by both counts once; a beacon through the same sampling.
   */
  onEvidence(e: RfEvidence): void {
    const now = this.now();
    const at = Math.min(e.at, now);
    if (e.kind === 'roam') {
      if (!this.d.topology.ap(e.from) || !this.d.topology.ap(e.to) || e.from === e.to) return;
      if (this.roam(e.sta, e.from, e.to, at)) this.stats.relayed++;
      return;
    }
    if (!this.d.topology.ap(e.ap)) return;
    if (this.heard(e.ap, e.bssid, e.dbm, at)) this.stats.relayed++;
  }

  /** A beacon heard by `ap`'s radio or a monitor placed at `ap` (radiotap signal). */
  onBeacon(ap: string, bssid: string, signalDbm: number | null, freqMhz?: number): void {
    const now = this.now();
    if (!this.d.topology.bss(bssid)) return void this.stats.foreign++;
    const opClass = freqMhz === undefined ? null : opClassForFreq(freqMhz);
    if (opClass !== null && freqMhz !== undefined) this.nr.learn(bssid, { opClass, channel: channelOf(freqMhz), phyType: 0 });
    if (this.heard(ap, bssid, signalDbm, now)) this.d.evidence?.publish({ kind: 'beacon', ap, bssid, dbm: signalDbm, at: now });
  }

  /** A beacon sighting into the graph, at most one per (AP, BSSID) per radioSampleS; true if it counted. */
  private heard(ap: string, bssid: string, signalDbm: number | null, at: number): boolean {
    const heard = this.d.topology.bss(bssid);
    if (!heard || heard.ap === ap) return false;
    const key = `${ap}/${bssid}`;
    if (at - (this.radioSeen.get(key) ?? -Infinity) < this.o.radioSampleS * 1000) return false;
    this.radioSeen.set(key, at);
    this.stats.beacons++;
    this.d.graph.observe(ap, heard.ap, signalDbm, this.o.radioWeight, at);
    return true;
  }

  /**
   * Periodic work; daemon/main calls it every few seconds without waiting. The returned promise
   * settles when this tick's beacon requests are answered (tests wait for it); requests in flight
   * are never asked twice, so ticks do not pile up behind a slow AP.
   */
  async tick(): Promise<void> {
    const now = this.now();
    const sends: Promise<void>[] = [];
    if (this.active && this.o.beaconRequest.enabled) for (const job of this.scheduler.due(now)) sends.push(this.ask(job, now));
    this.d.graph.flush(now);
    if (this.active) this.nr.tick(now);
    if (now - this.lastAge >= this.o.ageIntervalS * 1000) {
      this.lastAge = now;
      this.d.graph.age(now);
      this.scheduler.prune(now);
      this.prune(now);
    }
    if (this.persistBacklog || now - this.lastPersist >= this.o.persistIntervalS * 1000) this.persist();
    await Promise.all(sends);
  }

  /**
   * Writes changed edges: at most 20,000 rows per call (~50 ms of SQLite), the rest on the next
   * tick; `all` (at stop) writes everything.
   */
  persist(all = false): void {
    this.lastPersist = this.now();
    if (!this.d.store) return;
    for (;;) {
      const { upserts, deletes, more } = this.d.graph.drainChanges(all ? 50_000 : 20_000);
      if (upserts.length || deletes.length) this.d.store.saveEdges(upserts, deletes);
      this.persistBacklog = more;
      if (!more || !all) return;
    }
  }

  private onBeaconReport(ap: string, mode: number, body: Buffer, now: number): void {
    let r;
    try {
      r = parseBeaconReportEvent(mode, body);
    } catch (e) {
      if (!(e instanceof BeaconReportError)) throw e;
      this.stats.rejected[e.reason] = (this.stats.rejected[e.reason] ?? 0) + 1;
      return;
    }
    this.stats.reports++;
    const heard = this.d.topology.bss(r.bssid);
    if (!heard) return void this.stats.foreign++;
    this.nr.learn(r.bssid, { opClass: r.opClass, channel: r.channel, phyType: reportedPhyType(r.frameInfo) });
    if (heard.ap === ap) return void this.stats.self++;
    if (r.signalDbm === null) this.stats.noSignal++;
    this.d.graph.observe(ap, heard.ap, r.signalDbm, 1, now);
  }

  /** True if the roam counted (a station bouncing between two APs counts once per window and direction). */
  private roam(sta: string, from: string, to: string, now: number): boolean {
    const key = `${sta}/${from}/${to}`;
    if (Math.abs(now - (this.recentRoams.get(key) ?? -Infinity)) < this.o.roamWindowS * 1000) return false;
    this.recentRoams.set(key, now);
    this.stats.roams++;
    this.d.graph.roam(from, to, now);
    return true;
  }

  private async ask(job: { sta: string; ap: string; ifname: string }, now: number): Promise<void> {
    const port = this.d.driverFor(job.ap);
    const bss = this.d.topology.ap(job.ap)?.bsses.find((b) => b.ifname === job.ifname);
    if (!port?.requestBeaconReport || !port.connected || !bss)
      return void (this.stats.requests.errors++, this.scheduler.result(job, 'error', now));
    const br = this.o.beaconRequest;
    const served = this.nr.servingClass(bss.bssid);
    const where = br.mode === 'table' ? { opClass: served ?? 81, channel: 0 } : bandChannels(served ?? 81);
    const req: BeaconRequestParams = { ...where, mode: br.mode, durationTu: br.mode === 'table' ? 0 : br.durationTu, reportingDetail: 0 };
    try {
      const outcome = await port.requestBeaconReport(job.ifname, job.sta, req);
      this.stats.requests[outcome]++;
      this.scheduler.result(job, outcome, this.now());
    } catch (e) {
      this.stats.requests.errors++;
      this.scheduler.result(job, 'error', this.now());
      this.d.log.debug({ ap: job.ap, sta: job.sta, err: (e as Error).message }, 'beacon request not sent');
    }
  }

  private prune(now: number): void {
    const window = this.o.roamWindowS * 1000;
    for (const [k, t] of this.recentRoams) if (now - t > window) this.recentRoams.delete(k);
    for (const [k, t] of this.radioSeen) if (now - t > this.o.radioSampleS * 1000) this.radioSeen.delete(k);
  }
}

function channelOf(freqMhz: number): number {
  if (freqMhz === 2484) return 14;
  if (freqMhz < 3000) return (freqMhz - 2407) / 5;
  if (freqMhz >= 5955) return (freqMhz - 5950) / 5;
  return (freqMhz - 5000) / 5;
}
