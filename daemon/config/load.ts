import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { configSchema, type KmsConfig, type SecretRef } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function pathText(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '') || '(top level)'
  );
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
    throw new ConfigError(
      file,
      result.error.issues.map((i) => `${pathText(i.path)}: ${issueText(i)}`),
    );
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

/** Where credential files live for the unit's LoadCredential=secrets:… (and outside systemd). */
export const DEFAULT_CREDENTIALS_DIR = '/etc/hostapd-kms/credentials';
const CREDENTIAL_PREFIX = 'secrets_';

/**
 * The file a `{credential: NAME}` is read from when not running under systemd: the file the
 * unit's `LoadCredential=secrets:/etc/hostapd-kms/credentials` would turn into that credential
 * (`secrets_ap2-rrb` comes from `credentials/ap2-rrb`). KMS_CREDENTIALS_DIR moves the directory.
 */
export function credentialFallbackPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.KMS_CREDENTIALS_DIR || DEFAULT_CREDENTIALS_DIR;
  return join(dir, name.startsWith(CREDENTIAL_PREFIX) ? name.slice(CREDENTIAL_PREFIX.length) : name);
}

/**
 * Resolves a secret reference; `what` is the field's path, which every error starts with.
 * Files we read ourselves must not be readable by group or others. A credential comes from
 * systemd's $CREDENTIALS_DIRECTORY when that is set (systemd checked the source file; the copy's
 * mode may show an ACL as group bits), else from its file under the credentials directory.
 */
export function resolveSecret(ref: SecretRef, what: string, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof ref === 'string') return ref;
  let path: string;
  if ('file' in ref) {
    path = ref.file;
    checkPrivateFile(path, what, 'secret file');
  } else {
    const name = ref.credential;
    if (name.includes('/') || name === '.' || name === '..') throw new Error(`${what}: "${name}" is not a credential name (no "/")`);
    const dir = env.CREDENTIALS_DIRECTORY;
    if (dir) {
      path = join(dir, name);
      if (!existsSync(path)) {
        throw new Error(
          `${what}: credential "${name}" is not in $CREDENTIALS_DIRECTORY (${dir}): the unit loads every file in ${DEFAULT_CREDENTIALS_DIR}/ as ${CREDENTIAL_PREFIX}<file>`,
        );
      }
    } else {
      path = credentialFallbackPath(name, env);
      if (!existsSync(path)) {
        throw new Error(
          `${what}: credential "${name}": $CREDENTIALS_DIRECTORY is not set (not under systemd) and its file ${path} does not exist`,
        );
      }
      checkPrivateFile(path, what, `credential file for "${name}"`);
    }
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

function checkPrivateFile(path: string, what: string, kind: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (e) {
    throw new Error(`${what}: cannot read ${kind} ${path}: ${(e as NodeJS.ErrnoException).code}`);
  }
  if (mode & 0o077) throw new Error(`${what}: ${kind} ${path} has mode ${mode.toString(8)}; make it 600 or stricter (chmod 600 ${path})`);
}
