// The master key that seals station keys at rest (sealed-box.ts derives the data key from it).
//
// Under systemd the unit's LoadCredential=master-key:/etc/hostapd-kms/master-key makes the
// service manager (root) read the file and hand the service a private copy in
// $CREDENTIALS_DIRECTORY; the kms user then needs no access to /etc/hostapd-kms/master-key.
// Without systemd (development, containers) the key comes from a file we check ourselves.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const MASTER_KEY_LENGTH = 32;

export interface MasterKeySource {
  /** A file holding 32 raw octets or 64 hex digits; must be 0600 (or stricter) and ours. */
  file?: string;
  /** Name of a systemd credential, read from $CREDENTIALS_DIRECTORY when that is set. */
  credentialName?: string;
}

export function loadMasterKey(source: MasterKeySource, env: NodeJS.ProcessEnv = process.env): Buffer {
  const tried: string[] = [];
  if (source.credentialName !== undefined) {
    const name = source.credentialName;
    if (name === '' || name.includes('/') || name === '.' || name === '..') {
      throw new Error(`master key credential name "${name}" is not a valid credential name`);
    }
    const dir = env.CREDENTIALS_DIRECTORY;
    if (dir) {
      const path = join(dir, name);
      // The credentials directory is private to the unit, on a read-only non-swappable
      // mount; systemd grants the service user access by ownership or by ACL, and an ACL
      // shows up as group bits in the mode, so the file checks below would misfire here.
      const content = readIfExists(path);
      if (content !== null) return parseAndWipe(content, `credential ${name} (${path})`);
      tried.push(`credential ${name} (not in ${dir})`);
    } else {
      tried.push(`credential ${name} ($CREDENTIALS_DIRECTORY is not set)`);
    }
  }
  if (source.file !== undefined) return readMasterKeyFile(source.file);
  throw new Error(`no master key: tried ${tried.length ? tried.join(', ') : 'nothing (no file or credential configured)'}`);
}

/** Reads and checks a key file: regular, owned by this user, no group/other access. */
export function readMasterKeyFile(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY);
  } catch (e) {
    throw new Error(`cannot read master key file ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    // fstat on the open descriptor: the checks apply to exactly the file we read.
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`master key file ${path} is not a regular file`);
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(
        `master key file ${path} has mode ${octal(mode)}: group or others can access it; ` +
          `it must be 0600 or stricter (chmod 600 ${path})`,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new Error(`master key file ${path} is owned by uid ${st.uid}, not by the user running kms (uid ${uid})`);
    }
    return parseAndWipe(readFileSync(fd), `master key file ${path}`);
  } finally {
    closeSync(fd);
  }
}

/** 32 raw octets, or 64 hex digits with an optional trailing newline. */
export function parseMasterKey(content: Buffer, where: string): Buffer {
  if (content.length === MASTER_KEY_LENGTH) return Buffer.from(content);
  const text = content.toString('latin1').replace(/\r?\n$/, '');
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  throw new Error(
    `${where} holds ${content.length} octets: expected 32 raw octets or 64 hex digits ` + '(create one with `kmsd --init-master-key FILE`)',
  );
}

/**
 * Creates a new key file (64 hex digits and a newline, mode 0600) and returns the key.
 * Never overwrites: the key is written to a temporary file created with O_EXCL, synced,
 * then link(2)ed to its name, which fails if the name exists. So the file appears complete
 * or not at all, and an existing key (which may be all that decrypts a store) survives.
 */
export function generateMasterKeyFile(path: string): Buffer {
  const key = randomBytes(MASTER_KEY_LENGTH);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  const text = Buffer.from(`${key.toString('hex')}\n`);
  try {
    fchmodSync(fd, 0o600); // whatever the umask was
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  } finally {
    text.fill(0);
  }
  closeSync(fd);
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`master key file ${path} already exists; refusing to overwrite it`, { cause: e });
    }
    throw new Error(`cannot create master key file ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    unlinkSync(tmp);
  }
  syncDirectory(dirname(path));
  return key;
}

function parseAndWipe(content: Buffer, where: string): Buffer {
  try {
    return parseMasterKey(content, where);
  } finally {
    content.fill(0);
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readIfExists(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read master key credential ${path}: ${(e as Error).message}`, { cause: e });
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
