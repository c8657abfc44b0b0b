// `GET /v1/neighbors[?ap=NAME][&edges=all]` (JSON) and `GET /v1/neighbors.svg[?ap=NAME]` (the
// picture), as one function the API server calls: it returns null for paths that are not its.
import type { Topology } from '../distribution/topology.js';
import type { ApNeighborsView, EdgeView, NeighborsResponse } from './api-types.js';
import type { RfGraph } from './rf-graph.js';
import { renderSvg } from './svg.js';

export interface RouteResult {
  status: number;
  contentType: string;
  body: string;
}

const json = (status: number, body: unknown): RouteResult => ({ status, contentType: 'application/json', body: JSON.stringify(body) });

/** Caps the edge list of one response: a 6,000-AP campus has ~380,000 candidate edges. */
const MAX_EDGES = 50_000;

export function neighborsRoute(
  graph: RfGraph,
  topology: Topology | null,
  path: string,
  query: URLSearchParams,
  now = graph.time(),
): RouteResult | null {
  if (path !== '/v1/neighbors' && path !== '/v1/neighbors.svg') return null;
  const ap = query.get('ap') ?? undefined;
  const edges = query.get('edges') ?? 'list';
  if (edges !== 'list' && edges !== 'all') return json(400, { error: 'edges must be "list" or "all"' });
  if (ap !== undefined && !topology?.ap(ap) && !graph.aps.includes(ap)) return json(404, { error: `no AP named ${ap}` });
  const snap = neighborsSnapshot(graph, topology, { ap, allEdges: edges === 'all' || path.endsWith('.svg'), now });
  if (path === '/v1/neighbors') return json(200, snap);
  return {
    status: 200,
    contentType: 'image/svg+xml',
    body: renderSvg(snap, { title: ap ? `RF neighbours of ${ap}` : 'RF neighbour graph' }),
  };
}

/**
 * The graph as the API shows it. With `ap`: that AP, its listed neighbours and the edges among
 * them (its neighbourhood); without: every AP and the listed edges (`allEdges` adds candidates).
 */
export function neighborsSnapshot(
  graph: RfGraph,
  topology: Topology | null,
  o: { ap?: string; allEdges?: boolean; now?: number } = {},
): NeighborsResponse {
  const now = o.now ?? graph.time();
  const all = [...new Set([...(topology?.aps.map((a) => a.name) ?? []), ...graph.aps])].sort();
  const shown = o.ap === undefined ? all : [o.ap, ...graph.neighborsOf(o.ap)];
  const inside = new Set(shown);
  const aps: ApNeighborsView[] = shown.map((name) => ({ name, neighbors: graph.details(name, now) }));
  const edges: EdgeView[] = [];
  const from = o.ap === undefined ? undefined : shown;
  for (const a of from ?? [undefined]) {
    for (const e of graph.edges(now, a)) {
      if (o.ap !== undefined && !inside.has(e.to)) continue;
      if ((!e.inList && !o.allEdges) || e.score <= -1e9) continue; // -1e9: aged out, not yet swept
      if (edges.length >= MAX_EDGES) break;
      const d = Math.exp((-Math.LN2 * Math.max(0, now - e.updatedAt)) / (graph.o.halfLifeS * 1000));
      edges.push({
        from: e.from,
        to: e.to,
        score: e.score,
        signalDbm: e.signalDbm,
        weight: Math.round(e.weight * d * 1000) / 1000,
        observations: e.observations,
        roams: e.roamsTotal,
        lastSeen: e.lastSeen,
        inList: e.inList,
      });
    }
  }
  const s = graph.stats();
  return {
    generatedAt: now,
    params: { topK: graph.o.topK, floorDbm: graph.o.floorDbm, hysteresisDb: graph.o.hysteresisDb, halfLifeS: graph.o.halfLifeS },
    aps,
    edges,
    edgeSet: o.allEdges ? 'all' : 'list',
    stats: { aps: s.aps, edges: s.edges, edgeBytes: s.edgeBytes },
  };
}
