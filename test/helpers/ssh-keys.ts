import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An Ed25519 key pair from OpenSSH's ssh-keygen, as operators make them. Not ssh2's
 * utils.generateKeyPairSync: about 1 in 250 of its Ed25519 private keys is one that neither ssh2
 * itself nor ssh-keygen can read back ("Malformed OpenSSH private key"), which made tests fail
 * at random.
 */
export function ed25519KeyPair(): { private: string; public: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kms-sshkey-'));
  try {
    const file = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kms-test', '-f', file]);
    return { private: readFileSync(file, 'utf8'), public: readFileSync(`${file}.pub`, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
