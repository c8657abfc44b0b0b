/**
 * Run `eapol_test` (wpa_supplicant's EAP peer + RADIUS client in one binary) against a RADIUS
 * server: the fastest real EAP peer for exercising the KMS's RADIUS path (~20 ms per PEAP auth
 * on loopback).
 *
 * What eapol_test 2.10 prints that we rely on (it always shows key material, like `-K`):
 *  - each RADIUS message it sends/receives: `RADIUS message: code=2 (Access-Accept) …`, then
 *    `   Attribute 27 (Session-Timeout) length=6` and, for types it knows, `      Value: …`;
 *  - the MPPE keys it decrypted from the Access-Accept:
 *      `MS-MPPE-Send-Key (sign) - hexdump(len=32): …`
 *      `MS-MPPE-Recv-Key (crypt) - hexdump(len=32): …`
 *    The 64-octet MSK the AAA server sent is Recv-Key ‖ Send-Key (RFC 3079 / hostapd
 *    ieee802_1x_get_keys); `PMK from EAPOL - hexdump(len=32)` is only the first half;
 *  - the MSK the peer derived itself: `EAP-PEAP: Derived key - hexdump(len=64): …` (or EAP-TTLS);
 *  - `MPPE keys OK: 1  mismatch: 0` — it compared its PMK with the Recv-Key — and finally
 *    `SUCCESS` (exit 0) or `FAILURE` (exit ≠ 0).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, makeTempDir, type Netns } from './netns.js';

export type EapMethod = 'PEAP' | 'TTLS';

export interface EapolTestOptions {
  /** RADIUS server (the KMS or FreeRADIUS). */
  server: { address: string; port: number; secret: string };
  /** Default PEAP (inner EAP-MSCHAPv2). TTLS uses inner PAP unless `phase2` says otherwise. */
  method?: EapMethod;
  identity?: string;
  password?: string;
  /** Outer identity; default `anonymous`; `null` sends the real identity outside the tunnel. */
  anonymousIdentity?: string | null;
  /** Verify the server certificate against this CA (recommended: FreeRadiusHandle.caCertPath). */
  caCertPath?: string;
  /** Override phase2, e.g. `auth=MSCHAPV2` for TTLS. */
  phase2?: string;
  /** NAS-Identifier (32): an AP's R0KH-ID. */
  nasIdentifier?: string;
  /** Called-Station-Id (30), e.g. `calledStationId('02:00:00:00:01:00', 'kms-test')`. */
  calledStationId?: string;
  /** Station MAC: eapol_test puts it in Calling-Station-Id (31) as `AA-BB-…` via `-M`. */
  stationMac?: string;
  /** Mobility-Domain-Id (177): the MDID as hostapd.conf writes it (`a1b2`) or its number. */
  mobilityDomainId?: string | number;
  /** WLAN-Pairwise-Cipher (186), a suite selector such as 0x000fac04 (CCMP). */
  pairwiseCipher?: number;
  /** WLAN-Group-Cipher (187). */
  groupCipher?: number;
  /** WLAN-AKM-Suite (188), e.g. 0x000fac03 (FT-802.1X) or 0x000fac01 (802.1X). */
  akmSuite?: number;
  /** More `-N` specs, verbatim (`attr_id:syntax:value`). */
  extraAttributes?: string[];
  /** RADIUS Connect-Info (`-C`). */
  connectInfo?: string;
  /** Source address for RADIUS (`-A`). */
  clientAddress?: string;
  /** eapol_test's own timeout, seconds (`-t`, default here 10). */
  timeoutSec?: number;
  /** Number of extra re-authentications (`-r`). */
  reauthCount?: number;
  /** Run eapol_test inside this network namespace. */
  netns?: Netns | string;
}

export interface RadiusAttributeDump {
  type: number;
  /** eapol_test's name for the type, `?Unknown?` for many (e.g. Filter-Id). */
  name: string;
  /** Total attribute length as printed (type+length octets included). */
  length: number;
  /** Printed value if eapol_test decodes the type (strings quoted as '…', others hex or decimal). */
  value?: string;
}

export interface RadiusMessageDump {
  code: number;
  codeName: string;
  identifier: number;
  length: number;
  attributes: RadiusAttributeDump[];
}

