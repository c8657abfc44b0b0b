import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ed25519KeyPair } from '../../helpers/ssh-keys.js';
import { STARTUP_CHECKS } from '../../../daemon/main/startup-checks.js';
import { parseStrictJson } from '../../helpers/strict-json.js';
import { SqliteRecordStore } from '../../../adapters/store/sqlite-store.js';

// `kmsd --check` and start-up run the same checks: for every configuration error start-up
// would hit there is a --check twin with the same message, and both exit 78 (EX_CONFIG). This
// runs the real dist/ kmsd as a child process, both ways, for one broken config per check.

const ROOT = new URL('../../..', import.meta.url).pathname;
const KMSD = join(ROOT, 'dist/daemon/main/kmsd.js');
const dir = mkdtempSync(join(tmpdir(), 'kms-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const credDir = join(dir, 'credentials');
mkdirSync(credDir, { mode: 0o700 });
const env: NodeJS.ProcessEnv = { ...process.env, KMS_CREDENTIALS_DIR: credDir };
delete env.CREDENTIALS_DIRECTORY;

function secretFile(name: string, content: string, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}
const credential = (name: string, content: string) => {
  writeFileSync(join(credDir, name), content, { mode: 0o600 });
  chmodSync(join(credDir, name), 0o600);
};

const masterKey = secretFile('master-key', `${randomBytes(32).toString('hex')}\n`);
const sshKey = ed25519KeyPair().private;
credential('ssh-ap1', sshKey);
credential('ap1-rrb', `${'ab'.repeat(32)}\n`);
credential('api-token', 'tok\n');

// A RadSec client certificate and key (openssl, as the RadSec integration tests make them), and a key of another pair.
const pem = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
openssl(
  'req',
  '-x509',
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:prime256v1',
  '-nodes',
  '-keyout',
  pem('rs-ca.key'),
  '-out',
  pem('rs-ca.pem'),
  '-days',
  '2',
  '-subj',
  '/CN=radsec test CA',
);
openssl(
  'req',
  '-x509',
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:prime256v1',
  '-nodes',
  '-keyout',
  pem('rs-client.key'),
  '-out',
  pem('rs-client.pem'),
  '-days',
  '2',
  '-subj',
  '/CN=kms',
);
openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', pem('rs-other.key'));
chmodSync(pem('rs-client.key'), 0o600);
chmodSync(pem('rs-other.key'), 0o600);
/** A RadSec upstream added to the valid config, with `over` replacing some of its tls fields. */
const radsec = (c: Record<string, any>, over: Record<string, unknown> = {}) => {
  c.radius.upstreams.push({
    name: 'rs',
    address: '127.0.0.1',
    transport: 'tls',
    tls: {
      ca: { file: pem('rs-ca.pem') },
      certificate: { file: pem('rs-client.pem') },
      key: { file: pem('rs-client.key') },
      serverName: 'aaa.example',
      ...over,
    },
  });
};

/** A config that passes every check: each case breaks one thing in a copy of it. */
function validConfig(): Record<string, any> {
  return {
    stateDir: join(dir, 'state'),
    masterKey: { file: masterKey },
    log: { level: 'info' },
    radius: {
      authListen: { address: '127.0.0.1', port: 0 },
      acctListen: { address: '127.0.0.1', port: 0 },
      clients: [{ name: 'ap1', address: '127.0.0.11', secret: { file: secretFile('ap1-secret', 'radius1\n') } }],
      upstreams: [{ name: 'aaa', address: '127.0.0.1', authPort: 1, acctPort: 2, secret: 'up' }],
    },
    api: { address: '127.0.0.1', port: 0, token: { credential: 'secrets_api-token' } },
    distribution: {
      ssid: 'corp',
      mobilityDomain: 'a1b2',
      kmsRadiusAddress: '127.0.0.1',
      rrb: { interface: 'lo', mac: '02:00:00:00:09:00' },
      neighbors: { enabled: true },
      aps: [
        {
          name: 'ap1',
          nasIdentifier: 'ap1.example',
          radiusClient: 'ap1',
          rrbKey: { credential: 'secrets_ap1-rrb' },
          control: {
            kind: 'ssh',
            host: '127.0.0.1',
            port: 1,
            hostKey: `SHA256:${'A'.repeat(43)}`,
            privateKey: { credential: 'secrets_ssh-ap1' },
          },
          bsses: [{ ifname: 'wlan0', bssid: '02:00:00:00:01:00' }],
        },
      ],
    },
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kmsd; resolves at exit, or once `until` shows up on stdout (then stops it with SIGTERM). */
function kmsd(args: string[], until?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KMSD, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (until?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let n = 0;
function writeConfig(cfg: unknown): string {
  const p = join(dir, `kms-${n++}.yaml`);
  writeFileSync(p, stringify(cfg));
  return p;
}

interface Case {
  check: string;
  what: string;
  edit(cfg: Record<string, any>): void;
  message: RegExp;
}

/** Makes the config a cluster member's, with these etcd settings. */
function cluster(c: Record<string, any>, etcd: Record<string, unknown>): void {
  c.cluster = {
    member: 'a',
    members: [
      { name: 'a', radiusAddress: '127.0.0.1' },
      { name: 'b', radiusAddress: '127.0.0.2' },
    ],
    etcd: { endpoints: ['http://127.0.0.1:2379'], ...etcd },
  };
}

const cases: Case[] = [
  {
    check: 'master key',
    what: 'missing master key file',
    edit: (c) => {
      c.masterKey = { file: join(dir, 'no-such-key') };
    },
    message: /masterKey: cannot read master key file .*no-such-key/,
  },
  {
    check: 'master key',
    what: 'mode-644 master key',
    edit: (c) => {
      c.masterKey = { file: secretFile('key-644', `${'11'.repeat(32)}\n`, 0o644) };
    },
    message: /masterKey: master key file .*key-644 has mode 0644/,
  },
  {
    check: 'master key',
    what: 'master key of the wrong size',
    edit: (c) => {
      c.masterKey = { file: secretFile('key-short', 'abcd\n') };
    },
    message: /masterKey: master key file .*key-short holds 5 octets: expected 32 raw octets or 64 hex digits/,
  },
  {
    check: 'master key',
    what: 'master key credential without a file',
    edit: (c) => {
      c.masterKey = { credential: 'master-key' };
    },
    message: /masterKey: no master key: tried credential master-key \(\$CREDENTIALS_DIRECTORY is not set\)/,
  },
  {
    check: 'store master key',
    what: 'a store written with another master key',
    edit: (c) => {
      c.stateDir = join(dir, 'other-key-state');
      mkdirSync(c.stateDir, { recursive: true, mode: 0o700 });
      new SqliteRecordStore(join(c.stateDir, 'kms.sqlite'), randomBytes(32)).close();
    },
    message: /masterKey: the master key does not match the one store .*other-key-state\/kms\.sqlite was written with/,
  },
  {
    check: 'state directory',
    what: 'stateDir that is a file',
    edit: (c) => {
      c.stateDir = secretFile('not-a-dir', 'x');
    },
    message: /stateDir: .*not-a-dir is not a directory/,
  },
  {
    check: 'RADIUS secrets',
    what: 'missing RADIUS secret file',
    edit: (c) => {
      c.radius.clients[0].secret = { file: join(dir, 'no-secret') };
    },
    message: /radius\.clients\[ap1\]\.secret: cannot read secret file .*no-secret: ENOENT/,
  },
  {
    check: 'RADIUS secrets',
    what: 'mode-644 RADIUS secret',
    edit: (c) => {
      c.radius.upstreams[0].secret = { file: secretFile('aaa-644', 'x\n', 0o644) };
    },
    message: /radius\.upstreams\[aaa\]\.secret: secret file .*aaa-644 has mode 644; make it 600/,
  },
  {
    check: 'dynamic authorization secrets',
    what: 'missing AP DAS secret file',
    edit: (c) => {
      c.radius.clients[0].das = { secret: { file: join(dir, 'no-das-secret') } };
    },
    message: /radius\.clients\[ap1\]\.das\.secret: cannot read secret file .*no-das-secret: ENOENT/,
  },
  {
    check: 'API token',
    what: 'credential with neither systemd nor a file',
    edit: (c) => {
      c.api.token = { credential: 'secrets_nope' };
    },
    message:
      /api\.token: credential "secrets_nope": \$CREDENTIALS_DIRECTORY is not set \(not under systemd\) and its file .*credentials\/nope does not exist/,
  },
  {
    check: 'RRB keys',
    what: '63-digit rrbKey',
    edit: (c) => {
      c.distribution.aps[0].rrbKey = 'a'.repeat(63);
    },
    message:
      /distribution\.aps\[ap1\]\.rrbKey: must be 64 hex digits \(a 256-bit key\) or 32 \(a legacy 128-bit key, expanded as hostapd does\), got 63 hex digits/,
  },
  {
    check: 'AP SSH keys',
    what: 'SSH private key that is not one',
    edit: (c) => {
      c.distribution.aps[0].control.privateKey = 'not a key';
    },
    message: /distribution\.aps\[ap1\]\.control\.privateKey: not a usable SSH private key/,
  },
  {
    check: 'RRB interface',
    what: 'missing RRB interface',
    edit: (c) => {
      c.distribution.rrb.interface = 'nosuch0';
    },
    message: /distribution\.rrb\.interface: no network interface named nosuch0 on this host/,
  },
  {
    check: 'RadSec certificates',
    what: 'missing CA file',
    edit: (c) => radsec(c, { ca: { file: join(dir, 'no-ca.pem') } }),
    message: /radius\.upstreams\[rs\]\.tls\.ca: cannot read .*no-ca\.pem: ENOENT/,
  },
  {
    check: 'RadSec certificates',
    what: 'certificate that is not PEM',
    edit: (c) => radsec(c, { certificate: { file: secretFile('rs-junk.pem', 'junk\n', 0o644) } }),
    message: /radius\.upstreams\[rs\]\.tls\.certificate: no PEM certificate/,
  },
  {
    check: 'RadSec certificates',
    what: 'key of another certificate',
    edit: (c) => radsec(c, { key: { file: pem('rs-other.key') } }),
    message: /radius\.upstreams\[rs\]\.tls\.key: is not the private key of tls\.certificate/,
  },
  {
    check: 'RadSec certificates',
    what: 'mode-644 key',
    edit: (c) => radsec(c, { key: { file: secretFile('rs-644.key', 'x\n', 0o644) } }),
    message: /radius\.upstreams\[rs\]\.tls\.key: secret file .*rs-644\.key has mode 644/,
  },
  {
    check: 'RadSec certificates',
    what: 'key that is not a key',
    edit: (c) => radsec(c, { key: { file: secretFile('rs-bad.key', 'not a key\n') } }),
    message: /radius\.upstreams\[rs\]\.tls\.key: not a valid unencrypted PEM private key/,
  },
  {
    check: 'cluster store credentials',
    what: 'missing etcd CA file',
    edit: (c) => cluster(c, { tls: { ca: { file: join(dir, 'no-etcd-ca.pem') } } }),
    message: /cluster\.etcd\.tls\.ca: cannot read .*no-etcd-ca\.pem: ENOENT/,
  },
  {
    check: 'cluster store credentials',
    what: 'mode-644 etcd password file',
    edit: (c) => cluster(c, { username: 'kms', password: { file: secretFile('etcd-pw', 'pw\n', 0o644) } }),
    message: /cluster\.etcd\.password: secret file .*etcd-pw has mode 644/,
  },
  {
    check: 'schema',
    what: 'cluster without the shared R0KH-R1KH MAC',
    edit: (c) => {
      cluster(c, {});
      delete c.distribution.rrb.mac;
    },
    message: /distribution\.rrb\.mac: a cluster needs the KMS's one R0KH-R1KH MAC here/,
  },
  {
    check: 'schema',
    what: 'transport tls without tls',
    edit: (c) => {
      c.radius.upstreams.push({ name: 'rs', address: '127.0.0.1', transport: 'tls' });
    },
    message: /radius\.upstreams\[1\]\.tls: transport tls needs tls: \{ca, certificate, key, serverName\}/,
  },
  {
    check: 'schema',
    what: 'bad address',
    edit: (c) => {
      c.radius.clients[0].address = '10.0.0.300';
    },
    message: /radius\.clients\[0\]\.address: expected an IPv4 or IPv6 address/,
  },
  {
    check: 'schema',
    what: 'an AP under a prefix client without its own radiusAddress',
    edit: (c) => {
      c.radius.clients[0].address = '127.0.0.0/24';
    },
    message:
      /distribution\.aps\[0\]\.radiusAddress: radius client ap1 is a prefix \(127\.0\.0\.0\/24\): give this AP its radiusAddress, the address it sends RADIUS from/,
  },
];

describe('start-up checks: kmsd --check and start agree', () => {
  it('has dist/ built', () => expect(existsSync(KMSD), `${KMSD}: run npx tsc first`).toBe(true));

  it('every check in STARTUP_CHECKS has a broken-config case here', () => {
    const covered = new Set(cases.map((c) => c.check));
    expect(STARTUP_CHECKS.map((c) => c.name).filter((name) => !covered.has(name))).toEqual([]);
  });

  it('the valid config passes --check, and then starts', async () => {
    const file = writeConfig(validConfig());
    const check = await kmsd(['--check', '--config', file]);
    expect(check.stderr).toBe('');
    expect(check).toMatchObject({ code: 0, stdout: `${file}: configuration is valid (every start-up check passed)\n` });
    const start = await kmsd(['--config', file], /"msg":"kmsd ready"/);
    expect(start.stdout, start.stderr).toMatch(/"msg":"kmsd ready"/);
    // Every log line is JSON with each key once: parts (distribution, rrb, neighbors, roams) are
    // siblings under the root logger, so none carries "part" twice.
    const lines = start.stdout.trim().split('\n');
    const parts = lines.map((l) => (parseStrictJson(l) as { part?: string }).part);
    expect(parts).toContain('distribution');
    // Now the store exists, sealed with this key: --check opens it read-only and still passes.
    expect(existsSync(join(dir, 'state', 'kms.sqlite'))).toBe(true);
    expect(await kmsd(['--check', '--config', file])).toMatchObject({ code: 0, stderr: '' });
  }, 60_000);

  for (const c of cases) {
    it(`${c.check}: ${c.what} exits 78 with the same message at --check and at start`, async () => {
      const cfg = validConfig();
      c.edit(cfg);
      const file = writeConfig(cfg);
      const [check, start] = await Promise.all([kmsd(['--check', '--config', file]), kmsd(['--config', file])]);
      expect(check.stderr).toMatch(c.message);
      expect(check.stderr).toMatch(new RegExp(`^kmsd: invalid configuration in ${file}:\n  - `));
      expect(check.code).toBe(78);
      expect(start.code).toBe(78);
      expect(start.stderr).toBe(check.stderr);
      expect(start.stdout).toBe('');
    }, 30_000);
  }

  it('lists every problem at once', async () => {
    const cfg = validConfig();
    cases[0]!.edit(cfg);
    cases[8]!.edit(cfg);
    const r = await kmsd(['--check', '--config', writeConfig(cfg)]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(cases[0]!.message);
    expect(r.stderr).toMatch(cases[8]!.message);
  });
});
