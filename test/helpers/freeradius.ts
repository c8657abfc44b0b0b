/**
 * Start a private FreeRADIUS 3.2 instance for a test.
 *
 * The configuration is written from scratch into a fresh temp dir (a minimal radiusd.conf with
 * only the modules the tests need: eap with PEAP/MSCHAPv2 and TTLS/PAP, mschap, pap, files,
 * detail), so nothing depends on the state of /etc/freeradius and nothing touches it. The
 * dictionaries come from the package's /usr/share/freeradius. Test certificates are generated
 * with the `openssl` CLI, which the Debian freeradius-config package depends on (it makes its
 * own snakeoil-style certs with it), so it is present wherever FreeRADIUS is.
 *
 * Two modes:
 *  - AAA server (default): authenticates the configured users, puts their reply attributes in
 *    the Access-Accept (for PEAP/TTLS they are copied out of the inner tunnel), answers
 *    accounting and records it in a detail file;
 *  - plain proxy (`proxyTo`): forwards every Access-/Accounting-Request to another RADIUS
 *    server, untouched (used as the baseline when benchmarking the KMS proxy).
 */
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { spawnManaged, runChecked, makeTempDir, tail, type ManagedProcess, type Netns } from './netns.js';

/** A RADIUS client (NAS) allowed to talk to this server. */
export interface RadiusClientSpec {
  /** IPv4/IPv6 address or prefix (`10.1.0.0/16`). */
  address: string;
  secret: string;
  /** FreeRADIUS 3.2.1 per-client option: drop Access-Requests without Message-Authenticator. */
  requireMessageAuthenticator?: boolean;
}

/** One attribute of a user's Access-Accept, as FreeRADIUS names it in its dictionaries. */
export interface ReplyAttribute {
  /** Dictionary name, e.g. `Tunnel-Private-Group-Id`, `Aruba-User-Role`. */
  name: string;
  /**
   * Numbers are written bare; `0x…` hex strings are written bare too, which FreeRADIUS reads as
   * octets (e.g. MS-MPPE-Recv-Key for a PAP-only AAA server); any other string is quoted
   * (FreeRADIUS also parses a quoted enum name such as "VLAN" for an integer attribute).
   */
  value: string | number;
}

export interface RadiusUser {
  name: string;
  /** Cleartext password: enough for PAP, MSCHAPv2 (PEAP) and TTLS/PAP. */
  password: string;
  reply?: ReplyAttribute[];
}

export interface ProxyTarget {
  address: string;
  authPort: number;
  /** Default: authPort + 1. */
  acctPort?: number;
  secret: string;
}

export interface FreeRadiusOptions {
  /** Listen address (inside `netns` if given). Default 127.0.0.1. */
  address?: string;
  /** Default: a free port. */
  authPort?: number;
  /** Default: a free port. */
  acctPort?: number;
  /** Secret of the default client. Default `testing123`. */
  secret?: string;
  /** Default: `[{ address: '127.0.0.1', secret }]`. */
  clients?: RadiusClientSpec[];
  /** Default: DEFAULT_USERS. */
  users?: RadiusUser[];
  /** Run FreeRADIUS inside this network namespace. */
  netns?: Netns | string;
  /** Make this instance a plain proxy to another RADIUS server instead of an AAA server. */
  proxyTo?: ProxyTarget;
  /**
   * `true` (default): `-X` — full per-request debug log, single-threaded.
   * `false`: `-f -l stdout` — threaded, only Info lines; use for benchmarks.
   */
  debug?: boolean;
  /**
   * Log a line per authentication ("Login OK", log.auth). Default true: tests wait for these
   * lines. Benchmarks turn it off, as FreeRADIUS ships it, so no server pays for logging.
   */
  authLog?: boolean;
  /**
   * AAA mode: every Access-Reject carries this Reply-Message (post-auth REJECT, as operators
   * configure a reason the user or helpdesk sees). Default none.
   */
  rejectReplyMessage?: string;
  /**
   * Also listen for RadSec (RFC 6614: auth+acct over TLS on TCP) with this server certificate;
   * clients must present a certificate signed by `ca` and connect from `clientAddress`.
   */
  radsec?: RadsecListenSpec;
  /**
   * Users whose Access-Requests FreeRADIUS silently discards (control:Response-Packet-Type :=
   * Do-Not-Respond, FreeRADIUS's `do_not_respond` policy): a request a real server drops.
   */
  silentUsers?: string[];
  /** Default 120 s: only a bound for a hung start (a busy CI machine can be slow to load OpenSSL and the dictionaries). */
  readyTimeoutMs?: number;
}

