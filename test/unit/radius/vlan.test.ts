import { describe, expect, it } from 'vitest';
import {
  Attr,
  Code,
  decodePacket,
  encodePacket,
  extractVlan,
  type RadiusAttribute,
  type VlanIgnoredReason,
} from '../../../adapters/radius/index.js';
import { hex } from './vectors.js';

const TT = (tag: number, type = 13): RadiusAttribute => ({ type: Attr.TunnelType, value: Buffer.from([tag, 0, 0, type]) });
const TMT = (tag: number, medium = 6): RadiusAttribute => ({
  type: Attr.TunnelMediumType,
  value: Buffer.from([tag, 0, 0, medium]),
});
/** Tunnel-Private-Group-ID; `tag` undefined = no tag octet. */
const GID = (text: string | Buffer, tag?: number): RadiusAttribute => {
  const t = typeof text === 'string' ? Buffer.from(text) : text;
  return { type: Attr.TunnelPrivateGroupId, value: tag === undefined ? t : Buffer.concat([Buffer.of(tag), t]) };
};
const EGRESS = (indication: number, vid: number): RadiusAttribute => {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(vid, 0);
  value[0] = indication;
  return { type: Attr.EgressVlanId, value };
};
const vlan = (...attributes: RadiusAttribute[]) => {
  const ignored: VlanIgnoredReason[] = [];
  return { vlan: extractVlan({ attributes }, ignored), ignored };
};

describe('Tunnel attributes (RFC 2868 / RFC 3580 §3.31)', () => {
  it('untagged VLAN from an untagged triplet', () => {
    expect(vlan(TT(0), TMT(0), GID('100'))).toEqual({ vlan: { untagged: 100, tagged: [] }, ignored: [] });
  });

  it('a Tunnel-Private-Group-ID first octet < 0x20 is its tag', () => {
    expect(vlan(TT(1), TMT(1), GID('42', 1)).vlan).toEqual({ untagged: 42, tagged: [] });
    expect(vlan(TT(0), TMT(0), GID('42', 0)).vlan).toEqual({ untagged: 42, tagged: [] });
    // Tag 1 attributes do not complete a tag 0 group.
    expect(vlan(TT(0), TMT(0), GID('42', 1)).vlan).toBeNull();
  });

  it('the lowest tag with all three wins, whatever the order', () => {
    const attrs = [TT(2), TMT(2), GID('20', 2), TT(1), TMT(1), GID('10', 1)];
    expect(vlan(...attrs).vlan).toEqual({ untagged: 10, tagged: [] });
    expect(vlan(...attrs.reverse()).vlan).toEqual({ untagged: 10, tagged: [] });
  });

  it('an incomplete lower tag is skipped', () => {
    expect(vlan(TT(1), GID('10', 1), TT(2), TMT(2), GID('20', 2)).vlan).toEqual({ untagged: 20, tagged: [] });
  });

  it('within one tag the last attribute of a kind wins', () => {
    expect(vlan(TT(0), TMT(0), GID('5'), GID('6')).vlan).toEqual({ untagged: 6, tagged: [] });
    expect(vlan(TT(0), TMT(0), GID('5'), TT(0, 3)).vlan).toBeNull();
  });

  it('Tunnel-Type other than VLAN or medium other than 802 gives nothing', () => {
    expect(vlan(TT(0, 3), TMT(0), GID('5')).vlan).toBeNull();
    expect(vlan(TT(0), TMT(0, 1), GID('5')).vlan).toBeNull();
  });

  it('a Tunnel-Type first octet >= 0x20 counts as tag 0 (as hostapd)', () => {
    expect(vlan(TT(0x40), TMT(0), GID('7')).vlan).toEqual({ untagged: 7, tagged: [] });
  });

  it('leading zeros are decimal', () => {
    expect(vlan(TT(0), TMT(0), GID('0010')).vlan).toEqual({ untagged: 10, tagged: [] });
  });
});

