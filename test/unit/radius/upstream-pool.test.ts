import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamPool, type UpstreamServerConfig } from '../../../adapters/radius/upstream-pool.js';

// A reload's new upstream list (UpstreamPool.replace): unchanged servers are kept with their
// state, changed and removed ones retire and close only when their last request has settled.
// A real UDP socket stands in for the upstream's port: nothing here needs it to answer.

const events = { stateChanged: () => {}, stray: () => {} };
const cfg = (name: string, port: number, over: Partial<UpstreamServerConfig> = {}): UpstreamServerConfig => ({
  name,
  address: '127.0.0.1',
  authPort: port,
  acctPort: port,
  secret: Buffer.from(`${name}-secret`),
  timeoutMs: 1000,
  tries: 2,
  ...over,
});

/** One Access-Request out on a server's auth socket; returns its release (null when refused). */
const sendOne = (server: UpstreamPool['servers'][number]) =>
  server.auth.send((identifier) => ({
    bytes: Buffer.from([1, identifier, 0, 20, ...Buffer.alloc(16)]),
    pending: { authenticator: Buffer.alloc(16), onAnswer: () => {} },
  }));

describe('UpstreamPool.replace', () => {
  let sink: Socket | null = null;
  let pool: UpstreamPool | null = null;
  afterEach(() => {
    pool?.close();
    sink?.close();
  });
  const sinkPort = async () => {
    sink = createSocket('udp4');
    await new Promise<void>((r) => sink!.bind(0, '127.0.0.1', () => r()));
    return sink.address().port;
  };

  it('keeps an unchanged server (and that it is dead), replaces a changed one, drops a removed one', async () => {
    const port = await sinkPort();
    pool = new UpstreamPool([cfg('a', port), cfg('b', port), cfg('c', port)], 256, events);
    const [a, b] = pool.servers;
    a!.markDead('test', 60_000);
    const r = pool.replace([cfg('a', port), cfg('b', port, { secret: Buffer.from('new') })]);
    expect(r).toEqual({ kept: ['a'], added: ['b'], retired: ['b', 'c'] });
    expect(pool.servers[0]).toBe(a);
    expect(pool.servers[0]!.alive).toBe(false);
    expect(pool.servers[1]).not.toBe(b);
    expect(b!.retired).toBe(true);
    expect(pool.retiring.size).toBe(0); // nothing in flight: closed at once
  });

  it('a retired server with a request in flight stays open until it settles', async () => {
    const port = await sinkPort();
    pool = new UpstreamPool([cfg('a', port)], 256, events);
    const old = pool.servers[0]!;
    const release = sendOne(old);
    expect(release).not.toBeNull();
    pool.replace([cfg('a', port, { timeoutMs: 2000 })]);
    expect(pool.retiring.has(old)).toBe(true);
    expect(
      old.auth.send(() => ({ bytes: Buffer.alloc(20), pending: { authenticator: Buffer.alloc(16), onAnswer: () => {} } })),
    ).not.toBeNull(); // still open
    release!();
    pool.reap();
    expect(pool.retiring.has(old)).toBe(true); // the second request is still out
  });

  it('closes the retired server once its last request is released', async () => {
    const port = await sinkPort();
    pool = new UpstreamPool([cfg('a', port)], 256, events);
    const old = pool.servers[0]!;
    const release = sendOne(old)!;
    pool.replace([]);
    expect(pool.retiring.has(old)).toBe(true);
    release();
    pool.reap();
    expect(pool.retiring.has(old)).toBe(false);
    // Closed: it takes nothing new.
    expect(old.auth.send(() => ({ bytes: Buffer.alloc(20), pending: { authenticator: Buffer.alloc(16), onAnswer: () => {} } }))).toBeNull();
  });

  it('a retired server is never marked dead (no probes for a server nobody uses)', async () => {
    const port = await sinkPort();
    const changes: string[] = [];
    pool = new UpstreamPool([cfg('a', port)], 256, { ...events, stateChanged: (s, alive) => changes.push(`${s.config.name}:${alive}`) });
    const old = pool.servers[0]!;
    pool.replace([]);
    old.markDead('late timeout', 10);
    expect(old.alive).toBe(true);
    expect(changes).toEqual([]);
  });
});
