// VLAN assignment from an Access-Accept, following hostapd 2.10 radius_msg_get_vlanid()
// (src/radius/radius.c) and the checks its caller applies (ieee802_1x_update_vlan, hostapd_vlan_valid):
//
// - Tunnel-Type (64) and Tunnel-Medium-Type (65): 4-octet values, Tag(1) || 24-bit value.
// - Tunnel-Private-Group-ID (81): the VLAN ID as a decimal string; a first octet < 0x20 is a Tag and skipped.
// - Any first octet >= 0x20 counts as tag 0. Within one tag the last attribute of a kind wins.
// - The lowest tag with Tunnel-Type = VLAN (13), Tunnel-Medium-Type = IEEE-802 (6) and a VLAN ID
//   gives the untagged VLAN, overriding an untagged Egress-VLANID.
// - Egress-VLANID (56, RFC 4675): 0x31 = tagged / 0x32 = untagged, then 24 bits (12 pad + 12 VID).
//   Tagged VIDs are kept sorted (duplicates kept, at most 32, as hostapd's MAX_NUM_TAGGED_VLAN).
//
// Where this is stricter than hostapd, the value is ignored and a reason recorded:
// - hostapd parses Tunnel-Private-Group-ID with atoi(), so "10abc" or " 10" give VLAN 10; here they
//   are 'tunnel-private-group-id-not-decimal'.
// - hostapd accepts VIDs above 4094 (or Egress-VLANID pad bits) at parse time and then FAILS the
//   authentication in hostapd_vlan_valid(); here they are 'vlan-id-out-of-range' and skipped, so a
//   caller that wants hostapd's outcome should treat that reason as a reject.
import { Attr, EgressTag, TunnelMediumType, TunnelType } from './codes.js';
import type { RadiusPacket } from './packet.js';
import type { VlanAssignment } from '../../daemon/records/station.js';

export type { VlanAssignment };

export type VlanIgnoredReason =
  | 'tunnel-type-bad-length'
  | 'tunnel-medium-type-bad-length'
  | 'tunnel-private-group-id-too-long'
  | 'tunnel-private-group-id-not-decimal'
  | 'vlan-id-out-of-range'
  | 'egress-vlanid-bad-length'
  | 'egress-vlanid-bad-indication'
  | 'egress-vlanid-too-many-tagged';

const TUNNEL_TAGS = 32;
const MAX_TAGGED = 32;
const MAX_VLAN_ID = 4094;

interface Tunnel {
  type?: number;
  medium?: number;
  vlanId?: number;
}

const validVid = (vid: number): boolean => vid >= 1 && vid <= MAX_VLAN_ID;

/**
 * The VLAN assignment in `p`'s attributes, or null when there is none. Never throws. Values that
 * are ignored are reported by pushing a reason onto `ignored` (for logging; one per attribute).
 */
export function extractVlan(p: Pick<RadiusPacket, 'attributes'>, ignored: VlanIgnoredReason[] = []): VlanAssignment | null {
  const tunnels: Tunnel[] = [];
  const tunnel = (tag: number): Tunnel => (tunnels[tag] ??= {});
  let untagged: number | null = null;
  const tagged: number[] = [];

  for (const { type, value: v } of p.attributes) {
    const tag = v.length > 0 && v[0]! < TUNNEL_TAGS ? v[0]! : 0;
    switch (type) {
      case Attr.TunnelType:
        if (v.length !== 4) ignored.push('tunnel-type-bad-length');
        else tunnel(tag).type = v.readUIntBE(1, 3);
        break;
      case Attr.TunnelMediumType:
        if (v.length !== 4) ignored.push('tunnel-medium-type-bad-length');
        else tunnel(tag).medium = v.readUIntBE(1, 3);
        break;
      case Attr.TunnelPrivateGroupId: {
        const text = v.length > 0 && v[0]! < TUNNEL_TAGS ? v.subarray(1) : v;
        // hostapd copies the value into a 10-octet buffer and ignores anything longer than 9.
        if (text.length >= 10) {
          ignored.push('tunnel-private-group-id-too-long');
          break;
        }
        const s = text.toString('latin1');
        if (!/^[0-9]+$/.test(s)) {
          ignored.push('tunnel-private-group-id-not-decimal');
          break;
        }
        const vid = Number(s);
        if (!validVid(vid)) ignored.push('vlan-id-out-of-range');
        else tunnel(tag).vlanId = vid;
        break;
      }
      case Attr.EgressVlanId: {
        if (v.length !== 4) {
          ignored.push('egress-vlanid-bad-length');
          break;
        }
        const indication = v[0]!;
        const vid = v.readUIntBE(1, 3);
        if (indication !== EgressTag.Tagged && indication !== EgressTag.Untagged) {
          ignored.push('egress-vlanid-bad-indication');
        } else if (!validVid(vid)) {
          ignored.push('vlan-id-out-of-range');
        } else if (indication === EgressTag.Untagged) {
          untagged = vid;
        } else if (tagged.length >= MAX_TAGGED) {
          ignored.push('egress-vlanid-too-many-tagged');
        } else {
          tagged.push(vid);
        }
        break;
      }
    }
  }

  for (let tag = 0; tag < TUNNEL_TAGS; tag++) {
    const t = tunnels[tag];
    if (t && t.type === TunnelType.Vlan && t.medium === TunnelMediumType.Ieee802 && t.vlanId !== undefined) {
      untagged = t.vlanId;
      break;
    }
  }
  tagged.sort((a, b) => a - b);
  return untagged === null && tagged.length === 0 ? null : { untagged, tagged };
}
