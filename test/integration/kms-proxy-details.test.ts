import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { calledStationId, runEapolTest } from '../helpers/eapol-test.js';
import { metricValue, startKms, type KmsHandle } from '../helpers/kms.js';
import { accountingRequest, exchange, papRequest } from '../helpers/radius-client.js';
import { radiusBurst, udpSocketDrops } from '../helpers/radius-burst.js';
import { decodePacket, getString } from '../../adapters/radius/packet.js';
import { Attr, Code } from '../../adapters/radius/codes.js';

// The RADIUS proxy as an operator meets it: APs by network prefix with one secret, rejected
// logins logged and counted per AP, and receive buffers that take the burst of retransmissions
// after a restart. Real FreeRADIUS behind the KMS; eapol_test and a small RADIUS client in front.

const UP = 'kms-to-aaa-secret';
const FLOOR = 'floor2-prefix-secret';
const EXACT = 'ap9-exact-secret';
const REASON = 'Account locked: call the helpdesk (ext 4321)';
const WRONG = 'not-bobs-password-31337';

/** One parsed kmsd log line per JSON object with this message. */
function logLines(kms: KmsHandle, msg: string): Record<string, unknown>[] {
  return kms
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.msg === msg);
}

describe('RADIUS clients by prefix, and rejected logins', () => {
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  beforeAll(async () => {
    aaa = await startFreeRadius({ secret: UP, rejectReplyMessage: REASON });
    kms = await startKms({
      clients: [
        { name: 'floor2', address: '127.20.0.0/16', secret: FLOOR },
        // Overlaps floor2: its one address is served with its own secret.
        { name: 'ap9', address: '127.20.0.9', secret: EXACT },
      ],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: UP }],
    });
  });
  afterAll(async () => {
    await kms?.stop();
    await aaa?.stop();
  });
  const auth = () => ({ address: '127.0.0.1', port: kms.authPort });

  it('serves any address inside the prefix with its secret; the exact client wins inside it; outside is dropped and counted', async () => {
    const [a] = await exchange(
      auth(),
      papRequest({ secret: FLOOR, user: 'bob', password: 'hunter2hunter2', station: '02:00:00:20:00:01' }),
      { source: '127.20.5.9' },
    );
    expect(a?.[0]).toBe(Code.AccessAccept);
    const [b] = await exchange(
      auth(),
      papRequest({ secret: EXACT, user: 'bob', password: 'hunter2hunter2', station: '02:00:00:20:00:02' }),
      { source: '127.20.0.9' },
    );
    expect(b?.[0]).toBe(Code.AccessAccept);
    // The prefix's secret from the exact client's address: that client's secret applies, so it fails.
    expect(
      await exchange(auth(), papRequest({ secret: FLOOR, user: 'bob', password: 'hunter2hunter2', station: '02:00:00:20:00:03' }), {
        source: '127.20.0.9',
        timeoutMs: 500,
      }),
    ).toHaveLength(0);
    expect(
      await exchange(auth(), papRequest({ secret: FLOOR, user: 'bob', password: 'hunter2hunter2', station: '02:00:00:20:00:04' }), {
        source: '127.21.0.1',
        timeoutMs: 500,
      }),
    ).toHaveLength(0);

    const m = await kms.metrics();
    expect(metricValue(m, 'kms_radius_answered_total', { code: 'AccessAccept', ap: 'floor2' })).toBe(1);
    expect(metricValue(m, 'kms_radius_answered_total', { code: 'AccessAccept', ap: 'ap9' })).toBe(1);
    expect(metricValue(m, 'kms_radius_dropped_total', { reason: 'message-authenticator-invalid', ap: 'ap9' })).toBe(1);
    expect(metricValue(m, 'kms_radius_dropped_total', { reason: 'unknown-client', ap: '' })).toBe(1);
    expect(metricValue(m, 'kms_radius_forwarded_total', { kind: 'auth', upstream: 'fr', ap: 'floor2' })).toBe(1);
    // The record names the AP's own address, not the prefix.
    const sta = await kms.api<{ ap: { clientAddress: string } }>('/v1/stations/02:00:00:20:00:01');
    expect(sta.body.ap.clientAddress).toBe('127.20.5.9');

    // Accounting from inside the prefix is answered with the prefix's secret too.
    const acct = await exchange(
      { address: '127.0.0.1', port: kms.acctPort },
      accountingRequest({
        secret: FLOOR,
        status: 1,
        station: '02:00:00:20:00:01',
        nasIdentifier: 'ap-floor2-7',
        calledStationId: '02-00-00-00-20-00:corp',
        sessionId: 'S1',
      }),
      { source: '127.20.5.9' },
    );
    expect(acct[0]?.[0]).toBe(Code.AccountingResponse);
  });

  it('logs a real reject (PAP) with AP, station, identity and the Reply-Message, never the password, and counts it per AP', async () => {
    const [r] = await exchange(
      auth(),
      papRequest({ secret: FLOOR, user: 'bob', password: WRONG, station: '02:00:00:20:00:10', nasIdentifier: 'ap-floor2-7' }),
      { source: '127.20.5.9' },
    );
    expect(r?.[0]).toBe(Code.AccessReject);
    expect(getString(decodePacket(r!), Attr.ReplyMessage)).toBe(REASON);
    await expect.poll(() => logLines(kms, 'login rejected').length).toBeGreaterThanOrEqual(1);
    expect(logLines(kms, 'login rejected')[0]).toMatchObject({
      ap: 'floor2',
      from: '127.20.5.9',
      nasIdentifier: 'ap-floor2-7',
      sta: '02:00:00:20:00:10',
      identity: 'bob',
      reason: REASON,
      upstream: 'fr',
    });
    expect(kms.logs()).not.toContain(WRONG);
    expect(metricValue(await kms.metrics(), 'kms_radius_answered_total', { code: 'AccessReject', ap: 'floor2' })).toBe(1);
  });

  it('logs a real EAP reject (PEAP, wrong inner password) with the outer identity', async () => {
    const before = logLines(kms, 'login rejected').length;
    const r = await runEapolTest({
      server: { ...auth(), secret: FLOOR },
      clientAddress: '127.20.6.1',
      method: 'PEAP',
      identity: 'alice',
      password: WRONG,
      anonymousIdentity: 'anonymous@corp.example',
      caCertPath: aaa.caCertPath,
      nasIdentifier: 'ap-floor2-8',
      calledStationId: calledStationId('02:00:00:00:20:08', 'corp'),
      stationMac: '02:00:00:20:00:11',
    });
    expect(r.success).toBe(false);
    expect(r.radiusMessages.some((m) => m.code === Code.AccessReject)).toBe(true);
    await expect.poll(() => logLines(kms, 'login rejected').length).toBe(before + 1);
    expect(logLines(kms, 'login rejected').at(-1)).toMatchObject({
      ap: 'floor2',
      from: '127.20.6.1',
      sta: '02:00:00:20:00:11',
      identity: 'anonymous@corp.example',
      reason: REASON,
    });
    expect(kms.logs()).not.toContain(WRONG);
    expect(metricValue(await kms.metrics(), 'kms_radius_answered_total', { code: 'AccessReject', ap: 'floor2' })).toBe(2);
  });
});

