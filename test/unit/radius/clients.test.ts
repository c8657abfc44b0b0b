import { describe, expect, it } from 'vitest';
import { ClientTable } from '../../../adapters/radius/clients.js';
import { addressOctets, canonicalNetwork, isPrefix, networkContains, networkProblem } from '../../../daemon/common/ip-prefix.js';

const client = (name: string, address: string) => ({ name, address, secret: Buffer.from(name) });

describe('RADIUS client table', () => {
  const table = new ClientTable([
    client('site', '10.20.0.0/16'),
    client('building', '10.20.128.0/17'),
    client('floor', '10.20.130.0/24'),
    client('ap-exact', '10.20.130.7'),
    client('v6-site', '2001:db8:20::/48'),
    client('v6-ap', '2001:db8:20::99'),
    client('everything-v6', '::/0'),
  ]);
  const name = (a: string) => table.lookup(a)?.name;

  it('serves an address inside a prefix with that prefix client', () => {
    expect(name('10.20.0.1')).toBe('site');
    expect(name('10.20.127.255')).toBe('site');
  });

  it('resolves overlapping prefixes by the longest match, and an exact address wins over all', () => {
    expect(name('10.20.128.1')).toBe('building');
    expect(name('10.20.130.1')).toBe('floor');
    expect(name('10.20.130.7')).toBe('ap-exact');
  });

  it('finds nothing outside every prefix', () => {
    expect(name('10.21.0.1')).toBeUndefined();
    expect(name('192.0.2.1')).toBeUndefined();
    expect(name('not an address')).toBeUndefined();
  });

  it('reads IPv4 senders on a dual-stack socket as IPv4, and IPv6 in any spelling', () => {
    expect(name('::ffff:10.20.130.7')).toBe('ap-exact');
    expect(name('2001:db8:20:ffff::1')).toBe('v6-site');
    expect(name('2001:0DB8:0020:0000:0000:0000:0000:0099')).toBe('v6-ap');
    expect(name('fe80::1')).toBe('everything-v6');
  });

  it('rejects malformed addresses and prefixes with a reason', () => {
    expect(networkProblem('10.20.0.0/16')).toBeUndefined();
    expect(networkProblem('2001:db8::/32')).toBeUndefined();
    expect(networkProblem('10.20.0.0/33')).toMatch(/0 to 32/);
    expect(networkProblem('2001:db8::/129')).toMatch(/0 to 128/);
    expect(networkProblem('10.20.0.0/')).toMatch(/prefix length/);
    expect(networkProblem('10.20.1.5/16')).toMatch(/10\.20\.0\.0\/16.*10\.20\.1\.5/);
    expect(networkProblem('ap1.example.com')).toMatch(/IPv4 or IPv6/);
  });

  it('spells one network one way, and says what it contains', () => {
    expect(canonicalNetwork('2001:0db8:0:0::/32')).toBe('2001:db8::/32');
    expect(canonicalNetwork('10.0.0.1/32')).toBe('10.0.0.1');
    expect(canonicalNetwork('2001:DB8::1')).toBe('2001:db8::1');
    expect(isPrefix('10.0.0.0/8')).toBe(true);
    expect(isPrefix('10.0.0.1/32')).toBe(false);
    expect(networkContains('10.20.0.0/16', '10.20.3.4')).toBe(true);
    expect(networkContains('10.20.0.0/16', '10.21.3.4')).toBe(false);
    expect(networkContains('10.20.0.0/16', '2001:db8::1')).toBe(false);
    expect([...addressOctets('::ffff:1.2.3.4')!]).toEqual([1, 2, 3, 4]);
  });
});
