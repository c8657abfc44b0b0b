// The service as daemon/main wires it (startNeighbors), through the real AP drivers, against
// stand-ins for what is behind them: hostapd's ctrl interface (SHOW_NEIGHBOR, SET/REMOVE_NEIGHBOR,
// REQ_BEACON, STA) and OpenWrt's ubus CLI (rrm_nr_get_own, rrm_nr_list, rrm_nr_set,
// rrm_beacon_req). Real radios are the lab's job: wired hostapd has no RRM.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { CtrlInterfaceDriver, UbusDriver, type SshTransport } from '../../../adapters/hostapd/index.js';
import { neighborsConfigIssues, neighborsSchema } from '../../../daemon/config/neighbors-schema.js';
import type { ApEvent } from '../../../daemon/ports/ap-driver.js';
import { Topology } from '../../../daemon/distribution/topology.js';
import { silentLog } from '../../../daemon/log/log.js';
import { startNeighbors, type RunningNeighbors } from '../../../daemon/main/wire-neighbors.js';
import { decodeNeighborReport } from '../../../daemon/neighbors/neighbor-report.js';
import { MemoryNeighborStore } from '../../../daemon/neighbors/persistence.js';
import type { RoamEvent } from '../../../daemon/roams/roam-event.js';
import { fakeClock, reportBody } from './helpers.js';
import type { RfEvidence, RfEvidenceChannel } from '../../../daemon/neighbors/evidence.js';
import { randomBytes } from 'node:crypto';
import { topologyPlaces } from '../../../daemon/stations/places.js';
import { kmsCore } from '../../helpers/kms-core.js';
import { tempDir } from '../store/fixtures.js';

const STA = '02:00:00:00:00:41';
const bssid = (ap: number, i = 0) => `02:00:00:00:0${ap}:0${i}`;
const ownNr = (b: string, channel: number) => `${b.replace(/:/g, '')}ef090000510${channel.toString(16)}070603000${channel.toString(16)}00`;
const topology = new Topology(
  [1, 2, 3].map((n) => ({
    name: `ap${n}`,
    nasIdentifier: `ap${n}`,
    radiusAddress: `10.0.0.${n}`,
    bsses: (n === 1 ? [0, 1] : [0]).map((i) => ({ ap: `ap${n}`, ifname: `wlan${i}`, bssid: bssid(n, i), r1khId: bssid(n, i) })),
  })),
);

/** hostapd 2.10's ctrl interface, as far as the neighbour code uses it, behind the ctrl-interface driver. */
class FakeHostapd extends CtrlInterfaceDriver {
  protected readonly apName = 'fake';
  connected = true;
  readonly log: string[] = [];
  readonly db = new Map<string, Map<string, string>>(); // ifname → bssid → "ssid=… nr=…"
  incapable = new Set<string>();
  associated = new Set<string>([STA]);
  constructor(ap: number) {
    super();
    for (const b of topology.ap(`ap${ap}`)!.bsses)
      this.db.set(b.ifname, new Map([[b.bssid, `ssid=${Buffer.from('corp').toString('hex')} nr=${ownNr(b.bssid, 1 + ap)}`]]));
  }
  protected async attachEvents(): Promise<void> {}
  async close(): Promise<void> {}
  protected async request(ifname: string, cmd: string): Promise<string> {
    this.log.push(`${ifname}: ${cmd}`);
    const [verb, a1, ...rest] = cmd.split(' ');
    const db = this.db.get(ifname)!;
    switch (verb) {
      case 'SHOW_NEIGHBOR':
        return [...db].map(([b, v]) => `${b} ${v}\n`).join('');
      case 'SET_NEIGHBOR':
        db.set(a1!, rest.join(' '));
        return 'OK\n';
      case 'REMOVE_NEIGHBOR':
        return db.delete(a1!) ? 'OK\n' : 'FAIL\n';
      case 'REQ_BEACON':
        return this.associated.has(a1!) && !this.incapable.has(a1!) ? '7\n' : 'FAIL\n';
      case 'STA':
        return this.associated.has(a1!) ? `${a1}\nflags=[AUTH][ASSOC][AUTHORIZED]\n` : 'FAIL\n';
      default:
        return 'UNKNOWN COMMAND\n';
    }
  }
}

/**
 * OpenWrt's ubus CLI on the AP, as the ubus driver runs it over SSH (`ubus call hostapd.<if>
 * <method> '<json>'`): a stand-in for the SSH transport that answers those command lines.
 */
