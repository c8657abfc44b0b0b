import { describe, expect, it, onTestFinished } from 'vitest';
import { mkdtempSync, writeFileSync, chmodSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialFallbackPath, parseConfig, resolveSecret, ConfigError } from '../../../daemon/config/load.js';

const minimal = `
radius:
  clients: [{ name: ap1, address: 10.0.0.1, secret: s3cret }]
  upstreams: [{ name: aaa, address: 127.0.0.1, secret: up }]
api:
  token: tok
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('config was accepted');
}

describe('configuration', () => {
  it('fills sane defaults around a minimal file', () => {
    const c = parseConfig(minimal);
    expect(c.radius.authListen).toEqual({ address: '0.0.0.0', port: 1812 });
    expect(c.radius.upstreams[0]!.timeoutMs).toBe(3000);
    expect(c.api.address).toBe('127.0.0.1');
    expect(c.stations.defaultLifetimeS).toBe(43200);
  });

  it('accepts the shipped example', () => {
    const c = parseConfig(readFileSync(new URL('../../../examples/kms.yaml', import.meta.url), 'utf8'));
    expect(c.radius.clients.map((x) => x.name)).toEqual(['ap1', 'ap2']);
  });

  it('names the field and the problem', () => {
    expect(problems(minimal.replace('10.0.0.1', '10.0.0.300'))).toEqual([
      'radius.clients[0].address: expected an IPv4 or IPv6 address, or a prefix such as 10.20.0.0/16',
    ]);
    expect(problems(minimal.replace('secret: up', 'secret: up, timeoutMs: 5'))[0]).toMatch(/^radius\.upstreams\[0\]\.timeoutMs: .*100/);
    expect(problems(minimal.replace('api:', 'apii:'))).toEqual(['api: is required but missing', '(top level): unknown setting "apii"']);
    expect(problems(`${minimal}\nbogus: 1\n`)).toEqual(['(top level): unknown setting "bogus"']);
  });

  it('rejects two clients with one address', () => {
    const twice = minimal.replace('clients: [', 'clients: [{ name: ap0, address: 10.0.0.1, secret: x }, ');
    expect(problems(twice)).toEqual(['radius.clients[1].address: address 10.0.0.1 is already used by clients[0]']);
  });

  it('takes RADIUS clients by network prefix, IPv4 and IPv6, overlapping ones too', () => {
    const prefixes = minimal.replace(
      'clients: [',
      'clients: [{ name: site, address: 10.0.0.0/8, secret: a }, { name: floor, address: 10.0.1.0/24, secret: b }, { name: v6, address: "2001:db8:20::/48", secret: c }, ',
    );
    expect(parseConfig(prefixes).radius.clients.map((c) => c.address)).toEqual([
      '10.0.0.0/8',
      '10.0.1.0/24',
      '2001:db8:20::/48',
      '10.0.0.1',
    ]);
    expect(problems(minimal.replace('10.0.0.1', '10.0.0.1/16'))).toEqual([
      'radius.clients[0].address: 10.0.0.1/16 has bits set past the first 16: write the network (10.0.0.0/16) or the single address (10.0.0.1)',
    ]);
    expect(problems(minimal.replace('10.0.0.1', '10.0.0.0/40'))).toEqual([
      'radius.clients[0].address: the prefix length after "/" must be 0 to 32',
    ]);
    // One network twice, in two spellings.
    const twice = minimal.replace(
      'clients: [',
      'clients: [{ name: a, address: "2001:db8::/32", secret: x }, { name: b, address: "2001:0DB8:0::/32", secret: y }, ',
    );
    expect(problems(twice)).toEqual(['radius.clients[1].address: address 2001:0DB8:0::/32 is already used by clients[0]']);
    expect(
      problems(minimal.replace('10.0.0.1', '10.0.0.1/32').replace('clients: [', 'clients: [{ name: ap0, address: 10.0.0.1, secret: x }, ')),
    ).toHaveLength(1);
  });

  it('sizes the RADIUS receive buffers for a burst by default', () => {
    expect(parseConfig(minimal).radius.recvBufferBytes).toBe(8 * 1024 * 1024);
    expect(problems(minimal.replace('upstreams:', 'recvBufferBytes: 1000\n  upstreams:'))[0]).toMatch(/^radius\.recvBufferBytes: .*65536/);
  });

  it('says where YAML is broken', () => {
    expect(problems('radius: [\n')[0]).toMatch(/not valid YAML/);
  });

  it('reads secrets from 0600 files and refuses readable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-cfg-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const f = join(dir, 's');
    writeFileSync(f, 'hunter2\n');
    chmodSync(f, 0o600);
    expect(resolveSecret({ file: f }, 'x')).toBe('hunter2');
    chmodSync(f, 0o644);
    expect(() => resolveSecret({ file: f }, 'radius.clients[ap1].secret')).toThrow(/ap1.*mode 644/);
  });

  it('reads systemd credentials', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-cred-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'radius-ap2'), 'abc');
    expect(resolveSecret({ credential: 'radius-ap2' }, 'x', { CREDENTIALS_DIRECTORY: dir })).toBe('abc');
    expect(() => resolveSecret({ credential: 'nope' }, 'api.token', { CREDENTIALS_DIRECTORY: dir })).toThrow(
      /^api\.token: credential "nope" is not in \$CREDENTIALS_DIRECTORY/,
    );
  });

  it('reads a credential from its file under the credentials directory outside systemd', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-cred-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const env = { KMS_CREDENTIALS_DIR: dir };
    // secrets_<file> is what the unit's LoadCredential=secrets:DIR names each file in DIR.
    expect(credentialFallbackPath('secrets_ap2-rrb', env)).toBe(join(dir, 'ap2-rrb'));
    expect(credentialFallbackPath('secrets_x', {})).toBe('/etc/hostapd-kms/credentials/x');
    expect(() => resolveSecret({ credential: 'secrets_radius-ap2' }, 'radius.clients[ap2].secret', env)).toThrow(
      `radius.clients[ap2].secret: credential "secrets_radius-ap2": $CREDENTIALS_DIRECTORY is not set (not under systemd) and its file ${join(dir, 'radius-ap2')} does not exist`,
    );
    writeFileSync(join(dir, 'radius-ap2'), 'abc\n', { mode: 0o644 });
    chmodSync(join(dir, 'radius-ap2'), 0o644);
    expect(() => resolveSecret({ credential: 'secrets_radius-ap2' }, 'radius.clients[ap2].secret', env)).toThrow(/mode 644; make it 600/);
    chmodSync(join(dir, 'radius-ap2'), 0o600);
    expect(resolveSecret({ credential: 'secrets_radius-ap2' }, 'x', env)).toBe('abc');
    expect(() => resolveSecret({ credential: '../etc/shadow' }, 'x', env)).toThrow(/not a credential name/);
  });
});

describe('cluster section', () => {
  const cluster = `