export interface RadsecListenSpec {
  /** Default: a free TCP port. */
  port?: number;
  certificateFile: string;
  keyFile: string;
  /** CA for client certificates. */
  caFile: string;
  /** Default 127.0.0.1. */
  clientAddress?: string;
  /** Default `radsec` (RFC 6614 §2.3). */
  secret?: string;
}

export interface FreeRadiusHandle {
  /** Address the server listens on (what clients should send to). */
  readonly address: string;
  readonly authPort: number;
  readonly acctPort: number;
  /** Secret of the default client. */
  readonly secret: string;
  /** The RadSec (TLS) port, when `radsec` was given. */
  readonly radsecPort: number | null;
  /** CA that signed the EAP server certificate: give it to supplicants as `ca_cert`. */
  readonly caCertPath: string;
  /** Private raddb (config, certs, logs). Removed by stop() unless KMS_TEST_KEEP=1. */
  readonly dir: string;
  readonly pid: number;
  /** Milliseconds from spawn to "Ready to process requests". */
  readonly startupMs: number;
  /** Everything FreeRADIUS printed so far. */
  logs(): string;
  /** Accounting requests received so far, as FreeRADIUS's detail file (AAA mode only). */
  accountingLog(): Promise<string>;
  /** Position in the log, for `waitForLog(…, { since })`. */
  logMark(): number;
  waitForLog(pattern: RegExp, timeoutMs?: number, since?: number): Promise<RegExpExecArray>;
  /** Stop the server (SIGTERM, then SIGKILL), wait for it, remove the temp dir. */
  stop(): Promise<void>;
}

/** Reply attributes that put a station on a VLAN (RFC 3580 §3.31). */
export function vlanReply(vlanId: number): ReplyAttribute[] {
  return [
    { name: 'Tunnel-Type', value: 'VLAN' },
    { name: 'Tunnel-Medium-Type', value: 'IEEE-802' },
    { name: 'Tunnel-Private-Group-Id', value: String(vlanId) },
  ];
}

/**
 * Default users: `alice` (with a typical enterprise reply: VLAN 100, Filter-Id, Session-Timeout,
 * Class, Chargeable-User-Identity and an Aruba-User-Role VSA — vendor 14823 type 1) and a
 * machine account as Windows presents it, usable with PEAP/MSCHAPv2.
 */
export const DEFAULT_USERS: readonly RadiusUser[] = [
  {
    name: 'alice',
    password: 'password',
    reply: [
      ...vlanReply(100),
      { name: 'Filter-Id', value: 'staff-acl' },
      { name: 'Session-Timeout', value: 3600 },
      { name: 'Class', value: 'kms-test-class-alice' },
      { name: 'Chargeable-User-Identity', value: 'cui-alice-0001' },
      { name: 'Aruba-User-Role', value: 'employee' },
    ],
  },
  { name: 'bob', password: 'hunter2hunter2' },
  { name: 'host/laptop1.example.com', password: 'machine-secret-1' },
];

export const DEFAULT_SECRET = 'testing123';

