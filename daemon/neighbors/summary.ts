// What a neighbours response holds, counted one way for everything that prints a count: the SVG
// caption, the kmsctl table and the dashboard. Edges are directed (A hears B is one edge, B hears
// A another) and are RF evidence; pinned entries are the operator's static lists, which are not
// evidence and are counted apart so "0 edges" and a drawn pinned link never disagree.
import type { NeighborsResponse } from './api-types.js';

export interface GraphCounts {
  aps: number;
  /** Directed edges heard on the air whose target is in the source's discovered list. */
  listedEdges: number;
  /** Heard but not (yet) in a list; only present when the response carries them (edges=all). */
  candidateEdges: number | null;
  /** (AP, neighbour) entries pinned by configuration. */
  pinnedEntries: number;
  /** AP pairs joined by anything drawn: a heard edge either way or a pinned entry. */
  linkedPairs: number;
}

export function graphCounts(r: NeighborsResponse): GraphCounts {
  const pairs = new Set<string>();
  const pair = (a: string, b: string) => pairs.add(a < b ? `${a}\n${b}` : `${b}\n${a}`);
  let listed = 0;
  let candidates = 0;
  for (const e of r.edges) {
    if (e.inList) listed++;
    else candidates++;
    pair(e.from, e.to);
  }
  let pinned = 0;
  for (const ap of r.aps) {
    for (const n of ap.neighbors) {
      if (!n.pinned) continue;
      pinned++;
      pair(ap.name, n.ap);
    }
  }
  const names = new Set([...r.aps.map((a) => a.name), ...r.edges.flatMap((e) => [e.from, e.to])]);
  return {
    aps: names.size,
    listedEdges: listed,
    candidateEdges: r.edgeSet === 'all' ? candidates : null,
    pinnedEntries: pinned,
    linkedPairs: pairs.size,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line, e.g. "2 APs; 0 heard edges in lists, 0 candidates; 1 pinned entry; 1 linked pair". */
export function describeCounts(c: GraphCounts): string {
  const cand = c.candidateEdges === null ? 'candidates not fetched' : plural(c.candidateEdges, 'candidate');
  return (
    `${plural(c.aps, 'AP')}; ${plural(c.listedEdges, 'heard edge')} in lists, ${cand}; ` +
    `${plural(c.pinnedEntries, 'pinned entry', 'pinned entries')}; ${plural(c.linkedPairs, 'linked pair')}`
  );
}
