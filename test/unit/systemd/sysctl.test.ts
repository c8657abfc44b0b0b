import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../../daemon/config/load.js';

// The package's sysctl.d drop-in lets the RADIUS sockets have the buffer kmsd asks for by default.

const REPO = new URL('../../..', import.meta.url).pathname;

describe('sysctl.d drop-in', () => {
  it('raises net.core.rmem_max to at least the default radius.recvBufferBytes, and nothing else', () => {
    const lines = readFileSync(`${REPO}systemd/hostapd-kms.sysctl.conf`, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines).toHaveLength(1);
    const m = /^net\.core\.rmem_max = (\d+)$/.exec(lines[0]!);
    expect(m, lines[0]).not.toBeNull();
    const config = parseConfig(
      'radius:\n  clients: [{ name: ap1, address: 10.0.0.1, secret: s }]\n  upstreams: [{ name: aaa, address: 127.0.0.1, secret: u }]\napi: { token: t }\n',
    );
    expect(Number(m![1])).toBeGreaterThanOrEqual(config.radius.recvBufferBytes);
    expect(readFileSync(`${REPO}packaging/deb/build.sh`, 'utf8')).toContain(
      'systemd/hostapd-kms.sysctl.conf "$root/usr/lib/sysctl.d/60-hostapd-kms.conf"',
    );
  });
});
