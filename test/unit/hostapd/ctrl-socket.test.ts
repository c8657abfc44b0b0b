// CtrlSocketClient against a scripted stand-in for hostapd's ctrl socket (a real AF_UNIX
// datagram socket): ordering, event separation, timeouts, restarts. The real hostapd is in
// test/integration/hostapd-control.test.ts.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import unixDgram from 'unix-dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApEvent } from '../../../daemon/ports/ap-driver.js';
import { CtrlSocketClient } from '../../../adapters/hostapd/index.js';

const STA = '02:00:00:00:00:41';
type Handler = (cmd: string, reply: (text: string) => void, from: string) => void;

/** A fake hostapd BSS socket; `handler` decides what to answer. */
class FakeHostapd {
  sock: unixDgram.UnixDgramSocket | null = null;
  received: string[] = [];
  monitors = new Set<string>();
  constructor(
    readonly path: string,
    public handler: Handler,
  ) {}
  start(): void {
    rmSync(this.path, { force: true });
    const s = unixDgram.createSocket('unix_dgram');
    s.on('error', () => undefined);
    s.on('message', (msg, rinfo) => {
      const cmd = msg.toString();
      this.received.push(cmd);
      if (cmd === 'ATTACH') this.monitors.add(rinfo.path!);
      this.handler(cmd, (text) => this.sendTo(rinfo.path!, text), rinfo.path!);
    });
    s.bind(this.path);
    this.sock = s;
  }
  sendTo(path: string, text: string): void {
    this.sock?.send(Buffer.from(text), 0, Buffer.byteLength(text), path, () => undefined);
  }
  event(text: string): void {
    for (const m of this.monitors) this.sendTo(m, `<3>${text}`);
  }
  /** Like a killed hostapd: the socket file stays, nobody reads it, monitors are forgotten. */
  stop(): void {
    this.sock?.close();
    this.sock = null;
    this.monitors.clear();
  }
}

const standard: Handler = (cmd, reply) =>
  reply(cmd === 'PING' ? 'PONG\n' : cmd === 'ATTACH' || cmd === 'DETACH' ? 'OK\n' : `reply:${cmd}\n`);
