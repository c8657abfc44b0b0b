import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteNeighborTable } from '../../../adapters/store/neighbor-table.js';
import { RfGraph } from '../../../daemon/neighbors/rf-graph.js';
import { fakeClock, HOUR } from './helpers.js';

describe('SqliteNeighborTable (real SQLite file)', () => {
  let dir: string;
  let path: string;
  const open: Database.Database[] = [];
  const db = () => {
    const d = new Database(path);
    d.pragma('journal_mode = WAL');
    open.push(d);
    return d;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-neighbors-'));
    path = join(dir, 'kms.sqlite');
  });
  afterEach(() => {
    for (const d of open.splice(0)) d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates its table on an existing store file and keeps other tables alone', () => {
    const d = db();
    d.exec('CREATE TABLE placements (x INTEGER); INSERT INTO placements VALUES (1)');
    new SqliteNeighborTable(d);
    new SqliteNeighborTable(d); // IF NOT EXISTS: a second open is fine
    const tables = (d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
      (r) => r.name,
    );
    expect(tables).toEqual(['neighbor_edges', 'placements']);
    expect(d.prepare('SELECT COUNT(*) AS n FROM placements').get()).toEqual({ n: 1 });
  });

  it('round-trips a graph through a file across a restart (upserts, deletes, null signal)', () => {
    const clock = fakeClock();
    const g = new RfGraph({ now: clock.now, minEvidence: 1, maxEdgesPerAp: 9, topK: 2 });
    for (let i = 0; i < 3; i++) g.observe('ap1', 'ap2', -61.5);
    g.observe('ap1', 'ap3', -70);
    g.roam('ap2', 'ap1'); // roam-only edge: no signal
    const t1 = new SqliteNeighborTable(db());
    const first = g.drainChanges();
    t1.saveEdges(first.upserts, first.deletes);
    for (let i = 0; i < 20; i++) g.observe('ap1', `x${i}`, -85); // evicts, so deletes reach the table too
    const second = g.drainChanges();
    expect(second.deletes.length).toBeGreaterThan(0);
    t1.saveEdges(second.upserts, second.deletes);
    open.pop()!.close();

    clock.advance(HOUR);
    const t2 = new SqliteNeighborTable(db());
    const rows = t2.loadEdges();
    expect(rows).toHaveLength(g.edges().length);
    expect(rows.find((r) => r.from === 'ap2')).toMatchObject({ to: 'ap1', signalDbm: null, roams: 1, roamsTotal: 1, observations: 0 });
    expect(rows.find((r) => r.to === 'ap2')).toMatchObject({ from: 'ap1', signalDbm: -61.5, weight: 3, observations: 3 });
    const g2 = new RfGraph({ now: clock.now, minEvidence: 1, maxEdgesPerAp: 9, topK: 2 });
    g2.load(rows);
    expect(g2.neighborsOf('ap1')).toEqual(g.neighborsOf('ap1'));
    expect(g2.neighborsOf('ap2')).toEqual(['ap1']);
    const score = (x: RfGraph) =>
      x
        .edges()
        .map((e) => [e.from, e.to, e.score])
        .sort();
    expect(score(g2)).toEqual(score(g));
  });

  it('writes 384,000 edges (6,000 APs × 64) in one transaction and reads them back', () => {
    const t = new SqliteNeighborTable(db());
    const rows = Array.from({ length: 384_000 }, (_, i) => ({
      from: `ap${i >> 6}`,
      to: `ap${((i >> 6) + 1 + (i & 63)) % 6000}`,
      weight: 4,
      signalDbm: -60 - (i & 31),
      roams: 0,
      updatedAt: 1_760_000_000_000,
      lastSeen: 1_760_000_000_000,
      observations: 9,
      roamsTotal: 0,
    }));
    const t0 = performance.now();
    t.saveEdges(rows);
    const writeMs = performance.now() - t0;
    const t1 = performance.now();
    expect(t.loadEdges()).toHaveLength(384_000);
    console.log(`neighbor_edges: 384,000 rows written in ${writeMs.toFixed(0)} ms, loaded in ${(performance.now() - t1).toFixed(0)} ms`);
  });
});
