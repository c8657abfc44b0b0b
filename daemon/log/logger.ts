import { pino, type Logger } from 'pino';

// One JSON line per event on stdout (journald keeps it). Keys and secrets are never passed to
// the logger in the first place; the redaction list is the second line of defence, so that a
// careless `log.info({ keys })` prints "[redacted]" instead of key bytes.

const SECRET_FIELDS = ['secret', 'token', 'msk', 'pmk', 'pmkR0', 'pmkR1', 'mpmk', 'keys', 'masterKey', 'password', 'psk'];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const paths = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]);
  const options = {
    level,
    base: { svc: 'kmsd' },
    redact: { paths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

/**
 * The logger of one part of kmsd ("distribution", "rrb", "neighbors", …), a child of the root
 * logger. pino appends a child's bindings to its parent's without looking at them, so a part made
 * from another part's logger would print "part" twice on every line: JSON that strict parsers
 * refuse and lenient ones read as whichever came last. Hence parts are siblings, never nested.
 */
export function partLogger(root: Logger, part: string): Logger {
  const parent = root.bindings().part as unknown;
  if (parent !== undefined) throw new Error(`logger part "${part}" made from part "${String(parent)}": make it from the root logger`);
  return root.child({ part });
}

export type { Logger };

/**
 * Sets the level of `root` and so of every logger derived from it: pino makes a child on the
 * prototype of its parent, and one made without a level of its own follows its parent's
 * (test/unit/common/log-level.test.ts holds pino to that).
 */
export function setLogLevel(root: Logger, level: string): void {
  root.level = level;
}
