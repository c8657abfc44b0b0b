// The RF graph as a picture: APs as nodes, edges as lines whose width and opacity follow the score.
// Positions come from a deterministic force layout in which strong edges are short springs, so
// APs that hear each other well end up close and the drawing looks like the floor plan more than
// like a list. No randomness (same graph, same picture) and no external libraries. Input is the
// API's response, so kmsctl can draw what the daemon sent.
import type { NeighborsResponse } from './api-types.js';

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
  /** Seen on the air (an edge); a pinned-only pair is an operator's word, not RF, and does not pull the layout. */
  observed: boolean;
  text: string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const num = (v: number) => (Math.round(v * 10) / 10).toString();

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
    if (!p) pairs.set(key, (p = { a, b, score: 0, signalDbm: null, roams: 0, listed: false, pinned: false, observed: false, text: [] }));
    return p;
  };
  for (const e of r.edges) {
    const p = pair(e.from, e.to);
    p.score = Math.max(p.score, e.score);
    if (e.signalDbm !== null) p.signalDbm = p.signalDbm === null ? e.signalDbm : Math.max(p.signalDbm, e.signalDbm);
    p.roams += e.roams;
    p.listed ||= e.inList;
    p.observed = true;
    p.text.push(`${e.from} → ${e.to}: ${e.signalDbm === null ? 'no signal' : `${num(e.signalDbm)} dBm`}, ${e.observations} reports, ${e.roams} roams, score ${num(e.score)}`);
  }
  for (const ap of r.aps) for (const n of ap.neighbors) if (n.pinned) (pair(ap.name, n.ap).pinned = true, pair(ap.name, n.ap).text.push(`${ap.name} → ${n.ap}: pinned`));
  const list = [...pairs.values()];
  const pos = names.length <= (opts.maxForceNodes ?? 400) ? forceLayout(names.length, list) : circle(names.length);
  const pad = 60;
  const xs = pos.map((p) => p[0]);
  const ys = pos.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs, 0), Math.max(...xs, 1), Math.min(...ys, 0), Math.max(...ys, 1)];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * pad);
  const sy = (y: number) => pad + 20 + ((y - y0) / (y1 - y0 || 1)) * (H - 2 * pad - 20);
  const maxScore = Math.max(1, ...list.map((p) => p.score));
  const font = names.length > 150 ? 6 : names.length > 50 ? 9 : 12;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<title>${esc(opts.title ?? 'RF neighbour graph')}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="13">${esc(`${opts.title ?? 'RF neighbour graph'}: ${names.length} APs, ${list.length} links. Width/opacity = score; orange = roams seen; dashed blue = pinned; grey = heard but not listed.`)}</text>`,
    '<g class="edges">',
  ];
  for (const p of list) {
    const f = Math.min(1, Math.max(0, p.score / maxScore));
    const colour = p.pinned && !p.listed ? '#1f5fbf' : p.roams > 0 ? '#d9730d' : p.listed ? '#333333' : '#aaaaaa';
    const dash = p.pinned ? ' stroke-dasharray="6 4"' : '';
    out.push(`<line class="edge" x1="${num(sx(pos[p.a]![0]))}" y1="${num(sy(pos[p.a]![1]))}" x2="${num(sx(pos[p.b]![0]))}" y2="${num(sy(pos[p.b]![1]))}" stroke="${colour}" stroke-width="${num(0.5 + 5 * f)}" stroke-opacity="${num(0.25 + 0.75 * f)}"${dash}><title>${esc(p.text.join('\n'))}</title></line>`);
  }
  out.push('</g>', '<g class="nodes">');
  const listLen = new Map(r.aps.map((a) => [a.name, a.neighbors.length]));
  names.forEach((n, i) => {
    const [x, y] = [num(sx(pos[i]![0])), num(sy(pos[i]![1]))];
    const fill = listLen.has(n) ? (listLen.get(n)! > 0 ? '#2e7d32' : '#c62828') : '#9e9e9e';
    out.push(`<g class="node"><circle cx="${x}" cy="${y}" r="${font / 2 + 3}" fill="${fill}"><title>${esc(`${n}: ${listLen.get(n) ?? 0} neighbours`)}</title></circle>`
      + `<text x="${x}" y="${num(Number(y) + font + 4)}" font-size="${font}" text-anchor="middle">${esc(n)}</text></g>`);
  });
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}

function circle(n: number): [number, number][] {
  return Array.from({ length: n }, (_, i) => [Math.cos((2 * Math.PI * i) / n), Math.sin((2 * Math.PI * i) / n)]);
}

/**
 * Fruchterman–Reingold with a fixed start (golden-angle spiral in name order) and a fixed cooling
 * schedule: deterministic. Springs are shorter for higher scores.
 */
function forceLayout(n: number, pairs: Pair[]): [number, number][] {
  const golden = Math.PI * (3 - Math.sqrt(5));
  const x = Float64Array.from({ length: n }, (_, i) => Math.sqrt(i + 0.5) * Math.cos(i * golden));
  const y = Float64Array.from({ length: n }, (_, i) => Math.sqrt(i + 0.5) * Math.sin(i * golden));
  if (n < 2) return Array.from({ length: n }, (_, i) => [x[i]!, y[i]!]);
  const maxScore = Math.max(1, ...pairs.map((p) => p.score));
  const k = 1; // ideal distance for an average edge
  const iterations = 300;
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
        dx[i]! += ux * f; dy[i]! += uy * f;
        dx[j]! -= ux * f; dy[j]! -= uy * f;
      }
    }
    for (const p of pairs) {
      if (!p.observed) continue;
      const strength = 0.3 + Math.max(0, p.score) / maxScore; // stronger edge, shorter spring
      const ux = x[p.a]! - x[p.b]!;
      const uy = y[p.a]! - y[p.b]!;
      const d = Math.max(1e-3, Math.hypot(ux, uy));
      const f = (d * strength) / k; // attraction d²/k, divided by d
      dx[p.a]! -= ux * f; dy[p.a]! -= uy * f;
      dx[p.b]! += ux * f; dy[p.b]! += uy * f;
    }
    for (let i = 0; i < n; i++) {
      const d = Math.max(1e-9, Math.hypot(dx[i]!, dy[i]!));
      const step = Math.min(d, temp);
      x[i]! += (dx[i]! / d) * step;
      y[i]! += (dy[i]! / d) * step;
    }
    temp = Math.max(0.01, temp * 0.985);
  }
  return Array.from({ length: n }, (_, i) => [x[i]!, y[i]!]);
}