describe('Egress-VLANID (RFC 4675)', () => {
  it('tagged VIDs sorted (duplicates kept), untagged from 0x32', () => {
    expect(vlan(EGRESS(0x31, 30), EGRESS(0x31, 10), EGRESS(0x32, 5), EGRESS(0x31, 10)).vlan).toEqual({
      untagged: 5,
      tagged: [10, 10, 30],
    });
  });

  it('tagged only', () => {
    expect(vlan(EGRESS(0x31, 4094)).vlan).toEqual({ untagged: null, tagged: [4094] });
  });

  it('a tunnel group overrides an untagged Egress-VLANID', () => {
    expect(vlan(EGRESS(0x32, 5), TT(0), TMT(0), GID('9'), EGRESS(0x31, 11)).vlan).toEqual({ untagged: 9, tagged: [11] });
  });

  it('keeps at most 32 tagged VIDs', () => {
    const r = vlan(...Array.from({ length: 34 }, (_, i) => EGRESS(0x31, i + 1)));
    expect(r.vlan!.tagged).toHaveLength(32);
    expect(r.ignored).toEqual(['egress-vlanid-too-many-tagged', 'egress-vlanid-too-many-tagged']);
  });
});

describe('invalid values are ignored with a reason', () => {
  it.each<[string, RadiusAttribute[], VlanIgnoredReason]>([
    ['VID 0', [TT(0), TMT(0), GID('0')], 'vlan-id-out-of-range'],
    ['VID 4095', [TT(0), TMT(0), GID('4095')], 'vlan-id-out-of-range'],
    ['trailing garbage (hostapd atoi would give 10)', [TT(0), TMT(0), GID('10abc')], 'tunnel-private-group-id-not-decimal'],
    ['leading space', [TT(0), TMT(0), GID(' 10')], 'tunnel-private-group-id-not-decimal'],
    ['sign', [TT(0), TMT(0), GID('+10')], 'tunnel-private-group-id-not-decimal'],
    ['embedded NUL', [TT(0), TMT(0), GID(hex('313000'))], 'tunnel-private-group-id-not-decimal'],
    ['a name', [TT(0), TMT(0), GID('guests')], 'tunnel-private-group-id-not-decimal'],
    ['only a tag', [TT(1), TMT(1), GID('', 1)], 'tunnel-private-group-id-not-decimal'],
    ['ten digits', [TT(0), TMT(0), GID('0000000010')], 'tunnel-private-group-id-too-long'],
    ['short Tunnel-Type', [{ type: Attr.TunnelType, value: hex('00000d') }, TMT(0), GID('5')], 'tunnel-type-bad-length'],
    ['long medium', [TT(0), { type: Attr.TunnelMediumType, value: hex('0000000006') }, GID('5')], 'tunnel-medium-type-bad-length'],
    ['Egress VID 0', [EGRESS(0x31, 0)], 'vlan-id-out-of-range'],
    ['Egress VID 4095', [EGRESS(0x32, 4095)], 'vlan-id-out-of-range'],
    ['Egress pad bits set', [EGRESS(0x32, 0x1005)], 'vlan-id-out-of-range'],
    ['Egress indication 0x33', [EGRESS(0x33, 5)], 'egress-vlanid-bad-indication'],
    ['Egress 3 octets', [{ type: Attr.EgressVlanId, value: hex('320005') }], 'egress-vlanid-bad-length'],
    ['Egress empty', [{ type: Attr.EgressVlanId, value: Buffer.alloc(0) }], 'egress-vlanid-bad-length'],
  ])('%s', (_name, attrs, why) => {
    expect(vlan(...attrs)).toEqual({ vlan: null, ignored: [why] });
  });

  it('an invalid higher-priority group falls through to the next valid one', () => {
    // hostapd would pick tag 1 (VID 5000) and then fail the authentication: see vlan.ts.
    const r = vlan(TT(1), TMT(1), GID('5000', 1), TT(2), TMT(2), GID('20', 2));
    expect(r).toEqual({ vlan: { untagged: 20, tagged: [] }, ignored: ['vlan-id-out-of-range'] });
  });

  it('no VLAN attributes at all: null, nothing ignored, and other attributes are not looked at', () => {
    expect(vlan({ type: Attr.UserName, value: Buffer.alloc(0) }, { type: Attr.Class, value: hex('01') })).toEqual({
      vlan: null,
      ignored: [],
    });
    expect(extractVlan({ attributes: [] })).toBeNull();
  });
});

it('reads a decoded Access-Accept', () => {
  const attributes = [TT(1), TMT(1), GID('300', 1), EGRESS(0x31, 301)];
  const bytes = encodePacket({ code: Code.AccessAccept, identifier: 1, authenticator: Buffer.alloc(16), attributes });
  expect(extractVlan(decodePacket(bytes))).toEqual({ untagged: 300, tagged: [301] });
});
