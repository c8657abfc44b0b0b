// ApDriver for a hostapd on the same host as the KMS: one CtrlSocketClient per BSS on hostapd's
// local control sockets (`<ctrl_interface>/<ifname>`).
import { join } from 'node:path';
import type { ApEvent } from '../../daemon/ports/ap-driver.js';
import { checkIfname } from './ctrl-commands.js';
import { CtrlInterfaceDriver } from './ctrl-driver.js';
import { CtrlSocketClient } from './ctrl-socket.js';

export interface CtrlSocketDriverOptions {
  /** hostapd's ctrl_interface directory. */
  ctrlDir: string;
  /** BSSes to open a ctrl socket for. */
  interfaces: readonly string[];
  /** Private directory for our own socket(s). */
  localDir: string;
  /** Reply timeout per command, ms (CtrlSocketClient's default otherwise). */
  timeoutMs?: number;
  /** Liveness check interval, ms (CtrlSocketClient's default otherwise). */
  heartbeatMs?: number;
}

/** close() closes the sockets. */
export class CtrlSocketDriver extends CtrlInterfaceDriver {
  protected readonly apName = 'local';
  private readonly clients = new Map<string, CtrlSocketClient>();

  constructor(o: CtrlSocketDriverOptions) {
    super();
    for (const ifname of o.interfaces) {
      const c = new CtrlSocketClient({
        path: join(o.ctrlDir, checkIfname(ifname)),
        ifname,
        localDir: o.localDir,
        timeoutMs: o.timeoutMs,
        heartbeatMs: o.heartbeatMs,
      });
      c.on('event', (ev: ApEvent) => ev.type === 'transport' && this.emitEvent(ev));
      this.clients.set(ifname, c);
    }
  }

  get connected(): boolean {
    return [...this.clients.values()].every((c) => c.connected);
  }

  protected request(ifname: string, cmd: string): Promise<string> {
    return this.client(ifname).request(cmd);
  }

  protected async attachEvents(ifnames: readonly string[]): Promise<void> {
    // Every BSS gets its ATTACH even if one fails; the failed ones are retried by their heartbeat.
    const failed: string[] = [];
    for (const ifname of ifnames) {
      const c = this.client(ifname);
      c.on('raw-event', (level: number, text: string) => this.onEventText(ifname, `<${level}>${text}`));
      await c.attach().catch((e: Error) => failed.push(`${ifname}: ${e.message}`));
    }
    if (failed.length) throw new Error(`not attached yet (retried by the heartbeat): ${failed.join('; ')}`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }

  private client(ifname: string): CtrlSocketClient {
    const c = this.clients.get(ifname);
    if (!c) throw new Error(`no ctrl socket configured for ${ifname}`);
    return c;
  }
}
