import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { startKms, metricValue, type KmsHandle } from '../helpers/kms.js';
import { exchange, papRequest } from '../helpers/radius-client.js';
import { Code } from '../../adapters/radius/codes.js';

// When is an upstream dead? Not when it discards one request: FreeRADIUS drops requests its
// policy says not to answer (here control:Response-Packet-Type := Do-Not-Respond for one user,
// as its do_not_respond policy does), and the KMS used to mark it dead for that. Only a server
// that answers nothing, not even Status-Server, is dead and failed over.

const UP = 'kms-to-aaa-secret';
const AP = 'ap-to-kms-secret';
const target = () => ({ address: '127.0.0.1', port: kms.authPort });
const good = (n: number) =>
  papRequest({
    secret: AP,
    user: 'bob',
    password: 'hunter2hunter2',
    station: `02:00:00:00:3c:${n.toString(16).padStart(2, '0')}`,
    identifier: n,
  });
const silent = (n: number) =>
  papRequest({
    secret: AP,
    user: 'mallory',
    password: 'whatever',
    station: `02:00:00:00:3d:${n.toString(16).padStart(2, '0')}`,
    identifier: n,
  });

let primary: FreeRadiusHandle;
let backup: FreeRadiusHandle;
let kms: KmsHandle;
beforeAll(async () => {
  primary = await startFreeRadius({ secret: UP, silentUsers: ['mallory'] });
  backup = await startFreeRadius({ secret: UP });
  kms = await startKms({
    clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
    upstreams: [
      {
        name: 'primary',
        address: '127.0.0.1',
        authPort: primary.authPort,
        acctPort: primary.acctPort,
        secret: UP,
        timeoutMs: 500,
        tries: 2,
      },
      { name: 'backup', address: '127.0.0.1', authPort: backup.authPort, acctPort: backup.acctPort, secret: UP, timeoutMs: 1000, tries: 2 },
    ],
    radius: { deadProbeIntervalS: 1 },
  });
});
afterAll(async () => {
  await kms?.stop();
  await primary?.stop();
  await backup?.stop();
});

const up = async (name: string) => metricValue(await kms.metrics(), 'kms_radius_upstream_up', { upstream: name });
const answeredBy = async (name: string, code: string) =>
  metricValue(await kms.metrics(), 'kms_radius_answered_total', { kind: 'auth', code, upstream: name });

describe('upstream dead detection against FreeRADIUS', () => {
  it('a request FreeRADIUS discards, amid good traffic, does not make it dead', async () => {
    const mark = primary.logMark();
    const discarded = exchange(target(), silent(1), { timeoutMs: 8000 });
    // It really is FreeRADIUS discarding it, not a lost packet.
    await primary.waitForLog(/Not sending reply to client/, 10_000, mark);
    // Good traffic keeps flowing to the primary while the discarded request uses up its tries.
    for (let i = 0; i < 12; i++) {
      const r = await exchange(target(), good(10 + i));
      expect(r[0]?.[0]).toBe(Code.AccessAccept);
      await new Promise((res) => setTimeout(res, 100));
    }
    // The discarded one fails over to the backup, which rejects the unknown user.
    const r = await discarded;
    expect(r[0]?.[0]).toBe(Code.AccessReject);
    expect(await answeredBy('backup', 'AccessReject')).toBe(1);
    expect(await up('primary')).toBe(1);
    expect(await answeredBy('primary', 'AccessAccept')).toBe(12);
    expect(kms.logs()).not.toMatch(/marked dead/);
  });

  it('a discarded request with no other traffic: Status-Server is answered and the server stays up', async () => {
    const mark = kms.logs().length;
    const r = await exchange(target(), silent(2), { timeoutMs: 8000 });
    expect(r[0]?.[0]).toBe(Code.AccessReject); // from the backup
    await expect
      .poll(() => kms.logs().slice(mark), { timeout: 10_000 })
      .toMatch(/"upstream":"primary".*discarded that request, and stays in service/);
    expect(await up('primary')).toBe(1);
    expect(kms.logs()).not.toMatch(/marked dead/);
    // And it is still the first choice.
    expect((await exchange(target(), good(40)))[0]?.[0]).toBe(Code.AccessAccept);
    expect(await answeredBy('primary', 'AccessAccept')).toBe(13);
  });

  it('a FreeRADIUS that is stopped is marked dead and failed over', async () => {
    await primary.stop();
    const r = await exchange(target(), good(50), { timeoutMs: 8000 });
    expect(r[0]?.[0]).toBe(Code.AccessAccept);
    expect(await answeredBy('backup', 'AccessAccept')).toBe(1);
    await expect.poll(() => up('primary'), { timeout: 10_000, interval: 200 }).toBe(0);
    expect(kms.logs()).toMatch(/"upstream":"primary".*"why":"no answer to any request or Status-Server.*marked dead/);
    // Once dead, requests go straight to the backup: answered well within the primary's timeout.
    const started = performance.now();
    expect((await exchange(target(), good(51)))[0]?.[0]).toBe(Code.AccessAccept);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
