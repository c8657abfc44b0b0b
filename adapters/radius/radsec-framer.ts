// RADIUS over a byte stream (RFC 6613 TCP, RFC 6614 TLS) has no datagram boundaries: each
// packet's own Length field (octets 2-3) says where it ends. A Length that cannot be a RADIUS
// packet means the stream is out of step, and nothing after it can be trusted: the caller
// closes the connection.

/** Smallest packet (the header) and largest a RADIUS peer may send (RFC 2865 §3, RFC 6613 §2.5). */
export const MIN_PACKET = 20;
export const MAX_PACKET = 4096;

export class RadsecFrameError extends Error {
  constructor(
    readonly reason: 'length-below-header' | 'length-above-maximum',
    detail: string,
  ) {
    super(`RadSec stream: ${reason} (${detail})`);
    this.name = 'RadsecFrameError';
  }
}

export class RadsecFramer {
  private buffered: Buffer = Buffer.alloc(0);
  private failed: RadsecFrameError | null = null;

  /** Whole packets completed by `chunk`, in order. Throws RadsecFrameError, and again on every later push. */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw this.failed;
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const packets: Buffer[] = [];
    while (data.length >= 4) {
      const length = data.readUInt16BE(2);
      if (length < MIN_PACKET) this.fail(new RadsecFrameError('length-below-header', `Length ${length}`));
      if (length > MAX_PACKET) this.fail(new RadsecFrameError('length-above-maximum', `Length ${length}`));
      if (data.length < length) break;
      // A copy: the packet outlives the chunk the socket handed us.
      packets.push(Buffer.from(data.subarray(0, length)));
      data = data.subarray(length);
    }
    this.buffered = Buffer.from(data);
    return packets;
  }

  /** Octets of a packet begun but not finished. */
  get pending(): number {
    return this.buffered.length;
  }

  private fail(e: RadsecFrameError): never {
    this.failed = e;
    this.buffered = Buffer.alloc(0);
    throw e;
  }
}
