import { existsSync } from 'node:fs';
import { loadConfig, resolveSecret } from '../config/load.js';

// How kmsctl finds the daemon: explicit flags, then environment, then the daemon's own config.

export interface ApiTarget {
  baseUrl: string;
  token: string;
}

export interface TargetOptions {
  api?: string;
  token?: string;
  config?: string;
}

export const DEFAULT_CONFIG = '/etc/hostapd-kms/kms.yaml';

export function resolveTarget(opts: TargetOptions, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  let baseUrl = opts.api ?? env.KMS_API;
  let token = opts.token ?? env.KMS_TOKEN;
  const configFile = opts.config ?? env.KMS_CONFIG ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  if ((!baseUrl || !token) && configFile) {
    const cfg = loadConfig(configFile);
    const host = cfg.api.address.includes(':') ? `[${cfg.api.address}]` : cfg.api.address;
    baseUrl ??= `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${cfg.api.port}`;
    token ??= resolveSecret(cfg.api.token, 'api.token', env);
  }
  if (!baseUrl || !token) {
    throw new Error(
      `cannot find the KMS API: no config at ${DEFAULT_CONFIG}; give --config FILE (or KMS_CONFIG), or --api URL and --token TOKEN (or KMS_API/KMS_TOKEN)`,
    );
  }
  return { baseUrl: baseUrl.replace(/\/$/, ''), token };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function apiGet<T>(target: ApiTarget, path: string): Promise<T> {
  return apiRequest<T>(target, path);
}

/** A POST with a JSON body (the one route that changes state: a station's revocation). */
export function apiPost<T>(target: ApiTarget, path: string, body: unknown): Promise<T> {
  return apiRequest<T>(target, path, { method: 'POST', body: JSON.stringify(body) });
}

async function apiRequest<T>(target: ApiTarget, path: string, init: { method?: string; body?: string } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${target.baseUrl}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${target.token}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    // undici puts the socket error in `cause` (an AggregateError when several addresses were tried).
    const c = (e as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
    const cause = c?.code ?? c?.errors?.find((x) => x.code)?.code ?? (c as Error | undefined)?.message ?? (e as Error).message;
    throw new ApiError(0, `cannot reach the KMS at ${target.baseUrl}: ${cause} (is kmsd running?)`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `unexpected reply from ${target.baseUrl}${path}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new ApiError(res.status, (body as { error?: string }).error ?? `HTTP ${res.status}`);
  return body as T;
}
