import type { AccessAcceptFacts, AccountingFacts, AcctStatus } from '../../daemon/records/facts.js';
import { ACCT_TERMINATE_CAUSES } from '../../daemon/records/facts.js';
import { normalizeMac } from '../../daemon/common/mac.js';
import { Attr, Vendor, ArubaAttr, AcctStatusType } from './codes.js';
import { getAttr, getAttrs, getInteger, getString, getVendorAttrs, RadiusDecodeError, type RadiusPacket } from './packet.js';
import { extractVlan } from './vlan.js';

// Reads what the core needs out of an AP's Access-Request and the upstream's Access-Accept
// (docs/hostapd-interfaces.md, "What hostapd puts in an Access-Request"). Pure; no secrets are
// decoded here: the MSK is decrypted by the proxy and passed in.

/** Called-Station-Id is "AA-BB-CC-DD-EE-FF:SSID" from hostapd; some NASes use colons in the MAC. */
export function parseCalledStationId(text: string | undefined): { bssid: string | null; ssid: string | null } {
  if (!text) return { bssid: null, ssid: null };
  const mac = normalizeMac(text.slice(0, 17));
  if (mac === null) return { bssid: normalizeMac(text), ssid: null };
  const rest = text.slice(17);
  return { bssid: mac, ssid: rest.startsWith(':') && rest.length > 1 ? rest.slice(1) : null };
}

/** A malformed attribute makes that fact unknown (and a logged problem), never the whole request. */
function intOrProblem(p: RadiusPacket, type: number, name: string, problems: string[]): number | undefined {
  try {
    return getInteger(p, type);
  } catch (e) {
    if (!(e instanceof RadiusDecodeError)) throw e;
    problems.push(`${name}: ${e.reason}`);
    return undefined;
  }
}

function vendorOrProblem(p: RadiusPacket, vendor: number, problems: string[]) {
  try {
    return getVendorAttrs(p, vendor);
  } catch (e) {
    if (!(e instanceof RadiusDecodeError)) throw e;
    problems.push(`Vendor-Specific: ${e.reason}`);
    return [];
  }
}

export function requestStation(request: RadiusPacket): string | null {
  const calling = getString(request, Attr.CallingStationId);
  return calling ? normalizeMac(calling) : null;
}

export function acceptFacts(
  request: RadiusPacket,
  accept: RadiusPacket,
  clientAddress: string,
  staMac: string,
  msk: Buffer | null,
): { facts: AccessAcceptFacts; problems: string[] } {
  const problems: string[] = [];
  const called = parseCalledStationId(getString(request, Attr.CalledStationId));
  const mdidValue = intOrProblem(request, Attr.MobilityDomainId, 'Mobility-Domain-Id', problems);
  const vlanIgnored: string[] = [];
  const vlan = extractVlan(accept, vlanIgnored as Parameters<typeof extractVlan>[1]);
  problems.push(...vlanIgnored.map((r) => `VLAN attribute ignored: ${r}`));
  const roles = vendorOrProblem(accept, Vendor.Aruba, problems).filter((a) => a.vendorType === ArubaAttr.UserRole);
  const facts: AccessAcceptFacts = {
    staMac,
    clientAddress,
    nasIdentifier: getString(request, Attr.NasIdentifier) ?? null,
    bssid: called.bssid,
    ssid: called.ssid,
    mdid: mdidValue !== undefined && mdidValue <= 0xffff ? mdidValue.toString(16).padStart(4, '0') : null,
    akm: intOrProblem(request, Attr.WlanAkmSuite, 'WLAN-AKM-Suite', problems) ?? null,
    pairwiseCipher: intOrProblem(request, Attr.WlanPairwiseCipher, 'WLAN-Pairwise-Cipher', problems) ?? null,
    // The Accept's User-Name (often the inner identity) beats the request's outer "anonymous@…".
    userName: getString(accept, Attr.UserName) ?? getString(request, Attr.UserName) ?? null,
    cui: getString(accept, Attr.ChargeableUserIdentity) ?? null,
    classes: getAttrs(accept, Attr.Class).map((a) => a.value),
    vlan,
    filterId: getString(accept, Attr.FilterId) ?? null,
    arubaUserRole: roles.length > 0 ? roles[0]!.value.toString('utf8') : null,
    sessionTimeout: intOrProblem(accept, Attr.SessionTimeout, 'Session-Timeout', problems) ?? null,
    acctSessionId: getString(request, Attr.AcctSessionId) ?? null,
    msk,
  };
  if (mdidValue !== undefined && mdidValue > 0xffff) problems.push(`Mobility-Domain-Id ${mdidValue} is not a 16-bit MDID`);
  if (getAttr(request, Attr.CalledStationId) && called.bssid === null) problems.push('Called-Station-Id has no BSSID');
  return { facts, problems };
}

const STATUS: Record<number, AcctStatus> = {
  [AcctStatusType.Start]: 'start',
  [AcctStatusType.Stop]: 'stop',
  [AcctStatusType.InterimUpdate]: 'interim',
  [AcctStatusType.AccountingOn]: 'accounting-on',
  [AcctStatusType.AccountingOff]: 'accounting-off',
};

export function accountingFacts(request: RadiusPacket, clientAddress: string): AccountingFacts | null {
  const type = intOrProblem(request, Attr.AcctStatusType, 'Acct-Status-Type', []);
  const status = type === undefined ? undefined : STATUS[type];
  if (!status) return null;
  return {
    status,
    staMac: requestStation(request),
    clientAddress,
    nasIdentifier: getString(request, Attr.NasIdentifier) ?? null,
    bssid: parseCalledStationId(getString(request, Attr.CalledStationId)).bssid,
    acctSessionId: getString(request, Attr.AcctSessionId) ?? null,
    terminateCause: terminateCause(request),
  };
}

/** The Acct-Terminate-Cause by name; an unknown value by its number, so it can still be matched. */
function terminateCause(request: RadiusPacket): string | null {
  const v = intOrProblem(request, Attr.AcctTerminateCause, 'Acct-Terminate-Cause', []);
  if (v === undefined) return null;
  return ACCT_TERMINATE_CAUSES[v] || String(v);
}