/** Start FreeRADIUS and resolve once it is ready to process requests. */
export async function startFreeRadius(options: FreeRadiusOptions = {}): Promise<FreeRadiusHandle> {
  const secret = options.secret ?? DEFAULT_SECRET;
  const address = options.address ?? '127.0.0.1';
  const authPort = options.authPort ?? (await freeUdpPort());
  const acctPort = options.acctPort ?? (await freeUdpPort([authPort]));
  const clients = options.clients ?? [{ address: '127.0.0.1', secret }];
  const users = options.users ?? DEFAULT_USERS;
  const debug = options.debug ?? true;
  const radsec = options.radsec ? { ...options.radsec, port: options.radsec.port ?? (await freeTcpPort()) } : undefined;

  const temp = await makeTempDir('freeradius');
  const dir = temp.path;
  const removeDir = temp.remove;

  let proc: ManagedProcess | undefined;
  try {
    await writeRaddb(dir, {
      address,
      authPort,
      acctPort,
      clients,
      users,
      proxyTo: options.proxyTo,
      authLog: options.authLog ?? true,
      ...(options.rejectReplyMessage !== undefined ? { rejectReplyMessage: options.rejectReplyMessage } : {}),
      radsec,
      silentUsers: options.silentUsers ?? [],
    });
    // -X is -sfxx: single-threaded, which FreeRADIUS refuses for TLS listeners; -fxx is the same debug output, threaded.
    const args = debug
      ? [radsec ? '-fxx' : '-X', ...(radsec ? ['-l', 'stdout'] : []), '-n', 'radiusd', '-d', dir]
      : ['-f', '-l', 'stdout', '-n', 'radiusd', '-d', dir];
    const started = performance.now();
    proc = spawnManaged('freeradius', args, { netns: options.netns });
    await proc.waitForLine(/Ready to process requests/, { timeoutMs: options.readyTimeoutMs ?? 120_000 });
    const startupMs = performance.now() - started;
    const p = proc;
    return {
      address,
      authPort,
      acctPort,
      secret,
      radsecPort: radsec?.port ?? null,
      caCertPath: join(dir, 'certs', 'ca.pem'),
      dir,
      pid: p.pid,
      startupMs,
      logs: () => p.output(),
      accountingLog: async () => {
        const file = join(dir, 'acct', 'detail');
        return existsSync(file) ? readFile(file, 'utf8') : '';
      },
      logMark: () => p.mark(),
      waitForLog: (pattern, timeoutMs = 10_000, since) => p.waitForLine(pattern, { timeoutMs, since }),
      stop: async () => {
        await p.stop();
        await removeDir();
      },
    };
  } catch (err) {
    const output = proc ? tail(proc.output(), 60) : '';
    await proc?.stop();
    await removeDir();
    throw new Error(`FreeRADIUS failed to start: ${(err as Error).message}\n${output}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

/**
 * A UDP port that is free on this host right now (bind to 0, read, close). There is a small
 * race until FreeRADIUS binds it; test files run one at a time, so it does not bite in practice.
 */
export async function freeUdpPort(avoid: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const sock = createSocket('udp4');
      sock.once('error', reject);
      sock.bind(0, '127.0.0.1', () => {
        const p = sock.address().port;
        sock.close(() => resolve(p));
      });
    });
    if (!avoid.includes(port)) return port;
  }
  throw new Error('no free UDP port found');
}

/** A TCP port free on 127.0.0.1 right now (same small race as freeUdpPort). */
export async function freeTcpPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Configuration rendering
// ---------------------------------------------------------------------------------------------

interface RaddbParams {
  address: string;
  authPort: number;
  acctPort: number;
  clients: readonly RadiusClientSpec[];
  users: readonly RadiusUser[];
  proxyTo?: ProxyTarget;
  authLog: boolean;
  rejectReplyMessage?: string;
  radsec?: RadsecListenSpec & { port: number };
  silentUsers?: readonly string[];
}

async function writeRaddb(dir: string, params: RaddbParams): Promise<void> {
  for (const sub of ['certs', 'logs', 'run', 'acct']) await mkdir(join(dir, sub), { recursive: true });
  if (!params.proxyTo) await generateCertificates(join(dir, 'certs'));
  await writeFile(join(dir, 'users'), renderUsers(params.users));
  await writeFile(join(dir, 'radiusd.conf'), renderRadiusdConf(dir, params));
}

/** Attribute names go into the config verbatim, so allow only dictionary-style names. */
function checkAttributeName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*(:\d+)?$/.test(name)) throw new Error(`bad RADIUS attribute name: ${name}`);
  return name;
}

/** A double-quoted FreeRADIUS string. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Config values that are not free text (secrets, addresses) must not break out of the syntax. */
function safeToken(value: string, what: string): string {
  if (/["\\\n\r{}#]/.test(value)) throw new Error(`unsupported character in ${what}: ${value}`);
  return value;
}

function renderValue(value: string | number): string {
  if (typeof value === 'number') return String(value);
  return /^0x(?:[0-9a-fA-F]{2})+$/.test(value) ? value : quote(value);
}

/** The `users` file for the `files` module: one entry per user, reply items indented. */
export function renderUsers(users: readonly RadiusUser[]): string {
  return users
    .map((u) => {
      const head = `${quote(u.name)} Cleartext-Password := ${quote(u.password)}`;
      const reply = (u.reply ?? []).map((a) => `\t${checkAttributeName(a.name)} += ${renderValue(a.value)}`);
      return reply.length ? `${head}\n${reply.join(',\n')}\n` : `${head}\n`;
    })
    .join('\n');
}

/** Names of all reply attributes any user has (without tags): what must leave the tunnel. */
function replyAttributeNames(users: readonly RadiusUser[]): string[] {
  const names = new Set<string>();
  for (const u of users) for (const a of u.reply ?? []) names.add(checkAttributeName(a.name).split(':')[0]);
  return [...names];
}

function renderClients(clients: readonly RadiusClientSpec[]): string {
  return clients
    .map(
      (c, i) => `client c${i} {
\tipaddr = ${safeToken(c.address, 'client address')}
\tsecret = ${quote(c.secret)}
\trequire_message_authenticator = ${c.requireMessageAuthenticator ? 'yes' : 'no'}
\tnas_type = other
}`,
    )
    .join('\n');
}

/**
 * FreeRADIUS's RadSec listener, as its sites-available/tls has it: auth+acct over TCP with TLS,
 * client certificates required, clients from the `radsec` section (proto = tls).
 */
function renderRadsecListen(r: RadsecListenSpec & { port: number }, address: string): string {
  const file = (f: string, what: string) => quote(safeToken(f, what));
  return `\tlisten {
\t\ttype = auth+acct
\t\tipaddr = ${address}
\t\tport = ${r.port}
\t\tproto = tcp
\t\tclients = radsec
\t\tlimit {
\t\t\tmax_connections = 64
\t\t\tlifetime = 0
\t\t\tidle_timeout = 0
\t\t}
\t\ttls {
\t\t\tprivate_key_file = ${file(r.keyFile, 'radsec key file')}
\t\t\tcertificate_file = ${file(r.certificateFile, 'radsec certificate file')}
\t\t\tca_file = ${file(r.caFile, 'radsec CA file')}
\t\t\tcipher_list = "DEFAULT"
\t\t\ttls_min_version = "1.2"
\t\t\ttls_max_version = "1.3"
\t\t\trequire_client_cert = yes
\t\t\tcache {
\t\t\t\tenable = no
\t\t\t}
\t\t}
\t}`;
}

function renderRadsecClients(r: RadsecListenSpec): string {
  return `clients radsec {
\tclient kms {
\t\tipaddr = ${safeToken(r.clientAddress ?? '127.0.0.1', 'radsec client address')}
\t\tproto = tls
\t\tsecret = ${quote(r.secret ?? 'radsec')}
\t\trequire_message_authenticator = no
\t}
}`;
}

function renderListen(p: RaddbParams): string {
  const addr = safeToken(p.address, 'listen address');
  const key = addr.includes(':') ? 'ipv6addr' : 'ipaddr';
  const radsec = p.radsec ? `${renderRadsecListen(p.radsec, addr)}\n` : '';
  return (
    radsec +
    ['auth', 'acct']
      .map(
        (type) => `\tlisten {
\t\ttype = ${type}
\t\t${key} = ${addr}
\t\tport = ${type === 'auth' ? p.authPort : p.acctPort}
\t}`,
      )
      .join('\n')
  );
}

/**
 * The EAP module: PEAP (inner EAP-MSCHAPv2) and TTLS (inner PAP, or EAP-MSCHAPv2/MD5), both
 * handing the inner conversation to the `inner-tunnel` virtual server. TLS is capped at 1.2
 * because wpa_supplicant/eapol_test 2.10 disable TLS 1.3 for PEAP/TTLS by default.
 */
function renderEapModule(): string {
  return `\teap {
\t\tdefault_eap_type = peap
\t\ttimer_expire = 60
\t\tmax_sessions = 16384
\t\ttls-config tls-common {
\t\t\tprivate_key_file = \${certdir}/server.key
\t\t\tcertificate_file = \${certdir}/server.pem
\t\t\tca_file = \${certdir}/ca.pem
\t\t\tcipher_list = "DEFAULT"
\t\t\tecdh_curve = "prime256v1"
\t\t\ttls_min_version = "1.2"
\t\t\ttls_max_version = "1.2"
\t\t\tcache {
\t\t\t\tenable = no
\t\t\t}
\t\t}
\t\tpeap {
\t\t\ttls = tls-common
\t\t\tdefault_eap_type = mschapv2
\t\t\tvirtual_server = "inner-tunnel"
\t\t}
\t\tttls {
\t\t\ttls = tls-common
\t\t\tdefault_eap_type = mschapv2
\t\t\tvirtual_server = "inner-tunnel"
\t\t}
\t\tmschapv2 {
\t\t}
\t\tmd5 {
\t\t}
\t}`;
}

function renderModules(proxy: boolean): string {
  const common = `\talways ok {
\t\trcode = ok
\t}
\talways reject {
\t\trcode = reject
\t}
\tdetail acct_detail {
\t\tfilename = \${confdir}/acct/detail
\t\tpermissions = 0600
\t\theader = "%t"
\t}`;
  if (proxy) return common;
  return `${common}
\tpap {
\t}
\tmschap {
\t}
\tfiles {
\t\tfilename = \${confdir}/users
\t}
${renderEapModule()}`;
}

/**
 * AAA mode. The outer server runs EAP only (so no user attributes leak into Access-Challenges);
 * plain PAP requests (no EAP-Message) are served from the users file directly. For PEAP/TTLS
 * the inner-tunnel server authenticates the real identity, copies the user's reply attributes
 * into the outer session-state, and the outer post-auth moves them into the final Accept.
 */
function renderAaaServers(p: RaddbParams): string {
  const names = replyAttributeNames(p.users);
  const toOuter = names.map((n) => `\t\t\t&outer.session-state:${n} += &reply:${n}[*]`).join('\n');
  const fromState = names.map((n) => `\t\t\t&reply:${n} += &session-state:${n}[*]`).join('\n');
  const copyBlock = (body: string): string => (body ? `\t\tupdate {\n${body}\n\t\t}` : '');
  const silent = (p.silentUsers ?? [])
    .map(
      (u) => `\t\tif (&User-Name == ${quote(u)}) {
\t\t\tupdate control {
\t\t\t\t&Response-Packet-Type := Do-Not-Respond
\t\t\t}
\t\t\treturn
\t\t}`,
    )
    .join('\n');
  return `server default {
${renderListen(p)}
\tauthorize {
${silent}
\t\tif (&EAP-Message) {
\t\t\teap {
\t\t\t\tok = return
\t\t\t\tupdated = return
\t\t\t}
\t\t\treject
\t\t}
\t\tfiles
\t\tpap
\t}
\tauthenticate {
\t\tAuth-Type eap {
\t\t\teap
\t\t}
\t\tAuth-Type PAP {
\t\t\tpap
\t\t}
\t}
\tpreacct {
\t}
\taccounting {
\t\tacct_detail
\t\tok
\t}
\tpost-auth {
${copyBlock(fromState)}
${ALWAYS_SIGN}
\t\tPost-Auth-Type REJECT {
\t\t\teap
${p.rejectReplyMessage === undefined ? '' : `\t\t\tupdate reply {\n\t\t\t\t&Reply-Message := ${quote(p.rejectReplyMessage)}\n\t\t\t}`}
${ALWAYS_SIGN}
\t\t}
\t}
}

server inner-tunnel {
\tauthorize {
\t\tfiles
\t\tmschap
\t\teap {
\t\t\tok = return
\t\t\tupdated = return
\t\t}
\t\tpap
\t}
\tauthenticate {
\t\tAuth-Type PAP {
\t\t\tpap
\t\t}
\t\tAuth-Type MS-CHAP {
\t\t\tmschap
\t\t}
\t\tAuth-Type eap {
\t\t\teap
\t\t}
\t}
\tpost-auth {
${copyBlock(toOuter)}
\t}
}
`;
}

/**
 * FreeRADIUS 3.2.1 (Debian 12) signs EAP answers with Message-Authenticator but not PAP ones;
 * 3.2.5+ signs everything (BlastRADIUS). The KMS requires MA on every answer, so the test AAA
 * server asks for it explicitly, as BlastRADIUS guidance tells operators of older servers to do.
 */
const ALWAYS_SIGN = '\t\tupdate reply {\n\t\t\t&Message-Authenticator := 0x00\n\t\t}';

/** Proxy mode: every request goes to the realm `upstream`, whose home servers are `proxyTo`. */
function renderProxyServers(p: RaddbParams, target: ProxyTarget): string {
  const addr = safeToken(target.address, 'proxy target address');
  const home = (type: 'auth' | 'acct', port: number): string => `home_server hs_${type} {
\ttype = ${type}
\tipaddr = ${addr}
\tport = ${port}
\tsecret = ${quote(target.secret)}
\tresponse_window = 20
\tzombie_period = 40
\trevive_interval = 10
\tstatus_check = none
}
home_server_pool pool_${type} {
\ttype = fail-over
\thome_server = hs_${type}
}`;
  return `proxy server {
\tdefault_fallback = no
}
${home('auth', target.authPort)}
${home('acct', target.acctPort ?? target.authPort + 1)}
realm upstream {
\tauth_pool = pool_auth
\tacct_pool = pool_acct
\tnostrip
}

server default {
${renderListen(p)}
\tauthorize {
\t\tupdate control {
\t\t\t&Proxy-To-Realm := "upstream"
\t\t}
\t}
\tauthenticate {
\t}
\tpreacct {
\t\tupdate control {
\t\t\t&Proxy-To-Realm := "upstream"
\t\t}
\t}
\taccounting {
\t\tok
\t}
\tpost-auth {
\t}
}
`;
}

/** A self-contained radiusd.conf (no $INCLUDEs of the system tree). */
export function renderRadiusdConf(dir: string, p: RaddbParams): string {
  const proxy = p.proxyTo !== undefined;
  return `# Generated by test/helpers/freeradius.ts for one test run.
prefix = /usr
exec_prefix = /usr
confdir = ${dir}
raddbdir = ${dir}
certdir = \${confdir}/certs
logdir = \${confdir}/logs
run_dir = \${confdir}/run
db_dir = \${confdir}
libdir = /usr/lib/freeradius
dictdir = /usr/share/freeradius
pidfile = \${run_dir}/radiusd.pid
name = radiusd
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
\tdestination = stdout
\tcolourise = no
\tauth = ${p.authLog ? 'yes' : 'no'}
\tauth_badpass = no
\tauth_goodpass = no
}
security {
\tallow_core_dumps = no
\tmax_attributes = 200
\treject_delay = 0
\tstatus_server = yes
}
proxy_requests = ${proxy ? 'yes' : 'no'}
thread pool {
\tstart_servers = 4
\tmax_servers = 32
\tmin_spare_servers = 2
\tmax_spare_servers = 16
\tmax_requests_per_server = 0
\tauto_limit_acct = no
}
${renderClients(p.clients)}
${p.radsec ? renderRadsecClients(p.radsec) : ''}
modules {
${renderModules(proxy)}
}
${proxy ? renderProxyServers(p, p.proxyTo!) : renderAaaServers(p)}`;
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

/**
 * A throw-away CA and an EAP server certificate (ECDSA P-256: generation takes milliseconds).
 * The server cert carries the serverAuth EKU, which Windows-style supplicants insist on.
 */
export async function generateCertificates(certDir: string): Promise<void> {
  const f = (name: string): string => join(certDir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await runChecked('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '30',
    '-subj',
    '/O=hostapd-kms tests/CN=KMS Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await runChecked('openssl', [
    'req',
    ...ec,
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/O=hostapd-kms tests/CN=radius.test',
  ]);
  await writeFile(
    f('server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:radius.test\n',
  );
  await runChecked('openssl', [
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-set_serial',
    '2',
    '-out',
    f('server.pem'),
    '-days',
    '30',
    '-extfile',
    f('server.ext'),
  ]);
}
