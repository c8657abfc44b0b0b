import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { startFreeRadius, freeUdpPort, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { runEapolTest } from '../helpers/eapol-test.js';
import { startKms, metricValue, type KmsHandle } from '../helpers/kms.js';
import { exchange, papRequest, retransmit } from '../helpers/radius-client.js';
import { decodePacket, encodePacket } from '../../adapters/radius/packet.js';
import { Attr, Code } from '../../adapters/radius/codes.js';
import { finishResponse } from '../../adapters/radius/authenticators.js';

// Bad input from APs and from upstream, dead upstreams, retransmissions, and kill -9: every fault
// is dropped with a counted reason and the KMS keeps serving everyone else.

const UP = 'kms-to-aaa-secret';
const AP = 'ap-to-kms-secret';

describe('bad input from APs', () => {
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  beforeAll(async () => {
    aaa = await startFreeRadius({ secret: UP });
    kms = await startKms({
      clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: UP }],
    });
  });
  afterAll(async () => {
    await kms?.stop();
    await aaa?.stop();
  });

  it('drops each kind of bad packet with its reason, then still authenticates', async () => {
    const target = { address: '127.0.0.1', port: kms.authPort };
    const good = papRequest({ secret: AP, user: 'bob', password: 'hunter2hunter2', station: '02:00:00:00:0a:01' });
    const noMa = encodePacket({
      ...decodePacket(good),
      attributes: decodePacket(good).attributes.filter((a) => a.type !== Attr.MessageAuthenticator),
    });
    const cases: [string, Buffer, string?][] = [
      ['truncated header', good.subarray(0, 12)],
      ['length field beyond datagram', good.subarray(0, good.length - 5)],
      ['oversized', Buffer.concat([good, Buffer.alloc(5000)])],
      ['random', randomBytes(300)],
      ['wrong secret', papRequest({ secret: 'not-the-secret', user: 'bob', password: 'x', station: '02:00:00:00:0a:02' })],
      ['no Message-Authenticator', noMa],
      ['accounting code on auth port', Buffer.from([4, 1, 0, 20, ...Buffer.alloc(16)])],
      ['unknown client', good, '127.0.0.9'],
    ];
    for (const [what, bytes, source] of cases) {
      const replies = await exchange(target, bytes, { source, timeoutMs: 300 });
      expect(replies, what).toHaveLength(0);
    }
    const m = await kms.metrics();
    const dropped = (reason: string) => metricValue(m, 'kms_radius_dropped_total', { reason });
    expect(dropped('malformed-short-header') + dropped('malformed-packet-too-short')).toBeGreaterThanOrEqual(1);
    expect(dropped('message-authenticator-invalid')).toBe(1);
    expect(dropped('message-authenticator-missing')).toBe(1);
    expect(dropped('unknown-client')).toBe(1);
    expect(dropped('unexpected-code')).toBe(1);
    const malformed = m.split('\n').filter((l) => l.startsWith('kms_radius_dropped_total{reason="malformed-'));
    expect(
      malformed.reduce((n, l) => n + Number(l.split(' ')[1]), 0),
      malformed.join('\n'),
    ).toBe(4);
    expect(kms.logs()).toMatch(/"reason":"unknown-client".*RADIUS packet dropped/);

    const ok = await exchange(target, good);
    expect(ok).toHaveLength(1);
    expect(ok[0]![0]).toBe(Code.AccessAccept);
    expect(kms.process.isRunning()).toBe(true);
  });

  it('a retransmission gets the same answer and is not forwarded twice', async () => {
    const target = { address: '127.0.0.1', port: kms.authPort };
    const req = papRequest({ secret: AP, user: 'bob', password: 'hunter2hunter2', station: '02:00:00:00:0b:01', identifier: 77 });
    const mark = aaa.logMark();
    // Three copies from one source port, 400 ms apart: the answer has come back before the 2nd.
    const replies = await retransmit(target, req, 3, 400);
    expect(replies).toHaveLength(3);
    expect(replies[1]!.equals(replies[0]!) && replies[2]!.equals(replies[0]!)).toBe(true);
    const forwarded = aaa
      .logs()
      .split('\n')
      .slice(mark)
      .filter((l) => /Received Access-Request/.test(l));
    expect(forwarded).toHaveLength(1);
    expect(metricValue(await kms.metrics(), 'kms_radius_dropped_total', { reason: 'duplicate-answered-from-cache' })).toBe(2);
  });
});

