import type { KmsConfig } from './schema.js';

// What a reload (SIGHUP) can apply to a running kmsd and what waits for a restart. Every setting
// is named here, by its path in the config; a longer path overrides a shorter one. A setting
// missing from this table counts as "restart" (the safe answer) and a unit test fails until it
// is classified, so a new setting cannot slip through unnoticed.

export type ReloadEffect = 'live' | 'restart';

export const RELOAD_EFFECTS: Readonly<Record<string, ReloadEffect>> = {
  stateDir: 'restart',
  masterKey: 'restart',
  'log.level': 'live',
  // Sockets are bound once, and the RADIUS thread sizes its tables at start.
  'radius.authListen': 'restart',
  'radius.acctListen': 'restart',
  'radius.clients': 'live',
  'radius.upstreams': 'live',
  'radius.deadProbeIntervalS': 'live',
  'radius.duplicateWindowS': 'restart',
  'radius.maxInFlight': 'restart',
  'radius.otherThreadsNice': 'restart',
  'radius.recvBufferBytes': 'restart',
  // The DAS listener is bound at start; who may send to it (and radius.clients[].das) is swapped live.
  'radius.dynamicAuthorization': 'restart',
  'radius.dynamicAuthorization.upstreams': 'live',
  stations: 'restart',
  api: 'restart',
  roams: 'restart',
  // Adding or removing the whole section starts or ends key distribution: a restart.
  distribution: 'restart',
  cluster: 'restart',
  'distribution.aps': 'live',
  // Read by `kmsctl ap-config` only; kmsd itself never uses it.
  'distribution.kmsRadiusAddress': 'live',
  'distribution.neighbors': 'restart',
  'distribution.neighbors.forbid': 'live',
};

export interface ReloadPlan {
  /** Changed settings a reload applies. */
  live: string[];
  /** Changed settings that keep their old value until kmsd restarts. */
  restart: string[];
}

export function effectOf(path: string): ReloadEffect {
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const e = RELOAD_EFFECTS[p];
    if (e) return e;
  }
  return 'restart';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The changed settings, as paths: objects are walked key by key, down to the deepest path the
 * table names; arrays and values compare whole.
 */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

/** A live change is applied by its table entry (a whole list of clients, …): group it under that. */
function settingOf(path: string): string {
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    if (RELOAD_EFFECTS[p]) return p;
  }
  return path;
}

export function planReload(running: KmsConfig, next: KmsConfig): ReloadPlan {
  // Restart-only changes keep their own path, so the warning names exactly what changed.
  const settings = [...new Set(changedPaths(running, next).map((p) => (effectOf(p) === 'live' ? settingOf(p) : p)))].sort();
  return {
    live: settings.filter((s) => effectOf(s) === 'live'),
    restart: settings.filter((s) => effectOf(s) === 'restart'),
  };
}

/**
 * The configuration kmsd runs with after a reload: `next` for every live setting, `running` for
 * the rest (so the next reload still sees, and names, a restart-only change that is pending).
 */
export function appliedConfig(running: KmsConfig, next: KmsConfig, plan: ReloadPlan): KmsConfig {
  const out = structuredClone(running) as unknown as Record<string, unknown>;
  for (const path of plan.live) {
    const keys = path.split('.');
    let from: unknown = next;
    for (const k of keys) from = isObject(from) ? from[k] : undefined;
    let to = out;
    for (const k of keys.slice(0, -1)) {
      if (!isObject(to[k])) to[k] = {};
      to = to[k] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1]!;
    if (from === undefined) delete to[last];
    else to[last] = structuredClone(from);
  }
  return out as unknown as KmsConfig;
}
