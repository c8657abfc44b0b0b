import { Attr, Vendor, MsAttr } from './codes.js';
import type { RadiusAttribute } from './packet.js';
import {
  decryptMppeKey,
  encryptMppeKey,
  freshSalts,
  hidePassword,
  unhidePassword,
  decryptTunnelPassword,
  encryptTunnelPassword,
} from './mppe.js';

// A proxy changes the Request Authenticator and the shared secret between its two legs, and
// every attribute encrypted with them must be decrypted and encrypted again (RFC 2865 §2.3:
// User-Password; RFC 2548: MS-MPPE keys; RFC 2868: Tunnel-Password). Salts are fresh on the
// AP leg, never copied from upstream.

/** RFC 2865 §5.40; not in codes.ts because only this rewrite needs it. */
const CHAP_CHALLENGE = 60;

export interface Leg {
  secret: Buffer;
  authenticator: Buffer;
}

/** AP → upstream: re-hide User-Password; give CHAP a CHAP-Challenge since the authenticator changes. */
export function rewriteRequestAttributes(attrs: RadiusAttribute[], from: Leg, to: Leg): RadiusAttribute[] {
  const out: RadiusAttribute[] = [];
  const hasChapChallenge = attrs.some((a) => a.type === CHAP_CHALLENGE);
  for (const a of attrs) {
    if (a.type === Attr.MessageAuthenticator) continue;
    if (a.type === Attr.UserPassword) {
      const clear = unhidePassword(a.value, from.secret, from.authenticator);
      out.push({ type: a.type, value: hidePassword(clear, to.secret, to.authenticator) });
      continue;
    }
    if (a.type === Attr.ChapPassword && !hasChapChallenge) out.push({ type: CHAP_CHALLENGE, value: from.authenticator });
    out.push(a);
  }
  return out;
}

export interface ResponseRewrite {
  attributes: RadiusAttribute[];
  /** Recv-Key || Send-Key when both MS-MPPE keys were present. */
  msk: Buffer | null;
}

/** Upstream → AP: decrypt MS-MPPE and Tunnel-Password with the upstream leg, re-encrypt for the AP. */
export function rewriteResponseAttributes(attrs: RadiusAttribute[], from: Leg, to: Leg): ResponseRewrite {
  const out: RadiusAttribute[] = [];
  let send: Buffer | null = null;
  let recv: Buffer | null = null;
  const [sendSalt, recvSalt] = freshSalts();
  for (const a of attrs) {
    if (a.type === Attr.MessageAuthenticator) continue;
    if (a.type === Attr.TunnelPassword) {
      const { tag, password } = decryptTunnelPassword(a.value, from.secret, from.authenticator);
      out.push({ type: a.type, value: encryptTunnelPassword(password, to.secret, to.authenticator, freshSalts()[0], tag) });
      continue;
    }
    const mppe = mppeType(a);
    if (mppe === null) {
      out.push(a);
      continue;
    }
    const key = decryptMppeKey(a.value.subarray(6), from.secret, from.authenticator);
    if (mppe === MsAttr.MppeSendKey) send = key;
    else recv = key;
    const value = encryptMppeKey(key, to.secret, to.authenticator, mppe === MsAttr.MppeSendKey ? sendSalt : recvSalt);
    const vsa = Buffer.allocUnsafe(6 + value.length);
    vsa.writeUInt32BE(Vendor.Microsoft, 0);
    vsa[4] = mppe;
    vsa[5] = value.length + 2;
    value.copy(vsa, 6);
    out.push({ type: Attr.VendorSpecific, value: vsa });
  }
  return { attributes: out, msk: send && recv ? Buffer.concat([recv, send]) : null };
}

/** An MS-MPPE key VSA holding exactly one sub-attribute (the form every server sends). */
function mppeType(a: RadiusAttribute): number | null {
  if (a.type !== Attr.VendorSpecific || a.value.length < 6) return null;
  if (a.value.readUInt32BE(0) !== Vendor.Microsoft) return null;
  const t = a.value[4]!;
  if (t !== MsAttr.MppeSendKey && t !== MsAttr.MppeRecvKey) return null;
  if (a.value[5] !== a.value.length - 4) return null;
  return t;
}
