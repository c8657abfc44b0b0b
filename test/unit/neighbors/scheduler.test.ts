import { describe, expect, it } from 'vitest';
import { BeaconScheduler, beaconModes } from '../../../daemon/neighbors/scheduler.js';
import { fakeClock, HOUR } from './helpers.js';

const S = 1000;
const sta = (n: number) => `02:00:00:00:01:${n.toString(16).padStart(2, '0')}`;

describe('BeaconScheduler', () => {
  it('asks once the join has settled, then every interval (with per-station jitter)', () => {
    const c = fakeClock();
    const s = new BeaconScheduler({ afterJoinDelayS: 5, intervalS: 3600 });
    s.connected(sta(1), 'ap1', 'wlan0', c.now());
    c.advance(4 * S);
    expect(s.due(c.now())).toEqual([]);
    c.advance(1 * S);
    const [job] = s.due(c.now());
    expect(job).toEqual({ sta: sta(1), ap: 'ap1', ifname: 'wlan0' });
    expect(s.due(c.now())).toEqual([]); // in flight
    s.result(job!, 'sent', c.now());
    c.advance(0.89 * HOUR);
    expect(s.due(c.now())).toEqual([]);
    c.advance(0.22 * HOUR);
    expect(s.due(c.now())).toHaveLength(1);
  });

  it('rate-limits one station across APs: a roaming station is not asked at every join', () => {
    const c = fakeClock();
    const s = new BeaconScheduler({ afterJoinDelayS: 5, perStationMinIntervalS: 600 });
    s.connected(sta(1), 'ap1', 'wlan0', c.now());
    c.advance(5 * S);
    s.result(s.due(c.now())[0]!, 'sent', c.now());
    c.advance(60 * S);
    s.connected(sta(1), 'ap2', 'wlan0', c.now()); // roamed
    s.disconnected(sta(1), 'ap1'); // the old AP's late disconnect: ignored
    c.advance(5 * S);
    expect(s.due(c.now())).toEqual([]);
    c.advance(535 * S); // 600 s after the first request
    expect(s.due(c.now())).toEqual([{ sta: sta(1), ap: 'ap2', ifname: 'wlan0' }]);
  });

  it('remembers a FAIL (no RM beacon capability) across reconnects until failMemoryS', () => {
    const c = fakeClock();
    const s = new BeaconScheduler({ afterJoinDelayS: 0, failMemoryS: 3600 });
    s.connected(sta(1), 'ap1', 'wlan0', c.now());
    s.result(s.due(c.now())[0]!, 'rejected', c.now());
    expect(s.isIncapable(sta(1), c.now())).toBe(true);
    s.disconnected(sta(1), 'ap1');
    c.advance(10 * S);
    s.connected(sta(1), 'ap1', 'wlan0', c.now());
    c.advance(HOUR / 2);
    expect(s.due(c.now())).toEqual([]);
    c.advance(HOUR);
    s.prune(c.now());
    s.connected(sta(1), 'ap1', 'wlan0', c.now());
    expect(s.due(c.now())).toHaveLength(1);
  });

  it('uses known RM capabilities: never asks an incapable station, clears the memory for a capable one', () => {
    const c = fakeClock();
    const s = new BeaconScheduler({ afterJoinDelayS: 0 });
    s.connected(sta(1), 'ap1', 'wlan0', c.now(), false);
    s.connected(sta(2), 'ap1', 'wlan0', c.now(), true);
    expect(s.due(c.now()).map((j) => j.sta)).toEqual([sta(2)]);
    s.connected(sta(1), 'ap1', 'wlan0', c.now(), true);
    expect(s.due(c.now()).map((j) => j.sta)).toEqual([sta(1)]);
  });

  it('forgets a station that is gone, retries after a transport error', () => {
    const c = fakeClock();
    const s = new BeaconScheduler({ afterJoinDelayS: 0, perStationMinIntervalS: 600 });
    s.connected(sta(1), 'ap1', 'wlan0', c.now());
    s.connected(sta(2), 'ap1', 'wlan0', c.now());
    const [a, b] = s.due(c.now());
    s.result(a!, 'gone', c.now());
    s.result(b!, 'error', c.now());
    expect(s.stats().stations).toBe(1);
    expect(s.isIncapable(sta(1), c.now())).toBe(false);
    c.advance(599 * S);
    expect(s.due(c.now())).toEqual([]);
    c.advance(1 * S);
    expect(s.due(c.now()).map((j) => j.sta)).toEqual([sta(2)]);
  });

  it('spends at most maxPerTick requests per tick, oldest due first', () => {
    const c = fakeClock();
    const s = new BeaconScheduler({ afterJoinDelayS: 0, maxPerTick: 20 });
    for (let i = 0; i < 50; i++) s.connected(sta(i), `ap${i % 3}`, 'wlan0', c.now()), c.advance(1);
    const first = s.due(c.now());
    expect(first).toHaveLength(20);
    expect(first[0]!.sta).toBe(sta(0));
    expect(s.due(c.now())).toHaveLength(20);
    expect(s.due(c.now())).toHaveLength(10);
    expect(s.due(c.now())).toHaveLength(0);
  });

  it('drops records whose disconnect was never seen', () => {
    const c = fakeClock();
    const s = new BeaconScheduler({ afterJoinDelayS: 0, intervalS: 3600 });
    s.connected(sta(1), 'ap1', 'wlan0', c.now());
    s.due(c.now()); // in flight forever: the AP never answered
    c.advance(25 * HOUR);
    s.prune(c.now());
    expect(s.stats().stations).toBe(0);
  });

  it('reads beacon modes from RM Enabled Capabilities (ubus get_clients rrm)', () => {
    expect(beaconModes([0x73, 0, 0, 0, 0])).toEqual({ passive: true, active: true, table: true });
    expect(beaconModes([0x02, 0, 0, 0, 0])).toEqual({ passive: false, active: false, table: false });
    expect(beaconModes(null)).toBeNull();
    expect(beaconModes([])).toBeNull();
  });
});
