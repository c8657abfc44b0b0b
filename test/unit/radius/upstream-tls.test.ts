import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { RadsecConnections, type RadsecOptions } from '../../../adapters/radius/upstream-tls.js';
import { RadsecFramer } from '../../../adapters/radius/radsec-framer.js';
import { makeRadsecPki, type RadsecPki } from '../../helpers/radsec-certs.js';

// RadsecConnections against a Node TLS server standing in for the upstream: a stand-in because
// these are faults FreeRADIUS cannot be made to commit (a broken Length on the stream, a
// server that stops answering on an open connection). The happy path and a killed connection
// run against real FreeRADIUS in test/integration/kms-radsec.test.ts.

let pki: RadsecPki;
beforeAll(async () => {
  pki = await makeRadsecPki();
});
afterAll(async () => {
  await pki?.remove();
});

interface Stub {
  server: Server;
  port: number;
  sockets: TLSSocket[];
  /** Every packet received, with the connection it came on. */
  received: { conn: number; packet: Buffer }[];
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
}

async function stub(onPacket: (packet: Buffer, socket: TLSSocket) => void = () => {}): Promise<Stub> {
  const s: Stub = { server: null as unknown as Server, port: 0, sockets: [], received: [], waitFor: null as unknown as Stub['waitFor'] };
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const w of waiters) w();
  };
  s.server = createServer(
    {
      key: readFileSync(pki.serverKeyFile),
      cert: readFileSync(pki.serverCertFile),
      ca: readFileSync(pki.caFile),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => {
      const conn = s.sockets.push(socket) - 1;
      const framer = new RadsecFramer();
      socket.on('data', (d: Buffer) => {
        for (const p of framer.push(d)) {
          s.received.push({ conn, packet: p });
          onPacket(p, socket);
        }
        changed();
      });
      socket.on('error', () => {});
      changed();
    },
  );
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', () => r()));
  s.port = (s.server.address() as { port: number }).port;
  s.waitFor = (pred, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      if (pred()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error('condition not reached'));
      }, timeoutMs);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
    });
  return s;
}

const strays: string[] = [];
const logs: string[] = [];
let open: { c: RadsecConnections; s: Stub }[] = [];
afterEach(async () => {
  for (const { c, s } of open) {
    c.close();
    for (const sock of s.sockets) sock.destroy();
    await new Promise((r) => s.server.close(r));
  }
  open = [];
  strays.length = 0;
  logs.length = 0;
});

function connections(s: Stub, over: Partial<RadsecOptions> = {}): RadsecConnections {
  const c = new RadsecConnections({
    address: '127.0.0.1',
    port: s.port,
    maxConnections: 4,
    keepaliveMs: 60_000,
    answerTimeoutMs: 300,
    tls: {
      ca: readFileSync(pki.caFile, 'utf8'),
      cert: readFileSync(pki.clientCertFile, 'utf8'),
      key: readFileSync(pki.clientKeyFile, 'utf8'),
      serverName: 'radsec.test',
    },
    buildStatusServer: (identifier, onAnswer) => ({
      bytes: Buffer.from([12, identifier, 0, 20, ...Buffer.alloc(16)]),
      pending: { authenticator: Buffer.alloc(16), onAnswer: () => onAnswer() },
    }),
    stray: (r) => strays.push(r),
    log: (_level, _d, msg) => logs.push(msg),
    ...over,
  });
  open.push({ c, s });
  return c;
}

const request = (answers: Buffer[]) => (identifier: number) => ({
  bytes: Buffer.from([1, identifier, 0, 24, ...Buffer.alloc(16), 1, 4, 0x61, 0x62]),
  pending: { authenticator: Buffer.alloc(16), onAnswer: (reply: Buffer) => answers.push(reply) },
});

