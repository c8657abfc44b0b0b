import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { SqliteRecordStore } from '../../../adapters/store/sqlite-store.js';
import type { StationTable } from '../../../daemon/records/station-table.js';
import type { StationRecord } from '../../../daemon/records/station.js';
import { topologyPlaces } from '../../../daemon/stations/places.js';
import { kmsCore, type KmsCore } from '../../helpers/kms-core.js';
import { KeyDistributor } from '../../../daemon/distribution/distributor.js';
import { answerPull } from '../../../daemon/distribution/pull.js';
import { Topology, StaticNeighbors, type ApInfo } from '../../../daemon/distribution/topology.js';
import type { ApDriver } from '../../../daemon/ports/ap-driver.js';
import type { PmkR1Entry, PmkR1Pusher, RrbPeer } from '../../../daemon/ports/pmk-r1-transport.js';
import type { AccessAcceptFacts } from '../../../daemon/records/facts.js';
import { silentLog, type Log } from '../../../daemon/log/log.js';
import { AKM, derivePmkR0, derivePmkR1, derivePmkR1Name, derivePmkid } from '../../../daemon/keys/index.js';
import { macToBytes } from '../../../daemon/common/mac.js';
import { tempDir } from '../store/fixtures.js';

// The distributor's decisions over the real store and station table, fed as kmsd feeds it: each
// Access-Accept committed by the recorder and announced by StationLife, to which the distributor
// subscribes (kmsCore). The two ports (R0KH-R1KH
// pusher, AP control) are recording stand-ins here: these tests are about what is placed where
// and when; the real transports are proven in their own tests and in the lab.

const MSK = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
const STA = '02:00:00:00:01:00';

function ap(n: number, neighbours: string[] = []): ApInfo & { neighbours: string[] } {
  const mac = (x: number) => `02:00:00:00:0${n}:0${x}`;
  return {
    name: `ap${n}`,
    nasIdentifier: `ap${n}.example.com`,
    radiusAddress: `10.0.0.${n}`,
    bsses: [{ ap: `ap${n}`, ifname: 'wlan0', bssid: mac(0), r1khId: mac(0) }],
    neighbours,
  };
}

class RecordingPusher implements PmkR1Pusher {
  pushes: { peer: RrbPeer; entry: PmkR1Entry }[] = [];
  async push(peer: RrbPeer, entry: PmkR1Entry) {
    this.pushes.push({ peer, entry });
    return { ok: true as const };
  }
}

class SwitchableControl implements ApDriver {
  connected = true;
  added: { ifname: string; staMac: string; pmkid: string }[] = [];
  /** What the AP would store besides the PMKID: the PMK and the key_mgmt bit. */
  stored: { pmk: Buffer; akmp: number }[] = [];
  /** What its PMKSA listing shows: what was added, nothing (an AP that lost it), or no listing at all. */
  listing: 'added' | 'empty' | 'none' = 'added';
  async pmksaAdd(ifname: string, req: { staMac: string; pmkid: Buffer; pmk: Buffer; akmp: number }) {
    if (!this.connected) throw new Error('ssh: connection refused');
    this.added.push({ ifname, staMac: req.staMac, pmkid: req.pmkid.toString('hex') });
    this.stored.push({ pmk: req.pmk, akmp: req.akmp });
  }
  pmksaList?: (ifname: string) => Promise<{ staMac: string; pmkid: string }[]> = async (ifname) =>
    this.listing === 'added'
      ? this.added.filter((a) => a.ifname === ifname).map(({ staMac, pmkid }) => ({ staMac: staMac.toUpperCase(), pmkid }))
      : [];
  subscribe() {
    return () => undefined;
  }
  async startEvents() {}
  async close() {}
}

