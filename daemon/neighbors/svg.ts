// The RF graph as a picture: APs as nodes, links as arrows (A→B: B is A's neighbour) whose
// width and darkness follow the score, with the signal written on strong-enough links. Positions
// come from a deterministic force layout in which strong edges are short springs, so APs that
// hear each other well end up close and the drawing looks like the floor plan more than like a
// list. The layout is scaled uniformly and centred, with a cap on how long a link may be drawn, so
// two or three APs sit near the middle instead of in opposite corners. No randomness (same graph,
// same picture) and no external libraries. Input is the API's response, so kmsctl and the
// dashboard draw what the daemon sent. The caption counts with summary.ts, like kmsctl.
import type { NeighborsResponse } from './api-types.js';
import { describeCounts, graphCounts } from './summary.js';

export interface SvgOptions {
  width?: number;
  height?: number;
  title?: string;
  /** Above this many nodes the O(n²) force layout is skipped for a circle. Default 400. */
  maxForceNodes?: number;
}

interface Pair {
  a: number;
  b: number;
  score: number;
  signalDbm: number | null;
  roams: number;
  listed: boolean;
  pinned: boolean;
  /** Seen on the air (an edge); a pinned-only pair is an operator's word, not RF evidence. */
  observed: boolean;
  /** Which ways it points: a→b, b→a (a < b by name); A→B means B is A's neighbour (heard from A, or pinned at A). */
  ab: boolean;
  ba: boolean;
  text: string[];
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const num = (v: number) => (Math.round(v * 10) / 10).toString();

const COLOURS = { listed: '#37474f', roams: '#e65100', pinned: '#1565c0', candidate: '#90a4ae' } as const;
type Kind = keyof typeof COLOURS;

/** The longest a layout unit (one ideal link) is drawn, in pixels. */
const MAX_UNIT_PX = 160;

export function renderSvg(r: NeighborsResponse, opts: SvgOptions = {}): string {
  const W = opts.width ?? 1200;
  const H = opts.height ?? 900;
  const names = [...new Set([...r.aps.map((a) => a.name), ...r.edges.flatMap((e) => [e.from, e.to])])].sort();
  const idx = new Map(names.map((n, i) => [n, i]));
  const pairs = new Map<string, Pair>();
  const pair = (x: string, y: string): Pair => {
    const [a, b] = [idx.get(x)!, idx.get(y)!].sort((p, q) => p - q) as [number, number];
    const key = `${a},${b}`;
    let p = pairs.get(key);
    if (!p)
      pairs.set(
        key,
        (p = { a, b, score: 0, signalDbm: null, roams: 0, listed: false, pinned: false, observed: false, ab: false, ba: false, text: [] }),
      );
    return p;
  };
  for (const e of r.edges) {
    const p = pair(e.from, e.to);
    p.score = Math.max(p.score, e.score);
    if (e.signalDbm !== null) p.signalDbm = p.signalDbm === null ? e.signalDbm : Math.max(p.signalDbm, e.signalDbm);
    p.roams += e.roams;
    p.listed ||= e.inList;
    p.observed = true;
    if (idx.get(e.from) === p.a) p.ab = true;
    else p.ba = true;
    p.text.push(
      `${e.from} → ${e.to}: ${e.signalDbm === null ? 'no signal' : `${num(e.signalDbm)} dBm`}, ${e.observations} reports, ${e.roams} roams, score ${num(e.score)}${e.inList ? '' : ' (candidate)'}`,
    );
  }
  for (const ap of r.aps) {
    for (const n of ap.neighbors) {
      if (!n.pinned) continue;
      const p = pair(ap.name, n.ap);
      p.pinned = true;
      if (idx.get(ap.name) === p.a) p.ab = true;
      else p.ba = true;
      p.text.push(`${ap.name} → ${n.ap}: pinned`);
    }
  }
  const list = [...pairs.values()];
  const raw = names.length <= (opts.maxForceNodes ?? 400) ? forceLayout(names.length, list) : circle(names.length);
  const top = 56; // caption and legend
  const pad = 48;
  const pos = fitInto(raw, { x: pad, y: top + pad / 2, w: W - 2 * pad, h: H - top - pad * 1.5 });
  const maxScore = Math.max(1, ...list.map((p) => p.score));
  const font = names.length > 150 ? 7 : names.length > 50 ? 10 : 13;
  const radius = names.length > 150 ? 5 : names.length > 50 ? 7 : 10;
  const title = opts.title ?? 'RF neighbour graph';
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" class="rf-graph">`,
    `<title>${esc(title)}</title>`,
    '<defs>',
    ...Object.entries(COLOURS).map(
      ([k, c]) =>
        `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse" markerUnits="strokeWidth"><path d="M0,1 L9,5 L0,9 z" fill="${c}"/></marker>`,
    ),
    '</defs>',
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="15" font-weight="600" fill="#263238" class="caption">${esc(`${title}: ${describeCounts(graphCounts(r))}`)}</text>`,
    legend(16, 44),
    '<g class="edges">',
  ];
  for (const p of list) {
    const f = Math.min(1, Math.max(0, p.score / maxScore));
    const kind: Kind = p.roams > 0 ? 'roams' : p.listed ? 'listed' : p.pinned ? 'pinned' : 'candidate';
    const dash = p.pinned && !p.observed ? ' stroke-dasharray="8 5"' : '';
    const [ax, ay] = pos[p.a]!;
    const [bx, by] = pos[p.b]!;
    const d = Math.hypot(bx - ax, by - ay) || 1;
    // Stop short of the circles so the arrowheads show.
    const cut = Math.min(radius + 3, d / 3);
    const [x1, y1, x2, y2] = [
      ax + ((bx - ax) / d) * cut,
      ay + ((by - ay) / d) * cut,
      bx - ((bx - ax) / d) * cut,
      by - ((by - ay) / d) * cut,
    ];
    const markers = `${p.ab ? ` marker-end="url(#arrow-${kind})"` : ''}${p.ba ? ` marker-start="url(#arrow-${kind})"` : ''}`;
    out.push(
      `<line class="edge edge-${kind}" data-a="${esc(names[p.a]!)}" data-b="${esc(names[p.b]!)}" x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${COLOURS[kind]}" stroke-width="${num(2 + 4 * f)}" stroke-opacity="${num(0.6 + 0.4 * f)}" stroke-linecap="round"${dash}${markers}><title>${esc(p.text.join('\n'))}</title></line>`,
    );
    if (names.length <= 60 && p.signalDbm !== null && d > 90) {
      out.push(
        `<text class="edge-label" x="${num((ax + bx) / 2)}" y="${num((ay + by) / 2 - 6)}" font-size="${font - 2}" text-anchor="middle" fill="#455a64" stroke="#ffffff" stroke-width="3" paint-order="stroke">${num(p.signalDbm)} dBm</text>`,
      );
    }
  }
  out.push('</g>', '<g class="nodes">');
  const listLen = new Map(r.aps.map((a) => [a.name, a.neighbors.length]));
  names.forEach((n, i) => {
    const [x, y] = [num(pos[i]![0]), num(pos[i]![1])];
    const fill = listLen.has(n) ? (listLen.get(n)! > 0 ? '#2e7d32' : '#c62828') : '#9e9e9e';
    out.push(
      `<g class="node" data-ap="${esc(n)}"><circle cx="${x}" cy="${y}" r="${radius}" fill="${fill}" stroke="#ffffff" stroke-width="2"><title>${esc(`${n}: ${listLen.get(n) ?? 0} neighbours`)}</title></circle>` +
        `<text x="${x}" y="${num(Number(y) + radius + font + 2)}" font-size="${font}" font-weight="600" text-anchor="middle" fill="#212121" stroke="#ffffff" stroke-width="4" paint-order="stroke">${esc(n)}</text></g>`,
    );
  });
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}

