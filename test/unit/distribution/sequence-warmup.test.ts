import { describe, expect, it } from 'vitest';
import { SequenceWarmup } from '../../../daemon/distribution/sequence-warmup.js';
import { StaticNeighbors, Topology, type ApInfo } from '../../../daemon/distribution/topology.js';
import { silentLog } from '../../../daemon/log/log.js';
import type { RrbPeer } from '../../../daemon/ports/pmk-r1-transport.js';

// Which (BSS, R0KH-ID) pairs the KMS runs hostapd's sequence exchanges for, ahead of any key.

const ap = (n: number, bsses = 1): ApInfo => ({
  name: `ap${n}`,
  nasIdentifier: `ap${n}.example.com`,
  radiusAddress: `10.0.0.${n}`,
  bsses: Array.from({ length: bsses }, (_, i) => ({
    ap: `ap${n}`,
    ifname: `wlan${i}`,
    bssid: `02:00:00:00:0${n}:0${i}`,
    r1khId: `02:00:00:00:0${n}:0${i}`,
  })),
});

function setup(lists: Record<string, string[]>, aps = [ap(1), ap(2, 2), ap(3), ap(4)], allPairsUpTo = 0) {
  const probes: { peer: RrbPeer; r0khId: string }[] = [];
  const logs: object[] = [];
  const warmup = new SequenceWarmup({
    topology: new Topology(aps),
    neighbors: new StaticNeighbors(new Map(Object.entries(lists))),
    prober: { probe: (peer, r0khId) => void probes.push({ peer, r0khId }) },
    rrbPeerFor: (bss) => (bss.ap === 'ap4' ? null : { mac: bss.bssid, r1khId: bss.r1khId, key: Buffer.alloc(32) }),
    refreshS: 3600,
    allPairsUpTo,
    logger: { ...silentLog, info: (o) => void logs.push(o) },
  });
  return { warmup, probes, logs };
}

describe('SequenceWarmup', () => {
  it('pairs every BSS of each neighbour with the R0KH-ID of the AP it is a neighbour of, once', () => {
    const { warmup } = setup({ ap1: ['ap2', 'ap3'], ap3: ['ap1', 'ap2'], ap2: ['ap1', 'ap1'] });
    const pairs = warmup
      .pairs()
      .map((p) => `${p.bss.bssid} ${p.r0khId}`)
      .sort();
    expect(pairs).toEqual([
      '02:00:00:00:01:00 ap2.example.com',
      '02:00:00:00:01:00 ap3.example.com',
      '02:00:00:00:02:00 ap1.example.com',
      '02:00:00:00:02:00 ap3.example.com',
      '02:00:00:00:02:01 ap1.example.com',
      '02:00:00:00:02:01 ap3.example.com',
      '02:00:00:00:03:00 ap1.example.com',
    ]);
  });

  it("a small site warms every pair: each BSS under every other AP's R0KH-ID, neighbours or not", () => {
    const { warmup } = setup({ ap1: ['ap2'] }, [ap(1), ap(2, 2), ap(3)], 8);
    const pairs = warmup
      .pairs()
      .map((p) => `${p.bss.bssid} ${p.r0khId}`)
      .sort();
    expect(pairs).toEqual([
      '02:00:00:00:01:00 ap2.example.com',
      '02:00:00:00:01:00 ap3.example.com',
      '02:00:00:00:02:00 ap1.example.com',
      '02:00:00:00:02:00 ap3.example.com',
      '02:00:00:00:02:01 ap1.example.com',
      '02:00:00:00:02:01 ap3.example.com',
      '02:00:00:00:03:00 ap1.example.com',
      '02:00:00:00:03:00 ap2.example.com',
    ]);
    // One pair more than the bound: neighbour pairs only.
    expect(setup({ ap1: ['ap2'] }, [ap(1), ap(2, 2), ap(3)], 7).warmup.pairs()).toHaveLength(2);
  });

  it('never pairs an AP with its own R0KH-ID (it holds that PMK-R0 itself)', () => {
    const { warmup } = setup({ ap1: ['ap1', 'ap2'] });
    expect(warmup.pairs().every((p) => p.bss.ap !== 'ap1')).toBe(true);
  });

  it('start probes every pair it has a path for; an AP coming up gets its own pairs again', () => {
    const { warmup, probes, logs } = setup({ ap1: ['ap2', 'ap4'], ap3: ['ap2'] });
    warmup.start();
    expect(probes.map((p) => `${p.peer.mac} ${p.r0khId}`).sort()).toEqual([
      '02:00:00:00:02:00 ap1.example.com',
      '02:00:00:00:02:00 ap3.example.com',
      '02:00:00:00:02:01 ap1.example.com',
      '02:00:00:00:02:01 ap3.example.com',
    ]);
    expect(logs).toEqual([{ why: 'start', ap: null, pairs: 4 }]);
    probes.length = 0;
    warmup.apUp('ap3');
    expect(probes).toEqual([]);
    warmup.apUp('ap2');
    expect(probes).toHaveLength(4);
    warmup.stop();
  });
});
