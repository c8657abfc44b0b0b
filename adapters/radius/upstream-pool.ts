import { randomOctets } from '../../daemon/common/random-pool.js';
import { Code, Attr } from './codes.js';
import { finishStatusServer, verifyResponse } from './authenticators.js';
import { UpstreamSockets, type PendingRequest, type UpstreamTransport } from './upstream-socket.js';
import { RadsecConnections, type RadsecTlsMaterial } from './upstream-tls.js';

// The ordered list of upstream AAA servers. Requests go to the first server believed alive.
//
// Dead detection follows FreeRADIUS's response window and zombie period: one request that
// goes unanswered says nothing about the server if it answered anything else since that
// request was sent (servers discard requests they dislike: a policy's do_not_respond, a
// request they cannot parse). Only a server that has answered nothing since then becomes a
// zombie: it is sent Status-Server (RFC 5997) at once and through the zombie period; an answer
// makes it alive again, silence makes it dead. A dead server is probed until it answers, so a
// recovered primary is used again.

export interface UpstreamServerConfig {
  name: string;
  address: string;
  authPort: number;
  acctPort: number;
  secret: Buffer;
  timeoutMs: number;
  tries: number;
  /** RadSec (RFC 6614): auth and accounting on one TLS connection to authPort. Absent: UDP. */
  tls?: RadsecTlsMaterial & { keepaliveMs: number };
}

export type RequestKind = 'auth' | 'acct';

export interface UpstreamEvents {
  stateChanged(server: UpstreamServer, alive: boolean, why: string): void;
  stray(reason: string): void;
}

export interface UpstreamEventsWithLog extends UpstreamEvents {
  /** Transport lines (RadSec connections); optional for UDP-only callers. */
  log?(level: 'info' | 'warn' | 'error', detail: Record<string, unknown>, msg: string): void;
}

