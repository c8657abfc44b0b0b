// Client for a local hostapd control socket (`<ctrl_interface>/<ifname>`, AF_UNIX datagram).
// Node core cannot open AF_UNIX datagram sockets, so this uses the unix-dgram addon (types in
// daemon/main/unix-dgram.d.ts). Mechanics, as in hostapd's own wpa_ctrl.c:
// - we bind our own path (hostapd answers with sendto() to it) in a private directory the
//   caller gives us, and unlink it on close;
// - one request datagram → one reply datagram, so requests are serialized (one in flight) and
//   a reply is whatever non-event datagram arrives next; events are datagrams that start with
//   `<digit>` and arrive on the same socket once ATTACHed;
// - after a timeout the late reply could be taken for the next request's answer, so the
//   socket is replaced by a fresh one (new path) instead;
// - hostapd forgets its monitors when it restarts. A heartbeat (ATTACH while attached, which
//   hostapd 2.10 treats as idempotent for a known address, PING otherwise) notices the outage
//   and re-attaches when hostapd is back;
// - nothing that happens on the socket throws out of a callback: failures reject the request
//   they belong to or become `transport` events.
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import unixDgram from 'unix-dgram';
import type { ApEvent } from '../../daemon/ports/ap-driver.js';
import { HostapdParseError, parseEvent } from './events.js';

export interface CtrlSocketOptions {
  /** hostapd's socket, `<ctrl_interface>/<ifname>`. */
  path: string;
  /** BSS name put into events; default: the socket's file name (hostapd names it after the BSS). */
  ifname?: string;
  /** An existing directory only the daemon can write to; our socket is bound there. */
  localDir: string;
  /** Default reply timeout, ms (default 3000). */
  timeoutMs?: number;
  /** Liveness check interval, ms (default 5000; 0 = none). */
  heartbeatMs?: number;
}

export type CtrlSocketErrorCode = 'timeout' | 'unreachable' | 'send' | 'closed' | 'bad-command';

export class CtrlSocketError extends Error {
  constructor(
    readonly code: CtrlSocketErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CtrlSocketError';
  }
}

interface Pending {
  cmd: string;
  timeoutMs: number;
  internal: boolean;
  resolve: (reply: string) => void;
  reject: (err: Error) => void;
}

const SUN_PATH_MAX = 107; // sizeof(sun_path) - NUL; unix-dgram silently truncates longer paths
let socketCounter = 0;

function errnoName(code: unknown): string {
  const n = typeof code === 'number' ? -code : NaN;
  const name = Object.entries(constants.errno).find(([, v]) => v === n)?.[0];
  return name ?? String(code);
}

/**
 * Events: `event` (ApEvent, including `transport` up/down), `parse-error` (HostapdParseError,
 * raw line), `raw-event` (level, text) for every unsolicited datagram.
 */
export class CtrlSocketClient extends EventEmitter {
  readonly path: string;
  readonly ifname: string;
  private readonly localDir: string;
  private readonly timeoutMs: number;
  private sock: unixDgram.UnixDgramSocket | null = null;
  private localPath: string | null = null;
  private readonly queue: Pending[] = [];
  private inFlight: { p: Pending; timer: NodeJS.Timeout } | null = null;
  private attached = false;
  private up = true;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout | null;

  constructor(options: CtrlSocketOptions) {
    super();
    this.path = options.path;
    this.ifname = options.ifname ?? basename(options.path);
    this.localDir = options.localDir;
    this.timeoutMs = options.timeoutMs ?? 3000;
    if (Buffer.byteLength(this.path) > SUN_PATH_MAX) throw new Error(`ctrl socket path too long for AF_UNIX: ${this.path}`);
    this.openSocket();
    const every = options.heartbeatMs ?? 5000;
    this.heartbeat = every > 0 ? setInterval(() => this.beat(), every) : null;
    this.heartbeat?.unref();
  }

  /** True until a request or heartbeat finds hostapd unreachable, and again once it answers. */
  get connected(): boolean {
    return this.up && !this.closed;
  }

  /** attach() was called (and detach() not): the client keeps (re-)attaching while hostapd lives. */
  get isAttached(): boolean {
    return this.attached;
  }

  /** Send one command; resolves with hostapd's reply text verbatim (e.g. "PONG\n", "FAIL\n"). */
  request(cmd: string, timeoutMs = this.timeoutMs): Promise<string> {
    return this.enqueue(cmd, timeoutMs, false);
  }

  /**
   * ATTACH (→ OK): events start arriving as `event`. The wish outlives failures: if hostapd is
   * not there yet (the promise rejects), or restarts later, the heartbeat attaches when it is.
   */
  async attach(): Promise<void> {
    this.attached = true;
    const reply = await this.request('ATTACH');
    if (reply.trim() !== 'OK')
      throw new CtrlSocketError('send', `ATTACH to ${this.path}: hostapd answered ${JSON.stringify(reply.trim())}`);
  }

