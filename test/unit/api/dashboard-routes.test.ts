import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ApiServer } from '../../../daemon/api/server.js';
import { defaultWebRoot, loadAssets } from '../../../daemon/api/dashboard.js';
import { silentLog } from '../../../daemon/log/log.js';
import type { StationTable } from '../../../daemon/records/station-table.js';
import type { ApStatusView } from '../../../daemon/api/views.js';

// The API server's dashboard routes and headers, on a real listener with a web root made here.
// The station table is an empty stand-in: these routes never read it.

const TOKEN = 'unit-test-token';
const emptyTable = { list: () => [], get: () => undefined, keysFor: () => null } as unknown as StationTable;
let dir: string;
const servers: ApiServer[] = [];

async function start(extra: Partial<ConstructorParameters<typeof ApiServer>[0]> = {}): Promise<string> {
  const s = new ApiServer({
    token: TOKEN,
    stations: emptyTable,
    metrics: new Registry(),
    health: () => ({ status: 'ok' }),
    logger: silentLog,
    webRoot: dir,
    ...extra,
  });
  servers.push(s);
  return `http://127.0.0.1:${await s.listen('127.0.0.1', 0)}`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kms-web-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'app.js'), 'export {};');
  writeFileSync(join(dir, 'notes.txt'), 'not a web type');
  writeFileSync(join(dir, 'we ird.js'), 'odd name');
  mkdirSync(join(dir, 'views'));
  writeFileSync(join(dir, 'views', 'one.js'), 'export const one = 1;');
});
afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard routes', () => {
  it('serves the listed files without the token, with security headers, and nothing else', async () => {
    const base = await start();
    const page = await fetch(`${base}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${base}/ui/views/one.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    for (const p of ['/ui/notes.txt', '/ui/we%20ird.js', '/ui/..%2findex.html', '/ui/views/', '/ui/nope.js'])
      expect((await fetch(`${base}${p}`)).status, p).toBe(404);
    const redirect = await fetch(`${base}/`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([302, '/ui/']);
    // the API keeps its token, and its answers carry the same headers and no caching
    const api = await fetch(`${base}/v1/health`);
    expect(api.status).toBe(401);
    expect(api.headers.get('content-security-policy')).toContain("default-src 'self'");
    const ok = await fetch(`${base}/v1/health`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.headers.get('cache-control')).toBe('no-store');
  });

  it('GET /v1/aps: 404 with a reason when distribution is off, the list when on', async () => {
    const off = await start();
    const r = await fetch(`${off}/v1/aps`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: string }).error).toMatch(/distribution is not configured/);
    const ap: ApStatusView = {
      name: 'ap1',
      nasIdentifier: 'ap1.example.com',
      radiusClient: 'ap1',
      bsses: [{ ifname: 'wlan0', bssid: '02:00:00:00:00:01' }],
      control: { kind: 'ssh', up: false, changedAt: 1, reason: 'timeout' },
      queued: 3,
      neighbors: ['ap2'],
    };
    const on = await start({ aps: () => [ap] });
    expect(await (await fetch(`${on}/v1/aps`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()).toEqual({ aps: [ap] });
  });

  it('a package without web/ still serves the API', async () => {
    expect(loadAssets(join(dir, 'missing')).size).toBe(0);
    const base = await start({ webRoot: join(dir, 'missing') });
    expect((await fetch(`${base}/ui/`)).status).toBe(404);
    expect((await fetch(`${base}/v1/health`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('finds the package web/ folder from the source tree', () => {
    expect(loadAssets(defaultWebRoot()).has('/ui/app.js')).toBe(true);
  });
});
