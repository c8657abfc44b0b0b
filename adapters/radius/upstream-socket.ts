import { createSocket, type Socket } from 'node:dgram';

/** Room for a full socket's worth (256) of answers at the kernel's per-packet accounting; capped by net.core.rmem_max. */
const UPSTREAM_RECV_BUFFER_BYTES = 256 * 4096;
import { isIPv6 } from 'node:net';

// Outgoing requests to one upstream port. RADIUS identifiers are 8 bits, so one socket can have
// at most 256 requests outstanding; more in flight means more sockets (more source ports),
// which is what RFC 5080 suggests and what FreeRADIUS itself does.

export interface PendingRequest {
  /** The Request Authenticator the KMS put on this request: needed to check the answer. */
  authenticator: Buffer;
  onAnswer(reply: Buffer): void;
}

/** What UpstreamServer sends through: UDP sockets (UpstreamSockets) or RadSec connections (RadsecConnections). */
export interface UpstreamTransport {
  /** Sends `build(id)` with a free identifier; returns a release function, or null when every identifier is taken. */
  send(build: (identifier: number) => { bytes: Buffer; pending: PendingRequest }): (() => void) | null;
  readonly inFlight: number;
  close(): void;
}

interface Slot {
  socket: Socket;
  pending: Map<number, PendingRequest>;
  nextId: number;
}

export class UpstreamSockets implements UpstreamTransport {
  private readonly slots: Slot[] = [];
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly port: number,
    private readonly maxSockets: number,
    private readonly onStray: (reason: string) => void,
  ) {}

  /** Sends `build(id)` on a socket with a free identifier; returns a release function, or null when full. */
  send(build: (identifier: number) => { bytes: Buffer; pending: PendingRequest }): (() => void) | null {
    const slot = this.freeSlot();
    if (!slot) return null;
    let id = slot.nextId;
    while (slot.pending.has(id)) id = (id + 1) & 0xff;
    slot.nextId = (id + 1) & 0xff;
    const { bytes, pending } = build(id);
    slot.pending.set(id, pending);
    slot.socket.send(bytes, this.port, this.address);
    return () => {
      if (slot.pending.get(id) === pending) slot.pending.delete(id);
    };
  }

  get inFlight(): number {
    return this.slots.reduce((n, s) => n + s.pending.size, 0);
  }

  close(): void {
    this.closed = true;
    for (const s of this.slots) s.socket.close();
    this.slots.length = 0;
  }

  private freeSlot(): Slot | null {
    if (this.closed) return null;
    const free = this.slots.find((s) => s.pending.size < 256);
    if (free) return free;
    if (this.slots.length >= this.maxSockets) return null;
    // Up to 256 answers can arrive together, and the kernel charges each its full buffer
    // (several KiB), not its length: the default receive buffer drops the tail of such a burst.
    const socket = createSocket({ type: isIPv6(this.address) ? 'udp6' : 'udp4', recvBufferSize: UPSTREAM_RECV_BUFFER_BYTES });
    const slot: Slot = { socket, pending: new Map(), nextId: Math.floor(Math.random() * 256) };
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== this.port || !sameAddress(rinfo.address, this.address)) return this.onStray('upstream-wrong-source');
      if (msg.length < 20) return this.onStray('upstream-short-packet');
      const pending = slot.pending.get(msg[1]!);
      if (!pending) return this.onStray('upstream-unknown-identifier');
      pending.onAnswer(msg);
    });
    socket.on('error', () => this.onStray('upstream-socket-error'));
    socket.unref();
    this.slots.push(slot);
    return slot;
  }
}

function sameAddress(a: string, b: string): boolean {
  const strip = (x: string) => (x.startsWith('::ffff:') ? x.slice(7) : x).toLowerCase();
  return strip(a) === strip(b);
}