function legend(x: number, y: number): string {
  const items: [Kind | 'none', string][] = [
    ['listed', 'in list'],
    ['roams', 'roams seen'],
    ['candidate', 'heard, not listed'],
    ['pinned', 'pinned (config)'],
    ['none', 'AP without neighbours'],
  ];
  let cx = x;
  const parts = ['<g class="legend" font-size="12" fill="#455a64">'];
  for (const [k, label] of items) {
    // Paths and rects, not lines and circles: those are the graph's own edges and nodes.
    if (k === 'none') parts.push(`<rect x="${cx + 1}" y="${y - 9}" width="10" height="10" rx="5" fill="#c62828"/>`);
    else
      parts.push(
        `<path d="M${cx},${y - 4} h22" stroke="${COLOURS[k]}" stroke-width="3"${k === 'pinned' ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    const tx = cx + (k === 'none' ? 16 : 28);
    parts.push(`<text x="${tx}" y="${y}">${esc(label)}</text>`);
    cx = tx + label.length * 7 + 18;
  }
  parts.push(
    '<text x="' + cx + '" y="' + y + '">arrow A→B: B is A’s neighbour (heard by A’s stations, or pinned); width: score</text>',
    '</g>',
  );
  return parts.join('');
}

/** Uniform scale (the layout's proportions are the picture), centred, no link longer than MAX_UNIT_PX. */
function fitInto(pos: [number, number][], box: { x: number; y: number; w: number; h: number }): [number, number][] {
  if (pos.length === 0) return [];
  const xs = pos.map((p) => p[0]);
  const ys = pos.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min(MAX_UNIT_PX, box.w / (x1 - x0 || 1), box.h / (y1 - y0 || 1));
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  return pos.map(([x, y]) => [box.x + box.w / 2 + (x - cx) * scale, box.y + box.h / 2 + (y - cy) * scale]);
}

function circle(n: number): [number, number][] {
  return Array.from({ length: n }, (_, i) => [Math.cos((2 * Math.PI * i) / n), Math.sin((2 * Math.PI * i) / n)]);
}

/**
 * Fruchterman–Reingold with a fixed start (golden-angle spiral in name order) and a fixed cooling
 * schedule: deterministic. Springs are shorter for higher scores; a weak pull to the centre.
 */
function forceLayout(n: number, pairs: Pair[]): [number, number][] {
  const golden = Math.PI * (3 - Math.sqrt(5));
  const x = Float64Array.from({ length: n }, (_, i) => Math.sqrt(i + 0.5) * Math.cos(i * golden));
  const y = Float64Array.from({ length: n }, (_, i) => Math.sqrt(i + 0.5) * Math.sin(i * golden));
  if (n < 2) return Array.from({ length: n }, (_, i) => [x[i]!, y[i]!]);
  const maxScore = Math.max(1, ...pairs.map((p) => p.score));
  const k = 1; // ideal distance for an average edge
  const iterations = 300;
  const gravity = 0.1;
  let temp = Math.sqrt(n) / 2;
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let it = 0; it < iterations; it++) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const ux = x[i]! - x[j]!;
        const uy = y[i]! - y[j]!;
        const d2 = Math.max(1e-4, ux * ux + uy * uy);
        const f = (k * k) / d2; // repulsion k²/d, divided by d for the unit vector
        dx[i]! += ux * f;
        dy[i]! += uy * f;
        dx[j]! -= ux * f;
        dy[j]! -= uy * f;
      }
    }
    for (const p of pairs) {
      // A pinned-only pair pulls like the weakest heard link: the operator says they are neighbours.
      const strength = 0.3 + (p.observed ? Math.max(0, p.score) / maxScore : 0); // stronger edge, shorter spring
      const ux = x[p.a]! - x[p.b]!;
      const uy = y[p.a]! - y[p.b]!;
      const d = Math.max(1e-3, Math.hypot(ux, uy));
      const f = (d * strength) / k; // attraction d²/k, divided by d
      dx[p.a]! -= ux * f;
      dy[p.a]! -= uy * f;
      dx[p.b]! += ux * f;
      dy[p.b]! += uy * f;
    }
    for (let i = 0; i < n; i++) {
      // Gravity towards the centre keeps unlinked APs and separate groups from drifting apart
      // without bound (which, scaled to the page, put two APs in opposite corners).
      dx[i]! -= x[i]! * gravity;
      dy[i]! -= y[i]! * gravity;
      const d = Math.max(1e-9, Math.hypot(dx[i]!, dy[i]!));
      const step = Math.min(d, temp);
      x[i]! += (dx[i]! / d) * step;
      y[i]! += (dy[i]! / d) * step;
    }
    temp = Math.max(0.01, temp * 0.985);
  }
  return Array.from({ length: n }, (_, i) => [x[i]!, y[i]!]);
}
