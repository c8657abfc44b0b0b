import { pino, type Logger } from 'pino';

// One JSON line per event on stdout (journald keeps it). Keys and secrets are never passed to
// the logger in the first place; the redaction list is the second line of defence, so that a
// careless `log.info({ keys })` prints "[redacted]" instead of key bytes.

const SECRET_FIELDS = ['secret', 'token', 'msk', 'pmk', 'pmkR0', 'pmkR1', 'mpmk', 'keys', 'masterKey', 'password', 'psk'];

/**
 * Every child of a root logger, so a reload can change the level of all of them: pino copies the
 * level into a child when it is made, and a later change on the root does not reach it. Weak, so
 * a short-lived child is not kept alive by being listed.
 */
const familyOf = new WeakMap<Logger, Set<WeakRef<Logger>>>();

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const paths = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]);
  const family = new Set<WeakRef<Logger>>();
  let pruneAt = 64;
  const options = {
    level,
    base: { svc: 'kmsd' },
    redact: { paths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Children inherit onChild, so grandchildren are listed too.
    onChild: (child: Logger) => {
      family.add(new WeakRef(child));
      if (family.size >= pruneAt) {
        for (const ref of family) if (ref.deref() === undefined) family.delete(ref);
        pruneAt = Math.max(64, family.size * 2);
      }
    },
  };
  const root = destination ? pino(options, destination as pino.DestinationStream) : pino(options);
  familyOf.set(root, family);
  return root;
}

/** Sets the level of `root` and of every logger derived from it. */
export function setLogLevel(root: Logger, level: string): void {
  root.level = level;
  for (const ref of familyOf.get(root) ?? []) {
    const child = ref.deref();
    if (child) child.level = level;
  }
}

export type { Logger };
