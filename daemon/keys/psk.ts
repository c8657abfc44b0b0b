import { pbkdf2Sync } from 'node:crypto';

/** PSK = PBKDF2-SHA1(passphrase, SSID, 4096, 32) (802.11 Annex J). */
export function pskFromPassphrase(passphrase: string, ssid: Uint8Array | string): Buffer {
  const pass = Buffer.from(passphrase, 'utf8');
  if (pass.length < 8 || pass.length > 63) throw new Error('a WPA passphrase is 8..63 characters');
  const salt = typeof ssid === 'string' ? Buffer.from(ssid, 'utf8') : ssid;
  if (salt.length > 32) throw new Error('an SSID is at most 32 octets');
  return pbkdf2Sync(pass, salt, 4096, 32, 'sha1');
}
