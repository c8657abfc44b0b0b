// SshTransport against ssh2's own in-process server running /bin/sh: runs without root, so the
// pinning, framing and reconnect logic are checked on every machine. The same behaviours
// against a real Dropbear are in test/integration/hostapd-control.test.ts.
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { type Client, Server, utils, type Connection } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApEvent } from '../../../daemon/ports/ap-driver.js';
import { SshTransport, sshFingerprint } from '../../../adapters/hostapd/index.js';
import { ed25519KeyPair } from '../../helpers/ssh-keys.js';

const hostKey = ed25519KeyPair();
const clientKey = ed25519KeyPair();
const pin = (pub: string): string => {
  const key = utils.parseKey(pub);
  if (key instanceof Error) throw key;
  return sshFingerprint(key.getPublicSSH());
};

describe('SshTransport (against an in-process ssh2 server)', () => {
  let server: Server;
  let port: number;
  const connections = new Set<Connection>();
  /** The server's side of each transport's command shell. */
  const shells = new Set<ReturnType<typeof spawn>>();
  const transports: SshTransport[] = [];

  beforeAll(async () => {
    server = new Server({ hostKeys: [hostKey.private] }, (conn) => {
      connections.add(conn);
      conn.on('close', () => connections.delete(conn));
      conn.on('error', () => undefined);
      conn.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
      conn.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          const ch = acceptExec();
          const child = spawn('sh', ['-c', info.command], { stdio: 'pipe' });
          if (info.command === 'sh') shells.add(child);
          child.on('close', () => shells.delete(child));
          ch.pipe(child.stdin).on('error', () => undefined);
          child.stdout.pipe(ch, { end: false });
          child.stderr.pipe(ch.stderr, { end: false });
          child.on('close', (code) => {
            ch.exit(code ?? 255);
            ch.end();
          });
          ch.on('close', () => child.kill('SIGKILL'));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await new Promise((resolve) => server.close(resolve));
  });
  const transport = (hostKeySha256 = pin(hostKey.public)): SshTransport => {
    const t = new SshTransport({
      apName: 'ap-unit',
      host: '127.0.0.1',
      port,
      privateKey: clientKey.private,
      hostKeySha256,
      backoffMinMs: 50,
      backoffMaxMs: 200,
    });
    transports.push(t);
    return t;
  };

  it('refuses a host key that does not match the pin, naming both fingerprints', async () => {
    const other = pin(ed25519KeyPair().public);
    const err = await transport(other)
      .connect()
      .then(
        () => null,
        (e: Error) => e,
      );
    expect(err).toMatchObject({ code: 'host-key' });
    expect(err!.message).toContain(`presented host key ${pin(hostKey.public)}, but ${other} is pinned`);
    expect(() => transport('SHA256:short')).toThrow(/host key pin/);
  });

  it('runs commands one at a time with stdout, stderr and exit status', async () => {
    const t = transport();
    const results = await Promise.all([t.run('echo one'), t.run('echo two >&2; exit 4'), t.run("printf 'no newline'")]);
    expect(results).toEqual([
      { stdout: 'one\n', stderr: '', exitCode: 0 },
      { stdout: '', stderr: 'two\n', exitCode: 4 },
      { stdout: 'no newline', stderr: '', exitCode: 0 },
    ]);
    await expect(t.run('sleep 2', 100)).rejects.toMatchObject({ code: 'timeout' });
    expect(await t.run('echo still here')).toMatchObject({ stdout: 'still here\n' });
  });

  it('reports down/up when the server drops the connection, fails the command in flight and carries on', async () => {
    const t = transport();
    const seen: ApEvent[] = [];
    t.on('transport', (e: ApEvent) => seen.push(e));
    const lines: string[] = [];
    t.stream("sh -c 'echo started; exec sleep 60'", (l) => lines.push(l));
    await t.connect();
    await expect.poll(() => lines, { timeout: 3000 }).toEqual(['started']);
    const inFlight = t.run('sleep 5').then(
      () => null,
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 100));
    for (const c of connections) c.end();
    expect(await inFlight).toMatchObject({ code: 'connection-lost' });
    await expect.poll(() => seen.map((e) => e.type === 'transport' && e.up), { timeout: 3000 }).toEqual([true, false, true]);
    expect(await t.run('echo again')).toMatchObject({ stdout: 'again\n', exitCode: 0 });
    await expect.poll(() => lines, { timeout: 3000 }).toEqual(['started', 'started']); // the stream was restarted
  });

  it('survives a shell that ends while its connection is already going down', async () => {
    const t = transport();
    const seen: boolean[] = [];
    t.on('transport', (e: ApEvent) => e.type === 'transport' && seen.push(e.up));
    await t.connect();
    // Past its first second a shell that ends is reopened on the same connection. If that
    // connection is already going down (an AP's sshd killed), ssh2's exec() throws instead of
    // calling back. That moment cannot be timed from outside, so exec() is made to throw once,
    // as ssh2 does then: a stand-in for one fault, the rest is the real client and server.
    const upAt = Date.now();
    await expect.poll(() => Date.now() - upAt > 1100, { timeout: 3000, interval: 100 }).toBe(true);
    // Only this transport's client: the other tests' transports lose their shells too, and
    // reopen them as usual.
    const client = (t as unknown as { client: Client }).client;
    Object.defineProperty(client, 'exec', {
      configurable: true,
      value: () => {
        // Drop the own property again, so the prototype's exec serves the next reopen.
        Reflect.deleteProperty(client, 'exec');
        throw new Error('Not connected');
      },
    });
    for (const sh of shells) sh.kill('SIGKILL');
    await expect.poll(() => seen, { timeout: 5000 }).toEqual([true, false, true]);
    expect(await t.run('echo back')).toMatchObject({ stdout: 'back\n', exitCode: 0 });
  });
});
