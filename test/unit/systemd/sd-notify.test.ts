// SdNotifier against a real AF_UNIX datagram socket standing in for systemd's
// /run/systemd/notify (bound with unix-dgram, the same library the notifier sends with).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import unixDgram from 'unix-dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SdNotifier } from '../../../daemon/main/sd-notify.js';

describe('SdNotifier', () => {
  let dir: string;
  let socketPath: string;
  let server: unixDgram.UnixDgramSocket;
  let received: string[];
  let errors: string[];
  const onError = (m: string) => errors.push(m);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-notify-'));
    socketPath = join(dir, 'notify');
    received = [];
    errors = [];
    server = unixDgram.createSocket('unix_dgram', (msg) => received.push(msg.toString('utf8')));
    server.bind(socketPath);
  });
  afterEach(() => {
    server.close(); // its poll handle would keep the worker alive
    rmSync(dir, { recursive: true, force: true });
  });

  /** Datagrams are delivered to our own listener on a later turn of the event loop. */
  const until = async (cond: () => boolean, ms = 2000) => {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  };

  it('sends READY=1 with a status, STATUS=, and STOPPING=1 to $NOTIFY_SOCKET', async () => {
    const n = new SdNotifier(onError, { NOTIFY_SOCKET: socketPath });
    expect(n.enabled).toBe(true);
    expect(n.ready('serving 3 stations')).toBe(true);
    expect(n.status('purging')).toBe(true);
    expect(n.stopping()).toBe(true);
    await until(() => received.length === 3);
    expect(received).toEqual(['READY=1\nSTATUS=serving 3 stations', 'STATUS=purging', 'STOPPING=1']);
    expect(errors).toEqual([]);
  });

  it('brackets a reload with RELOADING=1 and a CLOCK_MONOTONIC time, then READY=1', async () => {
    const n = new SdNotifier(onError, { NOTIFY_SOCKET: socketPath });
    const before = process.hrtime.bigint() / 1000n;
    expect(n.reloading('reloading the configuration')).toBe(true);
    const after = process.hrtime.bigint() / 1000n;
    expect(n.ready()).toBe(true);
    await until(() => received.length === 2);
    const m = /^RELOADING=1\nMONOTONIC_USEC=(\d+)\nSTATUS=reloading the configuration$/.exec(received[0]!);
    expect(m, received[0]).not.toBeNull();
    expect(BigInt(m![1]!) >= before && BigInt(m![1]!) <= after).toBe(true);
    expect(received[1]).toBe('READY=1');
  });

  it('flattens newlines so a status cannot smuggle in other assignments', async () => {
    const n = new SdNotifier(onError, { NOTIFY_SOCKET: socketPath });
    n.status('fine\nREADY=1\r\nMAINPID=1');
    await until(() => received.length === 1);
    expect(received).toEqual(['STATUS=fine READY=1 MAINPID=1']);
  });

  it('pings WATCHDOG=1 at half of $WATCHDOG_USEC until stopped', async () => {
    const n = new SdNotifier(onError, { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '100000', WATCHDOG_PID: String(process.pid) });
    expect(n.watchdogIntervalMs).toBe(50);
    expect(n.startWatchdog()).toBe(true);
    expect(n.startWatchdog()).toBe(true); // idempotent: still one timer
    await until(() => received.length >= 4);
    n.stopWatchdog();
    const count = received.length;
    expect(received.every((m) => m === 'WATCHDOG=1')).toBe(true);
    expect(count).toBeGreaterThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 150));
    expect(received.length).toBeLessThanOrEqual(count + 1);
    expect(errors).toEqual([]);
  });

  it('withholds the ping while the health check says no, and resumes when it says yes', async () => {
    const n = new SdNotifier(onError, { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '40000', WATCHDOG_PID: String(process.pid) });
    let healthy = false;
    expect(n.startWatchdog(() => healthy)).toBe(true);
    await new Promise((r) => setTimeout(r, 120)); // several intervals of 20 ms
    expect(received).toEqual([]);
    healthy = true;
    await until(() => received.length >= 2);
    n.stopWatchdog();
    expect(received.every((m) => m === 'WATCHDOG=1')).toBe(true);
  });

  it('leaves the watchdog alone when it is meant for another process or not configured', () => {
    expect(new SdNotifier(onError, { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '100000', WATCHDOG_PID: '1' }).startWatchdog()).toBe(false);
    expect(new SdNotifier(onError, { NOTIFY_SOCKET: socketPath }).startWatchdog()).toBe(false);
    expect(new SdNotifier(onError, { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: 'soon' }).startWatchdog()).toBe(false);
    // WATCHDOG_PID unset: the watchdog is ours.
    const n = new SdNotifier(onError, { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '30000000' });
    expect(n.watchdogIntervalMs).toBe(15_000);
    expect(n.startWatchdog()).toBe(true);
    n.stopWatchdog();
  });

  it('is a silent no-op without NOTIFY_SOCKET', () => {
    const n = new SdNotifier(onError, {});
    expect(n.enabled).toBe(false);
    expect(n.ready()).toBe(false);
    expect(n.startWatchdog()).toBe(false);
    expect(errors).toEqual([]);
  });

  it('reports, never throws, when the socket is missing or unusable', () => {
    const gone = new SdNotifier(onError, { NOTIFY_SOCKET: join(dir, 'absent') });
    expect(gone.ready()).toBe(false);
    expect(errors).toEqual([expect.stringMatching(/cannot notify .*absent: ENOENT/)]);

    errors = [];
    const abstract = new SdNotifier(onError, { NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify' });
    expect(abstract.enabled).toBe(false);
    expect(abstract.ready()).toBe(false);
    expect(errors).toEqual([expect.stringMatching(/abstract socket, which unix-dgram cannot reach/)]);

    const throwingSink = new SdNotifier(
      () => {
        throw new Error('logger down');
      },
      { NOTIFY_SOCKET: join(dir, 'absent') },
    );
    expect(() => throwingSink.ready()).not.toThrow();
  });
});