const _sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CtrlSocketClient (against a scripted socket)', () => {
  let dir: string;
  let hostapd: FakeHostapd;
  let client: CtrlSocketClient | null;
  let events: ApEvent[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-ctrl-'));
    hostapd = new FakeHostapd(join(dir, 'wlan0'), standard);
    hostapd.start();
    client = null;
    events = [];
  });
  afterEach(async () => {
    await client?.close();
    hostapd.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (heartbeatMs = 0, timeoutMs = 500): CtrlSocketClient => {
    client = new CtrlSocketClient({ path: hostapd.path, localDir: dir, heartbeatMs, timeoutMs });
    client.on('event', (e: ApEvent) => events.push(e));
    return client;
  };

  it('serializes requests and matches replies in order, separating events', async () => {
    let outstanding = 0;
    let maxOutstanding = 0;
    hostapd.handler = (cmd, reply) => {
      outstanding += 1;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      hostapd.event(`AP-STA-CONNECTED ${STA}`); // an event overtakes each reply
      setTimeout(() => {
        outstanding -= 1;
        standard(cmd, reply, '');
      }, 2);
    };
    const c = open();
    await c.attach();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => c.request(`CMD${i}`)));
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => `reply:CMD${i}\n`));
    expect(maxOutstanding).toBe(1);
    expect(events.filter((e) => e.type === 'sta-connected').length).toBe(21);
    expect(events[0]).toEqual({ type: 'sta-connected', ifname: 'wlan0', staMac: STA });
  });

  it('after a timeout a late reply is not taken for the next answer', async () => {
    let late: (() => void) | null = null;
    hostapd.handler = (cmd, reply) => (cmd === 'SLOW' ? (late = () => reply('late\n')) : standard(cmd, reply, ''));
    const c = open(0, 100);
    const before = readdirSync(dir).length;
    await expect(c.request('SLOW')).rejects.toMatchObject({ code: 'timeout' });
    expect(events).toEqual([{ type: 'transport', up: false, reason: 'wlan0: request timed out' }]);
    late!(); // goes to the old, now closed path
    expect(await c.request('NEXT')).toBe('reply:NEXT\n');
    expect(events[1]).toEqual({ type: 'transport', up: true });
    expect(readdirSync(dir).length).toBe(before); // the old socket file was removed
  });

  it('reports an unreachable hostapd and recovers, re-attaching after a restart', async () => {
    const c = open(40);
    await c.attach();
    hostapd.stop();
    await expect(c.request('PING')).rejects.toMatchObject({ code: 'unreachable' });
    expect(c.connected).toBe(false);
    hostapd.start(); // fresh hostapd: knows no monitors
    await expect.poll(() => c.connected, { timeout: 2000 }).toBe(true);
    await expect.poll(() => hostapd.monitors.size, { timeout: 2000 }).toBe(1);
    hostapd.event(`AP-STA-DISCONNECTED ${STA}`);
    await expect.poll(() => events.at(-1), { timeout: 2000 }).toEqual({ type: 'sta-disconnected', ifname: 'wlan0', staMac: STA });
    expect(events.filter((e) => e.type === 'transport')).toEqual([
      { type: 'transport', up: false, reason: expect.stringContaining('not listening') },
      { type: 'transport', up: true },
    ]);
  });

  it('an ATTACH that failed because hostapd was not there yet is retried until it works', async () => {
    hostapd.stop();
    rmSync(hostapd.path);
    const c = open(30);
    await expect(c.attach()).rejects.toMatchObject({ code: 'unreachable' });
    expect(c.isAttached).toBe(true);
    hostapd.start();
    await expect.poll(() => hostapd.monitors.size, { timeout: 2000 }).toBe(1);
    hostapd.event(`AP-STA-CONNECTED ${STA}`);
    await expect.poll(() => events.at(-1), { timeout: 2000 }).toEqual({ type: 'sta-connected', ifname: 'wlan0', staMac: STA });
  });

  it('re-attaches after a fast restart it never saw (heartbeat ATTACH is idempotent)', async () => {
    const c = open(30);
    await c.attach();
    hostapd.stop();
    hostapd.start();
    await expect.poll(() => hostapd.monitors.size, { timeout: 2000 }).toBe(1);
    expect(c.connected).toBe(true);
  });

  it('ignores datagrams from other senders, survives throwing listeners, rejects bad commands', async () => {
    const c = open();
    c.on('event', () => {
      throw new Error('listener bug');
    });
    const intruder = unixDgram.createSocket('unix_dgram');
    intruder.bind(join(dir, 'intruder'));
    const ours = join(dir, readdirSync(dir).find((f) => f.startsWith('kms-'))!);
    // While STATUS is in flight, a forged "reply" from another socket arrives first.
    hostapd.handler = (cmd, reply) => {
      intruder.send(Buffer.from('forged\n'), 0, 7, ours, () => undefined);
      setTimeout(() => standard(cmd, reply, ''), 20);
    };
    expect(await c.request('STATUS')).toBe('reply:STATUS\n');
    intruder.close();
    hostapd.monitors.add(ours);
    hostapd.event(`EAPOL-4WAY-HS-COMPLETED ${STA}`);
    hostapd.handler = standard;
    expect(await c.request('PING')).toBe('PONG\n');
    expect(events).toContainEqual({ type: '4way-completed', ifname: 'wlan0', staMac: STA });
    await expect(c.request('A\nB')).rejects.toMatchObject({ code: 'bad-command' });
  });

  it('close() rejects what is pending and removes its socket', async () => {
    hostapd.handler = () => undefined; // never answers
    const c = open(0, 5000);
    const pending = c.request('PING');
    const queued = c.request('PING');
    await c.close();
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    await expect(queued).rejects.toMatchObject({ code: 'closed' });
    expect(readdirSync(dir).filter((f) => f.startsWith('kms-'))).toEqual([]);
    expect(existsSync(hostapd.path)).toBe(true);
  });
});
