import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Topology } from '../../../daemon/distribution/topology.js';
import type { AccessAcceptFacts, AccountingFacts } from '../../../daemon/records/facts.js';
import type { RoamEvent } from '../../../daemon/roams/roam-event.js';
import type { StationLifeEvent } from '../../../daemon/stations/events.js';
import { topologyPlaces } from '../../../daemon/stations/places.js';
import { AKM } from '../../../daemon/keys/index.js';
import { kmsCore, type KmsCore } from '../../helpers/kms-core.js';
import { tempDir } from '../store/fixtures.js';

// StationLife over the real store, fed as kmsd feeds it (kmsCore): every source of news about a
// station, and what its subscribers hear: learned once per Accept, moved once per real move
// whichever source saw it first, ended once, revoked. No event carries bytes.

const STA = '02:00:00:00:01:00';
const bssid = (ap: number) => `02:00:00:00:0${ap}:00`;
const topology = new Topology(
  [1, 2, 3].map((n) => ({
    name: `ap${n}`,
    nasIdentifier: `ap${n}.example.com`,
    radiusAddress: `10.0.0.${n}`,
    bsses: [{ ap: `ap${n}`, ifname: 'wlan0', bssid: bssid(n), r1khId: bssid(n) }],
  })),
);

const facts = (over: Partial<AccessAcceptFacts> = {}): AccessAcceptFacts => ({
  staMac: STA,
  clientAddress: '10.0.0.1',
  nasIdentifier: 'ap1.example.com',
  bssid: bssid(1),
  ssid: 'corp',
  mdid: 'a1b2',
  akm: AKM.FT_IEEE8021X,
  pairwiseCipher: 0x000fac04,
  userName: 'alice',
  cui: null,
  classes: [],
  vlan: { untagged: 10, tagged: [] },
  filterId: null,
  arubaUserRole: null,
  sessionTimeout: null,
  acctSessionId: null,
  msk: Buffer.alloc(64, 1),
  ...over,
});
const acct = (status: AccountingFacts['status'], ap: number): AccountingFacts => ({
  status,
  staMac: STA,
  clientAddress: `10.0.0.${ap}`,
  nasIdentifier: `ap${ap}.example.com`,
  bssid: bssid(ap),
  acctSessionId: 'S1',
});
const roam = (to: number, over: Partial<RoamEvent> = {}) =>
  ({ sta: STA, fromBssid: bssid(1), toBssid: bssid(to), method: 'ft-over-air', endTs: Date.now(), ...over }) as RoamEvent;
const ev = (type: 'sta-connected' | 'sta-disconnected') => ({ type, ifname: 'wlan0', staMac: STA });

/** True if any value in `v`, however deep, is bytes. */
function carriesBytes(v: unknown): boolean {
  if (v instanceof Uint8Array) return true;
  if (v === null || typeof v !== 'object') return false;
  return Object.values(v).some(carriesBytes);
}

