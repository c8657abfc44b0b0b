// Roam analysis: a capture file (or a live capture source) through the pcap reader, the 802.11
// decoders and the core's roam tracker (daemon/roams). kmsctl roams and the benchmark call
// analyseCaptureFile; kmsd's composition root calls watchCaptureSource.
import { createReadStream } from 'node:fs';
import {
  CaptureReader,
  FrameEventDecoder,
  type CaptureSource,
  type DecodeStats,
  type FrameEventDecoderOptions,
  type ReaderStats,
} from './index.js';
import { RoamTracker, type RoamEvent, type RoamTrackerOptions } from '../../daemon/roams/roam-tracker.js';

export interface RoamAnalysis {
  roams: RoamEvent[];
  capture: ReaderStats;
  decode: DecodeStats;
  /** Retransmissions (Retry bit, same sequence control) the tracker ignored. */
  duplicates: number;
  firstTs?: number;
  lastTs?: number;
}

export type RoamAnalysisOptions = Omit<RoamTrackerOptions, 'onRoam'> & {
  /** Decode every management body, beacons and probes included (the bench's `full` mode measures that cost). */
  decodeAllManagement?: boolean;
};

/** Streams `path` (pcap or pcapng) and returns every roam in it, in the order they ended. */
export async function analyseCaptureFile(path: string, opts: RoamAnalysisOptions = {}): Promise<RoamAnalysis> {
  const roams: RoamEvent[] = [];
  const tracker = new RoamTracker({ ...opts, onRoam: (e) => roams.push(e) });
  let firstTs: number | undefined;
  let lastTs: number | undefined;
  const decoder = new FrameEventDecoder({
    onEvent: (e) => tracker.push(e),
    ...(opts.decodeAllManagement ? { onManagement: () => undefined } : {}),
  });
  const reader = new CaptureReader((p) => {
    firstTs ??= p.ts;
    lastTs = p.ts;
    decoder.packet(p);
  });
  // 1 MiB reads: fewer chunk joins, and the reader never holds more than one record across chunks.
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) reader.push(chunk as Buffer);
  const capture = reader.end();
  tracker.flush();
  return {
    roams,
    capture,
    decode: decoder.stats,
    duplicates: tracker.stats.duplicates,
    ...(firstTs !== undefined ? { firstTs } : {}),
    ...(lastTs !== undefined ? { lastTs } : {}),
  };
}

export interface CaptureWatch {
  /** Settles when the source ends (or fails); stop() makes it end. */
  done: Promise<ReaderStats>;
  decode: DecodeStats;
  stop(): void;
}

/**
 * Live: a capture source (local tcpdump, tcpdump over SSH) into a tracker the daemon owns (with its
 * RoamLog, metrics and RF-graph listeners on onRoam). Frames carry the capture's clock, which may be
 * an AP's; so silence is turned into tracker time from the last frame's timestamp plus the wall time
 * since it arrived, once a second, and a stalled attempt still times out when the air goes quiet.
 */
export function watchCaptureSource(
  source: CaptureSource,
  tracker: RoamTracker,
  onManagement?: FrameEventDecoderOptions['onManagement'],
): CaptureWatch {
  let lastTs: number | undefined;
  let lastArrival = 0;
  const decoder = new FrameEventDecoder({ onEvent: (e) => tracker.push(e), ...(onManagement ? { onManagement } : {}) });
  const timer = setInterval(() => {
    if (lastTs !== undefined) tracker.tick(lastTs + (Date.now() - lastArrival));
  }, 1000);
  timer.unref();
  const done = source
    .run((p) => {
      lastTs = p.ts;
      lastArrival = Date.now();
      decoder.packet(p);
    })
    .finally(() => clearInterval(timer));
  return { done, decode: decoder.stats, stop: () => source.stop() };
}
