import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToMac } from '../../daemon/common/mac.js';
import { ETH_P_OUI } from './frame.js';
import type { AfPacketAddon } from './native.js';

// The L2 transport the RRB endpoint talks through: whole Ethernet frames in and out of one
// interface. The real one is our AF_PACKET addon (native/af_packet.c, built by node-gyp from the
// root binding.gyp into build/Release). Tests use an in-process segment instead (test/helpers/memory-segment.ts).

export interface L2Transport {
  /** The MAC frames from us carry (canonical aa:bb:… form). */
  readonly mac: string;
  /** Send one whole frame; throws if the kernel refuses it. */
  send(frame: Buffer): void;
  /** Set the receiver (one at a time); our own outgoing frames are never delivered. */
  onFrame(cb: (frame: Buffer) => void): void;
  close(): void;
}

let addon: AfPacketAddon | undefined;

/** Find build/Release/af_packet.node from source (adapters/rrb) or compiled (dist/adapters/rrb) layout. */
export function loadAfPacket(): AfPacketAddon {
  if (addon) return addon;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.KMS_AF_PACKET_ADDON,
    ...[2, 3, 4].map((up) => join(here, ...Array<string>(up).fill('..'), 'build', 'Release', 'af_packet.node')),
  ].filter((p): p is string => !!p);
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      `AF_PACKET addon not built (looked in ${candidates.join(', ')}); run "npm ci" or "npm rebuild" (needs python3, make, g++)`,
    );
  }
  addon = createRequire(import.meta.url)(path) as AfPacketAddon;
  return addon;
}

/** Raw 0x88B7 (or another ethertype) on one interface. Needs CAP_NET_RAW. */
export function openL2Socket(ifname: string, ethertype = ETH_P_OUI): L2Transport {
  const native = loadAfPacket();
  let receiver: (frame: Buffer) => void = () => {};
  const handle = native.open(ifname, ethertype, (frame) => receiver(frame));
  return {
    mac: bytesToMac(handle.mac),
    send: (frame) => native.send(handle, frame),
    onFrame: (cb) => {
      receiver = cb;
    },
    close: () => native.close(handle),
  };
}
