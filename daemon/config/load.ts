import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { configSchema, type KmsConfig, type SecretRef } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`invalid configuration in ${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '') || '(top level)';
}

/** zod's wording, made to read like an operator's checklist. */
function issueText(i: { code: string; message: string; keys?: string[] }): string {
  if (i.code === 'unrecognized_keys') return `unknown setting${i.keys!.length > 1 ? 's' : ''} ${i.keys!.map((k) => `"${k}"`).join(', ')}`;
  if (i.code === 'invalid_type' && /received undefined/.test(i.message)) return 'is required but missing';
  return i.message;
}

export function parseConfig(text: string, file = '<config>'): KmsConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { strict: true, uniqueKeys: true });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
    throw new ConfigError(file, [`not valid YAML${where}: ${(e as Error).message.split('\n')[0]}`]);
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(file, result.error.issues.map((i) => `${pathText(i.path)}: ${issueText(i)}`));
  }
  return result.data;
}

export function loadConfig(file: string): KmsConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  return parseConfig(text, file);
}

/**
 * Resolves a secret reference. Files holding secrets must not be readable by group or others;
 * credentials come from systemd's $CREDENTIALS_DIRECTORY.
 */
export function resolveSecret(ref: SecretRef, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof ref === 'string') return ref;
  let path: string;
  if ('file' in ref) {
    path = ref.file;
    let mode: number;
    try {
      mode = statSync(path).mode & 0o777;
    } catch (e) {
      throw new Error(`${what}: cannot read secret file ${path}: ${(e as NodeJS.ErrnoException).code}`);
    }
    if (mode & 0o077) throw new Error(`${what}: secret file ${path} has mode ${mode.toString(8)}; make it 600 or stricter`);
  } else {
    const dir = env.CREDENTIALS_DIRECTORY;
    if (!dir) throw new Error(`${what}: credential "${ref.credential}" requested but CREDENTIALS_DIRECTORY is not set (run under systemd with LoadCredential=)`);
    path = join(dir, ref.credential);
  }
  let value: string;
  try {
    value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new Error(`${what}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code}`);
  }
  if (value.length === 0) throw new Error(`${what}: ${path} is empty`);
  return value;
}
