import { randomOctets } from '../../daemon/common/random-pool.js';
import { Code, Attr } from './codes.js';
import { finishStatusServer, verifyResponse } from './authenticators.js';
import { UpstreamSockets } from './upstream-socket.js';

// The ordered list of upstream AAA servers. Requests go to the first server believed alive;
// a server that lets a request time out on every try is marked dead and probed with
// Status-Server (RFC 5997) until it answers, so a recovered primary is used again.

export interface UpstreamServerConfig {
  name: string;
  address: string;
  authPort: number;
  acctPort: number;
  secret: Buffer;
  timeoutMs: number;
  tries: number;
}

export type RequestKind = 'auth' | 'acct';

export interface UpstreamEvents {
  stateChanged(server: UpstreamServer, alive: boolean, why: string): void;
  stray(reason: string): void;
}

export class UpstreamServer {
  alive = true;
  /** Taken out of the pool by a reload: finishes the requests it holds, then closes. */
  retired = false;
  readonly auth: UpstreamSockets;
  readonly acct: UpstreamSockets;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(readonly config: UpstreamServerConfig, maxSockets: number, private readonly events: UpstreamEvents) {
    this.auth = new UpstreamSockets(config.address, config.authPort, maxSockets, events.stray);
    this.acct = new UpstreamSockets(config.address, config.acctPort, maxSockets, events.stray);
  }

  sockets(kind: RequestKind): UpstreamSockets {
    return kind === 'auth' ? this.auth : this.acct;
  }

  markAnswered(): void {
    if (this.alive) return;
    this.alive = true;
    this.stopProbing();
    this.events.stateChanged(this, true, 'answered');
  }

  markDead(why: string, probeIntervalMs: number): void {
    if (!this.alive || this.retired) return;
    this.alive = false;
    this.events.stateChanged(this, false, why);
    this.probeTimer = setInterval(() => this.probe(), probeIntervalMs);
    this.probeTimer.unref();
  }

  /** One Status-Server; any correctly signed answer brings the server back. */
  probe(): void {
    this.auth.send((identifier) => {
      const authenticator = randomOctets(16);
      const bytes = finishStatusServer(
        { code: Code.StatusServer, identifier, authenticator, attributes: [{ type: Attr.NasIdentifier, value: Buffer.from('hostapd-kms') }] },
        this.config.secret,
      );
      return {
        bytes,
        pending: {
          authenticator,
          onAnswer: (reply) => {
            // FreeRADIUS before 3.2.5 answers Status-Server without Message-Authenticator. A probe
            // answer only says "alive" and grants nothing, and the request has no attacker-chosen
            // content for a BlastRADIUS collision, so the Response Authenticator is enough here.
            const v = verifyResponse(reply, authenticator, this.config.secret, { requireMessageAuthenticator: false });
            if (v.ok) this.markAnswered();
            else this.events.stray(`status-server-${v.reason}`);
          },
        },
      };
    });
  }

  get inFlight(): number {
    return this.auth.inFlight + this.acct.inFlight;
  }

  close(): void {
    this.stopProbing();
    this.auth.close();
    this.acct.close();
  }

  /** Same server, same secret, same timing: a reload keeps the running one (and its alive state). */
  sameAs(c: UpstreamServerConfig): boolean {
    const o = this.config;
    return o.name === c.name && o.address === c.address && o.authPort === c.authPort && o.acctPort === c.acctPort
      && o.timeoutMs === c.timeoutMs && o.tries === c.tries && o.secret.equals(c.secret);
  }

  retire(): void {
    this.retired = true;
    this.stopProbing();
  }

  private stopProbing(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }
}

export class UpstreamPool {
  servers: UpstreamServer[];
  /** Retired servers that still hold forwarded requests; each closes once its last one settles. */
  readonly retiring = new Set<UpstreamServer>();
  private readonly maxSockets: number;

  constructor(configs: UpstreamServerConfig[], maxInFlight: number, private readonly events: UpstreamEvents) {
    this.maxSockets = Math.max(1, Math.ceil(maxInFlight / 256));
    this.servers = configs.map((c) => new UpstreamServer(c, this.maxSockets, events));
  }

  /**
   * A reload's new server list. An unchanged server is kept as it is; a changed or removed one is
   * retired: new requests no longer go to it, while the requests already sent to it keep their
   * sockets and identifiers until they are answered or time out.
   */
  replace(configs: UpstreamServerConfig[]): { kept: string[]; added: string[]; retired: string[] } {
    const old = new Set(this.servers);
    const kept: string[] = [];
    const added: string[] = [];
    this.servers = configs.map((c) => {
      const same = [...old].find((s) => s.sameAs(c));
      if (same) {
        old.delete(same);
        kept.push(c.name);
        return same;
      }
      added.push(c.name);
      return new UpstreamServer(c, this.maxSockets, this.events);
    });
    for (const s of old) {
      s.retire();
      this.retiring.add(s);
    }
    this.reap();
    return { kept, added, retired: [...old].map((s) => s.config.name) };
  }

  /** Closes the retired servers that hold no request any more. */
  reap(): void {
    for (const s of this.retiring) {
      if (s.inFlight > 0) continue;
      s.close();
      this.retiring.delete(s);
    }
  }

  /**
   * The order to try servers for one request: live ones in configured order, then dead ones
   * (a dead server may have recovered before its probe says so; trying it beats dropping).
   */
  order(): UpstreamServer[] {
    return [...this.servers.filter((s) => s.alive), ...this.servers.filter((s) => !s.alive)];
  }

  close(): void {
    for (const s of [...this.servers, ...this.retiring]) s.close();
    this.retiring.clear();
  }
}