export interface EapolTestResult {
  /** `SUCCESS` printed and exit code 0. */
  success: boolean;
  /** `MPPE keys OK: 1  mismatch: 0`. */
  mppeOk: boolean;
  /** 64-octet MSK from the Access-Accept: MS-MPPE-Recv-Key ‖ MS-MPPE-Send-Key; null if absent. */
  msk: Buffer | null;
  mppeSendKey: Buffer | null;
  mppeRecvKey: Buffer | null;
  /** 64-octet MSK the EAP peer derived itself (`EAP-<method>: Derived key`); should equal msk. */
  peerMsk: Buffer | null;
  /** `PMK from EAPOL` (first 32 octets of the MSK). */
  pmk: Buffer | null;
  /** Every RADIUS message eapol_test sent or received, in order, as it dumped them. */
  radiusMessages: RadiusMessageDump[];
  /** The last Access-Accept received, if any. */
  accept: RadiusMessageDump | null;
  exitCode: number | null;
  durationMs: number;
  /** The generated configuration file's text (no secrets beyond test passwords). */
  config: string;
  args: string[];
  stdout: string;
  stderr: string;
}

/** Called-Station-Id in hostapd's format: `AA-BB-CC-DD-EE-FF:SSID`. */
export function calledStationId(bssid: string, ssid?: string): string {
  const mac = bssid.toUpperCase().replace(/:/g, '-');
  return ssid === undefined ? mac : `${mac}:${ssid}`;
}