describe('KeyDistributor', () => {
  let tmp: ReturnType<typeof tempDir>;
  let core: KmsCore;
  let store: SqliteRecordStore;
  let table: StationTable;
  let pusher: RecordingPusher;
  let controls: Map<string, SwitchableControl>;
  const aps = [ap(1, ['ap2', 'ap3']), ap(2, ['ap1', 'ap4']), ap(3, ['ap1']), ap(4)];
  const topology = new Topology(aps);
  const key = randomBytes(32);

  /** A distributor subscribed to the station's life, as kmsd connects it. */
  const make = (logger: Log = silentLog) => {
    const d = build(logger);
    core.life.subscribe(d);
    return d;
  };
  /** Priming again without a new Accept: what StationLife would announce. */
  const learned = (d: KeyDistributor, record: StationRecord) => d.onStationLife({ type: 'learned', record, news: 'same' });
  const accept = (f: AccessAcceptFacts) => core.accept(f);
  const build = (logger: Log) =>
    new KeyDistributor({
      topology,
      neighbors: new StaticNeighbors(new Map(aps.map((a) => [a.name, a.neighbours]))),
      pusher,
      rrbPeerFor: (bss) => ({ mac: bss.bssid, r1khId: bss.r1khId, key: Buffer.alloc(32, 1) }),
      controlFor: (name) => controls.get(name) ?? null,
      stations: table,
      ledger: store.placements,
      policy: {
        keyLifetimeS: 3600,
        repushMarginS: 300,
        ssid: 'hostapd-kms',
        mobilityDomain: 'a1b2',
        retry: { maxQueuedPerAp: 10, baseDelayMs: 10_000, maxDelayMs: 60_000 },
      },
      logger,
    });
  const facts = (over: Partial<AccessAcceptFacts> = {}): AccessAcceptFacts => ({
    staMac: STA,
    clientAddress: '10.0.0.1',
    nasIdentifier: 'ap1.example.com',
    bssid: '02:00:00:00:01:00',
    ssid: 'hostapd-kms',
    mdid: 'a1b2',
    akm: AKM.FT_IEEE8021X,
    pairwiseCipher: 0x000fac04,
    userName: 'alice',
    cui: 'cui-1',
    classes: [],
    vlan: { untagged: 100, tagged: [] },
    filterId: null,
    arubaUserRole: null,
    sessionTimeout: 7200,
    acctSessionId: null,
    msk: MSK,
    ...over,
  });

  beforeEach(() => {
    tmp = tempDir();
    core = kmsCore(tmp.dir, key, { policy: { defaultLifetimeS: 3600, machineAuthWindowS: 0 }, places: topologyPlaces(topology) });
    store = core.store;
    table = core.stations;
    pusher = new RecordingPusher();
    controls = new Map(aps.map((a) => [a.name, new SwitchableControl()]));
  });
  afterEach(() => {
    core.close();
    tmp.cleanup();
  });

  it('pushes one PMK-R1 per neighbour BSS, with VLAN, identity, CUI and a chosen lifetime', async () => {
    const d = make();
    await accept(facts());
    expect(pusher.pushes.map((p) => p.peer.mac).sort()).toEqual(['02:00:00:00:02:00', '02:00:00:00:03:00']);
    const r0 = derivePmkR0({
      xxKey: MSK.subarray(32),
      ssid: Buffer.from('hostapd-kms'),
      mdid: Buffer.from('a1b2', 'hex'),
      r0khId: Buffer.from('ap1.example.com'),
      s0khId: macToBytes(STA),
    });
    for (const { peer, entry } of pusher.pushes) {
      expect(entry.pmkR1.equals(derivePmkR1(r0.pmkR0, macToBytes(peer.r1khId), macToBytes(STA)))).toBe(true);
      expect(entry).toMatchObject({
        r0khId: 'ap1.example.com',
        pairwise: 0x10,
        expiresInS: 3600,
        vlan: { untagged: 100 },
        identity: 'alice',
        cui: 'cui-1',
        sessionTimeoutS: 7200,
      });
    }
    // hostapd acknowledges no PUSH: all the KMS knows is that it sent it.
    expect(d.placementsFor(STA).every((p) => p.state === 'sent' && p.via === 'push')).toBe(true);
  });

  it("the PMK-R1 carries the station's own pairwise cipher (hostapd main rejects an FT authentication whose RSNE cipher differs)", async () => {
    make();
    await accept(facts({ pairwiseCipher: 0x000fac08 })); // WLAN-Pairwise-Cipher GCMP-128
    expect(pusher.pushes.length).toBeGreaterThan(0);
    for (const { entry } of pusher.pushes) expect(entry.pairwise).toBe(0x40); // hostapd's WPA_CIPHER_GCMP
  });

  it('never places the same key on the same BSS twice, also across a restart', async () => {
    make();
    await accept(facts());
    const again = build(silentLog);
    again.start();
    await learned(again, table.get(STA)!);
    expect(pusher.pushes).toHaveLength(2);
  });

  it('cluster pause: a station learned while standing by is primed on resume, one placed before is not placed again', async () => {
    const d = make();
    await accept(facts());
    expect(pusher.pushes).toHaveLength(2);
    d.standby(); // lease renewals came late: the member let go of the work
    const other = '02:00:00:00:01:0b';
    await accept(facts({ staMac: other }));
    expect(pusher.pushes).toHaveLength(2); // nothing placed while standing by
    expect(await d.resume()).toBe(1); // the claim was still ours
    expect(
      pusher.pushes
        .slice(2)
        .map((p) => p.peer.mac)
        .sort(),
    ).toEqual(['02:00:00:00:02:00', '02:00:00:00:03:00']);
    expect(d.placementsFor(other).map((p) => p.state)).toEqual(['sent', 'sent']);
    expect(d.placementsFor(STA)).toHaveLength(2);
    // A second pause with nothing learned in it primes nothing.
    d.standby();
    expect(await d.resume()).toBe(0);
    expect(pusher.pushes).toHaveLength(4);
  });

  it('overlapping primings of one station (Accept, then AP-STA-CONNECTED) place each key once', async () => {
    await accept(facts());
    const d = make();
    const rec = table.get(STA)!;
    await Promise.all([
      learned(d, rec),
      learned(d, rec),
      core.life.onApEvent('ap1', { type: 'sta-connected', ifname: 'wlan0', staMac: STA }),
    ]);
    expect(pusher.pushes).toHaveLength(2);
  });

  it("a roam primes the new AP's neighbours", async () => {
    make();
    await accept(facts());
    await core.life.onAccounting({
      status: 'start',
      staMac: STA,
      clientAddress: '10.0.0.2',
      nasIdentifier: 'ap2.example.com',
      bssid: '02:00:00:00:02:00',
      acctSessionId: 's',
    });
    // ap2's neighbours are ap1 and ap4. ap4 gets a PMK-R1 now; ap1 never does: its own
    // nas_identifier is the R0KH-ID, hostapd would drop the PUSH, and it derives locally anyway.
    expect(pusher.pushes.map((p) => p.peer.mac).sort()).toEqual(['02:00:00:00:02:00', '02:00:00:00:03:00', '02:00:00:00:04:00']);
  });

  it("OKC: PMKSA_ADD with the target BSSID's PMKID; an unreachable AP catches up when it returns", async () => {
    const d = make();
    controls.get('ap3')!.connected = false;
    await accept(facts({ akm: AKM.IEEE8021X, vlan: null }));
    const pmk = MSK.subarray(0, 32);
    expect(controls.get('ap2')!.added).toEqual([
      {
        ifname: 'wlan0',
        staMac: STA,
        pmkid: derivePmkid(pmk, macToBytes('02:00:00:00:02:00'), macToBytes(STA), AKM.IEEE8021X).toString('hex'),
      },
    ]);
    expect(d.queued()).toEqual({ ap3: 1 });
    expect(d.placementsFor(STA).find((p) => p.ap === 'ap3')).toMatchObject({ state: 'queued', lastError: 'AP control not connected' });
    controls.get('ap3')!.connected = true;
    d.onApEvent('ap3', { type: 'transport', up: true });
    await expect.poll(() => controls.get('ap3')!.added.length).toBe(1);
    // PMKSA_ADD said OK and the BSS's PMKSA listing shows the station with that PMKID.
    await expect.poll(() => d.placementsFor(STA).find((p) => p.ap === 'ap3')?.state).toBe('confirmed');
    expect(d.placementsFor(STA).find((p) => p.ap === 'ap2')).toMatchObject({ state: 'confirmed', lastError: null });
    expect(d.queued()).toEqual({ ap3: 0 });
  });

  it('OKC: "added" when the channel cannot list the PMKSA cache, or the list lacks the entry', async () => {
    controls.get('ap2')!.pmksaList = undefined;
    controls.get('ap3')!.listing = 'empty';
    const d = make();
    await accept(facts({ akm: AKM.IEEE8021X, vlan: null }));
    expect(d.placementsFor(STA).find((p) => p.ap === 'ap2')).toMatchObject({ state: 'added', lastError: null });
    expect(d.placementsFor(STA).find((p) => p.ap === 'ap3')).toMatchObject({
      state: 'added',
      lastError: expect.stringMatching(/PMKSA list does not show this station/),
    });
  });

  it('answers a PULL for a known station, NAKs what it cannot vouch for, and the ledger keeps the answer', async () => {
    await accept(facts());
    const d = build(silentLog);
    const rec = table.get(STA)!;
    const station = { record: rec, keys: table.keysFor(STA)! };
    const policy = { keyLifetimeS: 3600, ssid: 'hostapd-kms', mobilityDomain: 'a1b2' };
    const req = {
      fromMac: '02:00:00:00:04:00',
      r0khId: 'ap1.example.com',
      r1khId: '02:00:00:00:04:00',
      staMac: STA,
      pmkR0Name: Buffer.from(rec.pmkR0Name!, 'hex'),
    };
    const ask = (r: typeof req, ctx: Partial<Parameters<typeof answerPull>[1]> = {}) =>
      answerPull(r, { station, bss: topology.bssByR1khId(r.r1khId), policy, now: Date.now(), ...ctx });
    const answer = ask(req);
    if (!answer.ok) throw new Error(answer.why);
    expect(answer.entry.r1khId).toBe('02:00:00:00:04:00');
    expect(answer.entry.pmkR1).toEqual(derivePmkR1(station.keys.pmkR0!, macToBytes('02:00:00:00:04:00'), macToBytes(STA)));
    d.onPull({ staMac: STA, r1khId: req.r1khId, fromMac: req.fromMac, placement: answer.placement, why: null });
    expect(d.placementsFor(STA)).toMatchObject([{ ap: 'ap4', via: 'pull', state: 'sent' }]);
    expect(store.placements.loadPlacements(Date.now())).toMatchObject([{ ap: 'ap4', via: 'pull' }]);
    expect(ask({ ...req, pmkR0Name: Buffer.alloc(16) })).toEqual({ ok: false, why: 'PMKR0Name does not match the current key' });
    expect(ask({ ...req, r1khId: '02:00:00:00:09:09' })).toEqual({ ok: false, why: 'unknown R1KH-ID' });
    expect(ask({ ...req, r0khId: 'ap2.example.com' })).toEqual({ ok: false, why: 'R0KH-ID is not where the station authenticated' });
    expect(ask(req, { station: null })).toEqual({ ok: false, why: 'no PMK-R0 for this station' });
    expect(ask(req, { now: rec.expiresAt })).toEqual({ ok: false, why: "the station's record has expired" });
  });

  it('a session end stops re-placement and marks the placed keys withdrawn', async () => {
    const d = make();
    await accept(facts());
    await core.life.onAccounting({
      status: 'stop',
      staMac: STA,
      clientAddress: '10.0.0.1',
      nasIdentifier: 'ap1.example.com',
      bssid: '02:00:00:00:01:00',
      acctSessionId: 's',
    });
    expect(d.placementsFor(STA).map((p) => p.state)).toEqual(['withdrawn', 'withdrawn']);
    expect(store.placements.loadPlacements(Date.now()).map((p) => p.state)).toEqual(['withdrawn', 'withdrawn']);
  });

  it('a revocation ends re-placement like a session end', async () => {
    const d = make();
    await accept(facts());
    await core.life.revoke(STA, 'test', 'api');
    expect(d.placementsFor(STA).map((p) => p.state)).toEqual(['withdrawn', 'withdrawn']);
  });

  it('a roam seen by several sources primes once: the AP event, then the capture and accounting saying the same', async () => {
    make();
    await accept(facts());
    await core.life.onApEvent('ap2', { type: 'sta-connected', ifname: 'wlan0', staMac: STA });
    const pushed = pusher.pushes.length;
    expect(pusher.pushes.map((p) => p.peer.mac)).toContain('02:00:00:00:04:00');
    await core.life.onRoam({
      sta: STA,
      fromBssid: '02:00:00:00:01:00',
      toBssid: '02:00:00:00:02:00',
      method: 'ft-over-air',
      endTs: Date.now(),
    } as never);
    await core.life.onAccounting({
      status: 'start',
      staMac: STA,
      clientAddress: '10.0.0.2',
      nasIdentifier: 'ap2.example.com',
      bssid: '02:00:00:00:02:00',
      acctSessionId: 's',
    });
    expect(pusher.pushes).toHaveLength(pushed);
  });

  it('skips stations of another SSID and says why', async () => {
    const lines: string[] = [];
    make({ ...silentLog, info: (_o: object, m: string) => void lines.push(m) });
    await accept(facts({ ssid: 'guest' }));
    expect(pusher.pushes).toHaveLength(0);
    expect(lines.join('\n')).toMatch(/SSID guest is not the mobility domain's/);
  });

  // WPA3-Enterprise: the AKM decides the key lengths, hashes and the PMKSA_ADD key_mgmt bit.
  it('FT-EAP-SHA384 (192-bit mode): 48-octet PMK-R1s named with SHA-384, GCMP-256 pairwise', async () => {
    make();
    await accept(facts({ akm: AKM.FT_IEEE8021X_SHA384, pairwiseCipher: 0x000fac09 }));
    const r0 = derivePmkR0({
      xxKey: MSK.subarray(0, 48),
      ssid: Buffer.from('hostapd-kms'),
      mdid: Buffer.from('a1b2', 'hex'),
      r0khId: Buffer.from('ap1.example.com'),
      s0khId: macToBytes(STA),
    });
    expect(pusher.pushes).toHaveLength(2);
    for (const { peer, entry } of pusher.pushes) {
      const r1kh = macToBytes(peer.r1khId);
      expect(entry.pmkR1).toHaveLength(48);
      expect(entry.pmkR1.equals(derivePmkR1(r0.pmkR0, r1kh, macToBytes(STA)))).toBe(true);
      expect(entry.pmkR1Name.equals(derivePmkR1Name(r0.pmkR0Name, r1kh, macToBytes(STA), 'sha384'))).toBe(true);
      expect(entry.pmkR0Name.equals(r0.pmkR0Name)).toBe(true);
      expect(entry.pairwise).toBe(0x100);
    }
  });

  it('WPA-EAP-SHA256 (WPA3-Enterprise OKC): SHA-256 PMKID per target, MSK[0..31], key_mgmt 128', async () => {
    make();
    await accept(facts({ akm: AKM.IEEE8021X_SHA256, vlan: null, mdid: null }));
    const pmk = MSK.subarray(0, 32);
    expect(controls.get('ap2')!.added).toEqual([
      {
        ifname: 'wlan0',
        staMac: STA,
        pmkid: derivePmkid(pmk, macToBytes('02:00:00:00:02:00'), macToBytes(STA), AKM.IEEE8021X_SHA256).toString('hex'),
      },
    ]);
    expect(controls.get('ap2')!.added[0]!.pmkid).not.toBe(
      derivePmkid(pmk, macToBytes('02:00:00:00:02:00'), macToBytes(STA), AKM.IEEE8021X).toString('hex'),
    );
    expect(controls.get('ap2')!.stored).toHaveLength(1);
    expect(controls.get('ap2')!.stored[0]!.pmk.equals(pmk)).toBe(true);
    expect(controls.get('ap2')!.stored[0]!.akmp).toBe(128);
    expect(pusher.pushes).toHaveLength(0);
  });

  it('WPA-EAP-SUITE-B-192 without FT: no OKC (the PMKID needs the KCK), and the log says why', async () => {
    const lines: string[] = [];
    const d = make({ ...silentLog, info: (_o: object, m: string) => void lines.push(m) });
    await accept(facts({ akm: AKM.IEEE8021X_SUITE_B_192, pairwiseCipher: 0x000fac09, vlan: null }));
    expect([...controls.values()].every((c) => c.added.length === 0)).toBe(true);
    expect(d.placementsFor(STA)).toEqual([]);
    expect(lines.join('\n')).toMatch(/no OKC for WPA-EAP-SUITE-B-192: its PMKID comes from the AP's KCK/);
  });
});
