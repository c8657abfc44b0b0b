// Everything kmsd checks about its configuration before it starts, in one list that both
// `kmsd --check` and start-up run (kmsd.ts calls runStartupChecks on both paths), so a config
// that passes --check does not then fail at start. What the checks resolve (secrets, the
// master key) is what start-up uses: nothing is read twice.
//
// A check may read files and look at the host (interfaces, directories); it never binds a
// port or opens a socket, so --check needs no privileges beyond reading the files.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, resolveSecret } from '../config/load.js';
import { rrbKeyFromHex } from '../keys/rrb-key.js';
import type { KmsConfig, SecretRef } from '../config/schema.js';
import { loadMasterKey } from '../../adapters/store/master-key.js';
import { storeMasterKeyProblem } from '../../adapters/store/sqlite-store.js';
import { privateKeyProblem } from '../../adapters/hostapd/index.js';
import { radsecMaterialProblems, readPublicPem } from './radsec-checks.js';

/** What start-up needs from the checks: secrets resolved, keys decoded. */
export interface StartupSecrets {
  masterKey: Buffer;
  apiToken: string;
  /** radius.clients[].secret by client name. */
  clientSecrets: Map<string, Buffer>;
  /** radius.upstreams[].secret by upstream name. */
  upstreamSecrets: Map<string, Buffer>;
  /** radius.upstreams[].tls (PEM, checked) by upstream name, for RadSec upstreams. */
  upstreamTls: Map<string, { ca: string; cert: string; key: string }>;
  /** distribution.aps[].rrbKey by AP name: the 256-bit key hostapd uses (a legacy 128-bit one expanded). */
  rrbKeys: Map<string, Buffer>;
  /** distribution.aps[].control.privateKey (ssh, ubus) by AP name. */
  sshKeys: Map<string, string>;
  /** radius.dynamicAuthorization.upstreams[].secret by upstream name, radius.clients[].das.secret by client name. */
  dasSecrets?: { upstreams: Map<string, Buffer>; aps: Map<string, Buffer> };
  /** cluster.etcd's TLS PEMs and password, when the config has a cluster. */
  cluster?: ClusterSecrets;
}

export interface ClusterSecrets {
  tls?: { ca: string; cert?: string; key?: string };
  password?: string;
}

export interface CheckContext {
  config: KmsConfig;
  env: NodeJS.ProcessEnv;
  secrets: Partial<StartupSecrets>;
  /** Adds one problem; `field` is the config path the operator has to fix. */
  problem(field: string, text: string): void;
}

export interface StartupCheck {
  name: string;
  run(ctx: CheckContext): void;
}

/** Runs `fn`; a thrown error becomes a problem (resolveSecret's messages start with the field). */
function attempt<T>(ctx: CheckContext, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    ctx.problem('', (e as Error).message);
    return undefined;
  }
}

const secret = (ctx: CheckContext, ref: SecretRef, field: string) => attempt(ctx, () => resolveSecret(ref, field, ctx.env));

