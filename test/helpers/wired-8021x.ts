/**
 * Real IEEE 802.1X over Ethernet, no radio needed: hostapd `-Dwired` as the authenticator (a
 * genuine hostapd RADIUS client — the same code that talks to the KMS from an AP) and
 * wpa_supplicant `-Dwired` as the station, each in its own network namespace, joined by a veth
 * pair. The authenticator namespace gets an "uplink" veth to the root namespace (or to another
 * test namespace) carrying a private /30, so a RADIUS server listening in the root namespace —
 * FreeRADIUS, or the KMS running inside the test process — is reachable from hostapd, and
 * nothing can be routed anywhere else.
 *
 *   [sta ns] staPort ==veth== apPort [ap ns] uplink.apSide ==veth== uplink.peerSide [root ns]
 *   wpa_supplicant -Dwired        hostapd -Dwired  ----RADIUS---->  FreeRADIUS / KMS
 *
 * Key material for cross-checks comes from the debug logs (both run with `-d -K`):
 *  - hostapd prints the keys it decrypted from the Access-Accept,
 *    `MS-MPPE-Send-Key - hexdump(len=32): …` then `MS-MPPE-Recv-Key …`, followed by
 *    `<ifname>: CTRL-EVENT-EAP-SUCCESS2 <sta mac>`; its MSK is Recv ‖ Send;
 *  - wpa_supplicant prints the MSK its EAP method derived: `EAP-PEAP: Derived key - hexdump(len=64)`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNetns, createVeth, allocateSubnet30, makeTempDir, tail, type ManagedProcess, type Netns, type VethEnd } from './netns.js';

/**
 * hostapd, hostapd_cli, wpa_supplicant and wpa_cli come from PATH (Debian's 2.10), or from the folder
 * in LAB_HOSTAP_BIN (the lab's option of the same name): the same tests then check another build.
 */
export function hostapTool(name: 'hostapd' | 'hostapd_cli' | 'wpa_supplicant' | 'wpa_cli'): string {
  const dir = process.env.LAB_HOSTAP_BIN;
  return dir ? join(dir, name) : name;
}

// ---------------------------------------------------------------------------------------------
// Topology
// ---------------------------------------------------------------------------------------------

export interface WiredTopologyOptions {
  /**
   * Where the AP namespace's uplink goes: `'root'` (default; reach a server in the test
   * process's own namespace), another namespace, or `false` for none.
   */
  uplink?: 'root' | Netns | false;
  /** Fixed station MAC (default: random from the kernel). */
  staMac?: string;
  /** Fixed MAC of the AP port, which hostapd uses as its "BSSID" (Called-Station-Id). */
  apMac?: string;
}

export interface WiredUplink {
  /** Interface in the AP namespace. */
  apSide: VethEnd & { ip: string };
  /** Interface in the root (or given) namespace: bind the RADIUS server to `peerSide.ip`. */
  peerSide: VethEnd & { ip: string };
}

export interface WiredTopology {
  apNs: Netns;
  staNs: Netns;
  /** hostapd's interface (in apNs). */
  apPort: VethEnd;
  /** wpa_supplicant's interface (in staNs); its MAC is the station address. */
  staPort: VethEnd;
  uplink: WiredUplink | null;
  /** Delete both namespaces (and so every veth). Stop hostapd/wpa_supplicant first. */
  destroy(): Promise<void>;
}

