import type Database from 'better-sqlite3';

// Runs every statement of one connection inside a guard (kmsd's main thread: a priority ceiling,
// daemon/common/thread-priority.ts). Installed on the Database object right after it is opened,
// so the statements of every table that shares the connection (placements, neighbours, the
// cluster journal) are covered too, and no call site has to remember it.

/** What the guard does around each statement: run it and return its result. */
export interface StatementGuard {
  run<T>(fn: () => T): T;
}

type Fn = (...args: unknown[]) => unknown;

const guarded = (guard: StatementGuard, fn: Fn, self: unknown): Fn =>
  function (this: unknown, ...args: unknown[]) {
    return guard.run(() => fn.apply(self ?? this, args));
  };

/** A lazy iterator whose every step runs inside the guard (each step reads from the database). */
function guardedIterate(guard: StatementGuard, iterate: Fn, self: unknown): Fn {
  return (...args: unknown[]) => {
    const it = guard.run(() => iterate.apply(self, args)) as IterableIterator<unknown>;
    const wrapper: IterableIterator<unknown> = {
      next: () => guard.run(() => it.next()),
      return: (value?: unknown) => guard.run(() => it.return?.(value) ?? { done: true, value }),
      [Symbol.iterator]: () => wrapper,
    };
    return wrapper;
  };
}

export function guardStatements(db: Database.Database, guard: StatementGuard): void {
  const d = db as unknown as Record<string, Fn>;
  const prepare = d.prepare!.bind(db);
  d.prepare = (...args: unknown[]) => {
    const st = prepare(...args) as Record<string, Fn>;
    for (const m of ['run', 'get', 'all']) st[m] = guarded(guard, st[m]!, st);
    st.iterate = guardedIterate(guard, st.iterate!, st);
    return st;
  };
  const transaction = d.transaction!.bind(db);
  d.transaction = (fn: unknown) => {
    const tx = transaction(fn) as Fn & Record<string, Fn>;
    const out = guarded(guard, tx, null) as Fn & Record<string, Fn>;
    for (const mode of ['deferred', 'immediate', 'exclusive']) out[mode] = guarded(guard, tx[mode]!, null);
    return out;
  };
  for (const m of ['exec', 'pragma']) d[m] = guarded(guard, d[m]!.bind(db), null);
}