cluster:
  member: a
  members: [{ name: a, radiusAddress: 10.0.0.11 }, { name: b, radiusAddress: 10.0.0.12 }]
  etcd: { endpoints: ['http://10.0.0.21:2379', 'http://10.0.0.22:2379', 'http://10.0.0.23:2379'] }
`;
  it('fills its defaults', () => {
    const c = parseConfig(minimal + cluster).cluster!;
    expect(c.commitTimeoutMs).toBe(500);
    expect(c.leaseTtlS).toBe(2);
    expect(c.etcd.prefix).toBe('/hostapd-kms/');
  });

  it('names what is wrong with it', () => {
    expect(problems(minimal + cluster.replace('member: a', 'member: c'))).toEqual([
      expect.stringMatching(/^cluster\.member: "c" is not one of cluster\.members \(a, b\)/),
    ]);
    expect(problems(minimal + cluster.replace('name: b', 'name: a'))).toEqual([expect.stringMatching(/used twice/)]);
    expect(problems(minimal + cluster.replace("'http://10.0.0.21:2379'", "'10.0.0.21'"))).toEqual([
      expect.stringMatching(/^cluster\.etcd\.endpoints\[0\]: expected an etcd client URL/),
    ]);
    expect(problems(minimal + cluster.replace('{ name: b, radiusAddress: 10.0.0.12 }', ''))).toEqual([
      expect.stringMatching(/at least two members/),
    ]);
  });
});
