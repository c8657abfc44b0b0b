// Where kmsd's captures come from (roams.sources): a local monitor interface through tcpdump. We
// read its pcap stream from stdout rather than binding libpcap, so no native addon is needed, and
// feed it to the streaming CaptureReader. (kmsctl reads capture files itself: roam-analysis.ts.)
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CaptureReader, type PacketHandler, type ReaderStats } from './pcap-file.js';

export interface CaptureSource {
  readonly description: string;
  /** Streams packets to `onPacket` until the capture ends (or stop() is called); resolves with reader stats. */
  run(onPacket: PacketHandler): Promise<ReaderStats>;
  stop(): void;
}

async function pump(stream: Readable, onPacket: PacketHandler, stopped: () => boolean): Promise<ReaderStats> {
  const reader = new CaptureReader(onPacket);
  try {
    for await (const chunk of stream) reader.push(chunk as Buffer);
  } catch (e) {
    // Destroying the stream is how stop() works; anything else is a real error.
    if (!stopped()) throw e;
  }
  if (stopped()) {
    // Stopped before the capture header arrived: an empty capture, not a format error.
    try {
      return reader.end();
    } catch {
      return { format: undefined, packets: 0, bytes: 0, truncatedTailBytes: 0, skippedBlocks: 0 };
    }
  }
  return reader.end();
}

const IFNAME = /^[A-Za-z0-9_.:@-]{1,32}$/;

export interface TcpdumpOptions {
  /** Monitor-mode interface (radiotap link type), e.g. "mon0" or "hwsim0". */
  iface: string;
  /** A pcap-filter(7) expression, e.g. "type mgt or ether proto 0x888e". */
  filter?: string;
  /** Ask tcpdump to put the interface into monitor mode itself (-I). */
  rfmon?: boolean;
}

/** tcpdump's argument vector: -U flushes each packet, so events arrive as they happen, not per buffer. */
export function tcpdumpArgs(o: TcpdumpOptions): string[] {
  if (!IFNAME.test(o.iface)) throw new Error(`"${o.iface}" is not an interface name`);
  return ['-i', o.iface, ...(o.rfmon ? ['-I'] : []), '-U', '-w', '-', ...(o.filter ? [o.filter] : [])];
}

export type Spawner = (cmd: string, args: string[]) => ChildProcess;
const defaultSpawn: Spawner = (cmd, args) => spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** A local monitor interface, read through `tcpdump -i IF -U -w - [filter]`. */
export function tcpdumpSource(o: TcpdumpOptions & { tcpdump?: string; spawn?: Spawner }): CaptureSource {
  const args = tcpdumpArgs(o);
  let child: ChildProcess | undefined;
  let stopped = false;
  return {
    description: `tcpdump ${args.join(' ')}`,
    async run(onPacket) {
      const proc = (child = (o.spawn ?? defaultSpawn)(o.tcpdump ?? 'tcpdump', args));
      let stderr = '';
      proc.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      const exited = new Promise<number | null>((resolve, reject) => {
        proc.once('error', reject);
        proc.once('close', (code) => resolve(code));
      });
      if (!proc.stdout) throw new Error('tcpdump was started without a stdout pipe');
      // Both settle before we judge: a failed spawn or a tcpdump error explains an empty stream better
      // than the reader's "no pcap header" does.
      const [stats, code] = await Promise.allSettled([pump(proc.stdout, onPacket, () => stopped), exited]);
      if (code.status === 'rejected') throw code.reason;
      if (!stopped && code.value !== 0)
        throw new Error(`tcpdump exited with ${code.value}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      if (stats.status === 'rejected') throw stats.reason;
      return stats.value;
    },
    stop() {
      stopped = true;
      child?.kill('SIGTERM'); // the one process this source started
    },
  };
}
