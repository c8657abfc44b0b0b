// The RF-neighbour code against a real hostapd 2.10 (-Dwired, in a namespace) over its real ctrl
// socket: the neighbour database commands (SHOW/SET/REMOVE_NEIGHBOR) and REQ_BEACON's answers.
// Wired hostapd has no radio, so no station can answer a beacon request and hostapd builds no
// own neighbour entry: what is proven here is that hostapd accepts and stores exactly what the
// KMS sends, and that its FAIL for REQ_BEACON is told apart correctly ("not there" vs "there but
// not RM-capable", the case the scheduler remembers). Real beacon reports are the lab's job.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CtrlSocketDriver } from '../../adapters/hostapd/index.js';
import { Topology } from '../../daemon/distribution/topology.js';
import { silentLog } from '../../daemon/log/log.js';
import { neighborsSchema } from '../../daemon/config/neighbors-schema.js';
import { startNeighbors } from '../../daemon/main/wire-neighbors.js';
import { BSSID_INFO, buildNeighborReport, decodeNeighborReport } from '../../daemon/neighbors/neighbor-report.js';
import { MemoryNeighborStore } from '../../daemon/neighbors/persistence.js';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { canUseNetns, makeTempDir, type TempDir } from '../helpers/netns.js';
import {
  createWiredTopology,
  runWiredSupplicant,
  startWiredAuthenticator,
  type WiredAuthenticator,
  type WiredTopology,
} from '../helpers/wired-8021x.js';

const STA = '02:00:00:00:00:51';
const AP_MAC = '02:00:00:00:0a:00';
const nr = (bssid: string, channel: number, info = 0x9ef | BSSID_INFO.MOBILITY_DOMAIN) =>
  buildNeighborReport({ bssid, info, opClass: 115, channel, phyType: 9, subelements: Buffer.from([6, 3, 0, channel, 0]) });

describe.skipIf(!canUseNetns())('RF-neighbour driver members against real hostapd 2.10 (-Dwired)', () => {
  let topo: WiredTopology;
  let fr: FreeRadiusHandle;
  let ap: WiredAuthenticator;
  let temp: TempDir;
  let control: CtrlSocketDriver;

  beforeAll(async () => {
    topo = await createWiredTopology({ staMac: STA, apMac: AP_MAC });
    const uplink = topo.uplink!;
    fr = await startFreeRadius({
      address: uplink.peerSide.ip,
      clients: [{ address: uplink.apSide.ip, secret: 'nb-secret' }],
      secret: 'nb-secret',
    });
    ap = await startWiredAuthenticator({
      netns: topo.apNs,
      ifname: topo.apPort.ifname,
      ownIpAddr: uplink.apSide.ip,
      nasIdentifier: 'ap1.nb.test',
      radius: { address: fr.address, authPort: fr.authPort, acctPort: fr.acctPort, secret: fr.secret },
      extraConfig: ['rrm_neighbor_report=1', 'rrm_beacon_report=1'],
    });
    temp = await makeTempDir('nb-ctrl');
    await mkdir(join(temp.path, 'local'), { mode: 0o700 });
    control = new CtrlSocketDriver({ ctrlDir: ap.ctrlDir, interfaces: [topo.apPort.ifname], localDir: join(temp.path, 'local') });
  });
  afterAll(async () => {
    await control?.close();
    await ap?.stop();
    await fr?.stop();
    await topo?.destroy();
    await temp?.remove();
  });

  it('fills, changes and trims the neighbour database; hostapd stores exactly what was sent', async () => {
    const ifname = topo.apPort.ifname;
    const empty = await control.readNeighborDb(ifname, AP_MAC);
    expect(empty).toEqual({ own: null, others: [] }); // -Dwired: no radio, so no own entry
    const corp = Buffer.from('corp');
    const a = { bssid: '02:00:00:00:0b:00', ssid: corp, nr: nr('02:00:00:00:0b:00', 36) };
    const b = { bssid: '02:00:00:00:0c:00', ssid: corp, nr: nr('02:00:00:00:0c:00', 40) };
    await control.setNeighbors(ifname, [a, b], empty!.others);
    const first = (await control.readNeighborDb(ifname, AP_MAC))!.others;
    expect(first.map((e) => [e.bssid, e.ssid.toString(), e.nr.toString('hex')]).sort()).toEqual(
      [a, b].map((e) => [e.bssid, 'corp', e.nr.toString('hex')]).sort(),
    );
    expect(decodeNeighborReport(first[0]!.nr).info & BSSID_INFO.MOBILITY_DOMAIN).toBe(BSSID_INFO.MOBILITY_DOMAIN);

    const b2 = { ...b, nr: nr(b.bssid, 44) };
    const c = { bssid: '02:00:00:00:0d:00', ssid: corp, nr: nr('02:00:00:00:0d:00', 48) };
    await control.setNeighbors(ifname, [b2, c], first);
    const second = (await control.readNeighborDb(ifname, AP_MAC))!.others;
    expect(second.map((e) => [e.bssid, e.nr.toString('hex')]).sort()).toEqual([b2, c].map((e) => [e.bssid, e.nr.toString('hex')]).sort());

    // A stale belief (an entry hostapd no longer holds) must not make the update fail.
    const ghost = { bssid: '02:00:00:00:0e:00', ssid: corp, nr: nr('02:00:00:00:0e:00', 52) };
    await control.setNeighbors(ifname, [], [...second, ghost]);
    expect((await control.readNeighborDb(ifname, AP_MAC))!.others).toEqual([]);
  });

  it('REQ_BEACON: FAIL for an absent station is "gone"; for an authorized one without RM it is remembered', async () => {
    const ifname = topo.apPort.ifname;
    const req = { opClass: 81, channel: 0, mode: 'table' as const, reportingDetail: 0 as const };
    expect(await control.requestBeaconReport(ifname, '02:00:00:00:00:99', req)).toBe('gone');

    // The service, wired as kmsd will wire it, fed by hostapd's real event stream.
    const topology = new Topology([
      {
        name: 'ap1',
        nasIdentifier: 'ap1.nb.test',
        radiusAddress: '10.0.0.1',
        bsses: [{ ap: 'ap1', ifname, bssid: AP_MAC, r1khId: AP_MAC }],
      },
    ]);
    const running = startNeighbors(
      { config: neighborsSchema.parse({ beaconRequest: { afterJoinDelayS: 0 } }), pinned: new Map(), ssid: 'corp' },
      {
        topology,
        controls: new Map([['ap1', control]]),
        store: new MemoryNeighborStore(),
        log: silentLog,
      },
    );
    try {
      control.subscribe((ev) => running.onApEvent('ap1', ev));
      await control.startEvents([ifname]);
      const login = await runWiredSupplicant({
        netns: topo.staNs,
        ifname: topo.staPort.ifname,
        caCertPath: fr.caCertPath,
        keepRunning: true,
      });
      try {
        expect(login.success, login.logs.slice(-2000)).toBe(true);
        await expect.poll(() => running.service.scheduler.stats().stations, { timeout: 5000 }).toBe(1);
        await running.tick();
        expect(running.service.stats.requests).toMatchObject({ rejected: 1, gone: 0 });
        expect(running.service.scheduler.isIncapable(STA, Date.now())).toBe(true);
        await running.tick();
        expect(running.service.stats.requests.rejected).toBe(1); // asked once, not again
      } finally {
        await login.supplicant?.stop();
      }
    } finally {
      running.stop();
    }
  });
});
