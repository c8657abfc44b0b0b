/**
 * A RadSec PKI for one test, made with the openssl CLI in a temp dir: a CA, a server
 * certificate for `radsec.test` and a client certificate for the KMS signed by it, and a second,
 * unrelated CA with its own `radsec.test` certificate (what a wrong server presents).
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, runChecked, type TempDir } from './netns.js';

export interface RadsecPki {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** Same name, other CA. */
  otherCaFile: string;
  otherServerCertFile: string;
  otherServerKeyFile: string;
  remove(): Promise<void>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function ca(dir: string, name: string): Promise<void> {
  await runChecked('openssl', [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.pem`),
    '-days',
    '30',
    '-subj',
    `/O=hostapd-kms tests/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

async function leaf(dir: string, caName: string, name: string, cn: string, ext: string, serial: number): Promise<void> {
  const f = (x: string) => join(dir, x);
  await runChecked('openssl', [
    'req',
    ...EC,
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.csr`),
    '-subj',
    `/O=hostapd-kms tests/CN=${cn}`,
  ]);
  await writeFile(f(`${name}.ext`), ext);
  await runChecked('openssl', [
    'x509',
    '-req',
    '-in',
    f(`${name}.csr`),
    '-CA',
    f(`${caName}.pem`),
    '-CAkey',
    f(`${caName}.key`),
    '-set_serial',
    String(serial),
    '-out',
    f(`${name}.pem`),
    '-days',
    '30',
    '-extfile',
    f(`${name}.ext`),
  ]);
  await chmod(f(`${name}.key`), 0o600);
}

export async function makeRadsecPki(serverName = 'radsec.test'): Promise<RadsecPki> {
  const temp: TempDir = await makeTempDir('radsec-pki');
  const dir = temp.path;
  await ca(dir, 'ca');
  await ca(dir, 'other-ca');
  const server = `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${serverName}\n`;
  const client = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';
  await leaf(dir, 'ca', 'server', serverName, server, 2);
  await leaf(dir, 'ca', 'client', 'kms.test', client, 3);
  await leaf(dir, 'other-ca', 'other-server', serverName, server, 4);
  const f = (x: string) => join(dir, x);
  return {
    dir,
    caFile: f('ca.pem'),
    serverCertFile: f('server.pem'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.pem'),
    clientKeyFile: f('client.key'),
    otherCaFile: f('other-ca.pem'),
    otherServerCertFile: f('other-server.pem'),
    otherServerKeyFile: f('other-server.key'),
    remove: temp.remove,
  };
}
