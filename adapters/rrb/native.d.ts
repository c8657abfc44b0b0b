// Shape of build/Release/af_packet.node (adapters/rrb/native/af_packet.c).

export interface AfPacketHandle {
  /** The interface's hardware address (SIOCGIFHWADDR), 6 octets. */
  readonly mac: Buffer;
  readonly ifindex: number;
}

export interface AfPacketAddon {
  /** Non-blocking AF_PACKET/SOCK_RAW socket bound to (ifname, ethertype); onFrame gets whole frames, never our own. */
  open(ifname: string, ethertype: number, onFrame: (frame: Buffer) => void): AfPacketHandle;
  /** Send one whole Ethernet frame; throws (code 'EAGAIN' or 'ESOCKET') when the kernel refuses it. */
  send(handle: AfPacketHandle, frame: Buffer): void;
  /** Idempotent; no callback after it. */
  close(handle: AfPacketHandle): void;
}
