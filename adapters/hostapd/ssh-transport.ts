// SSH to one AP (OpenWrt's Dropbear or OpenSSH) with ssh2. Why it is shaped this way (measured when
// ssh2 was chosen, docs/dependencies.md): one exec per command is two orders of magnitude slower
// than a single persistent non-pty `sh` channel with delimited replies; several channels at once
// crashed a Dropbear session. So: one shell channel per AP, commands strictly one at a time,
// each followed by a delimiter line that carries its exit status, plus separate exec channels
// for long-lived event streams. The host key is always pinned (ssh2 trusts any key otherwise).
//
// Found with Dropbear 2022.83: closing a non-pty channel, or losing the connection, does NOT
// stop the remote command. A command that reads stdin sees EOF then, so every stream runs
// under a small sh watchdog that kills it on EOF (see streamWrapper).
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import ssh2, { Client, type ClientChannel } from 'ssh2';
import type { ApEvent } from '../../daemon/ports/ap-driver.js';

export interface SshTransportOptions {
  /** The AP's name, used in every error message. */
  apName: string;
  host: string;
  port?: number;
  username?: string;
  privateKey: Buffer | string;
  passphrase?: string;
  /** Pinned host key fingerprint exactly as `ssh-keygen -lf` prints it: `SHA256:<base64>`. */
  hostKeySha256: string;
  connectTimeoutMs?: number;
  keepaliveMs?: number;
  /** Reconnect backoff bounds: doubles from min to max, each delay jittered down by up to half. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Default timeout of run(); it counts from the call, so it covers waiting in the queue. */
  runTimeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type SshErrorCode = 'host-key' | 'timeout' | 'connection-lost' | 'closed' | 'bad-command' | 'too-large';
export class SshTransportError extends Error {
  constructor(
    readonly code: SshErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SshTransportError';
  }
}

export interface StreamHandle {
  stop(): void;
}

/** `SHA256:…` fingerprint of a host key blob, the form ssh-keygen and dropbearkey print. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * What goes down the shell for one command. It runs in a subshell with stdin from /dev/null, so
 * it can neither eat the following commands nor end or change the persistent shell, and a syntax
 * error stays inside it. Then one delimiter line per stream: stdout's carries the exit status.
 */
export function frameCommand(cmd: string, delim: string): string {
  return `( eval ${shellQuote(cmd)} ) </dev/null; printf '\\n%s %d\\n' ${delim} $?; printf '\\n%s\\n' ${delim} >&2\n`;
}

/**
 * Long-lived command under a watchdog: `cat` sees EOF when the channel or the connection goes
 * and then kills the command. The command gets the channel's stdin too, so one that exits on
 * EOF by itself also works. It must be one simple command: it is exec'd so that $p is it.
 */
export function streamWrapper(cmd: string): string {
  return `exec 3<&0; ( eval exec ${shellQuote(cmd)} ) <&3 & p=$!; { cat <&3 >/dev/null 2>&1; kill $p 2>/dev/null; } >/dev/null 2>&1 & w=$!; exec 3<&-; wait $p; s=$?; kill $w 2>/dev/null; exit $s`;
}

const MAX_OUTPUT = 16 * 1024 * 1024;
const SHA256_FP = /^SHA256:[A-Za-z0-9+/]{43}$/;

interface Job {
  cmd: string;
  delim: string;
  out: Buffer;
  err: Buffer;
  exitCode: number | null;
  errDone: boolean;
  timer: NodeJS.Timeout;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}
type LineSink = (line: string, stderr: boolean) => void;
interface Stream {
  cmd: string;
  onLine: LineSink;
  ch: ClientChannel | null;
  stopped: boolean;
  failures: number;
  timer: NodeJS.Timeout | null;
}

/** Split a channel's bytes into lines (UTF-8 safe across chunks); a runaway line is dropped. */
function lines(onLine: (line: string) => void): (d: Buffer) => void {
  const dec = new StringDecoder('utf8');
  let partial = '';
  return (d) => {
    const parts = (partial + dec.write(d)).split('\n');
    partial = parts.pop() ?? '';
    if (partial.length > 65536) partial = '';
    for (const line of parts)
      try {
        onLine(line.replace(/\r$/, ''));
      } catch {
        /* the consumer's bug */
      }
  };
}

/** Events: `transport` (ApEvent of type transport) on every up/down transition. */
export class SshTransport extends EventEmitter {
  private readonly o: Required<Omit<SshTransportOptions, 'passphrase'>> & { passphrase?: string };
  private state: 'idle' | 'connecting' | 'up' | 'closed' = 'idle';
  private client: Client | null = null;
  private shell: ClientChannel | null = null;
  private shellOpenedAt = 0;
  private readonly queue: Job[] = [];
  private current: Job | null = null;
  private readonly streams = new Set<Stream>();
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastError: Error | null = null;
  private announcedUp: boolean | null = null;
  private seq = 0;
  private readonly token = randomBytes(9).toString('hex');

