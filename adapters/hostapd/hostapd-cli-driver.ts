// ApDriver for plain hostapd reached over SSH: every command is
// `hostapd_cli -p <ctrlDir> -i <ifname> raw <CMD>` in the AP's persistent shell, and events come
// from one long-lived `hostapd_cli -a /bin/echo` per BSS.
//
// Event streaming over SSH without a tty, as tried with hostapd_cli 2.10:
// - interactive mode with stdin kept open does print `<3>EVENT …` lines (after a banner and a
//   "> " prompt) and even reconnects to a restarted hostapd, BUT its stdout is block-buffered
//   when it is a pipe: events arrived only when the process exited. Unusable.
// - action mode, `-a /bin/echo`: hostapd_cli runs the "script" once per event with the
//   arguments `<ifname> <EVENT> <args…>` (split on spaces, no shell), and echo's output is
//   flushed when it exits, so each event arrives at once as `<ifname> EVENT args`. hostapd_cli
//   exits when hostapd stops answering PING (every -G seconds, default 5) or cannot be reached
//   at start; the transport then restarts the stream with backoff. It ignores stdin EOF, so it
//   relies on the transport's watchdog to die with the SSH channel. Used here.
import type { ApEvent } from '../../daemon/ports/ap-driver.js';
import { checkIfname } from './ctrl-commands.js';
import { ApCommandError, CtrlInterfaceDriver } from './ctrl-driver.js';
import { shellQuote, type SshTransport, type StreamHandle } from './ssh-transport.js';

export interface HostapdCliDriverOptions {
  transport: SshTransport;
  /** hostapd's ctrl_interface on the AP (OpenWrt and Debian: /var/run/hostapd). */
  ctrlDir?: string;
  /** Path or name of hostapd_cli on the AP (on OpenWrt it is in the hostapd-utils package). */
  hostapdCli?: string;
  /** Per-command timeout, ms (the transport's default otherwise). */
  timeoutMs?: number;
  /** hostapd_cli's PING interval (-G), i.e. how soon the event stream notices a restarted hostapd (default 5 s). */
  cliPingIntervalS?: number;
  /** close() leaves the transport open (it is shared with another driver). Default: close() closes it. */
  keepTransportOpen?: boolean;
}

/** One `hostapd_cli -a /bin/echo` output line → the event text, or null for hostapd_cli's own messages. */
export function cliEventLine(line: string, ifname: string): string | null {
  return line.startsWith(`${ifname} `) ? line.slice(ifname.length + 1) : null;
}

/** close() also closes the transport unless `keepTransportOpen`. */
export class HostapdCliDriver extends CtrlInterfaceDriver {
  private readonly streams: StreamHandle[] = [];
  private readonly forward = (ev: ApEvent): void => this.emitEvent(ev);

  constructor(private readonly o: HostapdCliDriverOptions) {
    super();
    o.transport.on('transport', this.forward);
  }

  protected get apName(): string {
    return this.o.transport.apName;
  }

  get connected(): boolean {
    return this.o.transport.connected;
  }

  private cli(ifname: string): string {
    return `${this.o.hostapdCli ?? 'hostapd_cli'} -p ${shellQuote(this.o.ctrlDir ?? '/var/run/hostapd')} -i ${shellQuote(checkIfname(ifname))}`;
  }

  protected async request(ifname: string, cmd: string): Promise<string> {
    if (/[\0\n\r]/.test(cmd)) throw new Error('a control command is one line');
    const r = await this.o.transport.run(`${this.cli(ifname)} raw ${shellQuote(cmd)}`, this.o.timeoutMs);
    // hostapd_cli exits 0 whatever hostapd answers (FAIL included); non-zero means no answer.
    if (r.exitCode !== 0) {
      const why = (r.stderr + r.stdout).trim().split('\n').pop() ?? '';
      throw new ApCommandError(`AP ${this.apName}/${ifname}: hostapd_cli exited ${r.exitCode}: ${why}`, r.stdout);
    }
    return r.stdout;
  }

  protected async attachEvents(ifnames: readonly string[]): Promise<void> {
    for (const ifname of ifnames) {
      const g = this.o.cliPingIntervalS === undefined ? '' : ` -G ${Math.max(1, Math.floor(this.o.cliPingIntervalS))}`;
      this.streams.push(
        this.o.transport.stream(`${this.cli(ifname)} -a /bin/echo${g}`, (line, stderr) => {
          const text = stderr ? null : cliEventLine(line, ifname);
          if (text !== null) this.onEventText(ifname, text);
          else if (line.trim() !== '') this.safeEmit('status', ifname, line);
        }),
      );
    }
  }

  async close(): Promise<void> {
    for (const s of this.streams.splice(0)) s.stop();
    this.o.transport.off('transport', this.forward);
    if (!this.o.keepTransportOpen) await this.o.transport.close();
  }
}
