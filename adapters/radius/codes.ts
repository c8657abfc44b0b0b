// RADIUS numbers the KMS uses. Sources: RFC 2865 (base), 2866 (accounting), 2868 (tunnel),
// 2869/3579 (EAP, Message-Authenticator), 3580 (802.1X), 4675 (VLAN), 5176 (dynamic authorization),
// 5997 (Status-Server), 7268 (WLAN attributes), RFC 2548 (Microsoft VSAs).

/** Packet codes (RFC 2865 §3, RFC 2866 §3, RFC 5176 §3.1, RFC 5997). */
export const Code = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  DisconnectRequest: 40,
  DisconnectAck: 41,
  DisconnectNak: 42,
  CoaRequest: 43,
  CoaAck: 44,
  CoaNak: 45,
} as const;
export type CodeName = keyof typeof Code;

const codeNames = new Map<number, CodeName>((Object.entries(Code) as [CodeName, number][]).map(([name, code]) => [code, name]));

/** The name of a packet code, or `Code-<n>` for one this module does not know. */
export function codeName(code: number): string {
  return codeNames.get(code) ?? `Code-${code}`;
}

/** Request codes whose Request Authenticator is an MD5 over the packet (RFC 2866 §3, RFC 5176 §2.3). */
export const HASHED_REQUEST_CODES: ReadonlySet<number> = new Set([Code.AccountingRequest, Code.DisconnectRequest, Code.CoaRequest]);
/** Request codes whose Request Authenticator is random (RFC 2865 §3, RFC 5997 §3). */
export const RANDOM_REQUEST_CODES: ReadonlySet<number> = new Set([Code.AccessRequest, Code.StatusServer]);
/** Codes that answer a request and carry a Response Authenticator. */
export const RESPONSE_CODES: ReadonlySet<number> = new Set([
  Code.AccessAccept,
  Code.AccessReject,
  Code.AccessChallenge,
  Code.AccountingResponse,
  Code.DisconnectAck,
  Code.DisconnectNak,
  Code.CoaAck,
  Code.CoaNak,
]);

/** Attribute types. */
export const Attr = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  NasPort: 5,
  ServiceType: 6,
  FramedIpAddress: 8,
  FilterId: 11,
  FramedMtu: 12,
  ReplyMessage: 18,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  IdleTimeout: 28,
  TerminationAction: 29,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  AcctStatusType: 40,
  AcctDelayTime: 41,
  AcctInputOctets: 42,
  AcctOutputOctets: 43,
  AcctSessionId: 44,
  AcctAuthentic: 45,
  AcctSessionTime: 46,
  AcctInputPackets: 47,
  AcctOutputPackets: 48,
  AcctTerminateCause: 49,
  AcctMultiSessionId: 50,
  AcctInputGigawords: 52,
  AcctOutputGigawords: 53,
  EventTimestamp: 55,
  EgressVlanId: 56,
  NasPortType: 61,
  TunnelType: 64,
  TunnelMediumType: 65,
  TunnelPassword: 69,
  ConnectInfo: 77,
  EapMessage: 79,
  MessageAuthenticator: 80,
  TunnelPrivateGroupId: 81,
  AcctInterimInterval: 85,
  NasPortId: 87,
  ChargeableUserIdentity: 89,
  NasIpv6Address: 95,
  ErrorCause: 101,
  EapKeyName: 102,
  OperatorName: 126,
  MobilityDomainId: 177,
  WlanHessid: 181,
  WlanReasonCode: 185,
  WlanPairwiseCipher: 186,
  WlanGroupCipher: 187,
  WlanAkmSuite: 188,
  WlanGroupMgmtCipher: 189,
} as const;

/** SMI Private Enterprise Codes used in Vendor-Specific attributes. */
export const Vendor = { Microsoft: 311, Aruba: 14823, WiFiAlliance: 40808 } as const;

/** Microsoft vendor types (RFC 2548 §2.4). */
export const MsAttr = { MppeSendKey: 16, MppeRecvKey: 17 } as const;
/** Aruba vendor types. */
export const ArubaAttr = { UserRole: 1 } as const;

/** Acct-Status-Type values (RFC 2866 §5.1). */
export const AcctStatusType = { Start: 1, Stop: 2, InterimUpdate: 3, AccountingOn: 7, AccountingOff: 8 } as const;
/** Service-Type values used by 802.1X authenticators (RFC 2865 §5.6, RFC 3580 §3.33). */
export const ServiceType = { Login: 1, Framed: 2, AuthorizeOnly: 17 } as const;
/** NAS-Port-Type for 802.11 (RFC 2865 §5.41, RFC 3580 §3.35). */
export const NasPortType = { Ieee80211: 19 } as const;
/** Tunnel-Type / Tunnel-Medium-Type values for VLAN assignment (RFC 3580 §3.31, RFC 2868). */
export const TunnelType = { Vlan: 13 } as const;
export const TunnelMediumType = { Ieee802: 6 } as const;
/** Egress-VLANID tag indication (RFC 4675 §2.1). */
export const EgressTag = { Tagged: 0x31, Untagged: 0x32 } as const;
/** Error-Cause values (RFC 5176 §3.6). */
export const ErrorCause = {
  ResidualSessionContextRemoved: 201,
  UnsupportedAttribute: 401,
  MissingAttribute: 402,
  NasIdentificationMismatch: 403,
  InvalidRequest: 404,
  UnsupportedService: 405,
  UnsupportedExtension: 406,
  InvalidAttributeValue: 407,
  AdministrativelyProhibited: 501,
  RequestNotRoutable: 502,
  SessionContextNotFound: 503,
  SessionContextNotRemovable: 504,
  OtherProxyProcessingError: 505,
  ResourcesUnavailable: 506,
  RequestInitiated: 507,
  MultipleSessionSelectionUnsupported: 508,
} as const;

/** Limits from RFC 2865 §3 and §5. */
export const HEADER_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;
export const MAX_ATTRIBUTE_VALUE_LENGTH = 253;
export const AUTHENTICATOR_LENGTH = 16;