  async detach(): Promise<void> {
    this.attached = false;
    await this.request('DETACH');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.attached && this.sock) {
      // Best effort, without waiting: hostapd would drop us after send errors anyway.
      try {
        this.sock.send(Buffer.from('DETACH'), 0, 6, this.path, () => undefined);
      } catch {
        /* ignore */
      }
    }
    this.closed = true;
    this.attached = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    const err = new CtrlSocketError('closed', `ctrl socket client for ${this.path} closed`);
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer);
      this.inFlight.p.reject(err);
      this.inFlight = null;
    }
    for (const p of this.queue.splice(0)) p.reject(err);
    this.closeSocket();
  }

  private enqueue(cmd: string, timeoutMs: number, internal: boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new CtrlSocketError('closed', `ctrl socket client for ${this.path} closed`));
      if (cmd === '' || /[\0\n\r]/.test(cmd) || Buffer.byteLength(cmd) > 4000) {
        return reject(new CtrlSocketError('bad-command', 'a control command is one line of at most 4000 octets'));
      }
      this.queue.push({ cmd, timeoutMs, internal, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (!this.inFlight && this.queue.length > 0 && !this.closed) {
      const p = this.queue.shift()!;
      const sendErr = this.send(p.cmd);
      if (sendErr) {
        this.markDown(sendErr.message);
        p.reject(sendErr);
        continue;
      }
      const timer = setTimeout(() => this.onTimeout(), p.timeoutMs);
      this.inFlight = { p, timer };
    }
  }

  private send(cmd: string): CtrlSocketError | null {
    if (!this.sock) return new CtrlSocketError('closed', 'no socket');
    let failure: CtrlSocketError | null = null;
    const buf = Buffer.from(cmd);
    // unix-dgram calls back synchronously; err.code is a negative errno, or 1 for EAGAIN.
    this.sock.send(buf, 0, buf.length, this.path, (err?: Error & { code?: unknown }) => {
      if (!err) return;
      const name = err.code === 1 ? 'EAGAIN' : errnoName(err.code);
      const unreachable = name === 'ENOENT' || name === 'ECONNREFUSED';
      failure = unreachable
        ? new CtrlSocketError('unreachable', `hostapd is not listening at ${this.path} (${name})`)
        : new CtrlSocketError('send', `sending to ${this.path} failed (${name})`);
    });
    return failure;
  }

  private onTimeout(): void {
    const f = this.inFlight;
    if (!f) return;
    this.inFlight = null;
    f.p.reject(
      new CtrlSocketError('timeout', `no reply from hostapd at ${this.path} to ${f.p.cmd.split(' ')[0]} within ${f.p.timeoutMs} ms`),
    );
    this.markDown('request timed out');
    // A late reply must not be taken for the next request's answer: use a fresh socket.
    this.closeSocket();
    this.openSocket();
    this.pump();
  }

  private onMessage(msg: Buffer | null, rinfo: { path?: string }): void {
    // Only hostapd's socket may talk to us (the directory is private, this is belt and braces).
    if (!Buffer.isBuffer(msg) || (rinfo.path !== undefined && rinfo.path !== this.path)) return;
    const text = msg.toString('utf8');
    if (/^<\d>/.test(text)) return this.onEvent(text);
    const f = this.inFlight;
    if (!f) return; // nothing asked: a stray datagram
    this.inFlight = null;
    clearTimeout(f.timer);
    this.markUp(f.p.cmd === 'ATTACH');
    f.p.resolve(text);
    this.pump();
  }

  private onEvent(text: string): void {
    this.safeEmit('raw-event', Number(text[1]), text.slice(3));
    if (text.startsWith('CTRL-EVENT-TERMINATING', 3)) this.markDown('hostapd terminating');
    try {
      const ev = parseEvent(text, this.ifname);
      if (ev) this.safeEmit('event', ev);
    } catch (err) {
      if (err instanceof HostapdParseError) this.safeEmit('parse-error', err, text);
    }
  }

  private beat(): void {
    if (this.closed || this.inFlight || this.queue.length > 0) return; // busy: requests prove liveness
    const cmd = this.attached ? 'ATTACH' : 'PING';
    this.enqueue(cmd, this.timeoutMs, true).then(
      (reply) =>
        reply.trim() === (cmd === 'PING' ? 'PONG' : 'OK')
          ? this.markUp(cmd === 'ATTACH')
          : this.markDown(`${cmd} answered ${reply.trim()}`),
      () => undefined, // already reported through markDown
    );
  }

  private markDown(reason: string): void {
    if (!this.up || this.closed) return;
    this.up = false;
    this.safeEmit('event', { type: 'transport', up: false, reason: `${this.ifname}: ${reason}` } satisfies ApEvent);
  }

  private markUp(viaAttach: boolean): void {
    if (this.up || this.closed) return;
    this.up = true;
    this.safeEmit('event', { type: 'transport', up: true } satisfies ApEvent);
    // hostapd may have restarted and forgotten us; ATTACH is harmless if it did not.
    if (this.attached && !viaAttach) this.enqueue('ATTACH', this.timeoutMs, true).catch(() => undefined);
  }

  /** A throwing listener must not unwind into unix-dgram's native callback. */
  private safeEmit(name: string, ...args: unknown[]): void {
    try {
      this.emit(name, ...args);
    } catch {
      /* listener bug: ignored here, it is the listener's to log */
    }
  }

  private openSocket(): void {
    socketCounter += 1;
    const path = join(this.localDir, `kms-${process.pid}-${socketCounter}`);
    if (Buffer.byteLength(path) > SUN_PATH_MAX) throw new Error(`local socket path too long for AF_UNIX: ${path}`);
    rmSync(path, { force: true });
    const sock = unixDgram.createSocket('unix_dgram');
    let bindError: Error | null = null;
    sock.on('error', (err) => (bindError ??= err));
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    sock.bind(path);
    if (bindError) {
      sock.close();
      throw new Error(`cannot bind ${path}: ${errnoName((bindError as Error & { code?: unknown }).code)}`);
    }
    this.sock = sock;
    this.localPath = path;
  }

  private closeSocket(): void {
    try {
      this.sock?.close();
    } catch {
      /* already closed */
    }
    if (this.localPath) rmSync(this.localPath, { force: true });
    this.sock = null;
    this.localPath = null;
  }
}
