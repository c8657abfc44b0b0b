// Which stations the KMS asks for 802.11k beacon reports, and when. A request costs the station
// airtime and battery (active/passive modes scan), so: once shortly after it joins (its scan
// results are fresh then, and that is when its neighbours matter), then every intervalS while it
// stays, never more often than perStationMinIntervalS for one station across all APs (a roaming
// station re-joins often), and within a global budget per tick. hostapd 2.10 does not print a
// station's RM capabilities, so unknown stations are tried once and a FAIL is remembered.
// Pure: the caller sends the requests and reports back.

export interface SchedulerOptions {
  intervalS: number;
  perStationMinIntervalS: number;
  /** Wait this long after AP-STA-CONNECTED before asking (DHCP, EAPOL settle first). */
  afterJoinDelayS: number;
  /** How long "this station answered FAIL" is remembered. */
  failMemoryS: number;
  /** At most this many requests per due() call, over all APs. */
  maxPerTick: number;
}

export const SCHEDULER_DEFAULTS: SchedulerOptions = {
  intervalS: 3600,
  perStationMinIntervalS: 600,
  afterJoinDelayS: 5,
  failMemoryS: 86_400,
  maxPerTick: 20,
};

export interface BeaconJob {
  sta: string;
  ap: string;
  ifname: string;
}

/**
 * sent: the AP accepted the request; rejected: FAIL for an associated station (not RM-capable);
 * gone: the station is no longer there (a disconnect event was lost); error: transport trouble, retry later.
 */
export type BeaconOutcome = 'sent' | 'rejected' | 'gone' | 'error';

interface Station {
  ap: string;
  ifname: string;
  /** ms; Infinity while a request is in flight or the station is not capable. */
  nextAt: number;
  /** Last join or answer (ms): a record nothing happens to for long is a lost disconnect. */
  touched: number;
}

export class BeaconScheduler {
  private readonly o: SchedulerOptions;
  private readonly stations = new Map<string, Station>();
  private readonly lastAsked = new Map<string, number>();
  private readonly incapable = new Map<string, number>();

  constructor(opts: Partial<SchedulerOptions> = {}) {
    this.o = { ...SCHEDULER_DEFAULTS, ...opts };
  }

  /**
   * The station is authorized at ap/ifname. `capable`: its RM capabilities when known (ubus
   * get_clients), null when hostapd does not say.
   */
  connected(sta: string, ap: string, ifname: string, now: number, capable: boolean | null = null): void {
    if (capable === false) this.incapable.set(sta, now + this.o.failMemoryS * 1000);
    if (capable === true) this.incapable.delete(sta);
    const known = this.incapable.get(sta);
    const blocked = known !== undefined && known > now;
    const earliest = (this.lastAsked.get(sta) ?? -Infinity) + this.o.perStationMinIntervalS * 1000;
    this.stations.set(sta, {
      ap,
      ifname,
      nextAt: blocked ? Infinity : Math.max(now + this.o.afterJoinDelayS * 1000, earliest),
      touched: now,
    });
  }

  /** Ignored unless the station is still recorded at this AP: after a roam the old AP's disconnect arrives late. */
  disconnected(sta: string, ap: string): void {
    if (this.stations.get(sta)?.ap === ap) this.stations.delete(sta);
  }

  /** Stations to ask now, oldest due first, at most maxPerTick; they are in flight until result(). */
  due(now: number): BeaconJob[] {
    const ready: [string, Station][] = [];
    for (const entry of this.stations) if (entry[1].nextAt <= now) ready.push(entry);
    ready.sort((x, y) => x[1].nextAt - y[1].nextAt);
    return ready.slice(0, this.o.maxPerTick).map(([sta, s]) => {
      s.nextAt = Infinity;
      return { sta, ap: s.ap, ifname: s.ifname };
    });
  }

  result(job: BeaconJob, outcome: BeaconOutcome, now: number): void {
    const s = this.stations.get(job.sta);
    if (outcome === 'gone') {
      if (s?.ap === job.ap) this.stations.delete(job.sta);
      return;
    }
    if (s) s.touched = now;
    if (outcome === 'rejected') {
      this.incapable.set(job.sta, now + this.o.failMemoryS * 1000);
      return;
    }
    if (outcome === 'sent') this.lastAsked.set(job.sta, now);
    if (!s || s.ap !== job.ap) return; // it moved meanwhile: its new AP's join already scheduled it
    s.nextAt = outcome === 'sent' ? now + this.o.intervalS * 1000 * jitter(job.sta) : now + this.o.perStationMinIntervalS * 1000;
  }

  /** Forgets what no longer matters: rate-limit memory past its window, expired FAIL memory, lost stations. */
  prune(now: number): void {
    const window = this.o.perStationMinIntervalS * 1000;
    // A connected station is answered every intervalS; silence for three intervals (or a day for
    // one that is never asked) means its disconnect was never seen.
    const stale = Math.max(3 * this.o.intervalS, 86_400) * 1000;
    for (const [sta, s] of this.stations) if (now - s.touched > stale) this.stations.delete(sta);
    for (const [sta, t] of this.lastAsked) if (t + window <= now) this.lastAsked.delete(sta);
    for (const [sta, until] of this.incapable) if (until <= now) this.incapable.delete(sta);
  }

  isIncapable(sta: string, now: number): boolean {
    return (this.incapable.get(sta) ?? 0) > now;
  }

  stats(): { stations: number; rateLimited: number; incapable: number } {
    return { stations: this.stations.size, rateLimited: this.lastAsked.size, incapable: this.incapable.size };
  }
}

/** 0.9..1.1 from the MAC, so stations that joined together (an AP reboot) do not stay in lockstep. */
function jitter(sta: string): number {
  let h = 2166136261;
  for (let i = 0; i < sta.length; i++) h = Math.imul(h ^ sta.charCodeAt(i), 16777619);
  return 0.9 + ((h >>> 0) % 1000) / 5000;
}

/**
 * Beacon measurement modes a station supports, from its RM Enabled Capabilities (first octet:
 * b4 passive, b5 active, b6 table), as ubus get_clients reports them. null when unknown.
 */
export function beaconModes(rrm: readonly number[] | null | undefined): { passive: boolean; active: boolean; table: boolean } | null {
  if (!rrm || rrm.length === 0 || !Number.isInteger(rrm[0])) return null;
  const o = rrm[0]!;
  return { passive: (o & 0x10) !== 0, active: (o & 0x20) !== 0, table: (o & 0x40) !== 0 };
}
