import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateMasterKeyFile, loadMasterKey, parseMasterKey } from '../../../adapters/store/master-key.js';
import { tempDir } from './fixtures.js';

describe('master key', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir('kms-key-');
    file = join(tmp.dir, 'master-key');
  });
  afterEach(() => tmp.cleanup());

  const writeKey = (content: Buffer | string, mode = 0o600) => {
    writeFileSync(file, content, { mode });
    chmodSync(file, mode); // writeFileSync's mode is filtered by the umask
  };

  it('generates a 0600 file of 64 hex digits that loads back, whatever the umask', () => {
    const old = process.umask(0);
    let key: Buffer;
    try {
      key = generateMasterKeyFile(file);
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${key.toString('hex')}\n`);
    expect(loadMasterKey({ file })).toEqual(key);
    expect(readdirSync(tmp.dir)).toEqual(['master-key']); // no temporary file left behind
  });

  it('never overwrites an existing key file', () => {
    const first = generateMasterKeyFile(file);
    expect(() => generateMasterKeyFile(file)).toThrow(/already exists; refusing to overwrite/);
    expect(loadMasterKey({ file })).toEqual(first);
    expect(readdirSync(tmp.dir)).toEqual(['master-key']);
  });

  it('accepts 32 raw octets and 64 hex digits with or without a newline', () => {
    const key = randomBytes(32);
    for (const content of [key, key.toString('hex'), `${key.toString('hex')}\n`, key.toString('hex').toUpperCase() + '\r\n']) {
      writeKey(content);
      expect(loadMasterKey({ file })).toEqual(key);
    }
  });

  it('rejects content of the wrong size or alphabet', () => {
    for (const content of [randomBytes(31), randomBytes(33), 'ab'.repeat(31), 'zz'.repeat(32), `${'ab'.repeat(32)}\n\n`, '']) {
      writeKey(content);
      expect(() => loadMasterKey({ file })).toThrow(/expected 32 raw octets or 64 hex digits/);
    }
    expect(() => parseMasterKey(Buffer.from('x'), 'test input')).toThrow(/^test input holds 1 octets/);
  });

  it('refuses a file group or others can access, naming the path and the mode', () => {
    for (const mode of [0o640, 0o604, 0o660, 0o644, 0o610]) {
      writeKey(randomBytes(32), mode);
      const octal = `0${mode.toString(8)}`;
      expect(() => loadMasterKey({ file })).toThrow(new RegExp(`master key file ${file} has mode ${octal}`));
    }
    writeKey(randomBytes(32), 0o400);
    expect(loadMasterKey({ file })).toHaveLength(32);
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a file owned by another user (needs root to chown)', () => {
    writeKey(randomBytes(32));
    chownSync(file, 65534, 65534);
    expect(() => loadMasterKey({ file })).toThrow(/owned by uid 65534, not by the user running kms/);
  });

  it('refuses a directory and a missing file with the path in the message', () => {
    mkdirSync(join(tmp.dir, 'dir'), { mode: 0o700 });
    expect(() => loadMasterKey({ file: join(tmp.dir, 'dir') })).toThrow(/is not a regular file/);
    expect(() => loadMasterKey({ file: join(tmp.dir, 'none') })).toThrow(/cannot read master key file .*none: ENOENT/);
  });

  it('prefers a systemd credential, and falls back to the file when it is absent', () => {
    const credDir = join(tmp.dir, 'creds');
    mkdirSync(credDir);
    const fromCred = randomBytes(32);
    // Credential files are checked by systemd, not by mode: an ACL grant looks like group bits.
    writeFileSync(join(credDir, 'master-key'), fromCred.toString('hex'), { mode: 0o440 });
    const fromFile = randomBytes(32);
    writeKey(fromFile);
    const env = { CREDENTIALS_DIRECTORY: credDir };
    expect(loadMasterKey({ credentialName: 'master-key', file }, env)).toEqual(fromCred);
    expect(loadMasterKey({ credentialName: 'other', file }, env)).toEqual(fromFile);
    expect(loadMasterKey({ credentialName: 'master-key', file }, {})).toEqual(fromFile);
    expect(() => loadMasterKey({ credentialName: 'other' }, env)).toThrow(/no master key: tried credential other \(not in .*creds\)/);
    expect(() => loadMasterKey({ credentialName: 'master-key' }, {})).toThrow(/CREDENTIALS_DIRECTORY is not set/);
    expect(() => loadMasterKey({}, env)).toThrow(/no master key/);
    expect(() => loadMasterKey({ credentialName: '../master-key' }, env)).toThrow(/not a valid credential name/);
  });
});