describe('bad answers from upstream', () => {
  // The one fault FreeRADIUS will not produce: an answer with a forged authenticator or without
  // Message-Authenticator. A small UDP responder plays that upstream (a deliberate mock).
  let fake: Socket;
  let kms: KmsHandle;
  let mode: 'bad-authenticator' | 'no-ma' = 'bad-authenticator';
  beforeAll(async () => {
    fake = createSocket('udp4');
    await new Promise<void>((r) => fake.bind(0, '127.0.0.1', () => r()));
    fake.on('message', (msg, rinfo) => {
      const req = decodePacket(msg);
      const accept = finishResponse(
        { code: Code.AccessAccept, identifier: req.identifier, authenticator: req.authenticator, attributes: [] },
        req.authenticator,
        UP,
        { messageAuthenticator: mode !== 'no-ma' },
      );
      if (mode === 'bad-authenticator') accept[5] ^= 0x01;
      fake.send(accept, rinfo.port, rinfo.address);
    });
    kms = await startKms({
      clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
      upstreams: [
        {
          name: 'forger',
          address: '127.0.0.1',
          authPort: fake.address().port,
          acctPort: fake.address().port,
          secret: UP,
          timeoutMs: 300,
          tries: 1,
        },
      ],
    });
  });
  afterAll(async () => {
    await kms?.stop();
    fake?.close();
  });

  it('drops an Accept with a bad Response Authenticator and one without Message-Authenticator', async () => {
    const target = { address: '127.0.0.1', port: kms.authPort };
    expect(
      await exchange(target, papRequest({ secret: AP, user: 'u', password: 'p', station: '02:00:00:00:0c:01' }), { timeoutMs: 800 }),
    ).toHaveLength(0);
    mode = 'no-ma';
    expect(
      await exchange(target, papRequest({ secret: AP, user: 'u', password: 'p', station: '02:00:00:00:0c:02' }), { timeoutMs: 800 }),
    ).toHaveLength(0);
    const m = await kms.metrics();
    expect(metricValue(m, 'kms_radius_dropped_total', { reason: 'upstream-response-authenticator-invalid' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(m, 'kms_radius_dropped_total', { reason: 'upstream-message-authenticator-missing' })).toBeGreaterThanOrEqual(1);
    const stations = await kms.api<{ stations: unknown[] }>('/v1/stations');
    expect(stations.body.stations).toHaveLength(0);
  });
});

describe('upstream failover', () => {
  it('fails over to the next server, marks the silent one dead, and uses it again once Status-Server is answered', async () => {
    // A bound socket that never answers: the primary is "down" in the way that matters.
    const silentPort = await freeUdpPort();
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(silentPort, '127.0.0.1', () => r()));
    const backup = await startFreeRadius({ secret: UP });
    const kms = await startKms({
      clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
      upstreams: [
        { name: 'primary', address: '127.0.0.1', authPort: silentPort, acctPort: silentPort + 1, secret: UP, timeoutMs: 300, tries: 2 },
        {
          name: 'backup',
          address: '127.0.0.1',
          authPort: backup.authPort,
          acctPort: backup.acctPort,
          secret: UP,
          timeoutMs: 1000,
          tries: 2,
        },
      ],
      radius: { deadProbeIntervalS: 1 },
    });
    let primary: FreeRadiusHandle | undefined;
    try {
      const r = await runEapolTest({
        server: { address: '127.0.0.1', port: kms.authPort, secret: AP },
        identity: 'alice',
        password: 'password',
        caCertPath: backup.caCertPath,
        stationMac: '02:00:00:00:0d:01',
      });
      expect(r.success).toBe(true);
      // Dead once the zombie period's Status-Servers have gone unanswered too.
      await expect
        .poll(async () => metricValue(await kms.metrics(), 'kms_radius_upstream_up', { upstream: 'primary' }), {
          timeout: 8000,
          interval: 100,
        })
        .toBe(0);
      let m = await kms.metrics();
      expect(metricValue(m, 'kms_radius_upstream_up', { upstream: 'backup' })).toBe(1);
      expect(kms.logs()).toMatch(/"upstream":"primary".*marked dead/);

      // The primary comes back (a real FreeRADIUS on its port): the probes notice it.
      silent.close();
      primary = await startFreeRadius({ secret: UP, authPort: silentPort, acctPort: silentPort + 1 });
      await expect
        .poll(async () => metricValue(await kms.metrics(), 'kms_radius_upstream_up', { upstream: 'primary' }), {
          timeout: 8000,
          interval: 250,
        })
        .toBe(1);
      const mark = primary.logMark();
      const r2 = await runEapolTest({
        server: { address: '127.0.0.1', port: kms.authPort, secret: AP },
        identity: 'alice',
        password: 'password',
        caCertPath: primary.caCertPath,
        stationMac: '02:00:00:00:0d:02',
      });
      expect(r2.success).toBe(true);
      await primary.waitForLog(/Received Access-Request/, 2000, mark);
      m = await kms.metrics();
      expect(metricValue(m, 'kms_radius_answered_total', { kind: 'auth', code: 'AccessAccept', upstream: 'primary' })).toBe(1);
    } finally {
      await kms.stop();
      await primary?.stop();
      await backup.stop();
      try {
        silent.close();
      } catch {
        /* already closed */
      }
    }
  });
});

describe('kill -9 in the middle of a burst', () => {
  it('loses no record whose Accept was relayed', async () => {
    const aaa = await startFreeRadius({ secret: UP, debug: false });
    const kms = await startKms({
      logLevel: 'warn',
      clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: UP }],
    });
    try {
      // One socket per 256 requests, so (socket, identifier) names exactly one request: with one
      // socket, a late Accept for request i would be taken for request i + 256, whose record
      // need not exist yet.
      const accepted: string[] = [];
      const sockets: ReturnType<typeof createSocket>[] = [];
      const stations = new Map<string, string>();
      const socketFor = async (block: number) => {
        if (sockets[block]) return sockets[block]!;
        const socket = createSocket('udp4');
        socket.on('message', (msg) => {
          const sta = stations.get(`${block}:${msg[1]}`);
          if (sta && msg[0] === Code.AccessAccept) accepted.push(sta);
        });
        await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
        return (sockets[block] = socket);
      };
      let killed = false;
      for (let i = 0; i < 2000 && !killed; i++) {
        const sta = `02:00:00:01:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
        const socket = await socketFor(i >> 8);
        stations.set(`${i >> 8}:${i & 0xff}`, sta);
        socket.send(
          papRequest({ secret: AP, user: 'bob', password: 'hunter2hunter2', station: sta, identifier: i & 0xff }),
          kms.authPort,
          '127.0.0.1',
        );
        if (i % 16 === 15) await new Promise((r) => setTimeout(r, 5));
        if (accepted.length >= 150) {
          await kms.kill9();
          killed = true;
        }
      }
      for (const s of sockets) s.close();
      expect(killed).toBe(true);
      await kms.restart();
      const { body } = await kms.api<{ stations: { staMac: string }[] }>('/v1/stations');
      const have = new Set(body.stations.map((s) => s.staMac));
      const missing = accepted.filter((s) => !have.has(s));
      expect(accepted.length).toBeGreaterThanOrEqual(150);
      expect(missing).toEqual([]);
    } finally {
      await kms.stop();
      await aaa.stop();
    }
  });
});

/** Nice value of each of a process's threads (field 19 of /proc/PID/task/TID/stat). */
function threadNice(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16]));
  }
  return out;
}

describe('start-up', () => {
  it("keeps the RADIUS thread at the service's priority and runs the main and checkpoint threads nicer", async () => {
    const aaa = await startFreeRadius({ secret: UP });
    const kms = await startKms({
      logLevel: 'info',
      radius: { otherThreadsNice: 7 },
      clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: UP }],
    });
    try {
      const ready = kms
        .logs()
        .split('\n')
        .find((l) => l.includes('"kmsd ready"'));
      const radiusTid = Number(JSON.parse(ready!).radiusThread);
      const pid = kms.process.pid!;
      let nice = threadNice(pid);
      // The checkpoint thread is lowered once it has reported its id: wait for it.
      for (let i = 0; i < 50 && [...nice.values()].filter((n) => n === 7).length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        nice = threadNice(pid);
      }
      expect(radiusTid).not.toBe(pid);
      expect(nice.get(radiusTid)).toBe(0);
      expect(nice.get(pid)).toBe(7);
      expect([...nice.values()].filter((n) => n === 7).length).toBeGreaterThanOrEqual(2);
      // And it still answers.
      const replies = await exchange(
        { address: '127.0.0.1', port: kms.authPort },
        papRequest({ secret: AP, user: 'bob', password: 'hunter2hunter2', station: '02:00:00:00:0c:01' }),
      );
      expect(replies[0]![0]).toBe(Code.AccessAccept);
    } finally {
      await kms.stop();
      await aaa.stop();
    }
  });

  it('refuses to start, and says why, when its RADIUS port is taken', async () => {
    // The RADIUS sockets are bound on kmsd's RADIUS thread: its failure must reach the operator.
    const port = await freeUdpPort();
    const squatter = createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(port, '127.0.0.1', () => r()));
    try {
      const started = startKms({
        logLevel: 'warn',
        authPort: port,
        clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP }],
        upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: 9, acctPort: 9, secret: UP }],
      });
      await expect(started).rejects.toThrow(/exited during start-up[\s\S]*kmsd: cannot start: .*EADDRINUSE/);
    } finally {
      squatter.close();
    }
  });
});
