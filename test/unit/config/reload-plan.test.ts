import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../daemon/config/load.js';
import { appliedConfig, changedPaths, effectOf, planReload, RELOAD_EFFECTS } from '../../../daemon/config/reload-plan.js';
import type { KmsConfig } from '../../../daemon/config/schema.js';

const EXAMPLE = readFileSync(new URL('../../../examples/kms.yaml', import.meta.url), 'utf8');
const example = () => parseConfig(EXAMPLE);
const edit = (f: (c: KmsConfig) => void) => {
  const c = example();
  f(c);
  return c;
};

/** Every path down to the leaves (arrays are leaves), defaults included. */
function leafPaths(v: unknown, prefix = ''): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [prefix];
  return Object.entries(v).flatMap(([k, x]) => leafPaths(x, prefix ? `${prefix}.${k}` : k));
}
const classified = (path: string) => {
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') if (p in RELOAD_EFFECTS) return true;
  return false;
};

describe('what a reload applies and what waits for a restart', () => {
  it('classifies every setting of the (complete) example, defaults included', () => {
    const paths = leafPaths(example());
    expect(paths.length).toBeGreaterThan(40);
    expect(paths.filter((p) => !classified(p))).toEqual([]);
    // The control: a setting nobody classified is found, and counts as needing a restart.
    expect(classified('someNewSection.value')).toBe(false);
    expect(effectOf('someNewSection.value')).toBe('restart');
  });

  it('finds nothing to do when nothing changed', () => {
    expect(planReload(example(), example())).toEqual({ live: [], restart: [] });
  });

  it('applies clients, upstreams and the log level; names listen ports, stateDir and the master key', () => {
    const next = edit((c) => {
      c.radius.clients.push({ name: 'ap3', address: '192.0.2.13', secret: 's' });
      c.radius.upstreams[0]!.timeoutMs = 5000;
      c.log.level = 'debug';
      c.radius.authListen.port = 11812;
      c.stateDir = '/srv/kms';
      c.masterKey = { file: '/srv/key' };
      c.radius.otherThreadsNice = 5;
    });
    const plan = planReload(example(), next);
    expect(plan.live.sort()).toEqual(['log.level', 'radius.clients', 'radius.upstreams']);
    expect(plan.restart.sort()).toEqual([
      'masterKey.credential',
      'masterKey.file',
      'radius.authListen.port',
      'radius.otherThreadsNice',
      'stateDir',
    ]);
  });

  it('applies APs and neighbour forbids; the RRB interface and discovery tuning need a restart', () => {
    const next = edit((c) => {
      const d = c.distribution!;
      d.aps[1]!.neighbors = [];
      d.neighbors!.forbid = { ap2: ['ap1'] };
      d.neighbors!.topK = 4;
      d.rrb.interface = 'br-other';
    });
    const plan = planReload(example(), next);
    expect(plan.live.sort()).toEqual(['distribution.aps', 'distribution.neighbors.forbid']);
    expect(plan.restart.sort()).toEqual(['distribution.neighbors.topK', 'distribution.rrb.interface']);
  });

  it('starting key distribution by reload is a restart', () => {
    const without = edit((c) => delete c.distribution);
    expect(planReload(without, example())).toEqual({ live: [], restart: ['distribution'] });
  });

  it('the applied configuration takes the live settings and keeps the rest, so a pending restart is named again', () => {
    const running = example();
    const next = edit((c) => {
      c.log.level = 'warn';
      c.api.port = 9900;
      c.distribution!.neighbors!.forbid = { ap1: ['ap2'] };
    });
    const applied = appliedConfig(running, next, planReload(running, next));
    expect(applied.log.level).toBe('warn');
    expect(applied.api.port).toBe(8900);
    expect(applied.distribution!.neighbors!.forbid).toEqual({ ap1: ['ap2'] });
    expect(applied.distribution!.neighbors!.topK).toBe(8);
    expect(running.log.level).toBe('info'); // not modified in place
    expect(planReload(applied, next)).toEqual({ live: [], restart: ['api.port'] });
  });

  it('compares arrays whole and objects key by key', () => {
    expect(changedPaths({ a: { b: 1, c: [1, 2] } }, { a: { b: 1, c: [2, 1] } })).toEqual(['a.c']);
    expect(changedPaths({ a: { b: 1 } }, { a: { b: 1, d: 2 } })).toEqual(['a.d']);
    expect(changedPaths({ a: 1 }, {})).toEqual(['a']);
  });
});