  constructor(options: SshTransportOptions) {
    super();
    if (!SHA256_FP.test(options.hostKeySha256))
      throw new Error(`AP ${options.apName}: host key pin must look like SHA256:<43 base64 characters>`);
    const o = options;
    this.o = {
      ...o,
      port: o.port ?? 22,
      username: o.username ?? 'root',
      connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
      keepaliveMs: o.keepaliveMs ?? 10_000,
      backoffMinMs: o.backoffMinMs ?? 250,
      backoffMaxMs: o.backoffMaxMs ?? 30_000,
      runTimeoutMs: o.runTimeoutMs ?? 10_000,
    };
  }

  get apName(): string {
    return this.o.apName;
  }
  get connected(): boolean {
    return this.state === 'up';
  }

  /** Start (if needed) and resolve once connected; rejects with the first failed attempt's error, while retrying goes on. */
  connect(): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new SshTransportError('closed', `SSH to AP ${this.o.apName} is closed`));
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.state === 'idle') this.dial();
    return p;
  }

  /** Run one command in the AP's persistent shell. Commands run one at a time, in call order. */
  run(cmd: string, timeoutMs = this.o.runTimeoutMs): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      if (this.state === 'closed') return reject(new SshTransportError('closed', `SSH to AP ${this.o.apName} is closed`));
      if (cmd.includes('\0')) return reject(new SshTransportError('bad-command', 'command contains NUL'));
      this.seq += 1;
      const job: Job = {
        cmd,
        delim: `KMS_${this.token}_${this.seq}`,
        out: Buffer.alloc(0),
        err: Buffer.alloc(0),
        exitCode: null,
        errDone: false,
        resolve,
        reject,
        timer: setTimeout(() => this.onJobTimeout(job, timeoutMs), timeoutMs),
      };
      this.queue.push(job);
      if (this.state === 'idle') this.dial();
      this.pump();
    });
  }

  /**
   * A long-lived command on its own channel; `onLine` gets each line (stderr flagged). It is
   * restarted, with backoff, whenever it ends, and after reconnects.
   */
  stream(cmd: string, onLine: LineSink): StreamHandle {
    const s: Stream = { cmd, onLine, ch: null, stopped: false, failures: 0, timer: null };
    this.streams.add(s);
    if (this.state === 'up') this.startStream(s);
    else if (this.state === 'idle') this.dial();
    return { stop: () => this.stopStream(s) };
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const s of [...this.streams]) this.stopStream(s);
    const err = new SshTransportError('closed', `SSH to AP ${this.o.apName} closed`);
    for (const job of [this.current, ...this.queue.splice(0)]) if (job) this.finish(job, err);
    for (const w of this.waiters.splice(0)) w.reject(err);
    const client = this.client;
    this.client = null;
    if (client)
      await new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        client.end();
        setTimeout(resolve, 2000).unref();
      });
  }

  private dial(): void {
    this.state = 'connecting';
    const client = new Client();
    this.client = client;
    let mismatch: SshTransportError | null = null;
    client.on('ready', () => this.openShell(client));
    client.on('error', (err) => (this.lastError = mismatch ?? err));
    client.on('close', () => this.onLost(client));
    client.connect({
      host: this.o.host,
      port: this.o.port,
      username: this.o.username,
      privateKey: this.o.privateKey,
      passphrase: this.o.passphrase,
      readyTimeout: this.o.connectTimeoutMs,
      keepaliveInterval: this.o.keepaliveMs,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        const got = sshFingerprint(key);
        if (got === this.o.hostKeySha256) return true;
        mismatch = new SshTransportError(
          'host-key',
          `AP ${this.o.apName} (${this.o.host}:${this.o.port}) presented host key ${got}, but ${this.o.hostKeySha256} is pinned: refusing to connect`,
        );
        return false;
      },
    });
    client.setNoDelay(true); // small request/reply exchanges: Nagle would add delay to each
  }

  private openShell(client: Client): void {
    // The shell can end while the connection is already going down, before the client's close
    // event: ssh2 then throws from exec() instead of calling back. The close event (onLost) is
    // what reconnects, so here only the reason is kept.
    try {
      this.execShell(client);
    } catch (e) {
      this.lastError = e as Error;
      client.end();
    }
  }

  private execShell(client: Client): void {
    client.exec('sh', (err, ch) => {
      if (this.client !== client) return ch?.close();
      if (err) {
        this.lastError = err;
        return void client.end();
      }
      this.shell = ch;
      this.shellOpenedAt = Date.now();
      ch.on('data', (d: Buffer) => this.onShellData(ch, d, false));
      ch.stderr.on('data', (d: Buffer) => this.onShellData(ch, d, true));
      ch.on('close', () => this.onShellClosed(client, ch));
      if (this.state === 'connecting') this.onUp();
      this.pump();
    });
  }

  private onUp(): void {
    this.state = 'up';
    this.attempt = 0;
    this.lastError = null;
    for (const w of this.waiters.splice(0)) w.resolve();
    this.announce(true);
    for (const s of this.streams) if (!s.ch) this.startStream(s);
  }

  private onShellClosed(client: Client, ch: ClientChannel): void {
    if (this.shell !== ch) return;
    this.shell = null;
    if (this.current)
      this.finish(this.current, new SshTransportError('connection-lost', `AP ${this.o.apName}: shell ended during the command`));
    // A shell that dies right away would loop: go through the reconnect backoff instead.
    if (this.client === client && this.state === 'up') Date.now() - this.shellOpenedAt < 1000 ? client.end() : this.openShell(client);
  }

  private onLost(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.shell = null;
    const reason = this.lastError?.message ?? 'connection closed';
    if (this.current)
      this.finish(
        this.current,
        new SshTransportError(
          'connection-lost',
          `AP ${this.o.apName}: connection lost during the command (${reason}); it may or may not have run`,
        ),
      );
    for (const w of this.waiters.splice(0))
      w.reject(this.lastError ?? new SshTransportError('connection-lost', `AP ${this.o.apName}: ${reason}`));
    if (this.state === 'closed') return;
    this.state = 'connecting';
    this.announce(false, reason);
    const base = Math.min(this.o.backoffMaxMs, this.o.backoffMinMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    this.reconnectTimer = setTimeout(() => this.state === 'connecting' && this.dial(), base / 2 + (Math.random() * base) / 2);
  }

  private announce(up: boolean, reason?: string): void {
    if (this.announcedUp === up) return;
    this.announcedUp = up;
    const ev: ApEvent = up ? { type: 'transport', up } : { type: 'transport', up, reason: `AP ${this.o.apName}: ${reason}` };
    try {
      this.emit('transport', ev);
    } catch {
      /* a listener's bug is not the transport's */
    }
  }

  private pump(): void {
    if (this.current || !this.shell || this.state !== 'up') return;
    const job = this.queue.shift();
    if (!job) return;
    this.current = job;
    this.shell.write(frameCommand(job.cmd, job.delim));
  }

  private onShellData(ch: ClientChannel, d: Buffer, isErr: boolean): void {
    const job = this.current;
    if (ch !== this.shell || !job) return;
    if (isErr) job.err = Buffer.concat([job.err, d]);
    else job.out = Buffer.concat([job.out, d]);
    if (job.out.length + job.err.length > MAX_OUTPUT) {
      this.recycleShell(ch);
      return this.finish(job, new SshTransportError('too-large', `AP ${this.o.apName}: command output over ${MAX_OUTPUT} octets`));
    }
    if (job.exitCode === null) {
      const i = job.out.indexOf(`\n${job.delim} `);
      const m = i >= 0 ? /^(\d+)\n/.exec(job.out.subarray(i + job.delim.length + 2).toString('latin1')) : null;
      if (m) {
        job.exitCode = Number(m[1]);
        job.out = job.out.subarray(0, i);
      }
    }
    if (!job.errDone) {
      const i = job.err.indexOf(`\n${job.delim}\n`);
      if (i >= 0) {
        job.errDone = true;
        job.err = job.err.subarray(0, i);
      }
    }
    if (job.exitCode !== null && job.errDone) this.finish(job, null);
  }

  private finish(job: Job, err: Error | null): void {
    clearTimeout(job.timer);
    if (this.current === job) this.current = null;
    if (err) job.reject(err);
    else job.resolve({ stdout: job.out.toString('utf8'), stderr: job.err.toString('utf8'), exitCode: job.exitCode ?? -1 });
    queueMicrotask(() => this.pump());
  }

  private onJobTimeout(job: Job, timeoutMs: number): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
    // A command still running would answer into the next one's reply: replace the shell.
    if (this.current === job && this.shell) this.recycleShell(this.shell);
    this.finish(
      job,
      new SshTransportError(
        'timeout',
        `AP ${this.o.apName}: no answer within ${timeoutMs} ms (${this.state === 'up' ? 'command still running' : 'not connected'})`,
      ),
    );
  }

  private recycleShell(ch: ClientChannel): void {
    this.shell = null;
    try {
      ch.signal('KILL');
      ch.close();
    } catch {
      /* channel already gone */
    }
    if (this.client && this.state === 'up') this.openShell(this.client);
  }

  private startStream(s: Stream): void {
    const client = this.client;
    if (!client || s.stopped || s.ch) return;
    client.exec(streamWrapper(s.cmd), (err, ch) => {
      if (err || s.stopped || this.client !== client) {
        try {
          ch?.end();
          ch?.close();
        } catch {
          /* gone */
        }
        return void (err && this.restartStream(s, client));
      }
      s.ch = ch;
      const started = Date.now();
      ch.on(
        'data',
        lines((l) => s.onLine(l, false)),
      );
      ch.stderr.on(
        'data',
        lines((l) => s.onLine(l, true)),
      );
      ch.on('close', () => {
        s.ch = null;
        if (Date.now() - started > 30_000) s.failures = 0;
        this.restartStream(s, client);
      });
    });
  }

  private restartStream(s: Stream, client: Client): void {
    if (s.stopped || this.client !== client || this.state !== 'up') return; // a reconnect restarts it
    const delay = Math.min(10_000, 1000 * 2 ** s.failures); // bounded low: a missed event costs more than a retry
    s.failures = Math.min(s.failures + 1, 10);
    s.timer = setTimeout(() => this.startStream(s), delay / 2 + (Math.random() * delay) / 2);
  }

  private stopStream(s: Stream): void {
    s.stopped = true;
    this.streams.delete(s);
    if (s.timer) clearTimeout(s.timer);
    try {
      s.ch?.end();
      s.ch?.close();
    } catch {
      /* gone */
    }
    s.ch = null;
  }
}

/**
 * Why ssh2 could not use `key` as a client key (unknown format, encrypted: kmsd has no
 * passphrase to give), or null when it can. Start-up checks call it, so a bad key is a
 * configuration error instead of a reconnect loop.
 */
export function privateKeyProblem(key: string | Buffer): string | null {
  const parsed = ssh2.utils.parseKey(key);
  if (parsed instanceof Error) return `not a usable SSH private key (${parsed.message}; an encrypted key needs its passphrase removed)`;
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!first?.isPrivateKey()) return 'is a public key, not an SSH private key';
  return null;
}