/**
 * The kernel caps every SO_RCVBUF at net.core.rmem_max (stock: 208 KiB); 3,000 requests at once
 * need about 2.5 MB of the kernel's accounting, i.e. a cap of at least ~1.3 MB. The Debian package's
 * sysctl.d drop-in raises it; a host without it gets kmsd's warning (the test after this one).
 */
const RMEM_MAX = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));

describe('receive buffers sized for bursts', () => {
  let aaa: FreeRadiusHandle;
  beforeAll(async () => {
    aaa = await startFreeRadius({ secret: UP, users: [{ name: 'burst', password: 'burst-password' }], debug: false, authLog: false });
  });
  afterAll(async () => {
    await aaa?.stop();
  });
  const start = (recvBufferBytes?: number) =>
    startKms({
      logLevel: 'info',
      clients: [{ name: 'aps', address: '127.0.0.0/8', secret: FLOOR }],
      // Retries: the upstream side (FreeRADIUS's socket, the KMS's upstream sockets) has buffers of its own.
      upstreams: [
        { name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: UP, timeoutMs: 2000, tries: 3 },
      ],
      ...(recvBufferBytes !== undefined ? { radius: { recvBufferBytes } } : {}),
    });

  it.skipIf(RMEM_MAX < 2 << 20)(
    'a 3,000-request burst the moment kmsd is up is answered in full, with nothing dropped on its socket (needs net.core.rmem_max >= 2 MiB)',
    async () => {
      const kms = await start();
      try {
        const b = await radiusBurst({ address: '127.0.0.1', port: kms.authPort, secret: FLOOR }, 3000, {
          user: 'burst',
          password: 'burst-password',
          waitMs: 10_000,
        });
        const authSocket = udpSocketDrops(kms.process.pid).filter((s) => s.port === kms.authPort);
        expect(authSocket).toHaveLength(1);
        expect(authSocket[0]!.drops).toBe(0);
        expect(b).toEqual({ sent: 3000, answered: 3000, accepts: 3000, badAnswers: 0 });
      } finally {
        await kms.stop();
      }
    },
  );

  it('applies the configured size, and says how to raise net.core.rmem_max when the kernel caps it', async () => {
    const rmemMax = RMEM_MAX;
    const fits = Math.max(65_536, Math.min(1 << 20, rmemMax));
    const kms = await start(fits);
    try {
      await expect.poll(() => logLines(kms, 'RADIUS sockets listening').length).toBe(1);
      // Linux doubles what it is given (its bookkeeping), which is what the socket reports.
      expect(logLines(kms, 'RADIUS sockets listening')[0]!.recvBuffers).toEqual({
        auth: { requested: fits, bytes: 2 * fits, capped: false },
        acct: { requested: fits, bytes: 2 * fits, capped: false },
      });
      expect(kms.logs()).not.toMatch(/net\.core\.rmem_max=/);
    } finally {
      await kms.stop();
    }
    const tooBig = Math.min(1 << 30, rmemMax * 2);
    const capped = await start(tooBig);
    try {
      await expect.poll(() => logLines(capped, 'RADIUS sockets listening').length).toBe(1);
      expect(logLines(capped, 'RADIUS sockets listening')[0]!.recvBuffers).toMatchObject({
        auth: { requested: tooBig, bytes: 2 * rmemMax, capped: true },
      });
      expect(capped.logs()).toContain(`sysctl -w net.core.rmem_max=${tooBig}`);
      // It still serves.
      const [a] = await exchange(
        { address: '127.0.0.1', port: capped.authPort },
        papRequest({ secret: FLOOR, user: 'burst', password: 'burst-password', station: '02:00:00:30:00:01' }),
      );
      expect(a?.[0]).toBe(Code.AccessAccept);
    } finally {
      await capped.stop();
    }
  });
});
