// Public API of the RADIUS codec.
export * from './codes.js';
export {
  RadiusDecodeError,
  RadiusEncodeError,
  attrInteger,
  attrString,
  attrVendor,
  decodePacket,
  decodeVendorSpecific,
  encodePacket,
  getAttr,
  getAttrs,
  getInteger,
  getString,
  getVendorAttrs,
  removeAttrs,
  type RadiusAttribute,
  type RadiusDecodeReason,
  type RadiusEncodeReason,
  type RadiusPacket,
  type VendorAttribute,
} from './packet.js';
export {
  finishAccessRequest,
  finishAccountingRequest,
  finishResponse,
  finishStatusServer,
  verifyRequest,
  verifyResponse,
  type MaVector,
  type Secret,
  type VerifyReason,
  type VerifyResult,
} from './authenticators.js';
export {
  decryptMppeKey,
  decryptTunnelPassword,
  encryptMppeKey,
  encryptTunnelPassword,
  freshSalts,
  hidePassword,
  unhidePassword,
} from './mppe.js';
export { extractVlan, type VlanAssignment, type VlanIgnoredReason } from './vlan.js';