export async function createWiredTopology(options: WiredTopologyOptions = {}): Promise<WiredTopology> {
  const apNs = await createNetns('ap');
  const staNs = await createNetns('sta');
  try {
    const port = await createVeth({ netns: apNs, mac: options.apMac }, { netns: staNs, mac: options.staMac });
    let uplink: WiredUplink | null = null;
    const target = options.uplink ?? 'root';
    if (target !== false) {
      const subnet = allocateSubnet30();
      const link = await createVeth(
        { netns: apNs, address: `${subnet.second}/30` },
        { netns: target === 'root' ? null : target, address: `${subnet.first}/30` },
      );
      uplink = { apSide: { ...link.a, ip: subnet.second }, peerSide: { ...link.b, ip: subnet.first } };
    }
    return {
      apNs,
      staNs,
      apPort: port.a,
      staPort: port.b,
      uplink,
      destroy: async () => {
        await apNs.destroy();
        await staNs.destroy();
      },
    };
  } catch (err) {
    await apNs.destroy();
    await staNs.destroy();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Authenticator (hostapd -Dwired)
// ---------------------------------------------------------------------------------------------

export interface RadiusServerRef {
  address: string;
  authPort: number;
  /** Default authPort + 1. */
  acctPort?: number;
  secret: string;
}

export interface WiredAuthenticatorOptions {
  /** Namespace and interface for hostapd; usually `topology.apNs` / `topology.apPort.ifname`. */
  netns: Netns;
  ifname: string;
  radius: RadiusServerRef;
  /** Send accounting (Accounting-On, Start/Stop) too. Default true. */
  accounting?: boolean;
  /** NAS-Identifier (the AP's R0KH-ID in Wi-Fi terms). Default `wired-ap-1.test`. */
  nasIdentifier?: string;
  /** NAS-IP-Address; use the uplink address (it is what FreeRADIUS sees as the source). */
  ownIpAddr: string;
  /** Extra hostapd.conf lines, verbatim. */
  extraConfig?: string[];
  readyTimeoutMs?: number;
}

export interface WiredAuthenticator {
  readonly pid: number;
  readonly ifname: string;
  readonly configPath: string;
  readonly ctrlDir: string;
  readonly startupMs: number;
  logs(): string;
  logMark(): number;
  waitForLog(pattern: RegExp, timeoutMs?: number, since?: number): Promise<RegExpExecArray>;
  /** MSK hostapd got from the Access-Accept for this station (Recv ‖ Send), from its debug log. */
  mskFor(staMac: string): Buffer | null;
  /** Run `hostapd_cli` against this instance, e.g. `['all_sta']`. */
  cli(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

function confLine(key: string, value: string | number): string {
  const v = String(value);
  if (/[\n\r]/.test(v)) throw new Error(`hostapd.conf value for ${key} contains a newline`);
  return `${key}=${v}`;
}

export function renderHostapdWiredConf(o: WiredAuthenticatorOptions, ctrlDir: string): string {
  const acctPort = o.radius.acctPort ?? o.radius.authPort + 1;
  const lines = [
    '# Generated by test/helpers/wired-8021x.ts',
    confLine('interface', o.ifname),
    'driver=wired',
    confLine('ctrl_interface', ctrlDir),
    'logger_stdout=-1',
    'logger_stdout_level=0',
    'ieee8021x=1',
    'eapol_version=2',
    // No periodic re-authentication during a test unless asked for.
    'eap_reauth_period=0',
    // Wired 802.1X uses the PAE group address 01:80:c2:00:00:03 for EAPOL.
    'use_pae_group_addr=1',
    confLine('nas_identifier', o.nasIdentifier ?? 'wired-ap-1.test'),
    confLine('own_ip_addr', o.ownIpAddr),
    confLine('auth_server_addr', o.radius.address),
    confLine('auth_server_port', o.radius.authPort),
    confLine('auth_server_shared_secret', o.radius.secret),
  ];
  if (o.accounting ?? true) {
    lines.push(
      confLine('acct_server_addr', o.radius.address),
      confLine('acct_server_port', acctPort),
      confLine('acct_server_shared_secret', o.radius.secret),
    );
  }
  lines.push(...(o.extraConfig ?? []));
  return lines.join('\n') + '\n';
}

/** Start hostapd and resolve once the interface is enabled (`AP-ENABLED`). */
export async function startWiredAuthenticator(o: WiredAuthenticatorOptions): Promise<WiredAuthenticator> {
  const temp = await makeTempDir('hostapd');
  const dir = temp.path;
  const ctrlDir = join(dir, 'ctrl');
  const configPath = join(dir, 'hostapd.conf');
  await writeFile(configPath, renderHostapdWiredConf(o, ctrlDir));
  const started = performance.now();
  const proc = o.netns.spawn(hostapTool('hostapd'), ['-d', '-K', configPath]);
  const cleanup = async (): Promise<void> => {
    await proc.stop();
    await temp.remove();
  };
  try {
    await proc.waitForLine(/AP-ENABLED/, { timeoutMs: o.readyTimeoutMs ?? 15_000 });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    pid: proc.pid,
    ifname: o.ifname,
    configPath,
    ctrlDir,
    startupMs: performance.now() - started,
    logs: () => proc.output(),
    logMark: () => proc.mark(),
    waitForLog: (pattern, timeoutMs = 15_000, since) => proc.waitForLine(pattern, { timeoutMs, since }),
    mskFor: (staMac) => hostapdMsks(proc.output()).get(staMac.toLowerCase()) ?? null,
    cli: (args) => ctrlCommand(o.netns, hostapTool('hostapd_cli'), ctrlDir, o.ifname, args),
    stop: cleanup,
  };
}

/** Hex payload of a `<label> - hexdump(len=N): xx …` debug line, or null. */
function hexdumpLine(line: string, label: string): Buffer | null {
  const idx = line.indexOf(`${label} - hexdump(len=`);
  if (idx !== 0) return null;
  const m = /hexdump\(len=(\d+)\):((?: [0-9a-f]{2})*)/.exec(line);
  if (!m) return null;
  const buf = Buffer.from(m[2].replace(/ /g, ''), 'hex');
  return buf.length === Number(m[1]) ? buf : null;
}

/**
 * Walk hostapd's log: remember the last MPPE key pair, attribute it to the station named by
 * the next `CTRL-EVENT-EAP-SUCCESS2 <mac>` (hostapd handles one Accept at a time, in order).
 */
export function hostapdMsks(log: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let send: Buffer | null = null;
  let recv: Buffer | null = null;
  for (const line of log.split('\n')) {
    send = hexdumpLine(line, 'MS-MPPE-Send-Key') ?? send;
    recv = hexdumpLine(line, 'MS-MPPE-Recv-Key') ?? recv;
    const ok = /CTRL-EVENT-EAP-SUCCESS2 ([0-9a-f:]{17})/.exec(line);
    if (ok && send && recv) {
      out.set(ok[1], Buffer.concat([recv, send]));
      send = recv = null;
    }
  }
  return out;
}

async function ctrlCommand(netns: Netns, tool: string, ctrlDir: string, ifname: string, args: string[]): Promise<string> {
  const r = await netns.run(tool, ['-p', ctrlDir, '-i', ifname, ...args], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// Supplicant (wpa_supplicant -Dwired)
// ---------------------------------------------------------------------------------------------

export interface WiredSupplicantOptions {
  /** Usually `topology.staNs` / `topology.staPort.ifname`. */
  netns: Netns;
  ifname: string;
  /** Default PEAP (inner MSCHAPv2); TTLS uses inner PAP. */
  method?: 'PEAP' | 'TTLS';
  identity?: string;
  password?: string;
  /** Default `anonymous`; null = real identity outside the tunnel. */
  anonymousIdentity?: string | null;
  caCertPath?: string;
  /** How long to wait for EAP success/failure. Default 30 s. */
  timeoutMs?: number;
  /** Leave wpa_supplicant running (for reauth/logoff tests); the caller must `stop()` it. */
  keepRunning?: boolean;
}

export interface WiredSupplicantResult {
  /** CTRL-EVENT-EAP-SUCCESS seen and `wpa_cli status` says the port is Authorized. */
  success: boolean;
  /** `failure` if the EAP conversation ended in EAP-Failure, `timeout` if nothing ended it. */
  outcome: 'success' | 'failure' | 'timeout';
  /** MSK the supplicant's EAP method derived (64 octets), from its debug log. */
  msk: Buffer | null;
  /** Spawn of wpa_supplicant → EAP success/failure. */
  durationMs: number;
  /** CTRL-EVENT-EAP-STARTED → EAP success/failure (the EAP exchange alone). */
  eapMs: number | null;
  /** `wpa_cli status` as key/value pairs (empty if it could not be read). */
  status: Record<string, string>;
  logs: string;
  /** Present with `keepRunning`: the still-running supplicant. */
  supplicant?: RunningSupplicant;
}

export interface RunningSupplicant {
  readonly pid: number;
  logs(): string;
  cli(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function renderWpaSupplicantWiredConf(o: WiredSupplicantOptions, ctrlDir: string): string {
  const method = o.method ?? 'PEAP';
  const q = (v: string): string => {
    if (/["\n\r]/.test(v)) throw new Error('wpa_supplicant strings cannot contain quotes or newlines');
    return `"${v}"`;
  };
  const anonymous = o.anonymousIdentity === undefined ? 'anonymous' : o.anonymousIdentity;
  return (
    [
      '# Generated by test/helpers/wired-8021x.ts',
      `ctrl_interface=${ctrlDir}`,
      // Wired: no scanning, just start EAPOL on the port.
      'ap_scan=0',
      'network={',
      '\tkey_mgmt=IEEE8021X',
      // No EAPOL-Key frames on a wired port: don't wait for dynamic WEP keys.
      '\teapol_flags=0',
      `\teap=${method}`,
      `\tidentity=${q(o.identity ?? 'alice')}`,
      anonymous === null ? '' : `\tanonymous_identity=${q(anonymous)}`,
      `\tpassword=${q(o.password ?? 'password')}`,
      `\tphase2=${q(method === 'PEAP' ? 'auth=MSCHAPV2' : 'auth=PAP')}`,
      o.caCertPath ? `\tca_cert=${q(o.caCertPath)}` : '',
      '}',
    ]
      .filter((l) => l !== '')
      .join('\n') + '\n'
  );
}

/** Parse `key=value` lines (wpa_cli status, hostapd_cli sta …). */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Last 64-octet `EAP-<method>: Derived key` hexdump in a wpa_supplicant debug log. */
export function supplicantMsk(log: string): Buffer | null {
  let msk: Buffer | null = null;
  for (const line of log.split('\n')) {
    const m = /^EAP-(?:PEAP|TTLS|TLS|FAST|TEAP): Derived key - hexdump\(len=64\):((?: [0-9a-f]{2})*)/.exec(line);
    if (m) msk = Buffer.from(m[1].replace(/ /g, ''), 'hex');
  }
  return msk?.length === 64 ? msk : null;
}

/**
 * Start wpa_supplicant on the station port, wait for the EAP conversation to end, read the
 * port status, and (unless `keepRunning`) stop it again.
 */
export async function runWiredSupplicant(o: WiredSupplicantOptions): Promise<WiredSupplicantResult> {
  const temp = await makeTempDir('wpas');
  const dir = temp.path;
  const ctrlDir = join(dir, 'ctrl');
  const configPath = join(dir, 'wpa_supplicant.conf');
  await writeFile(configPath, renderWpaSupplicantWiredConf(o, ctrlDir), { mode: 0o600 });

  const started = performance.now();
  const proc: ManagedProcess = o.netns.spawn(hostapTool('wpa_supplicant'), ['-Dwired', `-i${o.ifname}`, `-c${configPath}`, '-d', '-K']);
  const stop = async (): Promise<void> => {
    await proc.stop();
    await temp.remove();
  };

  let outcome: WiredSupplicantResult['outcome'] = 'timeout';
  let eapStartedAt: number | null = null;
  void proc.waitForLine(/CTRL-EVENT-EAP-STARTED/, { timeoutMs: o.timeoutMs ?? 30_000 }).then(
    () => (eapStartedAt = performance.now()),
    () => undefined,
  );
  try {
    const m = await proc.waitForLine(/CTRL-EVENT-EAP-(SUCCESS|FAILURE)/, { timeoutMs: o.timeoutMs ?? 30_000 });
    outcome = m[1] === 'SUCCESS' ? 'success' : 'failure';
  } catch {
    outcome = 'timeout';
  }
  const ended = performance.now();
  const cli = (args: string[]): Promise<string> => ctrlCommand(o.netns, hostapTool('wpa_cli'), ctrlDir, o.ifname, args);

  let status: Record<string, string> = {};
  if (outcome === 'success') {
    // The port is authorized a moment after EAP-Success (EAPOL state machine); poll briefly.
    status = await waitForStatus(cli, (s) => s.suppPortStatus === 'Authorized', 5_000);
  } else if (proc.isRunning()) {
    status = await cli(['status']).then(parseKeyValues, () => ({}));
  }

  const result: WiredSupplicantResult = {
    success: outcome === 'success' && status.suppPortStatus === 'Authorized' && status['EAP state'] === 'SUCCESS',
    outcome,
    msk: supplicantMsk(proc.output()),
    durationMs: ended - started,
    eapMs: eapStartedAt === null ? null : ended - eapStartedAt,
    status,
    logs: proc.output(),
  };
  if (o.keepRunning) {
    result.supplicant = { pid: proc.pid, logs: () => proc.output(), cli, stop };
  } else {
    await stop();
    result.logs = proc.output();
  }
  if (outcome === 'timeout' && !o.keepRunning) {
    result.logs += `\n[runWiredSupplicant] no EAP result within ${o.timeoutMs ?? 30_000} ms\n${tail(proc.output(), 5)}`;
  }
  return result;
}

async function waitForStatus(
  cli: (args: string[]) => Promise<string>,
  done: (s: Record<string, string>) => boolean,
  timeoutMs: number,
): Promise<Record<string, string>> {
  const deadline = performance.now() + timeoutMs;
  let status: Record<string, string> = {};
  while (performance.now() < deadline) {
    status = await cli(['status']).then(parseKeyValues, () => ({}));
    if (done(status)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return status;
}