class FakeUbusShell extends EventEmitter {
  readonly apName = 'ap3';
  readonly connected = true;
  readonly sets: [string, [string, string, string][]][] = [];
  readonly beaconReqs: unknown[] = [];
  async run(cmd: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const m = /^ubus call hostapd\.(\S+) (\S+)(?: '(.*)')?$/.exec(cmd)!;
    const [ifname, method, json] = [m[1]!, m[2]!, m[3]];
    const args = json === undefined ? undefined : JSON.parse(json);
    const own = topology.ap('ap3')!.bsses.find((b) => b.ifname === ifname)!.bssid;
    const reply = (v: unknown) => ({ stdout: `${JSON.stringify(v, null, '\t')}\n`, stderr: '', exitCode: 0 });
    switch (method) {
      case 'rrm_nr_get_own':
        return reply({ value: [own, 'corp', ownNr(own, 4)] });
      case 'rrm_nr_list':
        return reply({ list: [['02:00:00:00:09:00', 'corp', '02000000090000000000510107']] });
      case 'rrm_nr_set':
        this.sets.push([ifname, args.list]);
        return { stdout: '', stderr: '', exitCode: 0 };
      case 'rrm_beacon_req':
        this.beaconReqs.push(args);
        return { stdout: '', stderr: '', exitCode: 0 };
      default:
        return { stdout: '', stderr: 'Command failed: Method not found', exitCode: 253 };
    }
  }
  stream(): { stop(): void } {
    return { stop() {} };
  }
}

const report = (ap: number, dbm: number, b = bssid(ap)): Extract<ApEvent, { type: 'beacon-report' }> => ({
  type: 'beacon-report',
  ifname: 'wlan0',
  staMac: STA,
  token: 7,
  reportMode: 0,
  body: reportBody({ bssid: b, rcpi: (dbm + 110) * 2, opClass: 81, channel: 1 + ap }),
});