describe('RadsecConnections', () => {
  it('one connection carries requests and answers; past 256 outstanding a second one opens', async () => {
    const s = await stub();
    const c = connections(s);
    const answers: Buffer[] = [];
    for (let i = 0; i < 300; i++) expect(c.send(request(answers))).not.toBeNull();
    await s.waitFor(() => s.received.length === 300);
    expect(s.sockets).toHaveLength(2);
    expect(s.received.filter((r) => r.conn === 0)).toHaveLength(256);
    expect(c.inFlight).toBe(300);
    // An answer on each connection reaches its request.
    const first = s.received[0]!;
    s.sockets[0]!.write(Buffer.from([2, first.packet[1]!, 0, 20, ...Buffer.alloc(16)]));
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (answers.length === 1) {
          clearInterval(t);
          r();
        }
      }, 5);
    });
    expect(answers[0]![0]).toBe(2);
  });

  it('a Length that cannot be a packet closes the connection with the reason; what it held is written again on the next', async () => {
    let broke = false;
    const s = await stub((_p, socket) => {
      if (!broke) {
        broke = true;
        socket.write(Buffer.from([2, 0, 0, 5]));
      }
    });
    const c = connections(s);
    const answers: Buffer[] = [];
    c.send(request(answers));
    await s.waitFor(() => s.received.length === 2, 10_000);
    expect(strays).toEqual(['radsec-length-below-header']);
    expect(s.received[1]!.conn).toBe(1);
    expect(s.received[1]!.packet.equals(s.received[0]!.packet)).toBe(true);
    expect(logs).toContain('RadSec stream from upstream out of step; reconnecting');
  });

  it('an idle connection gets Status-Server; one left unanswered closes and reopens it', async () => {
    const s = await stub();
    const c = connections(s, { keepaliveMs: 200 });
    const answers: Buffer[] = [];
    c.send(request(answers));
    await s.waitFor(() => s.received.some((r) => r.packet[0] === 12));
    await s.waitFor(() => s.sockets.length === 2);
    expect(logs).toContain('RadSec keepalive (Status-Server) unanswered; reconnecting');
    expect(c.connected).toBe(1);
  });

  it('an answered keepalive keeps the connection', async () => {
    const s = await stub((p, socket) => {
      if (p[0] === 12) socket.write(Buffer.from([2, p[1]!, 0, 20, ...Buffer.alloc(16)]));
    });
    const c = connections(s, { keepaliveMs: 150 });
    c.send(request([]));
    await s.waitFor(() => s.received.filter((r) => r.packet[0] === 12).length >= 3);
    expect(s.sockets).toHaveLength(1);
    expect(c.connected).toBe(1);
  });
});

describe('RadsecConnections against a server that never finishes the handshake', () => {
  it('gives up on the connection, says so, and tries again with backoff', async () => {
    const { createServer: createTcpServer } = await import('node:net');
    const accepted: import('node:net').Socket[] = [];
    const silent = createTcpServer((sock) => {
      accepted.push(sock);
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const c = new RadsecConnections({
      address: '127.0.0.1',
      port,
      maxConnections: 1,
      keepaliveMs: 60_000,
      answerTimeoutMs: 100,
      tls: {
        ca: readFileSync(pki.caFile, 'utf8'),
        cert: readFileSync(pki.clientCertFile, 'utf8'),
        key: readFileSync(pki.clientKeyFile, 'utf8'),
        serverName: 'radsec.test',
      },
      buildStatusServer: () => {
        throw new Error('not idle');
      },
      stray: () => {},
      log: (_l, d, msg) => logs.push(`${msg} ${JSON.stringify(d)}`),
    });
    try {
      c.send(request([]));
      const end = Date.now() + 20_000;
      while (accepted.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(accepted.length).toBeGreaterThanOrEqual(2);
      expect(logs.join('\n')).toMatch(/RadSec connection to upstream could not be opened .*HANDSHAKE_TIMEOUT/);
      expect(c.inFlight).toBe(1); // still waiting for its answer (the proxy's timeout releases it)
    } finally {
      c.close();
      for (const s of accepted) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 30_000);
});
