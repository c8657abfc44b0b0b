import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { runEapolTest } from '../helpers/eapol-test.js';
import { startKms, metricValue, type KmsHandle, type KmsUpstreamSpec } from '../helpers/kms.js';
import { exchange, papRequest, accountingRequest } from '../helpers/radius-client.js';
import { makeRadsecPki, type RadsecPki } from '../helpers/radsec-certs.js';
import { runCommand } from '../helpers/netns.js';
import { Code } from '../../adapters/radius/codes.js';
import type { StationView } from '../../daemon/api/views.js';

// RadSec (RFC 6614) from the KMS to a real FreeRADIUS 3.2 TLS listener: the APs speak UDP to
// the KMS, the KMS speaks TLS upstream. The PKI is made with openssl for each run.

const AP = 'ap-to-kms-secret';

let pki: RadsecPki;
beforeAll(async () => {
  pki = await makeRadsecPki();
});
afterAll(async () => {
  await pki?.remove();
});

const radsecUpstream = (
  name: string,
  port: number,
  over: { ca?: string; serverName?: string; keepaliveS?: number } = {},
): KmsUpstreamSpec => ({
  name,
  address: '127.0.0.1',
  transport: 'tls',
  authPort: port,
  timeoutMs: 1000,
  tries: 2,
  tls: {
    ca: { file: over.ca ?? pki.caFile },
    certificate: { file: pki.clientCertFile },
    key: { file: pki.clientKeyFile },
    serverName: over.serverName ?? 'radsec.test',
    ...(over.keepaliveS ? { keepaliveS: over.keepaliveS } : {}),
  },
});

