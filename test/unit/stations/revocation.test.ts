import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SqliteRecordStore } from '../../../adapters/store/sqlite-store.js';
import { StationTable } from '../../../daemon/records/station-table.js';
import { topologyPlaces } from '../../../daemon/stations/places.js';
import { Revocation, type KickResult } from '../../../daemon/stations/revocation.js';
import type { StationLifeEvent } from '../../../daemon/stations/events.js';
import { KeyDistributor } from '../../../daemon/distribution/distributor.js';
import { answerPull } from '../../../daemon/distribution/pull.js';
import { Topology, StaticNeighbors, type ApInfo } from '../../../daemon/distribution/topology.js';
import { silentLog } from '../../../daemon/log/log.js';
import type { ApDriver } from '../../../daemon/ports/ap-driver.js';
import type { DisconnectPlace, DisconnectResult, StationDisconnecter } from '../../../daemon/ports/station-disconnecter.js';
import type { AccessAcceptFacts, AccountingFacts } from '../../../daemon/records/facts.js';
import { AKM } from '../../../daemon/keys/index.js';
import { kmsCore, type KmsCore } from '../../helpers/kms-core.js';
import { tempDir } from '../store/fixtures.js';

// Revocation over the real store, StationLife and distributor, as kmsd connects them: what is
// marked, what is no longer placed, which APs are told, and what a later sign of the revoked
// session does. The two ports towards the APs are recording stand-ins here (the DAS sender is
// proven against a real hostapd in test/integration/kms-revoke.test.ts).

const MSK = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
const STA = '02:00:00:00:01:00';
const bssid = (n: number) => `02:00:00:00:0${n}:00`;

function ap(n: number, neighbours: string[] = []): ApInfo & { neighbours: string[] } {
  return {
    name: `ap${n}`,
    nasIdentifier: `ap${n}.example.com`,
    radiusAddress: `10.0.0.${n}`,
    bsses: [{ ap: `ap${n}`, ifname: 'wlan0', bssid: bssid(n), r1khId: bssid(n) }],
    neighbours,
  };
}

class RecordingDisconnecter implements StationDisconnecter {
  calls: { sta: string; at: DisconnectPlace }[] = [];
  /** APs with no DAS configured. */
  noDas = new Set<string>();
  async disconnect(sta: string, at: DisconnectPlace): Promise<DisconnectResult> {
    this.calls.push({ sta, at });
    return at.ap && this.noDas.has(at.ap) ? { result: 'no-das' } : { result: 'ack' };
  }
}

class RecordingControl implements ApDriver {
  connected = true;
  added: string[] = [];
  deauthenticated: string[] = [];
  async pmksaAdd(_ifname: string, req: { staMac: string }) {
    if (!this.connected) throw new Error('ssh: connection refused');
    this.added.push(req.staMac);
  }
  async disconnect(_ifname: string, req: { staMac: string }) {
    this.deauthenticated.push(req.staMac);
  }
  subscribe() {
    return () => undefined;
  }
  async startEvents() {}
  async close() {}
}

