import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { neighborsTable } from '../../../daemon/cli/neighbors-command.js';
import { Topology } from '../../../daemon/distribution/topology.js';
import { neighborsRoute, neighborsSnapshot } from '../../../daemon/neighbors/api.js';
import type { NeighborsResponse } from '../../../daemon/neighbors/api-types.js';
import { RfGraph } from '../../../daemon/neighbors/rf-graph.js';
import { renderSvg } from '../../../daemon/neighbors/svg.js';
import { gridName } from './helpers.js';

/** A strict little XML well-formedness check: one root, nested tags, quoted attributes, escaped text. */
function checkXml(xml: string): { elements: Map<string, number> } {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: string[] = [];
  const elements = new Map<string, number>();
  let roots = 0;
  const text = /^[^<&]*(?:&(?:amp|lt|gt|quot|apos|#\d+);[^<&]*)*$/;
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g)) {
    if (m[5] !== undefined) {
      if (!text.test(m[5])) throw new Error(`bad text ${m[5].slice(0, 40)}`);
      if (stack.length === 0 && m[5].trim()) throw new Error('text outside the root');
      continue;
    }
    for (const a of m[3]!.matchAll(/="([^"]*)"/g)) if (!text.test(a[1]!)) throw new Error(`bad attribute ${a[1]}`);
    if (m[1]) {
      if (stack.pop() !== m[2]) throw new Error(`</${m[2]}> closes the wrong element`);
    } else {
      elements.set(m[2]!, (elements.get(m[2]!) ?? 0) + 1);
      if (stack.length === 0) roots++;
      if (!m[4]) stack.push(m[2]!);
    }
  }
  const consumed = body.replace(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g, '');
  if (consumed.trim() !== '' || stack.length || roots !== 1)
    throw new Error(`not well-formed (left "${consumed.slice(0, 40)}", open ${stack.join('>')}, roots ${roots})`);
  return { elements };
}

