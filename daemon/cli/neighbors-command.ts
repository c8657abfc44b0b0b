// kmsctl neighbors [ap] [--json] [--svg FILE] [--all]: the RF neighbour lists of a running kmsd
// (GET /v1/neighbors). --svg draws the graph from the same JSON, locally (see daemon/neighbors/svg.ts).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { NeighborsResponse } from '../neighbors/api-types.js';
import { renderSvg } from '../neighbors/svg.js';
import { describeCounts, graphCounts } from '../neighbors/summary.js';
import { apiGet, type ApiTarget } from './api-client.js';
import { table } from './format.js';

function ago(ms: number | null, now: number): string {
  if (ms === null) return '-';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s >= 86_400
    ? `${Math.floor(s / 86_400)}d ago`
    : s >= 3600
      ? `${Math.floor(s / 3600)}h ago`
      : s >= 60
        ? `${Math.floor(s / 60)}m ago`
        : `${s}s ago`;
}

/** One line per (AP, neighbour), best first within an AP. */
export function neighborsTable(r: NeighborsResponse, now = r.generatedAt): string {
  const rows = r.aps.flatMap((a) =>
    a.neighbors.length === 0
      ? [[a.name, '-', '', '', '', '', '', '']]
      : a.neighbors.map((n, i) => [
          i === 0 ? a.name : '',
          n.ap,
          n.score.toFixed(1),
          n.signalDbm === null ? '-' : n.signalDbm.toFixed(1),
          String(n.observations),
          String(n.roams),
          n.pinned ? 'pinned' : '',
          ago(n.lastSeen, now),
        ]),
  );
  if (rows.length === 0) return 'no APs';
  const head =
    `top ${r.params.topK} above ${r.params.floorDbm} dBm, hysteresis ${r.params.hysteresisDb} dB, half-life ${Math.round((r.params.halfLifeS / 3600) * 10) / 10} h; ` +
    describeCounts(graphCounts(r));
  return `${table(['AP', 'NEIGHBOUR', 'SCORE', 'SIGNAL DBM', 'REPORTS', 'ROAMS', 'PINNED', 'LAST SEEN'], rows)}\n\n${head}`;
}

export function registerNeighborsCommand(program: Command, target: () => ApiTarget): void {
  program
    .command('neighbors')
    .description("RF neighbour lists (who each AP's stations hear and roam to); --svg draws the graph")
    .argument('[ap]', 'only this AP and its neighbourhood')
    .option('--json', 'machine-readable output (the API response)')
    .option('--svg <file>', 'write a picture of the graph (APs as nodes, edges weighted by score); "-" for stdout')
    .option('--all', 'include candidate edges that are not in any list')
    .action(async (ap: string | undefined, o: { json?: boolean; svg?: string; all?: boolean }) => {
      const q = new URLSearchParams();
      if (ap) q.set('ap', ap);
      if (o.all || o.svg) q.set('edges', 'all');
      const qs = q.toString();
      const r = await apiGet<NeighborsResponse>(target(), `/v1/neighbors${qs ? `?${qs}` : ''}`);
      if (o.svg) {
        const svg = renderSvg(r, { title: ap ? `RF neighbours of ${ap}` : 'RF neighbour graph' });
        if (o.svg === '-') process.stdout.write(svg);
        else {
          writeFileSync(o.svg, svg);
          process.stderr.write(`wrote ${o.svg}: ${describeCounts(graphCounts(r))}\n`);
        }
        if (!o.json) return;
      }
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${neighborsTable(r)}\n`);
    });
}
