// sd_notify(3) for a Type=notify unit: READY=1 once kmsd serves, WATCHDOG=1 pings while the
// event loop is healthy, STATUS= for `systemctl status`, RELOADING=1 … READY=1 around a reload
// (SIGHUP), STOPPING=1 on the way down.
//
// Protocol: one AF_UNIX datagram of newline-separated VAR=value lines to $NOTIFY_SOCKET. The
// service manager identifies the sender by its credentials (SCM_CREDENTIALS), so with
// NotifyAccess=main the datagrams must come from the main process itself: this one, not a
// helper child such as systemd-notify(1).
//
// Each message uses a fresh socket that is closed at once: unix-dgram keeps a referenced
// poll handle on every open socket, so a long-lived one would keep the process alive after
// everything else has shut down. One socket()+close() per 15 s watchdog ping is nothing.
//
// Limit: unix-dgram cannot address Linux abstract sockets ("@name"; it strncpy()s the path
// and passes sizeof(sockaddr_un) as the length). The system manager's socket is the path
// /run/systemd/notify, so units run by systemd are unaffected; with an abstract
// NOTIFY_SOCKET (some container managers) the notifier reports that once and stays silent.
import { constants } from 'node:os';
import unixDgram from 'unix-dgram';

export type NotifyErrorSink = (message: string) => void;

export class SdNotifier {
  private readonly socketPath: string | null;
  private readonly watchdogUsec: number | null;
  private watchdogTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly onError: NotifyErrorSink = () => {},
    env: NodeJS.ProcessEnv = process.env,
    pid: number = process.pid,
  ) {
    this.socketPath = pickSocket(env.NOTIFY_SOCKET, (m) => this.report(m));
    this.watchdogUsec = pickWatchdog(env, pid);
  }

  /** True when a service manager listens (NOTIFY_SOCKET set and usable). */
  get enabled(): boolean {
    return this.socketPath !== null;
  }

  /** Milliseconds between pings startWatchdog() will use, or null when there is no watchdog for us. */
  get watchdogIntervalMs(): number | null {
    return this.watchdogUsec === null ? null : Math.max(1, Math.floor(this.watchdogUsec / 2000));
  }

  ready(status?: string): boolean {
    return this.notify(status === undefined ? { READY: '1' } : { READY: '1', STATUS: status });
  }

  status(text: string): boolean {
    return this.notify({ STATUS: text });
  }

  watchdog(): boolean {
    return this.notify({ WATCHDOG: '1' });
  }

  /**
   * RELOADING=1 at the start of a reload (READY=1 ends it). MONOTONIC_USEC is the CLOCK_MONOTONIC
   * time of the request, which systemd (253 and later) wants with it to tell this reload from an
   * older one; Node's hrtime is that clock on Linux.
   */
  reloading(status?: string): boolean {
    const fields: Record<string, string> = { RELOADING: '1', MONOTONIC_USEC: String(process.hrtime.bigint() / 1000n) };
    if (status !== undefined) fields.STATUS = status;
    return this.notify(fields);
  }

  stopping(status?: string): boolean {
    this.stopWatchdog();
    return this.notify(status === undefined ? { STOPPING: '1' } : { STOPPING: '1', STATUS: status });
  }

  /**
   * Pings at half of $WATCHDOG_USEC (as sd_watchdog_enabled(3) advises) if the watchdog is
   * meant for this process. The timer is unref'd: it never keeps kmsd alive by itself, and
   * because it runs on the event loop, a loop that is stuck stops the pings and systemd
   * restarts kmsd (WatchdogSec= in the unit). `healthy` covers what the loop cannot see, such as
   * another thread that stopped answering: while it says no, no ping goes out. Returns whether
   * pinging started.
   */
  startWatchdog(healthy: () => boolean = () => true): boolean {
    const interval = this.watchdogIntervalMs;
    if (interval === null || !this.enabled) return false;
    if (this.watchdogTimer !== null) return true;
    const ping = () => {
      if (healthy()) this.watchdog();
    };
    ping();
    this.watchdogTimer = setInterval(ping, interval);
    this.watchdogTimer.unref();
    return true;
  }

  stopWatchdog(): void {
    if (this.watchdogTimer !== null) clearInterval(this.watchdogTimer);
    this.watchdogTimer = null;
  }

  /** Sends VAR=value lines; false when nothing was sent. Never throws. */
  notify(fields: Record<string, string>): boolean {
    if (this.socketPath === null) return false;
    // A newline inside a value would start a new VAR= line ("STATUS=x\nREADY=1"): flatten.
    const text = Object.entries(fields)
      .map(([k, v]) => `${k}=${v.replace(/[\r\n]+/g, ' ')}`)
      .join('\n');
    return this.send(Buffer.from(text, 'utf8'));
  }

  private send(message: Buffer): boolean {
    let socket: unixDgram.UnixDgramSocket | null = null;
    let ok = false;
    try {
      socket = unixDgram.createSocket('unix_dgram');
      socket.on('error', (e) => this.report(`NOTIFY_SOCKET ${this.socketPath}: ${e.message}`));
      // unix-dgram calls back synchronously, so `ok` is settled when send() returns.
      socket.send(message, 0, message.length, this.socketPath!, (err) => {
        if (err) this.report(`cannot notify ${this.socketPath}: ${errnoText(err)}`);
        else ok = true;
      });
    } catch (e) {
      this.report(`cannot notify ${this.socketPath}: ${(e as Error).message}`);
    } finally {
      try {
        socket?.close();
      } catch (e) {
        this.report(`closing the notify socket: ${(e as Error).message}`);
      }
    }
    return ok;
  }

  private report(message: string): void {
    try {
      this.onError(message);
    } catch {
      // The sink is a logger; if even that fails there is nobody left to tell.
    }
  }
}

function pickSocket(value: string | undefined, report: NotifyErrorSink): string | null {
  if (!value) return null;
  if (value.startsWith('@')) {
    report(`NOTIFY_SOCKET ${value} is an abstract socket, which unix-dgram cannot reach; not notifying systemd`);
    return null;
  }
  if (!value.startsWith('/')) {
    report(`NOTIFY_SOCKET ${value} is neither an absolute path nor an abstract socket; not notifying systemd`);
    return null;
  }
  return value;
}

function pickWatchdog(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return null;
  // WATCHDOG_PID names the process the watchdog is for; a child that inherited our
  // environment must not ping on our behalf.
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return null;
  return usec;
}

/** unix-dgram reports negative errno numbers in err.code ("send -111"): name them. */
function errnoText(err: Error): string {
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code !== 'number' || code >= 0) return err.message;
  const name = Object.entries(constants.errno).find(([, n]) => n === -code)?.[0];
  return name ? `${name} (errno ${-code})` : `errno ${-code}`;
}
