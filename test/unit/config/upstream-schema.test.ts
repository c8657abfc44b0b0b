import { describe, expect, it } from 'vitest';
import { parseConfig, ConfigError } from '../../../daemon/config/load.js';

// radius.upstreams: UDP (the default) and RadSec (transport: tls) entries, their defaults and
// the mistakes an operator can make with them.

const config = (upstream: string) => `
radius:
  clients: [{ name: ap1, address: 10.0.0.1, secret: s3cret }]
  upstreams: [${upstream}]
api:
  token: tok
`;
const tls = '{ ca: { file: /etc/ca.pem }, certificate: { file: /etc/kms.pem }, key: { file: /etc/kms.key }, serverName: aaa.example }';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('config was accepted');
}

describe('radius.upstreams', () => {
  it('UDP keeps its defaults: ports 1812/1813, the secret required', () => {
    const u = parseConfig(config('{ name: aaa, address: 127.0.0.1, secret: up }')).radius.upstreams[0]!;
    expect(u).toMatchObject({ transport: 'udp', authPort: 1812, acctPort: 1813, secret: 'up', tries: 2, timeoutMs: 3000 });
    expect(u.tls).toBeUndefined();
    expect(problems(config('{ name: aaa, address: 127.0.0.1 }'))).toEqual(['radius.upstreams[0].secret: a UDP upstream needs a secret']);
  });

  it('RadSec: port 2083 for auth and accounting, secret "radsec" (RFC 6614) unless given, keepalive 20 s', () => {
    const u = parseConfig(config(`{ name: aaa, address: 192.0.2.7, transport: tls, tls: ${tls} }`)).radius.upstreams[0]!;
    expect(u).toMatchObject({ transport: 'tls', authPort: 2083, acctPort: 2083, secret: 'radsec' });
    expect(u.tls).toMatchObject({ serverName: 'aaa.example', keepaliveS: 20, key: { file: '/etc/kms.key' } });
    const v = parseConfig(
      config(`{ name: aaa, address: 192.0.2.7, transport: tls, authPort: 12083, secret: { file: /etc/s }, tls: ${tls} }`),
    ).radius.upstreams[0]!;
    expect(v).toMatchObject({ authPort: 12083, acctPort: 12083, secret: { file: '/etc/s' } });
  });

  it('names what is missing or misplaced', () => {
    expect(problems(config('{ name: aaa, address: 192.0.2.7, transport: tls }'))).toEqual([
      'radius.upstreams[0].tls: transport tls needs tls: {ca, certificate, key, serverName}',
    ]);
    expect(problems(config(`{ name: aaa, address: 192.0.2.7, secret: x, tls: ${tls} }`))).toEqual([
      'radius.upstreams[0].tls: tls is only for transport: tls',
    ]);
    expect(problems(config('{ name: aaa, address: 192.0.2.7, transport: dtls, secret: x }'))[0]).toMatch(
      /^radius\.upstreams\[0\]\.transport: /,
    );
    expect(
      problems(
        config(
          `{ name: aaa, address: 192.0.2.7, transport: tls, tls: { ca: { file: /a }, certificate: { file: /b }, key: { file: /c } } }`,
        ),
      )[0],
    ).toMatch(/^radius\.upstreams\[0\]\.tls\.serverName: /);
  });
});
