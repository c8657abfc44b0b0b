import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startKms, KMSCTL, type KmsHandle } from '../helpers/kms.js';
import { runCommand } from '../helpers/netns.js';

// The real kmsctl against a real kmsd: --json answers on every subcommand, errors included, and
// the config's secrets are read the way kmsd reads them (a credential's file outside systemd).
// The upstream is never asked anything: these commands only read the daemon's state.

let kms: KmsHandle;
let env: NodeJS.ProcessEnv;
let credConfig: string;

beforeAll(async () => {
  kms = await startKms({
    clients: [{ name: 'ap1', address: '127.0.0.11', secret: 'radius1' }],
    upstreams: [{ name: 'aaa', address: '127.0.0.1', authPort: 9, acctPort: 9, secret: 'up' }],
    logLevel: 'info',
  });
  // The same daemon, named through a config whose token is a credential with a file.
  const credDir = join(kms.dir, 'credentials');
  mkdirSync(credDir, { mode: 0o700 });
  writeFileSync(join(credDir, 'api-token'), `${kms.token}\n`, { mode: 0o600 });
  const cfg = parse(readFileSync(kms.configPath, 'utf8'));
  cfg.api.token = { credential: 'secrets_api-token' };
  credConfig = join(kms.dir, 'kms-cred.yaml');
  writeFileSync(credConfig, stringify(cfg));
  env = { ...process.env, KMS_CREDENTIALS_DIR: credDir };
  delete env.CREDENTIALS_DIRECTORY;
  delete env.KMS_API;
  delete env.KMS_TOKEN;
}, 60_000);
afterAll(async () => kms?.stop());

const kmsctl = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  runCommand(process.execPath, [KMSCTL, ...args], { env: { ...env, ...extraEnv } });

describe('kmsctl', () => {
  it('reads the token from a {credential} file outside systemd, found through KMS_CONFIG', async () => {
    const r = await kmsctl(['stations', '--json'], { KMS_CONFIG: credConfig });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('says which file it looked for when a credential has neither systemd nor a file', async () => {
    const r = await kmsctl(['--config', credConfig, 'health', '--json'], { KMS_CREDENTIALS_DIR: join(kms.dir, 'nowhere') });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: `api.token: credential "secrets_api-token": $CREDENTIALS_DIRECTORY is not set (not under systemd) and its file ${join(kms.dir, 'nowhere', 'api-token')} does not exist`,
    });
  });

  it('answers --json on every subcommand', async () => {
    const health = await kmsctl(['--config', credConfig, 'health', '--json']);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'ok', radius: { upstreams: [{ name: 'aaa' }] } });
    const placements = await kmsctl(['--config', credConfig, 'placements', '02:00:00:00:01:00', '--json']);
    // No distribution section in this config: the API's 404, as JSON.
    expect(placements.code).toBe(2);
    expect(JSON.parse(placements.stdout)).toEqual({ error: expect.stringMatching(/key distribution is not configured/), status: 404 });
    const roams = await kmsctl(['roams', '--pcap', join(kms.dir, 'no-such.pcap'), '--json']);
    expect(roams.code).toBe(1);
    expect(JSON.parse(roams.stdout).error).toMatch(/no-such\.pcap/);
  });

  it('gives an unknown station as a JSON error with the API status, and exit 2', async () => {
    const r = await kmsctl(['--config', credConfig, 'station', '02:00:00:00:99:99', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ error: expect.stringMatching(/no record for station 02:00:00:00:99:99/), status: 404 });
    // Without --json the same error is prose on stderr.
    const plain = await kmsctl(['--config', credConfig, 'station', '02:00:00:00:99:99']);
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toMatch(/^kmsctl: no record for station/);
  });

  it('gives usage errors as JSON too', async () => {
    const r = await kmsctl(['station', '--json']);
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ error: "missing required argument 'sta-mac'" });
    const unknown = await kmsctl(['stations', '--bogus', '--json']);
    expect(unknown.code).not.toBe(0);
    expect(JSON.parse(unknown.stdout)).toEqual({ error: "unknown option '--bogus'" });
  });

  it('ap-config --json, and its errors', async () => {
    const r = await kmsctl(['--config', credConfig, 'ap-config', 'ap1', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: `${credConfig} has no distribution section: there are no APs to configure` });
  });

  it('names the default config and its overrides in --help', async () => {
    const r = await kmsctl(['--help']);
    expect(r.code).toBe(0);
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(
      /--config <file> kmsd config to read the API address and token from \(default: \$KMS_CONFIG, else \/etc\/hostapd-kms\/kms\.yaml\)/,
    );
    expect(r.stdout).toMatch(/\/etc\/hostapd-kms\/credentials\//);
  });
});