/** The same check by a real XML parser, when Python is there. */
function pythonCounts(xml: string): Record<string, number> | null {
  const dir = mkdtempSync(join(tmpdir(), 'kms-svg-'));
  try {
    const file = join(dir, 'g.svg');
    writeFileSync(file, xml);
    const out = execFileSync(
      'python3',
      [
        '-c',
        'import sys,json,xml.dom.minidom as m; d=m.parse(sys.argv[1]); print(json.dumps({t: len(d.getElementsByTagName(t)) for t in ["svg","circle","line","title"]}))',
        file,
      ],
      { encoding: 'utf8' },
    );
    return JSON.parse(out) as Record<string, number>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 5 × 4 grid: each AP hears its grid neighbours, diagonals weaker; one pinned far link. */
function world() {
  const names: string[] = [];
  for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) names.push(gridName(x, y));
  const topology = new Topology(
    names.map((name, i) => ({
      name,
      nasIdentifier: name,
      radiusAddress: `10.0.0.${i + 1}`,
      bsses: [
        {
          ap: name,
          ifname: 'wlan0',
          bssid: `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
          r1khId: `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`,
        },
      ],
    })),
  );
  const g = new RfGraph({ topK: 4, now: () => 1_760_000_000_000, minEvidence: 1, pinned: new Map([[gridName(0, 0), [gridName(4, 3)]]]) });
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 5; x++) {
      for (const [dx, dy, dbm] of [
        [1, 0, -60],
        [-1, 0, -60],
        [0, 1, -62],
        [0, -1, -62],
        [1, 1, -74],
        [-1, -1, -74],
        [2, 0, -79],
      ] as const) {
        if (x + dx >= 0 && x + dx < 5 && y + dy >= 0 && y + dy < 4) g.observe(gridName(x, y), gridName(x + dx, y + dy), dbm);
      }
    }
  }
  g.roam(gridName(1, 1), gridName(2, 1));
  return { g, topology };
}

describe('RF graph picture and API', () => {
  it('renders well-formed SVG with one node per AP and one line per linked pair', () => {
    const { g, topology } = world();
    const snap = neighborsSnapshot(g, topology, { allEdges: true, now: 1_760_000_000_000 });
    const svg = renderSvg(snap);
    const pairs = new Set(snap.edges.map((e) => [e.from, e.to].sort().join('|')));
    pairs.add([gridName(0, 0), gridName(4, 3)].sort().join('|')); // pinned, never observed
    const { elements } = checkXml(svg);
    expect(elements.get('circle')).toBe(20);
    expect(elements.get('line')).toBe(pairs.size);
    const py = pythonCounts(svg);
    if (py) expect(py).toEqual({ svg: 1, circle: 20, line: pairs.size, title: 1 + 20 + pairs.size });
    expect(renderSvg(snap)).toBe(svg); // deterministic
    expect(svg).toContain('stroke-dasharray'); // the pinned link
    expect(svg).toContain('class="edge edge-roams"'); // the roam
  });

  it('lays strong links out shorter than weak ones (the picture looks like the floor)', () => {
    const { g, topology } = world();
    const svg = renderSvg(neighborsSnapshot(g, topology, { allEdges: true }));
    const pos = new Map(
      [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*><title>([^:]+):/g)].map((m) => [m[3]!, [Number(m[1]), Number(m[2])]]),
    );
    const d = (a: string, b: string) => Math.hypot(pos.get(a)![0]! - pos.get(b)![0]!, pos.get(a)![1]! - pos.get(b)![1]!);
    let near = 0;
    let far = 0;
    for (let x = 0; x < 4; x++) (near += d(gridName(x, 1), gridName(x + 1, 1))), (far += d(gridName(x, 0), gridName(x, 3)));
    expect(near).toBeLessThan(far);
  });

  it('escapes names, and falls back to a circle layout for big graphs', () => {
    const g = new RfGraph({ minEvidence: 1 });
    g.observe('a<b&"c\'', 'd>e', -60);
    const svg = renderSvg(neighborsSnapshot(g, null, { allEdges: true }));
    expect(() => checkXml(svg)).not.toThrow();
    expect(svg).toContain('a&lt;b&amp;&quot;c&apos;');
    const big = new RfGraph({ minEvidence: 1 });
    for (let i = 0; i < 600; i++) big.observe(`ap${i}`, `ap${(i + 1) % 600}`, -60);
    const bigSvg = renderSvg(neighborsSnapshot(big, null, { allEdges: true }));
    expect(checkXml(bigSvg).elements.get('circle')).toBe(600);
  });

  it('serves GET /v1/neighbors (JSON, filtered by ?ap=) and /v1/neighbors.svg, and nothing else', () => {
    const { g, topology } = world();
    const q = (s: string) => new URLSearchParams(s);
    expect(neighborsRoute(g, topology, '/v1/stations', q(''))).toBeNull();
    const all = neighborsRoute(g, topology, '/v1/neighbors', q(''))!;
    expect(all).toMatchObject({ status: 200, contentType: 'application/json' });
    const body = JSON.parse(all.body) as NeighborsResponse;
    expect(body.aps).toHaveLength(20);
    expect(body.edges.every((e) => e.inList)).toBe(true);
    expect(body.aps.find((a) => a.name === gridName(0, 0))!.neighbors.map((n) => [n.ap, n.pinned])).toEqual([
      [gridName(4, 3), true],
      [gridName(1, 0), false],
      [gridName(0, 1), false],
      [gridName(1, 1), false],
    ]);
    const one = JSON.parse(neighborsRoute(g, topology, '/v1/neighbors', q(`ap=${gridName(2, 2)}`))!.body) as NeighborsResponse;
    expect(one.aps.map((a) => a.name)).toEqual([gridName(2, 2), ...g.neighborsOf(gridName(2, 2))]);
    expect(one.edges.every((e) => one.aps.some((a) => a.name === e.to))).toBe(true);
    expect(neighborsRoute(g, topology, '/v1/neighbors', q('ap=nope'))!.status).toBe(404);
    expect(neighborsRoute(g, topology, '/v1/neighbors', q('edges=some'))!.status).toBe(400);
    const svg = neighborsRoute(g, topology, '/v1/neighbors.svg', q(`ap=${gridName(2, 2)}`))!;
    expect(svg.contentType).toBe('image/svg+xml');
    expect(checkXml(svg.body).elements.get('circle')).toBe(5);
  });

  it('prints the kmsctl table', () => {
    const { g, topology } = world();
    const text = neighborsTable(neighborsSnapshot(g, topology, { ap: gridName(0, 0), now: 1_760_000_060_000 }));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^AP\s+NEIGHBOUR\s+SCORE\s+SIGNAL DBM\s+REPORTS\s+ROAMS\s+PINNED\s+LAST SEEN$/);
    expect(lines[1]).toMatch(/^ap-0-0\s+ap-4-3\s+0\.0\s+-\s+0\s+0\s+pinned\s+-$/);
    expect(lines[2]).toMatch(/^\s+ap-1-0\s+\d+\.\d\s+-60\.0\s+1\s+0\s+1m ago$/);
    expect(text).toContain('top 4 above -80 dBm');
  });
});

/** Node centres by AP name, and the drawn lines, from a rendered picture. */
function drawn(svg: string) {
  const nodes = new Map(
    [...svg.matchAll(/<g class="node" data-ap="([^"]+)"><circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"/g)].map((m) => [
      m[1]!,
      { x: Number(m[2]), y: Number(m[3]), r: Number(m[4]) },
    ]),
  );
  const lines = [...svg.matchAll(/<line class="edge [^"]*"[^>]*stroke-width="([\d.]+)" stroke-opacity="([\d.]+)"([^>]*)>/g)].map((m) => ({
    width: Number(m[1]),
    opacity: Number(m[2]),
    rest: m[3]!,
  }));
  const caption = /class="caption">([^<]+)</.exec(svg)?.[1] ?? '';
  return { nodes, lines, caption };
}

describe('RF graph picture for small graphs', () => {
  const W = 1200;
  const H = 900;
  it.each([2, 3, 5, 8])('%i APs in a chain sit near the middle, a sane distance apart, with visible arrows', (n) => {
    const g = new RfGraph({ minEvidence: 1, now: () => 1_760_000_000_000 });
    for (let i = 0; i + 1 < n; i++) g.observe(`ap${i}`, `ap${i + 1}`, -60), g.observe(`ap${i + 1}`, `ap${i}`, -65);
    const svg = renderSvg(neighborsSnapshot(g, null, { allEdges: true }));
    const { nodes, lines } = drawn(svg);
    expect(nodes.size).toBe(n);
    const ps = [...nodes.values()];
    const cx = ps.reduce((s, p) => s + p.x, 0) / n;
    const cy = ps.reduce((s, p) => s + p.y, 0) / n;
    expect(Math.abs(cx - W / 2)).toBeLessThan(W * 0.1);
    expect(Math.abs(cy - H / 2)).toBeLessThan(H * 0.15);
    for (let i = 0; i + 1 < n; i++) {
      const [a, b] = [nodes.get(`ap${i}`)!, nodes.get(`ap${i + 1}`)!];
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      expect(d).toBeGreaterThan(80); // labels do not collide
      expect(d).toBeLessThan(300); // not flung to the corners
    }
    expect(lines).toHaveLength(n - 1);
    for (const l of lines) {
      expect(l.width).toBeGreaterThanOrEqual(2);
      expect(l.opacity).toBeGreaterThanOrEqual(0.6);
      // heard both ways: an arrowhead at each end
      expect(l.rest).toContain('marker-end=');
      expect(l.rest).toContain('marker-start=');
    }
  });

  it('two APs joined only by a pinned entry: not in opposite corners, and the caption counts what kmsctl counts', () => {
    const g = new RfGraph({ minEvidence: 1, pinned: new Map([['ap1', ['ap2']]]), now: () => 1_760_000_000_000 });
    const topology = new Topology(
      ['ap1', 'ap2'].map((name, i) => ({
        name,
        nasIdentifier: name,
        radiusAddress: `10.0.0.${i + 1}`,
        bsses: [{ ap: name, ifname: 'wlan0', bssid: `02:00:00:00:00:0${i + 1}`, r1khId: `02:00:00:00:00:0${i + 1}` }],
      })),
    );
    const snap = neighborsSnapshot(g, topology, { allEdges: true });
    const { nodes, lines, caption } = drawn(renderSvg(snap));
    const [a, b] = [nodes.get('ap1')!, nodes.get('ap2')!];
    expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeLessThan(300);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.rest).toContain('stroke-dasharray'); // pinned, never heard
    expect(lines[0]!.rest).toContain('marker-end='); // ap1 lists ap2, one way
    expect(lines[0]!.rest).not.toContain('marker-start=');
    expect(caption).toContain('2 APs; 0 heard edges in lists, 0 candidates; 1 pinned entry; 1 linked pair');
    const table = neighborsTable(snap);
    expect(table.split('\n').at(-1)).toContain('2 APs; 0 heard edges in lists, 0 candidates; 1 pinned entry; 1 linked pair');
    // without edges=all the candidates are not in the response, and both say so
    expect(neighborsTable(neighborsSnapshot(g, topology, {}))).toContain('candidates not fetched');
  });

  it('one-way hearing draws one arrowhead, pointing at the AP that is heard', () => {
    const g = new RfGraph({ minEvidence: 1, now: () => 1_760_000_000_000 });
    g.observe('ap-b', 'ap-a', -58);
    const svg = renderSvg(neighborsSnapshot(g, null, { allEdges: true }));
    const line = /<line class="edge [^>]*>/.exec(svg)![0];
    // pairs are drawn from the name-first AP (ap-a) to the other: ap-b → ap-a is the start end
    expect(line).toContain('marker-start=');
    expect(line).not.toContain('marker-end=');
    expect(svg).toContain('-58 dBm');
  });
});
