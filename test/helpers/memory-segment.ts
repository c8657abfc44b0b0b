import type { L2Transport } from '../../adapters/rrb/l2-socket.js';

/**
 * An in-memory Ethernet segment: every attached port sees every frame sent by another port
 * (like a hub; the endpoint filters by destination itself), delivered asynchronously as a NIC would.
 */
export class MemorySegment {
  private readonly ports = new Set<{ mac: string; rx: (frame: Buffer) => void }>();
  /** Every frame sent on the segment, for tests that replay or tamper with them. */
  readonly sent: Buffer[] = [];
  /** Optional hook: return null to lose the frame, or a changed copy. */
  tamper: ((frame: Buffer) => Buffer | null) | null = null;

  attach(mac: string): L2Transport {
    const port = { mac, rx: (_: Buffer) => {} };
    this.ports.add(port);
    return {
      mac,
      send: (frame) => {
        this.sent.push(Buffer.from(frame));
        const out = this.tamper ? this.tamper(Buffer.from(frame)) : Buffer.from(frame);
        if (!out) return;
        for (const p of this.ports) if (p !== port) queueMicrotask(() => p.rx(Buffer.from(out)));
      },
      onFrame: (cb) => {
        port.rx = cb;
      },
      close: () => {
        this.ports.delete(port);
      },
    };
  }
}
