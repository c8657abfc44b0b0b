import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamServer, type UpstreamServerConfig } from '../../../adapters/radius/upstream-pool.js';
import { decodePacket } from '../../../adapters/radius/packet.js';
import { finishResponse } from '../../../adapters/radius/authenticators.js';
import { Code } from '../../../adapters/radius/codes.js';

// UpstreamServer's dead detection on its own: a request that went unanswered makes the server
// a zombie only if nothing was answered since it was sent; a zombie that answers Status-Server
// stays in service, one that does not is dead after the zombie period. A real UDP socket plays
// the upstream (answering Status-Server or not); the integration test does it with FreeRADIUS.

const SECRET = Buffer.from('dead-test-secret');
let upstream: Socket | null = null;
let server: UpstreamServer | null = null;
afterEach(() => {
  server?.close();
  upstream?.close();
  server = upstream = null;
});

async function fakeUpstream(answerStatusServer: boolean): Promise<number> {
  upstream = createSocket('udp4');
  upstream.on('message', (msg, rinfo) => {
    const p = decodePacket(msg);
    if (p.code !== Code.StatusServer || !answerStatusServer) return;
    const reply = finishResponse(
      { code: Code.AccessAccept, identifier: p.identifier, authenticator: p.authenticator, attributes: [] },
      p.authenticator,
      SECRET,
    );
    upstream!.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstream!.bind(0, '127.0.0.1', () => r()));
  return upstream.address().port;
}

function make(port: number, states: [boolean, string][]): UpstreamServer {
  const cfg: UpstreamServerConfig = {
    name: 'u',
    address: '127.0.0.1',
    authPort: port,
    acctPort: port,
    secret: SECRET,
    timeoutMs: 100,
    tries: 2,
  };
  return new UpstreamServer(cfg, 1, { stateChanged: (_s, alive, why) => states.push([alive, why]), stray: () => {} });
}

const until = async (pred: () => boolean, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('UpstreamServer dead detection', () => {
  it('an answer since the request was sent: that request was discarded, the server is fine', async () => {
    const states: [boolean, string][] = [];
    server = make(await fakeUpstream(false), states);
    const sentAt = performance.now();
    server.markAnswered(); // another request's answer, after this one was sent
    expect(server.requestUnanswered(sentAt, 1000)).toBe(false);
    expect(server.zombie).toBe(false);
    expect(server.alive).toBe(true);
    expect(states).toEqual([]);
  });

  it('nothing answered since: zombie, Status-Server at once; answered, it stays alive', async () => {
    const states: [boolean, string][] = [];
    server = make(await fakeUpstream(true), states);
    expect(server.requestUnanswered(performance.now(), 1000)).toBe(true);
    expect(server.zombie).toBe(true);
    await until(() => !server!.zombie);
    expect(server.alive).toBe(true);
    expect(states).toEqual([]);
  });

  it('nothing answered, Status-Server neither: dead after the zombie period, then probed back', async () => {
    const states: [boolean, string][] = [];
    const port = await fakeUpstream(false);
    server = make(port, states);
    const started = performance.now();
    expect(server.requestUnanswered(started, 50)).toBe(true);
    await until(() => !server!.alive);
    // Zombie period = tries x timeout.
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    expect(states).toEqual([[false, expect.stringMatching(/^no answer to any request or Status-Server for \d+ s$/)]]);
    // A second request timing out meanwhile does not restart anything.
    expect(server.requestUnanswered(performance.now(), 50)).toBe(false);
    // The server starts answering Status-Server: the dead-probes bring it back.
    upstream!.removeAllListeners('message');
    upstream!.close();
    upstream = null;
    await fakeUpstreamOn(port);
    await until(() => server!.alive);
    expect(states.at(-1)).toEqual([true, 'answered']);
  });
});

async function fakeUpstreamOn(port: number): Promise<void> {
  upstream = createSocket('udp4');
  upstream.on('message', (msg, rinfo) => {
    const p = decodePacket(msg);
    const reply = finishResponse(
      { code: Code.AccessAccept, identifier: p.identifier, authenticator: p.authenticator, attributes: [] },
      p.authenticator,
      SECRET,
    );
    upstream!.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstream!.bind(port, '127.0.0.1', () => r()));
}

describe('a reload and RadSec servers', () => {
  it('keeps one whose TLS material is unchanged, replaces one whose serverName or certificate changed', async () => {
    const { UpstreamPool } = await import('../../../adapters/radius/upstream-pool.js');
    const tls = { ca: 'CA', cert: 'CERT', key: 'KEY', serverName: 'aaa.example', keepaliveMs: 20_000 };
    const cfg = (name: string, over: Partial<typeof tls> = {}): UpstreamServerConfig => ({
      name,
      address: '127.0.0.1',
      authPort: 2083,
      acctPort: 2083,
      secret: Buffer.from('radsec'),
      timeoutMs: 1000,
      tries: 2,
      tls: { ...tls, ...over },
    });
    const pool = new UpstreamPool([cfg('a'), cfg('b'), cfg('c')], 256, { stateChanged: () => {}, stray: () => {} });
    try {
      const [a] = pool.servers;
      // One transport for both kinds: RFC 6614 carries auth and accounting on one connection.
      expect(a!.auth).toBe(a!.acct);
      expect(a!.triesPerRequest).toBe(1);
      expect(a!.tryTimeoutMs).toBe(2000);
      const r = pool.replace([cfg('a'), cfg('b', { serverName: 'other.example' }), cfg('c', { cert: 'NEW' })]);
      expect(r).toEqual({ kept: ['a'], added: ['b', 'c'], retired: ['b', 'c'] });
      expect(pool.servers[0]).toBe(a);
    } finally {
      pool.close();
    }
  });
});