export class UpstreamServer {
  alive = true;
  /** Answered nothing since a request timed out: being probed through the zombie period. */
  zombie = false;
  /** Taken out of the pool by a reload: finishes the requests it holds, then closes. */
  retired = false;
  readonly auth: UpstreamTransport;
  readonly acct: UpstreamTransport;
  /** When this server last sent a correctly signed answer (performance.now()). */
  lastAnswerAt = -Infinity;
  private probeTimer: NodeJS.Timeout | null = null;
  private zombieTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly config: UpstreamServerConfig,
    maxSockets: number,
    private readonly events: UpstreamEventsWithLog,
  ) {
    if (config.tls) {
      const tls = config.tls;
      // One connection (or more, past 256 outstanding) for both kinds, as RFC 6614 §2.1 has it.
      const radsec = new RadsecConnections({
        address: config.address,
        port: config.authPort,
        tls,
        maxConnections: maxSockets,
        keepaliveMs: tls.keepaliveMs,
        answerTimeoutMs: config.timeoutMs,
        buildStatusServer: (identifier, onAnswer) => this.statusServer(identifier, onAnswer),
        stray: events.stray,
        log: (level, detail, msg) => events.log?.(level, { upstream: config.name, ...detail }, msg),
      });
      this.auth = radsec;
      this.acct = radsec;
    } else {
      this.auth = new UpstreamSockets(config.address, config.authPort, maxSockets, events.stray);
      this.acct = new UpstreamSockets(config.address, config.acctPort, maxSockets, events.stray);
    }
  }

  /**
   * Sends of one request before failing over, and the wait for each. Over RadSec a request is
   * sent once per connection (RFC 6613 §2.6.1: no retransmission on the same connection; the
   * transport itself writes it again on a new one), so it gets the whole budget in one wait.
   */
  get triesPerRequest(): number {
    return this.config.tls ? 1 : this.config.tries;
  }

  get tryTimeoutMs(): number {
    return this.config.tls ? this.config.timeoutMs * this.config.tries : this.config.timeoutMs;
  }

  sockets(kind: RequestKind): UpstreamTransport {
    return kind === 'auth' ? this.auth : this.acct;
  }

  /** Any correctly signed answer, to a request or a probe. */
  markAnswered(): void {
    this.lastAnswerAt = performance.now();
    if (this.zombie) {
      this.zombie = false;
      this.stopZombie();
      this.events.log?.(
        'info',
        { upstream: this.config.name },
        'upstream AAA server answered after a request went unanswered: it discarded that request, and stays in service',
      );
    }
    if (this.alive) return;
    this.alive = true;
    this.stopProbing();
    this.events.stateChanged(this, true, 'answered');
  }

  /**
   * A request first sent at `sentAt` used up its tries here. Says whether that made the server
   * a zombie: not if the server has answered anything since (it discarded that one request).
   */
  requestUnanswered(sentAt: number, probeIntervalMs: number): boolean {
    if (!this.alive || this.retired || this.zombie) return false;
    if (this.lastAnswerAt >= sentAt) return false;
    this.zombie = true;
    // The zombie period: as long as the request had, probed every timeout.
    const periodMs = this.config.timeoutMs * this.config.tries;
    const started = performance.now();
    this.probe();
    this.zombieTimer = setInterval(() => {
      if (performance.now() - started < periodMs) return this.probe();
      this.stopZombie();
      this.zombie = false;
      this.markDead(`no answer to any request or Status-Server for ${Math.round((performance.now() - sentAt) / 1000)} s`, probeIntervalMs);
    }, this.config.timeoutMs);
    this.zombieTimer.unref();
    return true;
  }

  markDead(why: string, probeIntervalMs: number): void {
    if (!this.alive || this.retired) return;
    this.alive = false;
    this.zombie = false;
    this.stopZombie();
    this.events.stateChanged(this, false, why);
    this.probeTimer = setInterval(() => this.probe(), probeIntervalMs);
    this.probeTimer.unref();
  }

  /** One Status-Server; any correctly signed answer brings the server back. */
  probe(): void {
    const release = this.auth.send((identifier) =>
      this.statusServer(identifier, () => {
        release?.();
        this.markAnswered();
      }),
    );
    // Unanswered probes must not hold identifiers for ever.
    if (release) setTimeout(release, this.config.timeoutMs).unref();
  }

  private statusServer(identifier: number, onAlive: () => void): { bytes: Buffer; pending: PendingRequest } {
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
          if (!v.ok) return this.events.stray(`status-server-${v.reason}`);
          this.lastAnswerAt = performance.now();
          onAlive();
        },
      },
    };
  }

  get inFlight(): number {
    return this.auth === this.acct ? this.auth.inFlight : this.auth.inFlight + this.acct.inFlight;
  }

  close(): void {
    this.stopProbing();
    this.stopZombie();
    this.auth.close();
    this.acct.close();
  }

  /** Same server, same secret, same timing: a reload keeps the running one (and its alive state). */
  sameAs(c: UpstreamServerConfig): boolean {
    const o = this.config;
    const sameTls = (a = o.tls, b = c.tls) =>
      (!a && !b) ||
      (!!a &&
        !!b &&
        a.ca === b.ca &&
        a.cert === b.cert &&
        a.key === b.key &&
        a.serverName === b.serverName &&
        a.keepaliveMs === b.keepaliveMs);
    return (
      o.name === c.name &&
      o.address === c.address &&
      o.authPort === c.authPort &&
      o.acctPort === c.acctPort &&
      o.timeoutMs === c.timeoutMs &&
      o.tries === c.tries &&
      o.secret.equals(c.secret) &&
      sameTls()
    );
  }

  retire(): void {
    this.retired = true;
    this.stopProbing();
    this.stopZombie();
  }

  private stopProbing(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  private stopZombie(): void {
    if (this.zombieTimer) clearInterval(this.zombieTimer);
    this.zombieTimer = null;
  }
}

export class UpstreamPool {
  servers: UpstreamServer[];
  /** Retired servers that still hold forwarded requests; each closes once its last one settles. */
  readonly retiring = new Set<UpstreamServer>();
  private readonly maxSockets: number;

  constructor(
    configs: UpstreamServerConfig[],
    maxInFlight: number,
    private readonly events: UpstreamEventsWithLog,
  ) {
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
   * The order to try servers for one request: live ones in configured order, then zombies, then
   * dead ones (a dead server may have recovered before its probe says so; trying it beats dropping).
   */
  order(): UpstreamServer[] {
    return [
      ...this.servers.filter((s) => s.alive && !s.zombie),
      ...this.servers.filter((s) => s.alive && s.zombie),
      ...this.servers.filter((s) => !s.alive),
    ];
  }

  close(): void {
    for (const s of [...this.servers, ...this.retiring]) s.close();
    this.retiring.clear();
  }
}