describe('StationLife', () => {
  let tmp: ReturnType<typeof tempDir>;
  let core: KmsCore;
  let events: StationLifeEvent[];
  let lines: { msg: string; o: Record<string, unknown> }[];
  let counted: string[];
  const kinds = () => events.map((e) => (e.type === 'moved' ? `moved ${e.via} ${e.from.bssid}->${e.to.bssid}` : e.type));

  beforeEach(() => {
    tmp = tempDir();
    events = [];
    lines = [];
    counted = [];
    core = kmsCore(tmp.dir, randomBytes(32), {
      places: topologyPlaces(topology),
      log: { info: (o, msg) => void lines.push({ msg, o: o as Record<string, unknown> }) },
      // The metric as kmsd counts it: every Accept.
      observer: { learned: (k) => void counted.push(k) },
    });
    core.life.subscribe({ onStationLife: (e) => void events.push(e) });
  });
  afterEach(() => {
    core.close();
    tmp.cleanup();
  });

  it('learned once per Access-Accept; "station learned" is logged only for a new station or a changed record', async () => {
    await core.accept(facts());
    await core.accept(facts()); // a re-authentication: new keys, nothing new to read
    await core.accept(facts({ vlan: { untagged: 20, tagged: [] } }));
    await core.accept(facts({ vlan: { untagged: 20, tagged: [] } }));
    await core.accept(facts({ clientAddress: '10.0.0.2', nasIdentifier: 'ap2.example.com', bssid: bssid(2) }));
    expect(kinds()).toEqual(['learned', 'learned', 'learned', 'learned', 'learned']);
    expect(events.map((e) => (e.type === 'learned' ? e.news : null))).toEqual(['new', 'same', 'changed', 'same', 'changed']);
    const learned = lines.filter((l) => l.msg === 'station learned');
    expect(learned.map((l) => l.o.news)).toEqual(['new', 'changed', 'changed']);
    expect(learned[0]!.o).toMatchObject({ sta: STA, ap: 'ap1.example.com', bssid: bssid(1), akm: 'FT-EAP', vlan: { untagged: 10 } });
    expect(counted).toEqual(['pmk-r0', 'pmk-r0', 'pmk-r0', 'pmk-r0', 'pmk-r0']);
  });

  it('a station whose session ended is new again when it authenticates', async () => {
    await core.accept(facts());
    await core.life.onAccounting(acct('stop', 1));
    // The end is committed in the main thread's next group commit; the RADIUS thread reads the store.
    await new Promise((r) => setImmediate(r));
    await core.accept(facts());
    expect(events.map((e) => (e.type === 'learned' ? e.news : e.type))).toEqual(['new', 'ended', 'new']);
  });

  it('moved once per real move, whichever source saw it first; a first sighting where it authenticated is no move', async () => {
    await core.accept(facts());
    await core.life.onApEvent('ap1', ev('sta-connected'));
    await core.life.onAccounting(acct('start', 1));
    expect(kinds()).toEqual(['learned']);
    expect(core.stations.get(STA)!.currentAp).toMatchObject({ bssid: bssid(1), nasIdentifier: 'ap1.example.com' });

    // To ap2: the AP event first, then the capture and accounting say the same.
    await core.life.onApEvent('ap2', ev('sta-connected'));
    await core.life.onRoam(roam(2));
    await core.life.onAccounting(acct('start', 2));
    await core.life.onAccounting(acct('interim', 2));
    await core.life.onAccounting(acct('stop', 1)); // the old AP's Stop, late: ends nothing
    // To ap3: the capture first.
    await core.life.onRoam(roam(3, { fromBssid: bssid(2) }));
    await core.life.onApEvent('ap3', ev('sta-connected'));
    await core.life.onApEvent('ap2', ev('sta-disconnected')); // late, from the AP it left
    // Back to ap1: accounting first.
    await core.life.onAccounting(acct('start', 1));
    await core.life.onApEvent('ap1', ev('sta-connected'));
    // Attempts that did not end at a BSS move nobody.
    await core.life.onRoam(roam(2, { method: 'failed' }));
    await core.life.onRoam(roam(2, { method: 'initial', fromBssid: null }));

    expect(kinds()).toEqual([
      'learned',
      `moved ap-event ${bssid(1)}->${bssid(2)}`,
      `moved capture ${bssid(2)}->${bssid(3)}`,
      `moved accounting ${bssid(3)}->${bssid(1)}`,
    ]);
    const moved = events.filter((e) => e.type === 'moved');
    expect(moved.every((e) => e.type === 'moved' && e.record.currentAp?.bssid === e.to.bssid)).toBe(true);
    expect(lines.filter((l) => l.msg === 'station seen at AP')).toHaveLength(3);
    expect(core.stations.get(STA)).toMatchObject({
      session: 'active',
      currentAp: { bssid: bssid(1), nasIdentifier: 'ap1.example.com', clientAddress: '10.0.0.1' },
    });
  });

  it('a capture reporting a roam older than the current place moves nobody back', async () => {
    await core.accept(facts());
    const before = Date.now() - 1000;
    await core.life.onApEvent('ap3', ev('sta-connected'));
    await core.life.onRoam(roam(2, { endTs: before })); // held back for its data gap, overtaken
    expect(kinds()).toEqual(['learned', `moved ap-event ${bssid(1)}->${bssid(3)}`]);
  });

  it('a move carries when the station left its previous place; being there again clears it', async () => {
    await core.accept(facts());
    await core.life.onApEvent('ap1', ev('sta-connected'));
    await core.life.onApEvent('ap1', ev('sta-disconnected'));
    expect(core.stations.get(STA)!.currentAp!.leftAt).toEqual(expect.any(Number));
    await core.life.onApEvent('ap1', ev('sta-connected'));
    expect(core.stations.get(STA)!.currentAp!.leftAt).toBeUndefined();
    await core.life.onApEvent('ap1', ev('sta-disconnected'));
    await core.life.onApEvent('ap2', ev('sta-connected'));
    const moved = events.find((e) => e.type === 'moved');
    expect(moved).toMatchObject({ from: { bssid: bssid(1), leftAt: expect.any(Number) }, to: { bssid: bssid(2) } });
    expect(moved!.type === 'moved' && moved!.to.leftAt).toBeUndefined();
  });

  it('ended once, by a Stop from the AP the station is at', async () => {
    await core.accept(facts());
    await core.life.onAccounting(acct('start', 2));
    await core.life.onAccounting(acct('stop', 3)); // not where it is
    await core.life.onAccounting(acct('stop', 2));
    await core.life.onAccounting(acct('stop', 2)); // repeated
    expect(kinds()).toEqual(['learned', `moved accounting ${bssid(1)}->${bssid(2)}`, 'ended']);
    expect(core.stations.get(STA)).toMatchObject({ session: 'ended', currentAp: { bssid: bssid(2), leftAt: expect.any(Number) } });
    expect(lines.filter((l) => l.msg === 'station session ended')).toHaveLength(1);
  });

  it('revoked: marked in the record and announced once', async () => {
    await core.accept(facts());
    expect(await core.life.revoke(STA, 'operator', 'kmsctl')).toBe(true);
    expect(await core.life.revoke(STA, 'operator', 'kmsctl')).toBe(false);
    expect(await core.life.revoke('02:00:00:00:09:09', 'operator', 'kmsctl')).toBe(false);
    expect(kinds()).toEqual(['learned', 'revoked']);
    expect(events[1]).toMatchObject({ type: 'revoked', reason: 'operator' });
    expect(core.stations.get(STA)).toMatchObject({ session: 'ended', revoked: { reason: 'operator', at: expect.any(Number) } });
  });

  it('stations it has no record of, and APs or BSSIDs not configured, change nothing', async () => {
    await core.life.onApEvent('ap1', ev('sta-connected'));
    await core.life.onAccounting(acct('start', 1));
    await core.accept(facts());
    await core.life.onApEvent('ap9', ev('sta-connected'));
    await core.life.onApEvent('ap2', { type: 'sta-connected', ifname: 'wlan7', staMac: STA });
    await core.life.onRoam(roam(9));
    expect(kinds()).toEqual(['learned']);
  });

  it('keys never ride an event: the record and places only; keys are asked of the store', async () => {
    await core.accept(facts());
    await core.life.onApEvent('ap2', ev('sta-connected'));
    await core.life.onAccounting(acct('stop', 2));
    await core.life.revoke(STA, 'test', 'api');
    expect(events.length).toBe(4);
    expect(events.filter(carriesBytes)).toEqual([]);
    expect(core.stations.keysFor(STA)!.pmkR0).toHaveLength(32);
  });
});
