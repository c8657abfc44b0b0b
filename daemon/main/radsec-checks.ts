// What `kmsd --check` and start-up verify of a RadSec upstream's TLS files, so a bad file is
// named with its config field before any connection is tried (startup-checks.ts runs these).
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolveSecret } from '../config/load.js';
import type { SecretRef } from '../config/schema.js';

/** A PEM that need not be private: a file is read as it is; a credential or inline value as secrets are. */
export function readPublicPem(ref: SecretRef, field: string, env: NodeJS.ProcessEnv): string {
  if (typeof ref === 'object' && 'file' in ref) {
    try {
      const text = readFileSync(ref.file, 'utf8');
      if (text.trim().length === 0) throw new Error(`${field}: ${ref.file} is empty`);
      return text;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!code) throw e;
      throw new Error(`${field}: cannot read ${ref.file}: ${code}`);
    }
  }
  return resolveSecret(ref, field, env);
}

/** Problems as [sub-field, text]: unparsable PEM, expired certificate, a key that is not the certificate's. */
export function radsecMaterialProblems(m: { ca: string; cert: string; key: string }, now = new Date()): [string, string][] {
  const problems: [string, string][] = [];
  const certs = (pem: string, sub: string): X509Certificate[] => {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) {
      problems.push([sub, 'no PEM certificate (-----BEGIN CERTIFICATE-----) in it']);
      return [];
    }
    const out: X509Certificate[] = [];
    for (const b of blocks) {
      try {
        out.push(new X509Certificate(b));
      } catch (e) {
        problems.push([sub, `not a valid certificate: ${(e as Error).message}`]);
      }
    }
    return out;
  };
  const validity = (c: X509Certificate, sub: string) => {
    if (new Date(c.validTo) < now) problems.push([sub, `certificate ${c.subject.replace(/\n/g, ', ')} expired ${c.validTo}`]);
    else if (new Date(c.validFrom) > now)
      problems.push([sub, `certificate ${c.subject.replace(/\n/g, ', ')} is not valid before ${c.validFrom}`]);
  };
  for (const c of certs(m.ca, 'ca')) validity(c, 'ca');
  const [leaf] = certs(m.cert, 'certificate');
  if (leaf) validity(leaf, 'certificate');
  let key: KeyObject | null = null;
  try {
    key = createPrivateKey(m.key);
  } catch (e) {
    problems.push(['key', `not a valid unencrypted PEM private key: ${(e as Error).message}`]);
  }
  if (leaf && key && !leaf.checkPrivateKey(key)) problems.push(['key', 'is not the private key of tls.certificate']);
  return problems;
}