/** wpa_supplicant config-file string: quoted, with the characters it cannot take refused. */
function confString(value: string, what: string): string {
  if (/["\n\r]/.test(value)) throw new Error(`eapol_test ${what} cannot contain quotes or newlines`);
  return `"${value}"`;
}

/** The wpa_supplicant-style network block eapol_test reads. */
export function renderEapolConfig(o: EapolTestOptions): string {
  const method = o.method ?? 'PEAP';
  const phase2 = o.phase2 ?? (method === 'PEAP' ? 'auth=MSCHAPV2' : 'auth=PAP');
  const anonymous = o.anonymousIdentity === undefined ? 'anonymous' : o.anonymousIdentity;
  const lines = [
    'network={',
    '\tkey_mgmt=WPA-EAP',
    `\teap=${method}`,
    `\tidentity=${confString(o.identity ?? 'alice', 'identity')}`,
    anonymous === null ? '' : `\tanonymous_identity=${confString(anonymous, 'anonymous identity')}`,
    `\tpassword=${confString(o.password ?? 'password', 'password')}`,
    `\tphase2=${confString(phase2, 'phase2')}`,
    o.caCertPath ? `\tca_cert=${confString(o.caCertPath, 'ca_cert')}` : '',
    '}',
  ];
  return lines.filter((l) => l !== '').join('\n') + '\n';
}

/** A 32-bit suite selector as the 8 hex digits eapol_test's `x` syntax wants (network order). */
function suiteHex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

/**
 * `-N<attr_id>:<syntax>:<value>` arguments. Syntax `s` = string, `d` = 32-bit integer parsed
 * with atoi() — decimal only, a `0x…` value silently becomes 0 — and `x` = hex octets.
 */
export function radiusAttributeArgs(o: EapolTestOptions): string[] {
  const specs: string[] = [];
  if (o.nasIdentifier !== undefined) specs.push(`32:s:${o.nasIdentifier}`);
  if (o.calledStationId !== undefined) specs.push(`30:s:${o.calledStationId}`);
  if (o.mobilityDomainId !== undefined) {
    // hostapd sends the MDID as an int32 whose low 16 bits are the two MDID octets read
    // big-endian: mobility_domain=a1b2 → 0x0000a1b2.
    const mdid = typeof o.mobilityDomainId === 'number' ? o.mobilityDomainId : parseInt(o.mobilityDomainId, 16);
    if (!Number.isInteger(mdid) || mdid < 0 || mdid > 0xffff) throw new Error(`bad MDID ${o.mobilityDomainId}`);
    specs.push(`177:d:${mdid}`);
  }
  if (o.pairwiseCipher !== undefined) specs.push(`186:x:${suiteHex(o.pairwiseCipher)}`);
  if (o.groupCipher !== undefined) specs.push(`187:x:${suiteHex(o.groupCipher)}`);
  if (o.akmSuite !== undefined) specs.push(`188:x:${suiteHex(o.akmSuite)}`);
  specs.push(...(o.extraAttributes ?? []));
  return specs.map((s) => `-N${s}`);
}

function buildArgs(o: EapolTestOptions, configPath: string): string[] {
  const args = [`-c${configPath}`, `-a${o.server.address}`, `-p${o.server.port}`, `-s${o.server.secret}`];
  args.push(`-t${o.timeoutSec ?? 10}`);
  if (o.stationMac) args.push(`-M${o.stationMac.toLowerCase()}`);
  if (o.connectInfo) args.push(`-C${o.connectInfo}`);
  if (o.clientAddress) args.push(`-A${o.clientAddress}`);
  if (o.reauthCount) args.push(`-r${o.reauthCount}`);
  args.push(...radiusAttributeArgs(o));
  return args;
}

/** Run one EAP authentication (plus `reauthCount` re-auths) and parse what eapol_test printed. */
export async function runEapolTest(options: EapolTestOptions): Promise<EapolTestResult> {
  const temp = await makeTempDir('eapol');
  const dir = temp.path;
  try {
    const config = renderEapolConfig(options);
    const configPath = join(dir, 'eapol.conf');
    await writeFile(configPath, config, { mode: 0o600 });
    const args = buildArgs(options, configPath);
    // Our own kill timer is a backstop above eapol_test's -t.
    const r = await runCommand('eapol_test', args, {
      netns: options.netns,
      timeoutMs: ((options.timeoutSec ?? 10) + 10) * 1000 * (1 + (options.reauthCount ?? 0)),
    });
    return { ...parseEapolTestOutput(r.stdout, r.code), durationMs: r.durationMs, config, args, stdout: r.stdout, stderr: r.stderr };
  } finally {
    await temp.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// Output parsing
// ---------------------------------------------------------------------------------------------

type ParsedOutput = Omit<EapolTestResult, 'durationMs' | 'config' | 'args' | 'stdout' | 'stderr'>;

/** Hex bytes of every `<label> - hexdump(len=N): xx xx …` line, in order. */
function hexdumps(stdout: string, label: RegExp): Buffer[] {
  const re = new RegExp(`^${label.source} - hexdump\\(len=(\\d+)\\):((?: [0-9a-f]{2})*)\\s*$`, 'gm');
  const out: Buffer[] = [];
  for (const m of stdout.matchAll(re)) {
    const buf = Buffer.from(m[m.length - 1].replace(/ /g, ''), 'hex');
    if (buf.length === Number(m[m.length - 2])) out.push(buf);
  }
  return out;
}

function last<T>(items: T[]): T | null {
  return items.length ? items[items.length - 1] : null;
}

/** eapol_test's RADIUS dumps (same format hostapd uses, `radius_msg_dump`). */
export function parseRadiusDumps(stdout: string): RadiusMessageDump[] {
  const messages: RadiusMessageDump[] = [];
  let current: RadiusMessageDump | null = null;
  let lastAttr: RadiusAttributeDump | null = null;
  for (const line of stdout.split('\n')) {
    const head = /^RADIUS message: code=(\d+) \(([^)]*)\) identifier=(\d+) length=(\d+)/.exec(line);
    if (head) {
      current = { code: +head[1], codeName: head[2], identifier: +head[3], length: +head[4], attributes: [] };
      messages.push(current);
      lastAttr = null;
      continue;
    }
    const attr = /^ {3}Attribute (\d+) \(([^)]*)\) length=(\d+)/.exec(line);
    if (attr && current) {
      lastAttr = { type: +attr[1], name: attr[2], length: +attr[3] };
      current.attributes.push(lastAttr);
      continue;
    }
    const value = /^ {6}Value: (.*)$/.exec(line);
    if (value && lastAttr) {
      lastAttr.value = value[1];
      continue;
    }
    current = null;
    lastAttr = null;
  }
  return messages;
}

export function parseEapolTestOutput(stdout: string, exitCode: number | null): ParsedOutput {
  const send = last(hexdumps(stdout, /MS-MPPE-Send-Key \(sign\)/));
  const recv = last(hexdumps(stdout, /MS-MPPE-Recv-Key \(crypt\)/));
  const peer = last(hexdumps(stdout, /EAP-(?:PEAP|TTLS|TLS|FAST|TEAP): Derived key/).filter((b) => b.length === 64));
  const pmk = last(hexdumps(stdout, /PMK from EAPOL/));
  const mppe = /^MPPE keys OK: (\d+) {2}mismatch: (\d+)$/m.exec(stdout);
  const radiusMessages = parseRadiusDumps(stdout);
  const accept = last(radiusMessages.filter((m) => m.code === 2));
  return {
    success: exitCode === 0 && /^SUCCESS$/m.test(stdout),
    mppeOk: mppe !== null && Number(mppe[1]) > 0 && Number(mppe[2]) === 0,
    msk: send && recv ? Buffer.concat([recv, send]) : null,
    mppeSendKey: send,
    mppeRecvKey: recv,
    peerMsk: peer,
    pmk,
    radiusMessages,
    accept,
    exitCode,
  };
}