describe('revocation', () => {
  let tmp: ReturnType<typeof tempDir>;
  let core: KmsCore;
  let controls: Map<string, RecordingControl>;
  let das: RecordingDisconnecter;
  let distributor: KeyDistributor;
  let events: StationLifeEvent[];
  let kicks: KickResult[];
  let lines: string[];
  const masterKey = randomBytes(32);
  const aps = [ap(1, ['ap2', 'ap3']), ap(2, ['ap1']), ap(3, ['ap1']), ap(4)];
  const topology = new Topology(aps);
  const log = { info: (_o: object, m: string) => void lines.push(m), warn: (_o: object, m: string) => void lines.push(m) };

  const facts = (over: Partial<AccessAcceptFacts> = {}): AccessAcceptFacts => ({
    staMac: STA,
    clientAddress: '10.0.0.1',
    nasIdentifier: 'ap1.example.com',
    bssid: bssid(1),
    ssid: 'hostapd-kms',
    mdid: 'a1b2',
    akm: AKM.IEEE8021X,
    pairwiseCipher: 0x000fac04,
    userName: 'alice',
    cui: null,
    classes: [],
    vlan: null,
    filterId: null,
    arubaUserRole: null,
    sessionTimeout: 7200,
    acctSessionId: 'S1',
    msk: MSK,
    ...over,
  });
  const acct = (status: AccountingFacts['status'], n: number, terminateCause: string | null = null): AccountingFacts => ({
    status,
    staMac: STA,
    clientAddress: `10.0.0.${n}`,
    nasIdentifier: `ap${n}.example.com`,
    bssid: bssid(n),
    acctSessionId: 'S1',
    terminateCause,
  });

  beforeEach(() => {
    tmp = tempDir();
    events = [];
    kicks = [];
    lines = [];
    core = kmsCore(tmp.dir, masterKey, {
      policy: { defaultLifetimeS: 3600, machineAuthWindowS: 0 },
      places: topologyPlaces(topology),
      log,
      life: { revokeOnTerminateCause: new Set(['Admin-Reset']), revokedRetentionMs: 3_600_000 },
    });
    controls = new Map(aps.map((a) => [a.name, new RecordingControl()]));
    das = new RecordingDisconnecter();
    distributor = new KeyDistributor({
      topology,
      neighbors: new StaticNeighbors(new Map(aps.map((a) => [a.name, a.neighbours]))),
      pusher: null,
      rrbPeerFor: () => null,
      controlFor: (name) => controls.get(name) ?? null,
      stations: core.stations,
      ledger: core.store.placements,
      policy: {
        keyLifetimeS: 3600,
        repushMarginS: 300,
        ssid: 'hostapd-kms',
        mobilityDomain: 'a1b2',
        retry: { maxQueuedPerAp: 10, baseDelayMs: 10, maxDelayMs: 20 },
      },
      logger: silentLog,
    });
    core.life.subscribe(distributor);
    core.life.subscribe(
      new Revocation({
        disconnecter: das,
        placementsFor: (m) => distributor.placementsFor(m),
        topology,
        controlFor: (name) => controls.get(name) ?? null,
        log,
        observer: { kicked: (r) => void kicks.push(r) },
      }),
    );
    core.life.subscribe({ onStationLife: (e) => void events.push(e) });
  });
  afterEach(() => {
    distributor.stop();
    core.close();
    tmp.cleanup();
  });

  it('tells every AP holding an OKC entry and the AP where it authenticated; marks the record; places nothing more', async () => {
    controls.get('ap3')!.connected = false; // its placement waits in the retry queue
    await core.accept(facts());
    expect(controls.get('ap2')!.added).toEqual([STA]);
    expect(distributor.queued()).toEqual({ ap3: 1 });
    expect(await core.life.revoke(STA, 'stolen laptop', 'kmsctl')).toBe(true);
    // ap1: authenticated there; ap2: its PMKSA entry. ap3's entry never got there (queued): dropped, not told.
    expect(das.calls.map((c) => c.at.ap).sort()).toEqual(['ap1', 'ap2']);
    expect(kicks).toEqual(['ack', 'ack']);
    expect(lines).toContain('station revoked');
    expect(core.stations.get(STA)).toMatchObject({ session: 'ended', revoked: { reason: 'stolen laptop' } });
    // Its retry is dropped and nothing is placed again, whatever announces it.
    controls.get('ap3')!.connected = true;
    distributor.onApEvent('ap3', { type: 'transport', up: true });
    await distributor.onStationLife({ type: 'learned', record: core.stations.get(STA)!, news: 'same' });
    expect(controls.get('ap3')!.added).toEqual([]);
    expect(controls.get('ap2')!.added).toEqual([STA]);
    expect(distributor.queued()).toEqual({ ap3: 0 });
  });

  it('the mark survives a restart', async () => {
    await core.accept(facts());
    await core.life.revoke(STA, 'audit me', 'api');
    core.stations.flush();
    const again = new SqliteRecordStore(join(tmp.dir, 'kms.sqlite'), masterKey);
    try {
      const table = new StationTable(again);
      expect(table.get(STA)).toMatchObject({ revoked: { reason: 'audit me', at: expect.any(Number) } });
    } finally {
      again.close();
    }
  });

  it('a sign of the revoked session at any AP gets that AP a Disconnect at once, and places nothing', async () => {
    await core.accept(facts());
    await core.life.revoke(STA, 'operator', 'api');
    das.calls = [];
    await core.life.onAccounting(acct('start', 3));
    await core.life.onAccounting(acct('interim', 3));
    await core.life.onApEvent('ap2', { type: 'sta-connected', ifname: 'wlan0', staMac: STA });
    await core.life.onRoam({ sta: STA, fromBssid: bssid(2), toBssid: bssid(4), method: 'ft-over-air', endTs: Date.now() } as never);
    expect(das.calls.map((c) => c.at.ap)).toEqual(['ap3', 'ap3', 'ap2', 'ap4']);
    expect(events.filter((e) => e.type === 'revoked-seen').map((e) => e.type === 'revoked-seen' && e.via)).toEqual([
      'accounting',
      'accounting',
      'ap-event',
      'capture',
    ]);
    expect(lines.filter((l) => l === 'revoked station seen at AP; disconnecting')).toHaveLength(4);
    // Not placed there, no session reopened, nothing primed.
    expect(core.stations.get(STA)).toMatchObject({ session: 'ended', revoked: { reason: 'operator' } });
    expect(events.some((e) => e.type === 'moved')).toBe(false);
    expect(controls.get('ap1')!.added).toEqual([]);
  });

  it('an AP without a DAS is told through its control channel (its PMKSA entry may remain)', async () => {
    await core.accept(facts());
    das.noDas.add('ap2');
    await core.life.revoke(STA, 'operator', 'api');
    expect(controls.get('ap2')!.deauthenticated).toEqual([STA]);
    expect(kicks.sort()).toEqual(['ack', 'ack', 'driver']); // ap1, ap3 by DAS; ap2 by its channel
    expect(lines).toContain(
      'revocation: the AP has no DAS; deauthenticated through its control channel, its PMKSA entry may remain until it expires',
    );
  });

  it('an AP without a DAS whose control channel is down is reported unreachable at once, not waited for', async () => {
    await core.accept(facts());
    das.noDas.add('ap2');
    controls.get('ap2')!.connected = false;
    await core.life.revoke(STA, 'operator', 'api');
    expect(controls.get('ap2')!.deauthenticated).toEqual([]);
    expect(kicks.sort()).toEqual(['ack', 'ack', 'unreachable']);
    expect(lines).toContain(
      'revocation: the AP has no DAS and its control channel is down; its keys for the station stay until they expire',
    );
  });

  it('an Accounting-Stop with a configured cause revokes; another cause only ends the session', async () => {
    await core.accept(facts());
    await core.life.onAccounting(acct('stop', 1, 'User-Request'));
    expect(core.stations.get(STA)!.revoked).toBeUndefined();
    await core.accept(facts());
    await core.life.onAccounting(acct('stop', 1, 'Admin-Reset'));
    expect(events.filter((e) => e.type === 'revoked')).toMatchObject([
      { trigger: 'accounting', reason: 'Accounting-Stop with Acct-Terminate-Cause Admin-Reset' },
    ]);
    expect(core.stations.get(STA)!.revoked).toBeDefined();
  });

  it('a fresh full authentication makes a new, unrevoked record, placed again', async () => {
    await core.accept(facts());
    await core.life.revoke(STA, 'operator', 'api');
    const added = controls.get('ap2')!.added.length;
    await core.accept(facts({ msk: Buffer.alloc(64, 7) }));
    expect(core.stations.get(STA)!.revoked).toBeUndefined();
    expect(core.stations.get(STA)!.session).not.toBe('ended');
    expect(controls.get('ap2')!.added.length).toBe(added + 1);
  });

  it('a PULL for a revoked station is NAKed with the reason', async () => {
    await core.accept(facts({ akm: AKM.FT_IEEE8021X, mdid: 'a1b2' }));
    await core.life.revoke(STA, 'stolen laptop', 'kmsctl');
    const record = core.stations.get(STA)!;
    const keys = core.stations.keysFor(STA)!;
    const req = {
      fromMac: bssid(2),
      r0khId: 'ap1.example.com',
      r1khId: bssid(2),
      staMac: STA,
      pmkR0Name: Buffer.from(record.pmkR0Name!, 'hex'),
    };
    const policy = { keyLifetimeS: 3600, ssid: 'hostapd-kms', mobilityDomain: 'a1b2' };
    expect(answerPull(req, { station: { record, keys }, bss: topology.bssByR1khId(bssid(2)), policy, now: Date.now() })).toEqual({
      ok: false,
      why: 'the station was revoked: stolen laptop',
    });
    // The same PULL before the revocation is answered (the NAK is the revocation's).
    const { revoked: _, ...unrevoked } = record;
    expect(
      answerPull(req, {
        station: { record: { ...unrevoked, session: 'active' }, keys },
        bss: topology.bssByR1khId(bssid(2)),
        policy,
        now: Date.now(),
      }).ok,
    ).toBe(true);
  });
});
