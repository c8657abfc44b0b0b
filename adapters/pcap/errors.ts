// One error type for every decoder in adapters/pcap. A capture is untrusted input from the air:
// a decoder either returns a value or throws FrameDecodeError with a short, stable reason that the
// pipeline counts (per reason) before skipping the frame. Any other exception is a bug, and the fuzz
// test (test/unit/pcap/fuzz.test.ts) checks that none escapes.

export class FrameDecodeError extends Error {
  override readonly name = 'FrameDecodeError';
  /** Stable, countable reason, e.g. "radiotap-short", "ie-overrun", "eapol-key-short". */
  readonly reason: string;
  constructor(reason: string, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.reason = reason;
  }
}

/** Thrown for a capture *file/stream* that is not well-formed (bad magic, bad block length). */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
}

/** Throws FrameDecodeError(reason) unless `ok`. Kept tiny so hot paths stay readable. */
export function need(ok: boolean, reason: string): asserts ok {
  if (!ok) throw new FrameDecodeError(reason);
}
