import { checkServerIdentity, connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { PendingRequest, UpstreamTransport } from './upstream-socket.js';
import { RadsecFrameError, RadsecFramer } from './radsec-framer.js';

// RADIUS over TLS to one upstream (RadSec, RFC 6614). One connection carries auth and
// accounting and is kept open for every request; identifiers are per connection, so past 256
// outstanding requests a second connection opens (up to maxConnections).
//
// A request stays on its connection until answered or released by the proxy's timeout. When a
// connection drops, the requests it held are written again, same identifier and bytes, on the
// new connection: RFC 6613 §2.6.1 allows retransmission only on a new connection, and it means
// a connection killed mid-burst loses nothing the proxy is still waiting for. Reconnects back
// off (doubling, capped) so a refusing server is not hammered; an idle connection is checked
// with Status-Server (RFC 5997) and closed if that goes unanswered.

export interface RadsecTlsMaterial {
  /** PEM: the CA(s) the server certificate must chain to. */
  ca: string;
  /** PEM: the KMS's client certificate, and its private key. */
  cert: string;
  key: string;
  /** Sent as SNI (unless an IP address) and checked against the server certificate's names. */
  serverName: string;
}

export interface RadsecOptions {
  address: string;
  port: number;
  tls: RadsecTlsMaterial;
  maxConnections: number;
  /** An idle connection gets a Status-Server this often. */
  keepaliveMs: number;
  /** How long a keepalive may go unanswered before the connection is closed. */
  answerTimeoutMs: number;
  /** Builds one Status-Server with this identifier (the caller has the secret). */
  buildStatusServer(identifier: number, onAnswer: () => void): { bytes: Buffer; pending: PendingRequest };
  stray(reason: string): void;
  /** One line for the operator when a connection comes up, is refused or drops. */
  log(level: 'info' | 'warn' | 'error', detail: Record<string, unknown>, msg: string): void;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;
const HANDSHAKE_TIMEOUT_MS = 5_000;

/** Certificate errors: what the operator must fix on one side or the other, said plainly. */
const CERT_ERRORS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'server certificate is not signed by the configured CA',
  UNABLE_TO_GET_ISSUER_CERT: 'server certificate is not signed by the configured CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'server certificate is not signed by the configured CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'server certificate chains to a CA that is not the configured one',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'server certificate is self-signed and not the configured CA',
  CERT_SIGNATURE_FAILURE: 'server certificate signature is invalid',
  CERT_HAS_EXPIRED: 'server certificate has expired',
  CERT_NOT_YET_VALID: 'server certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'server certificate does not carry the configured serverName',
};

interface Outstanding {
  pending: PendingRequest;
  bytes: Buffer;
}

class Connection {
  socket: TLSSocket | null = null;
  up = false;
  readonly outstanding = new Map<number, Outstanding>();
  nextId = Math.floor(Math.random() * 256);
  backoffMs = 0;
  reconnectTimer: NodeJS.Timeout | null = null;
  lastActivity = performance.now();
  keepaliveOut = false;
  /** Written one at a time (see write()); what the socket has not taken yet. */
  queue: Buffer[] = [];
  writing = false;
  constructor(readonly index: number) {}
}

export class RadsecConnections implements UpstreamTransport {
  private readonly connections: Connection[] = [];
  private readonly keepalive: NodeJS.Timeout;
  private closed = false;
  /** The last failure logged, so a server refusing every reconnect gives one line, not one per try. */
  private lastProblem = '';

  constructor(private readonly o: RadsecOptions) {
    this.keepalive = setInterval(() => this.checkIdle(), Math.max(100, Math.floor(o.keepaliveMs / 2)));
    this.keepalive.unref();
  }

  send(build: (identifier: number) => { bytes: Buffer; pending: PendingRequest }): (() => void) | null {
    const conn = this.freeConnection();
    if (!conn) return null;
    let id = conn.nextId;
    while (conn.outstanding.has(id)) id = (id + 1) & 0xff;
    conn.nextId = (id + 1) & 0xff;
    const { bytes, pending } = build(id);
    const entry = { pending, bytes };
    conn.outstanding.set(id, entry);
    if (conn.up) this.write(conn, bytes);
    else this.ensureConnecting(conn);
    return () => {
      if (conn.outstanding.get(id) === entry) conn.outstanding.delete(id);
    };
  }

  get inFlight(): number {
    return this.connections.reduce((n, c) => n + c.outstanding.size, 0);
  }

  /** Connections up now (for tests and status). */
  get connected(): number {
    return this.connections.filter((c) => c.up).length;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.keepalive);
    for (const c of this.connections) {
      if (c.reconnectTimer) clearTimeout(c.reconnectTimer);
      c.socket?.destroy();
      c.outstanding.clear();
    }
  }

  private freeConnection(): Connection | null {
    if (this.closed) return null;
    const free = this.connections.find((c) => c.outstanding.size < 256);
    if (free) return free;
    if (this.connections.length >= this.o.maxConnections) return null;
    const conn = new Connection(this.connections.length);
    this.connections.push(conn);
    return conn;
  }

  /**
   * One packet per TLS record, one write at a time: FreeRADIUS 3.2 takes each TLS record it
   * reads for exactly one RADIUS packet ("Received bad packet: Length 16384 contents 141") and
   * drops the connection otherwise, and Node merges writes queued together into one record.
   */
  private write(conn: Connection, bytes: Buffer): void {
    conn.lastActivity = performance.now();
    conn.queue.push(bytes);
    if (!conn.writing) this.pump(conn, conn.socket!);
  }

  private pump(conn: Connection, socket: TLSSocket): void {
    const next = conn.queue.shift();
    if (!next || conn.socket !== socket || socket.destroyed) {
      conn.writing = false;
      return;
    }
    conn.writing = true;
    socket.write(next, () => this.pump(conn, socket));
  }

  private ensureConnecting(conn: Connection): void {
    if (conn.socket || conn.reconnectTimer || this.closed) return;
    this.open(conn);
  }

  private open(conn: Connection): void {
    const { tls, address, port } = this.o;
    const where = { server: `${address}:${port}`, connection: conn.index };
    const socket = connect({
      host: address,
      port,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      minVersion: 'TLSv1.2',
      ...(isIP(tls.serverName) === 0 ? { servername: tls.serverName } : {}),
      // The name checked is the configured one, not the address dialled.
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(tls.serverName, cert),
    });
    conn.socket = socket;
    const framer = new RadsecFramer();
    socket.setNoDelay(true);
    // A server that takes the TCP connection but never finishes the handshake must not hold
    // the requests for ever: they would wait on a connection that never comes up.
    const handshake = setTimeout(
      () => {
        const e: NodeJS.ErrnoException = new Error('TLS handshake not finished in time');
        e.code = 'HANDSHAKE_TIMEOUT';
        socket.destroy(e);
      },
      Math.max(this.o.answerTimeoutMs, HANDSHAKE_TIMEOUT_MS),
    );
    handshake.unref();
    socket.on('secureConnect', () => {
      clearTimeout(handshake);
      conn.up = true;
      conn.keepaliveOut = false;
      this.o.log('info', where, 'RadSec connection to upstream established');
      this.lastProblem = '';
      // What the last connection held, again on this one (same identifiers, same bytes).
      for (const { bytes } of conn.outstanding.values()) this.write(conn, bytes);
    });
    socket.on('data', (chunk: Buffer) => {
      let packets: Buffer[];
      try {
        packets = framer.push(chunk);
      } catch (e) {
        if (!(e instanceof RadsecFrameError)) throw e;
        this.o.stray(`radsec-${e.reason}`);
        this.o.log('warn', { ...where, reason: e.reason }, 'RadSec stream from upstream out of step; reconnecting');
        socket.destroy();
        return;
      }
      conn.lastActivity = performance.now();
      conn.backoffMs = 0;
      for (const p of packets) {
        const entry = conn.outstanding.get(p[1]!);
        if (!entry) this.o.stray('upstream-unknown-identifier');
        else entry.pending.onAnswer(p);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'ERROR';
      const cert = CERT_ERRORS[code];
      const problem = cert ? `${code}` : `${code}:${conn.up}`;
      if (problem === this.lastProblem) return;
      this.lastProblem = problem;
      if (cert) this.o.log('error', { ...where, serverName: tls.serverName, code, err: e.message }, `RadSec connection refused: ${cert}`);
      else
        this.o.log(
          'warn',
          { ...where, code, err: e.message },
          conn.up ? 'RadSec connection to upstream failed' : 'RadSec connection to upstream could not be opened',
        );
    });
    socket.on('close', () => {
      clearTimeout(handshake);
      const wasUp = conn.up;
      conn.up = false;
      conn.socket = null;
      // Everything still outstanding is written again on the next connection.
      conn.queue = [];
      conn.writing = false;
      if (this.closed) return;
      if (wasUp && this.lastProblem === '') this.o.log('warn', where, 'RadSec connection to upstream closed; reconnecting');
      // The first connection is kept open; extra ones come back only when needed.
      if (conn.index === 0 || conn.outstanding.size > 0) this.scheduleReconnect(conn);
    });
  }

  private scheduleReconnect(conn: Connection): void {
    conn.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, conn.backoffMs * 2));
    // Jitter, so the connections of many KMSs to one AAA server do not come back in step.
    const delay = conn.backoffMs * (0.75 + Math.random() * 0.5);
    conn.reconnectTimer = setTimeout(() => {
      conn.reconnectTimer = null;
      if (!this.closed && (conn.index === 0 || conn.outstanding.size > 0)) this.open(conn);
    }, delay);
    conn.reconnectTimer.unref();
  }

  /** Status-Server on an idle connection; one left unanswered means the connection is gone. */
  private checkIdle(): void {
    const now = performance.now();
    for (const conn of this.connections) {
      if (!conn.up || conn.keepaliveOut || now - conn.lastActivity < this.o.keepaliveMs) continue;
      let id = conn.nextId;
      while (conn.outstanding.has(id)) id = (id + 1) & 0xff;
      if (conn.outstanding.size >= 256) continue;
      conn.nextId = (id + 1) & 0xff;
      const socket = conn.socket;
      conn.keepaliveOut = true;
      const timer = setTimeout(() => {
        conn.outstanding.delete(id);
        conn.keepaliveOut = false;
        this.o.log(
          'warn',
          { server: `${this.o.address}:${this.o.port}`, connection: conn.index },
          'RadSec keepalive (Status-Server) unanswered; reconnecting',
        );
        if (conn.socket === socket) socket?.destroy();
      }, this.o.answerTimeoutMs);
      timer.unref();
      const { bytes, pending } = this.o.buildStatusServer(id, () => {
        clearTimeout(timer);
        conn.outstanding.delete(id);
        conn.keepaliveOut = false;
      });
      conn.outstanding.set(id, { bytes, pending });
      this.write(conn, bytes);
    }
  }
}
