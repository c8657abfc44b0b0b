// What the core logs through: one small interface, so no core file depends on pino. Every call
// is fields first, then a fixed message (`log.warn({ ap, reason }, 'cannot push')`), which is
// pino's calling form, so kmsd's pino loggers (log/logger.ts) are passed as they are, and a test
// can hand in a recorder. Fields name things (stations, APs, reasons), never key material.

export interface Log {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A Log that drops everything (tools and tests that do not look at the log). */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
