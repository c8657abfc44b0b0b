import { describe, expect, it } from 'vitest';
import { MemoryNeighborStore } from '../../../daemon/neighbors/persistence.js';
import { RfGraph, type RfGraphOptions } from '../../../daemon/neighbors/rf-graph.js';
import { fakeClock, HOUR, prng } from './helpers.js';

// minEvidence 1: these tests are about one mechanism each, with single observations.
const make = (o: RfGraphOptions = {}) => {
  const clock = fakeClock();
  const g = new RfGraph({ now: clock.now, minEvidence: 1, ...o });
  const changes: [string, string[]][] = [];
  g.on('listChanged', (ap: string, list: string[]) => changes.push([ap, list]));
  return { g, clock, changes };
};

describe('RfGraph', () => {
  it('lists what stations at an AP hear above the floor, strongest first', () => {
    const { g } = make();
    g.observe('a', 'b', -60);
    g.observe('a', 'c', -70);
    g.observe('a', 'd', -85); // below the -80 floor
    g.observe('a', 'a', -20); // self: ignored
    expect(g.neighborsOf('a')).toEqual(['b', 'c']);
    expect(g.neighborsOf('b')).toEqual([]); // edges are directed
    expect(g.neighborsOf('nobody')).toEqual([]);
  });

  it('lists a newcomer only with enough evidence (default: 3 reports, or a roam)', () => {
    const g = new RfGraph({ now: () => 0 });
    g.observe('a', 'b', -50);
    g.observe('a', 'b', -50);
    expect(g.neighborsOf('a')).toEqual([]);
    g.observe('a', 'b', -50);
    expect(g.neighborsOf('a')).toEqual(['b']);
    g.roam('a', 'c'); // never heard, one roam: listed at once (12 dB-equivalent, below b's 30 dB × 3/4)
    expect(g.neighborsOf('a')).toEqual(['b', 'c']);
  });

  it('keeps the top K', () => {
    const { g } = make({ topK: 3 });
    for (let i = 0; i < 10; i++) g.observe('a', `n${i}`, -50 - i);
    expect(g.neighborsOf('a')).toEqual(['n0', 'n1', 'n2']);
    expect(g.details('a').map((d) => d.signalDbm)).toEqual([-50, -51, -52]);
  });

  it('weights the mean by evidence and decays evidence with the half-life (fake clock)', () => {
    const { g, clock } = make({ halfLifeS: 3600 });
    g.observe('a', 'b', -60);
    g.observe('a', 'b', -70); // mean of two equal weights
    expect(g.edges()[0]).toMatchObject({ signalDbm: -65, weight: 2, observations: 2 });
    clock.advance(HOUR);
    // One half-life later the old evidence counts half: (−65·1 + −50·1) / 2.
    g.observe('a', 'b', -50);
    expect(g.edges()[0]!.signalDbm).toBeCloseTo(-57.5, 1);
    expect(g.edges()[0]!.weight).toBeCloseTo(2, 5);
  });

  it('ages an edge out after a few half-lives without news, and frees it', () => {
    const { g, clock, changes } = make({ halfLifeS: 3600 });
    for (let i = 0; i < 4; i++) g.observe('a', 'b', -60);
    g.observe('a', 'c', -65);
    expect(g.neighborsOf('a')).toEqual(['b', 'c']);
    clock.advance(3 * HOUR);
    g.observe('a', 'c', -65); // c is refreshed, b is not
    expect(g.age().removed).toBe(0); // b: w = 4/8, still alive
    expect(g.neighborsOf('a')).toEqual(['c', 'b']);
    clock.advance(2 * HOUR); // b: w = 4/32 < 0.25
    expect(g.age().removed).toBe(1);
    expect(g.neighborsOf('a')).toEqual(['c']);
    expect(changes.at(-1)).toEqual(['a', ['c']]);
    expect(g.stats().edges).toBe(1);
  });

  it('does not flap under measurement noise at the K-th place, yet takes a clearly better AP at once', () => {
    const run = (hysteresisDb: number) => {
      const { g, changes } = make({ topK: 4, hysteresisDb });
      const rnd = prng(7);
      const truth = [-55, -60, -65, -70, -71, -72]; // places 4, 5 and 6 are 1 dB apart
      for (let round = 0; round < 2000; round++) {
        for (let i = 0; i < truth.length; i++) g.observe('a', `n${i}`, truth[i]! + 3 * rnd.gauss());
        g.flush();
        if (round === 50) changes.length = 0;
      }
      return { g, flaps: changes.length };
    };
    const steady = run(2); // the default margin
    expect(steady.flaps).toBe(0);
    expect(run(0).flaps).toBeGreaterThan(20); // what hysteresis saves us from
    const { g } = steady;
    const before = g.neighborsOf('a');
    g.observe('a', 'new', -50);
    g.observe('a', 'new', -50);
    const after = g.neighborsOf('a');
    expect(after).toContain('new');
    expect(after).toHaveLength(4);
    expect(after.filter((n) => !before.includes(n))).toEqual(['new']);
  });

  it('keeps a listed AP that dips a little below the floor, drops it when it falls further', () => {
    const { g } = make({ hysteresisDb: 4, maxWeight: 1 });
    g.observe('a', 'b', -70);
    expect(g.neighborsOf('a')).toEqual(['b']);
    for (let i = 0; i < 20; i++) g.observe('a', 'b', -83); // mean → −83: 3 dB below the floor, ×0.5 confidence
    expect(g.neighborsOf('a')).toEqual(['b']);
    for (let i = 0; i < 20; i++) g.observe('a', 'b', -95);
    expect(g.neighborsOf('a')).toEqual([]);
    // A newcomer at the same −83 never enters: entry needs more than the floor.
    for (let i = 0; i < 20; i++) g.observe('a', 'c', -83);
    expect(g.neighborsOf('a')).toEqual([]);
  });

  it('pins and forbids: pinned first and always, counted in K; forbidden never', () => {
    const pinned = new Map([['a', ['p1', 'p2']]]);
    const forbidden = new Map([['a', ['f']]]);
    const { g } = make({ topK: 4, pinned, forbidden });
    expect(g.neighborsOf('a')).toEqual(['p1', 'p2']); // before any observation
    g.observe('a', 'f', -40);
    for (let i = 0; i < 5; i++) g.observe('a', `n${i}`, -50 - i);
    g.observe('a', 'p2', -79);
    expect(g.neighborsOf('a')).toEqual(['p1', 'p2', 'n0', 'n1']);
    expect(g.details('a').map((d) => [d.ap, d.pinned])).toEqual([
      ['p1', true],
      ['p2', true],
      ['n0', false],
      ['n1', false],
    ]);
    g.setOverrides(new Map(), new Map([['a', ['n0']]]));
    expect(g.neighborsOf('a')).toEqual(['f', 'n1', 'n2', 'n3']);
  });

  it('counts roams strongly: a roam target below the floor, or never heard, is listed', () => {
    const { g } = make({ topK: 2 });
    g.observe('a', 'loud', -60);
    g.observe('a', 'quiet', -75);
    g.observe('a', 'weak', -84); // below the floor
    expect(g.neighborsOf('a')).toEqual(['loud', 'quiet']);
    g.roam('a', 'weak');
    g.roam('a', 'weak');
    expect(g.neighborsOf('a')).toEqual(['weak', 'loud']);
    g.roam('b', 'c'); // roam-only edge, no signal at all
    expect(g.neighborsOf('b')).toEqual(['c']);
    expect(g.details('a')[0]).toMatchObject({ ap: 'weak', roams: 2, signalDbm: -84, observations: 1 });
  });

  it('bounds edges per AP by evicting the weakest unlisted edge', () => {
    const { g } = make({ topK: 4, maxEdgesPerAp: 16 });
    for (let i = 0; i < 4; i++) g.observe('a', `strong${i}`, -50);
    g.neighborsOf('a');
    for (let i = 0; i < 200; i++) g.observe('a', `weak${i}`, -85 + (i % 5));
    expect(g.stats().edges).toBe(16);
    expect(g.neighborsOf('a')).toEqual(['strong0', 'strong1', 'strong2', 'strong3']);
    expect(g.drainChanges().deletes.length).toBe(200 + 4 - 16);
  });

  it('recomputes only touched APs and reports which lists changed', () => {
    const { g, changes } = make();
    for (let i = 0; i < 50; i++) g.observe(`ap${i}`, `ap${i + 1}`, -60);
    expect(g.flush().length).toBe(50);
    changes.length = 0;
    g.observe('ap7', 'ap9', -50);
    g.observe('ap7', 'ap8', -50); // ap8 is already listed: reorder only
    expect(g.stats().dirty).toBe(1);
    expect(g.flush()).toEqual(['ap7']);
    expect(changes).toEqual([['ap7', ['ap8', 'ap9']]]);
    expect(g.flush()).toEqual([]);
  });

  it('survives a restart through the store, and ageing continues across the downtime', () => {
    const { g, clock } = make({ halfLifeS: 3600 });
    g.observe('a', 'b', -60);
    g.observe('a', 'c', -70);
    g.roam('a', 'c');
    const store = new MemoryNeighborStore();
    const { upserts, deletes } = g.drainChanges();
    store.saveEdges(upserts, deletes);
    expect(g.drainChanges().upserts).toEqual([]); // nothing new
    // Big backlogs go out in slices, so one SQLite write stays short.
    for (let i = 0; i < 10; i++) g.observe('z', `y${i}`, -60);
    expect([g.drainChanges(4), g.drainChanges(4), g.drainChanges(4)].map((c) => [c.upserts.length, c.more])).toEqual([
      [4, true],
      [4, true],
      [2, false],
    ]);
    clock.advance(2 * HOUR);
    const g2 = new RfGraph({ now: clock.now, halfLifeS: 3600, minEvidence: 1 });
    g2.load(store.loadEdges());
    expect(g2.neighborsOf('a')).toEqual(g.neighborsOf('a'));
    const c = g2.edges().find((e) => e.to === 'c')!;
    expect(c).toMatchObject({ signalDbm: -70, observations: 1, roamsTotal: 1 });
    expect(g2.edges()[0]!.score).toBeCloseTo(g.edges()[0]!.score, 5);
  });
});
