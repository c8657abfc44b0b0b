import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../daemon/config/load.js';
import { apDasTable } from '../../../daemon/main/wire-das.js';

// Which AP DAS a station's Disconnect goes to: the radius.clients entry its client address is in,
// the BSS's own port (hostapd runs one DAS per BSS), the entry's address or the station's.

const KEY = 'ab'.repeat(32);
const cfg = parseConfig(`
radius:
  clients:
    - { name: ap1, address: 10.0.0.11, secret: s, das: { secret: d1, port: 4000 } }
    - { name: ap2, address: 10.0.0.12, secret: s, das: { secret: d2, address: 10.0.1.12 } }
    - { name: ap3, address: 10.0.0.13, secret: s }
    - { name: site, address: 10.20.0.0/16, secret: s, das: { secret: d3 } }
    - { name: special, address: 10.20.5.0/24, secret: s, das: { secret: d4, port: 3800 } }
  upstreams: [{ name: aaa, address: 127.0.0.1, secret: up }]
  dynamicAuthorization: { upstreams: [{ name: ise, address: 192.0.2.10, secret: x }] }
api: { token: t }
distribution:
  ssid: corp
  mobilityDomain: a1b2
  kmsRadiusAddress: 10.0.0.2
  rrb: { interface: br-ds, mac: 02:00:00:00:09:00 }
  aps:
    - { name: ap1, nasIdentifier: ap1, radiusClient: ap1, rrbKey: ${KEY}, bsses: [{ ifname: wlan0, bssid: 02:00:00:00:01:00 }, { ifname: wlan1, bssid: 02:00:00:00:01:01 }] }
    - { name: ap2, nasIdentifier: ap2, radiusClient: ap2, rrbKey: ${KEY}, bsses: [{ ifname: wlan0, bssid: 02:00:00:00:02:00 }] }
`);
const table = apDasTable(cfg, new Map(['ap1', 'ap2', 'site', 'special'].map((n, i) => [n, Buffer.from(`d${i + 1}`)])));

describe('apDasTable', () => {
  it('the BSS at index i of its AP is on das.port + i; an unknown BSS gets the first port', () => {
    expect(table('10.0.0.11', '02:00:00:00:01:00')).toMatchObject({ name: 'ap1', address: '10.0.0.11', port: 4000 });
    expect(table('10.0.0.11', '02:00:00:00:01:01')).toMatchObject({ port: 4001 });
    expect(table('::ffff:10.0.0.11', null)).toMatchObject({ port: 4000 });
    // A BSS of another AP does not move this AP's port.
    expect(table('10.0.0.11', '02:00:00:00:02:00')).toMatchObject({ port: 4000 });
  });

  it('das.address wins over the client address; no das or no entry: null', () => {
    expect(table('10.0.0.12', '02:00:00:00:02:00')).toMatchObject({ address: '10.0.1.12', port: 3799, secret: Buffer.from('d2') });
    expect(table('10.0.0.13', null)).toBeNull();
    expect(table('10.9.9.9', null)).toBeNull();
  });

  it("a prefix entry serves every AP in it, at the station's own client address; the longest prefix wins", () => {
    expect(table('10.20.1.7', null)).toMatchObject({ name: 'site', address: '10.20.1.7', port: 3799, secret: Buffer.from('d3') });
    expect(table('10.20.5.7', null)).toMatchObject({ name: 'special', address: '10.20.5.7', port: 3800 });
  });
});
