import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ApiServer } from '../../../daemon/api/server.js';
import { defaultWebRoot } from '../../../daemon/api/dashboard.js';
import { silentLog } from '../../../daemon/log/log.js';
import type { StationTable } from '../../../daemon/records/station-table.js';

// POST /v1/stations/<sta>/revoke, on a real listener: the token, the body's checks and the answers.
// The revocation itself is a recording stand-in here (test/unit/stations/revocation.test.ts and
// test/integration/kms-revoke.test.ts prove what it does).

const TOKEN = 'unit-test-token';
const STA = '02:00:00:00:01:00';
const table = {
  list: () => [],
  get: (m: string) => (m === STA ? { staMac: STA, revoked: { at: 1, reason: 'x' } } : undefined),
  keysFor: () => null,
} as unknown as StationTable;
const servers: ApiServer[] = [];
const asked: { mac: string; reason: string; trigger: string }[] = [];

async function start(): Promise<string> {
  const s = new ApiServer({
    token: TOKEN,
    stations: table,
    metrics: new Registry(),
    health: () => ({}),
    logger: silentLog,
    webRoot: defaultWebRoot(),
    revoke: async (mac, reason, trigger) => {
      asked.push({ mac, reason, trigger });
      return mac === STA ? { kicks: [{ ap: 'ap1', result: 'ack' }] } : 'unknown';
    },
  });
  servers.push(s);
  return `http://127.0.0.1:${await s.listen('127.0.0.1', 0)}`;
}
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('POST /v1/stations/<sta>/revoke', () => {
  it('needs the token; checks the MAC and the body; answers with what the APs were told', async () => {
    const base = await start();
    const post = (path: string, body?: string, token = TOKEN) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, ...(body !== undefined ? { body } : {}) });
    expect((await post(`/v1/stations/${STA}/revoke`, '{}', 'wrong')).status).toBe(401);
    expect((await post('/v1/stations/not-a-mac/revoke')).status).toBe(400);
    expect((await post(`/v1/stations/${STA}/revoke`, 'not json')).status).toBe(400);
    expect((await post(`/v1/stations/${STA}/revoke`, JSON.stringify({ reason: 42 }))).status).toBe(400);
    expect((await post(`/v1/stations/${STA}/revoke`, 'x'.repeat(5000))).status).toBe(413);
    expect(asked).toEqual([]);
    const ok = await post(`/v1/stations/${STA.toUpperCase()}/revoke`, JSON.stringify({ reason: 'stolen', via: 'kmsctl' }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ revoked: true, station: { staMac: STA }, told: [{ ap: 'ap1', result: 'ack' }] });
    expect(asked).toEqual([{ mac: STA, reason: 'stolen', trigger: 'kmsctl' }]);
    expect((await post('/v1/stations/02:00:00:00:09:09/revoke')).status).toBe(404);
    expect(asked[1]).toMatchObject({ trigger: 'api', reason: 'revoked by the operator (api)' });
    // GET is not a revocation.
    expect((await fetch(`${base}/v1/stations/${STA}/revoke`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });
});