export const STARTUP_CHECKS: readonly StartupCheck[] = [
  {
    name: 'master key',
    run: (ctx) => {
      const m = ctx.config.masterKey;
      const key = attempt(ctx, () => {
        try {
          return loadMasterKey({ file: m.file, credentialName: m.credential }, ctx.env);
        } catch (e) {
          throw new Error(`masterKey: ${(e as Error).message}`);
        }
      });
      if (key) ctx.secrets.masterKey = key;
    },
  },
  {
    name: 'state directory',
    run: (ctx) => {
      // kmsd creates it (mode 0700) when missing; it must be able to.
      const dir = ctx.config.stateDir;
      let probe = dir;
      for (;;) {
        try {
          if (!statSync(probe).isDirectory()) return ctx.problem('stateDir', `${probe} is not a directory`);
          break;
        } catch {
          if (dirname(probe) === probe) break;
          probe = dirname(probe);
        }
      }
      try {
        accessSync(probe, constants.W_OK | constants.X_OK);
      } catch {
        ctx.problem(
          'stateDir',
          probe === dir ? `${dir} is not writable by this user` : `${dir} does not exist and ${probe} is not writable by this user`,
        );
      }
    },
  },
  {
    name: 'store master key',
    run: (ctx) => {
      // The key must open the store it finds (a new store is sealed with whatever key comes).
      if (!ctx.secrets.masterKey) return;
      const problem = storeMasterKeyProblem(join(ctx.config.stateDir, 'kms.sqlite'), ctx.secrets.masterKey);
      if (problem) ctx.problem('masterKey', problem);
    },
  },
  {
    name: 'RADIUS secrets',
    run: (ctx) => {
      ctx.secrets.clientSecrets = new Map();
      ctx.secrets.upstreamSecrets = new Map();
      for (const c of ctx.config.radius.clients) {
        const s = secret(ctx, c.secret, `radius.clients[${c.name}].secret`);
        if (s !== undefined) ctx.secrets.clientSecrets.set(c.name, Buffer.from(s));
      }
      for (const u of ctx.config.radius.upstreams) {
        const s = secret(ctx, u.secret, `radius.upstreams[${u.name}].secret`);
        if (s !== undefined) ctx.secrets.upstreamSecrets.set(u.name, Buffer.from(s));
      }
    },
  },
  {
    name: 'dynamic authorization secrets',
    run: (ctx) => {
      const upstreams = new Map<string, Buffer>();
      const aps = new Map<string, Buffer>();
      for (const u of ctx.config.radius.dynamicAuthorization?.upstreams ?? []) {
        const s = secret(ctx, u.secret, `radius.dynamicAuthorization.upstreams[${u.name}].secret`);
        if (s !== undefined) upstreams.set(u.name, Buffer.from(s));
      }
      for (const c of ctx.config.radius.clients) {
        if (!c.das) continue;
        const s = secret(ctx, c.das.secret, `radius.clients[${c.name}].das.secret`);
        if (s !== undefined) aps.set(c.name, Buffer.from(s));
      }
      ctx.secrets.dasSecrets = { upstreams, aps };
    },
  },
  {
    name: 'RadSec certificates',
    run: (ctx) => {
      ctx.secrets.upstreamTls = new Map();
      for (const u of ctx.config.radius.upstreams) {
        if (!u.tls) continue;
        const field = `radius.upstreams[${u.name}].tls`;
        // The CA and certificate are public: a file need not be private, unlike the key.
        const ca = attempt(ctx, () => readPublicPem(u.tls!.ca, `${field}.ca`, ctx.env));
        const cert = attempt(ctx, () => readPublicPem(u.tls!.certificate, `${field}.certificate`, ctx.env));
        const key = secret(ctx, u.tls.key, `${field}.key`);
        if (ca === undefined || cert === undefined || key === undefined) continue;
        const problems = radsecMaterialProblems({ ca, cert, key });
        for (const [sub, text] of problems) ctx.problem(`${field}.${sub}`, text);
        if (problems.length === 0) ctx.secrets.upstreamTls.set(u.name, { ca, cert, key });
      }
    },
  },
  {
    name: 'cluster store credentials',
    run: (ctx) => {
      const c = ctx.config.cluster;
      if (!c) return;
      const field = 'cluster.etcd';
      const out: ClusterSecrets = {};
      if (c.etcd.tls) {
        const t = c.etcd.tls;
        const ca = attempt(ctx, () => readPublicPem(t.ca, `${field}.tls.ca`, ctx.env));
        const cert = t.cert === undefined ? undefined : attempt(ctx, () => readPublicPem(t.cert!, `${field}.tls.cert`, ctx.env));
        const key = t.key === undefined ? undefined : secret(ctx, t.key, `${field}.tls.key`);
        if (ca !== undefined) out.tls = { ca, ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) };
      }
      if (c.etcd.password) {
        const p = secret(ctx, c.etcd.password, `${field}.password`);
        if (p !== undefined) out.password = p;
      }
      ctx.secrets.cluster = out;
    },
  },
  {
    name: 'API token',
    run: (ctx) => {
      const t = secret(ctx, ctx.config.api.token, 'api.token');
      if (t !== undefined) ctx.secrets.apiToken = t;
    },
  },
  {
    name: 'RRB keys',
    run: (ctx) => {
      ctx.secrets.rrbKeys = new Map();
      for (const a of ctx.config.distribution?.aps ?? []) {
        const field = `distribution.aps[${a.name}].rrbKey`;
        const hex = secret(ctx, a.rrbKey, field);
        if (hex === undefined) continue;
        const r = rrbKeyFromHex(hex);
        if (r.ok) ctx.secrets.rrbKeys.set(a.name, r.key);
        else ctx.problem(field, r.problem);
      }
    },
  },
  {
    name: 'AP SSH keys',
    run: (ctx) => {
      ctx.secrets.sshKeys = new Map();
      for (const a of ctx.config.distribution?.aps ?? []) {
        if (a.control.kind !== 'ssh' && a.control.kind !== 'ubus') continue;
        const field = `distribution.aps[${a.name}].control.privateKey`;
        const key = secret(ctx, a.control.privateKey, field);
        if (key === undefined) continue;
        const problem = privateKeyProblem(key);
        if (problem) ctx.problem(field, problem);
        else ctx.secrets.sshKeys.set(a.name, key);
      }
    },
  },
  {
    name: 'RRB interface',
    run: (ctx) => {
      const ifname = ctx.config.distribution?.rrb.interface;
      if (ifname === undefined) return;
      // /proc/net/dev is per network namespace (sysfs is not, unless remounted): it lists every
      // interface kmsd could open, with or without addresses.
      const names = attempt(ctx, () => readFileSync('/proc/net/dev', 'utf8'))
        ?.split('\n')
        .slice(2)
        .map((l) => l.split(':')[0]!.trim())
        .filter(Boolean);
      if (names && !names.includes(ifname)) {
        ctx.problem('distribution.rrb.interface', `no network interface named ${ifname} on this host (have: ${names.join(', ')})`);
      }
    },
  },
];

/**
 * Runs every check and returns what they resolved; throws one ConfigError listing every problem.
 * kmsd exits 78 (EX_CONFIG) on it, at --check and at start alike.
 */
export function runStartupChecks(config: KmsConfig, file: string, env: NodeJS.ProcessEnv = process.env): StartupSecrets {
  const problems: string[] = [];
  const ctx: CheckContext = {
    config,
    env,
    secrets: {},
    problem: (field, text) => problems.push(field ? `${field}: ${text}` : text),
  };
  for (const check of STARTUP_CHECKS) check.run(ctx);
  if (problems.length > 0) {
    ctx.secrets.masterKey?.fill(0);
    throw new ConfigError(file, problems);
  }
  return ctx.secrets as StartupSecrets;
}