describe('RadSec upstream', () => {
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  beforeAll(async () => {
    aaa = await startFreeRadius({
      radsec: { certificateFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile },
    });
    kms = await startKms({
      clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
      upstreams: [radsecUpstream('fr-tls', aaa.radsecPort!, { keepaliveS: 1 })],
    });
  });
  afterAll(async () => {
    await kms?.stop();
    await aaa?.stop();
  });

  it('PEAP through the KMS over RadSec: SUCCESS, MPPE keys match, station record kept', async () => {
    const sta = '02:00:00:00:2a:01';
    const r = await runEapolTest({
      server: { address: '127.0.0.1', port: kms.authPort, secret: AP },
      method: 'PEAP',
      identity: 'alice',
      password: 'password',
      caCertPath: aaa.caCertPath,
      stationMac: sta,
    });
    if (!r.success) throw new Error(`eapol_test failed:\n${r.stdout.slice(-2000)}\n--- kmsd:\n${kms.logs().slice(-3000)}`);
    expect(r.mppeOk).toBe(true);
    expect(r.peerMsk!.equals(r.msk!)).toBe(true);
    const rec = await kms.kmsctlJson<StationView>(['station', sta]);
    expect(rec).toMatchObject({ staMac: sta, vlan: { untagged: 100 }, cui: 'cui-alice-0001' });
    // It went over TLS: FreeRADIUS saw the requests from its radsec client, on the TLS port.
    expect(aaa.logs()).toMatch(new RegExp(`Received Access-Request .* from 127\\.0\\.0\\.1:\\d+ to 127\\.0\\.0\\.1:${aaa.radsecPort}`));
    expect(kms.logs()).toMatch(/RadSec connection to upstream established/);
    const m = await kms.metrics();
    expect(metricValue(m, 'kms_radius_answered_total', { kind: 'auth', code: 'AccessAccept', upstream: 'fr-tls' })).toBe(1);
  });

  it('accounting goes over the same connection', async () => {
    const replies = await exchange(
      { address: '127.0.0.1', port: kms.acctPort },
      accountingRequest({
        secret: AP,
        status: 1,
        station: '02:00:00:00:2a:02',
        nasIdentifier: 'ap1',
        calledStationId: '02-00-00-00-03-00:kms-test',
        sessionId: 'radsec-acct-1',
      }),
    );
    expect(replies).toHaveLength(1);
    expect(replies[0]![0]).toBe(Code.AccountingResponse);
    expect(await aaa.accountingLog()).toMatch(/radsec-acct-1/);
  });

  it('an idle connection is kept with Status-Server, which FreeRADIUS answers over TLS', async () => {
    const mark = aaa.logMark();
    const m = await aaa.waitForLog(/Received Status-Server Id (\d+) from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+/, 10_000, mark);
    await aaa.waitForLog(new RegExp(`Sent Access-Accept Id ${m[1]} from 127\\.0\\.0\\.1:${aaa.radsecPort}`), 10_000, mark);
    // A second keepalive goes out on the same connection: the first was answered.
    await aaa.waitForLog(new RegExp(`Received Status-Server Id (?!${m[1]}\\b)\\d+`), 10_000, mark);
    expect(kms.logs()).not.toMatch(/keepalive \(Status-Server\) unanswered/);
  });

  it('a TLS connection killed mid-burst loses no request the AP retransmits', async () => {
    const total = 200;
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const requests = Array.from({ length: total }, (_, i) =>
      papRequest({
        secret: AP,
        user: 'bob',
        password: 'hunter2hunter2',
        station: `02:00:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
        identifier: i,
      }),
    );
    const answered = new Set<number>();
    const sent = new Set<number>();
    const send = (i: number) => {
      sent.add(i);
      socket.send(requests[i]!, kms.authPort, '127.0.0.1');
    };
    const done = new Promise<void>((resolve) => {
      socket.on('message', (m) => {
        if (m[0] === Code.AccessAccept) answered.add(m[1]!);
        if (answered.size === total) resolve();
      });
    });
    const mark = kms.logs().length;
    // The first half goes out at once; once some answers are back the KMS's TLS connection is cut
    // from under it, and only then does the second half go out. On a busy machine the whole first
    // half may be answered before the kill lands, so the second half is what guarantees that some
    // requests are in flight across the cut and need the connection the KMS opens again.
    const half = total / 2;
    for (let i = 0; i < half; i++) send(i);
    let killed = false;
    const killing = (async () => {
      while (answered.size < 20) await new Promise((r) => setTimeout(r, 5));
      const r = await runCommand('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=', `:${aaa.radsecPort}`]);
      killed = r.code === 0;
      for (let i = half; i < total; i++) send(i);
    })();
    // As an AP does: retransmit what is unanswered every second.
    const retransmitting = setInterval(() => {
      for (const i of sent) if (!answered.has(i)) socket.send(requests[i]!, kms.authPort, '127.0.0.1');
    }, 1000);
    try {
      await Promise.race([
        done,
        new Promise((_, rej) =>
          setTimeout(
            () => rej(new Error(`${answered.size}/${total} answered\n${kms.logs().slice(-4000)}\n---FR\n${aaa.logs().slice(-6000)}`)),
            30_000,
          ),
        ),
      ]);
    } finally {
      clearInterval(retransmitting);
      socket.close();
    }
    await killing;
    expect(killed).toBe(true);
    expect(answered.size).toBe(total);
    await expect.poll(() => kms.logs().slice(mark), { timeout: 5000 }).toMatch(/RadSec connection to upstream (closed|failed)/);
    await expect.poll(() => kms.logs().slice(mark), { timeout: 5000 }).toMatch(/RadSec connection to upstream established/);
    expect(metricValue(await kms.metrics(), 'kms_radius_upstream_up', { upstream: 'fr-tls' })).toBe(1);
  });
});

describe('RadSec server certificate checks', () => {
  let good: FreeRadiusHandle;
  let other: FreeRadiusHandle;
  let kms: KmsHandle;
  beforeAll(async () => {
    good = await startFreeRadius({ radsec: { certificateFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile } });
    other = await startFreeRadius({
      radsec: { certificateFile: pki.otherServerCertFile, keyFile: pki.otherServerKeyFile, caFile: pki.caFile },
    });
    kms = await startKms({
      clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
      upstreams: [
        radsecUpstream('other-ca', other.radsecPort!),
        radsecUpstream('wrong-name', good.radsecPort!, { serverName: 'aaa.example.org' }),
        // The last resort, UDP to the same good server: failover from RadSec works like UDP's.
        {
          name: 'udp',
          address: '127.0.0.1',
          authPort: good.authPort,
          acctPort: good.acctPort,
          secret: good.secret,
          timeoutMs: 1000,
          tries: 1,
        },
      ],
    });
  });
  afterAll(async () => {
    await kms?.stop();
    await good?.stop();
    await other?.stop();
  });

  it('refuses a server certificate from another CA or for another name, says so, and fails over', async () => {
    const replies = await exchange(
      { address: '127.0.0.1', port: kms.authPort },
      papRequest({ secret: AP, user: 'bob', password: 'hunter2hunter2', station: '02:00:00:00:2b:01' }),
      { timeoutMs: 10_000 },
    );
    expect(replies).toHaveLength(1);
    expect(replies[0]![0]).toBe(Code.AccessAccept);
    const logs = kms.logs();
    expect(logs).toMatch(
      /"upstream":"other-ca".*RadSec connection refused: server certificate (is not signed by|chains to a CA that is not) the configured CA/,
    );
    expect(logs).toMatch(
      /"upstream":"wrong-name".*"serverName":"aaa.example.org".*RadSec connection refused: server certificate does not carry the configured serverName/,
    );
    const m = await kms.metrics();
    expect(metricValue(m, 'kms_radius_answered_total', { kind: 'auth', code: 'AccessAccept', upstream: 'udp' })).toBe(1);
    // FreeRADIUS never got a request over either refused connection.
    expect(other.logs()).not.toMatch(/Received Access-Request/);
  });
});