describe('RF-neighbour service (wired to stand-in APs)', () => {
  let running: RunningNeighbors | null = null;
  afterEach(() => running?.stop());

  const setup = (
    o: { store?: MemoryNeighborStore; config?: object; pinned?: Map<string, string[]>; evidence?: RfEvidenceChannel } = {},
  ) => {
    const clock = fakeClock();
    const shell = new FakeUbusShell();
    const aps = [new FakeHostapd(1), new FakeHostapd(2), new UbusDriver({ transport: shell as unknown as SshTransport })] as const;
    const config = neighborsSchema.parse({ neighborReports: { minIntervalS: 60 }, ...o.config });
    const changes: [string, string[]][] = [];
    running = startNeighbors(
      { config, pinned: o.pinned ?? new Map(), ssid: 'corp' },
      {
        topology,
        controls: new Map(aps.map((c, i) => [`ap${i + 1}`, c])),
        store: o.store ?? new MemoryNeighborStore(),
        log: silentLog,
        onListChanged: (ap, list) => changes.push([ap, list]),
        now: clock.now,
        ...(o.evidence ? { evidence: o.evidence } : {}),
      },
    );
    return { clock, aps, shell, changes, r: running };
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  /** First tick reads every AP's neighbour database, the second pushes the lists. */
  const warm = async (r: RunningNeighbors) => {
    for (let i = 0; i < 2; i++) await r.tick(), await settle();
  };

  it('asks a joined station for a table-mode beacon report, learns neighbours, and pushes 802.11k lists with the MD bit', async () => {
    const {
      clock,
      aps: [ap1],
      changes,
      r,
    } = setup();
    await warm(r); // initial push: ap1's wlan0 lists its sibling wlan1
    r.onApEvent('ap1', { type: 'sta-connected', ifname: 'wlan0', staMac: STA });
    clock.advance(5000);
    await r.tick();
    expect(ap1.log).toContain(`wlan0: REQ_BEACON ${STA} 51000000000002ffffffffffff020100`);
    for (let i = 0; i < 3; i++)
      for (const ev of [report(2, -60), report(3, -70), report(1, -40, bssid(1, 1)), report(9, -50, '02:00:00:00:09:00')])
        r.onApEvent('ap1', ev);
    r.onApEvent('ap1', { ...report(2, -60), body: Buffer.alloc(20) }); // malformed
    expect(r.service.stats).toMatchObject({ reports: 12, foreign: 3, self: 3, rejected: { truncated: 1 } });
    clock.advance(60_000);
    await r.tick();
    await settle();
    expect(r.graph.neighborsOf('ap1')).toEqual(['ap2', 'ap3']);
    expect(changes).toContainEqual(['ap1', ['ap2', 'ap3']]);
    const set = ap1.log.filter((l) => l.startsWith('wlan0: SET_NEIGHBOR'));
    expect(set.map((l) => l.split(' ')[2])).toEqual([bssid(1, 1), bssid(2), bssid(3)]);
    // hostapd's own entry for ap2 had info 0x9ef; the pushed one has b10 (Mobility Domain) set.
    const nr = decodeNeighborReport(Buffer.from(set[1]!.split('nr=')[1]!, 'hex'));
    expect(nr).toMatchObject({ bssid: bssid(2), info: 0xdef, opClass: 81, channel: 3, phyType: 7 });
    // ap3 is on ubus: its own entry came from rrm_nr_get_own.
    expect(decodeNeighborReport(Buffer.from(set[2]!.split('nr=')[1]!, 'hex')).channel).toBe(4);
    // A later list without ap3 removes it from the AP's database.
    r.graph.setOverrides(new Map(), new Map([['ap1', ['ap3']]]));
    clock.advance(60_000);
    await r.tick();
    await settle();
    expect(ap1.log.filter((l) => l.includes('REMOVE_NEIGHBOR'))).toEqual([
      `wlan0: REMOVE_NEIGHBOR ${bssid(3)} ssid=636f7270`,
      `wlan1: REMOVE_NEIGHBOR ${bssid(3)} ssid=636f7270`,
    ]);
  });

  it('in cluster standby asks the APs nothing, yet learns from what it hears; taking over, it reads and pushes', async () => {
    const {
      clock,
      aps: [ap1, ap2],
      shell,
      r,
    } = setup();
    r.service.standby();
    r.onApEvent('ap1', { type: 'sta-connected', ifname: 'wlan0', staMac: STA });
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      await r.tick();
      await settle();
    }
    // The holder's beacon request was answered: every member's control channel hears the report.
    for (let i = 0; i < 3; i++) for (const ev of [report(2, -60), report(3, -70)]) r.onApEvent('ap1', ev);
    clock.advance(60_000);
    await r.tick();
    await settle();
    expect(r.graph.neighborsOf('ap1')).toEqual(['ap2', 'ap3']);
    expect([...ap1.log, ...ap2.log]).toEqual([]);
    expect([shell.sets, shell.beaconReqs]).toEqual([[], []]);

    r.service.activate();
    await warm(r);
    clock.advance(60_000);
    await r.tick();
    await settle();
    expect(ap1.log).toContain('wlan0: SHOW_NEIGHBOR');
    expect(ap1.log.some((l) => l.startsWith(`wlan0: SET_NEIGHBOR ${bssid(2)}`))).toBe(true);
    expect(ap1.log.some((l) => l.startsWith(`wlan0: REQ_BEACON ${STA}`))).toBe(true);
  });

  it('pushes at most once per minIntervalS per AP', async () => {
    const {
      clock,
      aps: [ap1],
      r,
    } = setup();
    await warm(r);
    const pushes = () => ap1.log.filter((l) => l.includes('SET_NEIGHBOR')).length;
    const before = pushes();
    for (let i = 0; i < 3; i++) r.graph.roam('ap1', 'ap2');
    clock.advance(30_000);
    await r.tick();
    await settle();
    expect(pushes()).toBe(before);
    clock.advance(30_000);
    await r.tick();
    await settle();
    expect(pushes()).toBe(before + 2); // wlan0 and wlan1 each get ap2
  });

  it('starts at most maxPerTick database reads and pushes per tick, and re-reads an AP whose channel came back', async () => {
    const {
      aps: [ap1, ap2],
      r,
    } = setup({ config: { neighborReports: { minIntervalS: 60, maxPerTick: 1 } } });
    const reads = (ap: FakeHostapd) => ap.log.filter((l) => l.endsWith('SHOW_NEIGHBOR')).length;
    await r.tick();
    await settle();
    expect([reads(ap1), reads(ap2)]).toEqual([2, 0]); // ap1's two BSSes, nobody else yet
    await r.tick();
    await settle();
    await r.tick();
    await settle();
    expect(reads(ap2)).toBe(1); // ap2 has one BSS
    r.onApEvent('ap2', { type: 'transport', up: true }); // hostapd may have restarted: its DB is unknown
    for (let i = 0; i < 4; i++) await r.tick(), await settle();
    expect(reads(ap2)).toBe(2);
  });

  it('turns a FAIL into "not capable" only for an associated station', async () => {
    const {
      clock,
      aps: [ap1, ap2],
      r,
    } = setup();
    ap1.incapable.add(STA);
    r.onApEvent('ap1', { type: 'sta-connected', ifname: 'wlan0', staMac: STA });
    clock.advance(5000);
    await r.tick();
    expect(r.service.stats.requests).toMatchObject({ rejected: 1 });
    expect(r.service.scheduler.isIncapable(STA, clock.now())).toBe(true);
    const other = '02:00:00:00:00:42';
    r.onApEvent('ap2', { type: 'sta-connected', ifname: 'wlan0', staMac: other }); // ap2 never saw it associate
    clock.advance(5000);
    await r.tick();
    expect(ap2.log).toContain(`wlan0: STA ${other}`);
    expect(r.service.stats.requests).toMatchObject({ gone: 1 });
    expect(r.service.scheduler.isIncapable(other, clock.now())).toBe(false);
  });

  it('counts a roam once, whichever source saw it first, strongly; a late reconnect elsewhere is no roam', async () => {
    const { clock, r } = setup();
    // Where the station is comes from StationLife, fed as kmsd feeds it; the service subscribes.
    const tmp = tempDir();
    const core = kmsCore(tmp.dir, randomBytes(32), { places: topologyPlaces(topology), now: clock.now });
    core.life.subscribe(r.service);
    const ap = (name: string, type: 'sta-connected' | 'sta-disconnected') => {
      const ev: ApEvent = { type, ifname: 'wlan0', staMac: STA };
      r.onApEvent(name, ev);
      return core.life.onApEvent(name, ev);
    };
    try {
      await core.accept({
        staMac: STA,
        clientAddress: '10.0.0.1',
        nasIdentifier: 'ap1',
        bssid: bssid(1),
        ssid: 'corp',
        mdid: null,
        akm: 0x000fac01,
        pairwiseCipher: 0x000fac04,
        userName: 'alice',
        cui: null,
        classes: [],
        vlan: null,
        filterId: null,
        arubaUserRole: null,
        sessionTimeout: null,
        acctSessionId: null,
        msk: Buffer.alloc(64, 7),
      });
      await ap('ap1', 'sta-connected');
      clock.advance(600_000);
      await ap('ap2', 'sta-connected'); // still at ap1 (no disconnect yet): a roam
      await ap('ap1', 'sta-disconnected'); // late, ignored
      // The same roam seen on the air, and by accounting: no second move.
      await core.life.onRoam({ sta: STA, fromBssid: bssid(1), toBssid: bssid(2), method: 'ft-over-air', endTs: clock.now() } as RoamEvent);
      await core.life.onRoam({ sta: STA, fromBssid: bssid(2), toBssid: bssid(3), method: 'failed', endTs: clock.now() } as RoamEvent);
      await core.life.onAccounting({
        status: 'start',
        staMac: STA,
        clientAddress: '10.0.0.2',
        nasIdentifier: 'ap2',
        bssid: bssid(2),
        acctSessionId: 's',
      });
      expect(r.service.stats.roams).toBe(1);
      expect(r.graph.neighborsOf('ap1')).toEqual(['ap2']); // one roam and no report: listed
      await ap('ap2', 'sta-disconnected');
      clock.advance(60_000); // reconnecting a minute later somewhere else is a move, not a roam
      await ap('ap3', 'sta-connected');
      expect(core.stations.get(STA)!.currentAp).toMatchObject({ bssid: bssid(3), nasIdentifier: 'ap3' });
      expect(r.graph.neighborsOf('ap2')).toEqual([]);
    } finally {
      core.close();
      tmp.cleanup();
    }
  });

  it("in a cluster, publishes the roams and beacons it saw and applies the other members', counting what both saw once", () => {
    // The channel is a stand-in for the etcd relay (test/integration/rf-evidence-relay.test.ts runs that one).
    const published: RfEvidence[] = [];
    let fromOthers: (e: RfEvidence) => void = () => {};
    const { clock, r } = setup({ evidence: { publish: (e) => published.push(e), subscribe: (apply) => void (fromOthers = apply) } });
    r.onBeacon('ap2', bssid(3), -65, 2437);
    r.onBeacon('ap2', bssid(3), -65, 2437); // inside radioSampleS: not counted, not published
    expect(published).toEqual([{ kind: 'beacon', ap: 'ap2', bssid: bssid(3), dbm: -65, at: clock.now() }]);
    // Another member's monitor at ap1 heard ap3; another member's capture saw a roam ap1 → ap2.
    fromOthers({ kind: 'beacon', ap: 'ap1', bssid: bssid(3), dbm: -70, at: clock.now() - 1000 });
    fromOthers({ kind: 'roam', sta: STA, from: 'ap1', to: 'ap2', at: clock.now() - 500 });
    fromOthers({ kind: 'roam', sta: STA, from: 'ap1', to: 'ap2', at: clock.now() }); // the same roam told twice
    fromOthers({ kind: 'roam', sta: STA, from: 'ap1', to: 'ap9', at: clock.now() }); // an AP this member does not know
    expect(r.service.stats).toMatchObject({ relayed: 2, roams: 1, beacons: 2 });
    expect(published).toHaveLength(1); // what came from the others is not sent back
    expect(r.graph.neighborsOf('ap1')).toEqual(['ap2']);
    expect(
      r.graph
        .edges(clock.now(), 'ap1')
        .map((e) => e.to)
        .sort(),
    ).toEqual(['ap2', 'ap3']);
  });

  it('takes beacons heard by an AP radio at a sampled rate, with channel facts', () => {
    const { clock, r } = setup();
    for (let i = 0; i < 100; i++) r.onBeacon('ap2', bssid(3), -65, 2437), clock.advance(1000);
    expect(r.service.stats.beacons).toBe(10); // one per radioSampleS (10 s)
    const edge = r.graph.edges(clock.now(), 'ap2')[0]!;
    expect(edge).toMatchObject({ to: 'ap3', signalDbm: -65, observations: 10 });
    expect(edge.weight).toBeCloseTo(5, 2); // 10 × radioWeight 0.5, barely decayed
    expect(r.service.nr.servingClass(bssid(3))).toBe(81);
  });

  it('uses rrm_nr_set and rrm_beacon_req on an OpenWrt AP', async () => {
    const { clock, shell: ap3, r } = setup({ pinned: new Map([['ap3', ['ap1']]]) });
    await warm(r);
    expect(ap3.sets).toHaveLength(1);
    const [ifname, list] = ap3.sets[0]!;
    expect(ifname).toBe('wlan0');
    expect(list.map(([b, s]) => [b, s])).toEqual([
      [bssid(1), 'corp'],
      [bssid(1, 1), 'corp'],
    ]);
    expect(decodeNeighborReport(Buffer.from(list[0]![2], 'hex')).info & 0x400).toBe(0x400);
    r.onApEvent('ap3', { type: 'sta-connected', ifname: 'wlan0', staMac: STA });
    clock.advance(5000);
    await r.tick();
    expect(ap3.beaconReqs).toEqual([{ addr: STA, mode: 2, op_class: 81, channel: 0, duration: 0 }]);
  });

  it('persists the graph and restores it after a restart; forgets APs no longer configured', async () => {
    const store = new MemoryNeighborStore();
    const first = setup({ store });
    for (let i = 0; i < 3; i++) first.r.onApEvent('ap1', report(2, -60));
    first.r.onApEvent('ap1', report(3, -70));
    store.saveEdges([
      {
        from: 'ap1',
        to: 'gone',
        weight: 5,
        signalDbm: -50,
        roams: 0,
        updatedAt: first.clock.now(),
        lastSeen: first.clock.now(),
        observations: 5,
        roamsTotal: 0,
      },
    ]);
    first.r.stop();
    running = null;
    expect(store.rows.size).toBe(3);
    const second = setup({ store });
    expect(second.r.graph.neighborsOf('ap1')).toEqual(['ap2']);
    expect(
      second.r.graph
        .edges(second.clock.now(), 'ap1')
        .map((e) => e.to)
        .sort(),
    ).toEqual(['ap2', 'ap3']);
    expect(store.rows.size).toBe(2);
  });

  it('validates the config section and cross-checks forbid lists', () => {
    const c = neighborsSchema.parse({});
    expect(c).toMatchObject({
      topK: 8,
      floorDbm: -80,
      hysteresisDb: 2,
      halfLifeS: 86_400,
      beaconRequest: { enabled: true, mode: 'table', perStationMinIntervalS: 600 },
      neighborReports: { mobilityDomainBit: true },
    });
    expect(neighborsSchema.safeParse({ topK: 8, maxEdgesPerAp: 8 }).success).toBe(false);
    expect(neighborsSchema.safeParse({ bogus: 1 }).success).toBe(false);
    const issues = neighborsConfigIssues(neighborsSchema.parse({ forbid: { ap1: ['ap2', 'nope'], ghost: [] } }), [
      { name: 'ap1', neighbors: ['ap2'] },
      { name: 'ap2', neighbors: [] },
    ]);
    expect(issues.map((i) => i.message).sort()).toEqual([
      'ap2 is both a static neighbour of ap1 and forbidden',
      'no AP named ghost',
      'no AP named nope',
    ]);
    expect(issues).toHaveLength(3);
  });
});
