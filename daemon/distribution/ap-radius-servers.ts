import { digest } from '../common/digest.js';

// The RADIUS servers an AP is given, in the order hostapd tries them (docs/cluster.md, "What the
// APs are given"). One KMS: the KMS alone, the lines kmsctl ap-config always printed. A cluster:
// every member, in an order of the AP's own so that the APs start spread over the members.
// --fallback-aaa: the AAA server itself last, so that logins go on with every KMS down.
//
// What hostapd does with several servers (src/radius/radius_client.c, the same in 2.10 and 2.11):
// it sends to the current server and moves to the next in file order once a request has gone
// unanswered four times (3 + 6 + 12 + 24 s: about 45 s, fixed at build time), wrapping after the
// last; it stays on the server it moved to. Requests still pending move with it when the new
// server has the same secret, which is why every entry here carries the AP's one secret.

export interface RadiusServer {
  /** A cluster member's name, "kms" for a single KMS, or the AAA server's name. */
  name: string;
  address: string;
  authPort: number;
  acctPort: number;
  role: 'kms' | 'member' | 'aaa';
}

export interface ApClusterInputs {
  members: readonly { name: string; radiusAddress: string }[];
  /** cluster.leaseTtlS: a survivor holds the KMS MAC at most this long after its holder died. */
  leaseTtlS: number;
}

/** The first of radius.upstreams, as the AP reaches it directly. */
export interface FallbackAaaInputs {
  name: string;
  address: string;
  authPort: number;
  acctPort: number;
}

export interface RadiusServerInputs {
  apName: string;
  kmsRadiusAddress: string;
  /** The KMS's ports; every member listens on the same ones (the member entries carry only addresses). */
  authPort: number;
  acctPort: number;
  radiusSecret: string;
  cluster?: ApClusterInputs;
  fallbackAaa?: FallbackAaaInputs;
}

/**
 * Rendezvous (highest random weight) order of the members for one AP: each member's weight is a
 * hash of (AP, member), highest first. Deterministic across runs and machines, even over the APs,
 * and adding or removing a member moves only the APs that had it first.
 */
export function rendezvousOrder<M extends { name: string }>(apName: string, members: readonly M[]): M[] {
  const weight = (m: M) => digest('sha256', Buffer.from(`${apName}\n${m.name}`, 'utf8')).readBigUInt64BE(0);
  return members
    .map((m) => ({ m, w: weight(m) }))
    .sort((a, b) => (a.w === b.w ? (a.m.name < b.m.name ? -1 : 1) : a.w > b.w ? -1 : 1))
    .map((x) => x.m);
}

export function radiusServersOf(i: RadiusServerInputs): RadiusServer[] {
  const ports = { authPort: i.authPort, acctPort: i.acctPort };
  const kms: RadiusServer[] = i.cluster
    ? rendezvousOrder(i.apName, i.cluster.members).map((m) => ({ name: m.name, address: m.radiusAddress, ...ports, role: 'member' }))
    : [{ name: 'kms', address: i.kmsRadiusAddress, ...ports, role: 'kms' }];
  return i.fallbackAaa ? [...kms, { ...i.fallbackAaa, role: 'aaa' }] : kms;
}

/** One KMS and nothing else: the output stays what it always was. */
function single(i: RadiusServerInputs): boolean {
  return !i.cluster && !i.fallbackAaa;
}

function orderComments(i: RadiusServerInputs, servers: RadiusServer[]): string[] {
  const named = servers.map((s) => `${s.role === 'kms' ? 'the KMS' : s.name} (${s.address})`);
  const aaa = servers.find((s) => s.role === 'aaa');
  return [
    `RADIUS: ${servers.length} servers, tried in this order: ${named.join(', ')}; hostapd uses the first and fails over to the next when one stops answering`,
    ...(i.cluster
      ? ["the KMS members come in this AP's own order (rendezvous hash of AP and member names): the APs start spread over the members"]
      : []),
    ...(aaa
      ? [
          `${aaa.name} is the AAA server itself (--fallback-aaa): it must have this AP as a RADIUS client, with this AP's secret`,
          'it is reached only with every KMS down: logins go on, but roams are then full EAP (no keys are placed)',
        ]
      : []),
  ];
}

/**
 * hostapd stays on the server it failed over to. With the AAA server last that would be for good:
 * an AP that reached it would never come back to the KMS and its fast roams. Going back to the first
 * server now and then costs a failover wait each time that server is still down.
 */
const RETRY_PRIMARY_S = 600;

function retryPrimary(i: RadiusServerInputs): { comment: string; line: string } | null {
  if (!i.fallbackAaa) return null;
  return {
    comment: `back to the first server every ${RETRY_PRIMARY_S} s, so an AP that fell back to the AAA server returns to the KMS; while that server is still down each return costs a failover (about 45 s of stalled logins)`,
    line: `radius_retry_primary_interval=${RETRY_PRIMARY_S}`,
  };
}

/**
 * A cluster moves the one KMS MAC to a survivor within cluster.leaseTtlS. A PULL lost meanwhile
 * makes hostapd block the R0KH-ID for rkh_neg_timeout (60 s by default, the same in 2.10 and 2.11):
 * every PULL for it then fails at once. A block as long as a takeover is enough. The PULL's own
 * timeout and retries (1000 ms, 4) stay: together they already outlast a takeover of default length.
 */
export function rkhNegTimeout(cluster: ApClusterInputs | undefined): { comment: string; line: string } | null {
  if (!cluster) return null;
  return {
    comment: `cluster: a R0KH-ID whose PULL went unanswered (the KMS MAC moving to another member) is blocked ${cluster.leaseTtlS} s (cluster.leaseTtlS), not hostapd's default 60`,
    line: `rkh_neg_timeout=${cluster.leaseTtlS}`,
  };
}

export function radiusHostapdLines(i: RadiusServerInputs): string[] {
  const servers = radiusServersOf(i);
  const head = single(i) ? ["RADIUS: the KMS is this AP's authentication and accounting server"] : orderComments(i, servers);
  const retry = retryPrimary(i);
  return [
    ...head.map((c) => `# ${c}`),
    'ieee8021x=1',
    ...servers.flatMap((s) => [
      `auth_server_addr=${s.address}`,
      `auth_server_port=${s.authPort}`,
      `auth_server_shared_secret=${i.radiusSecret}`,
      // One KMS: its acct lines follow its auth lines, as before; several: each server's pair together.
      ...(single(i) ? [] : acctLines(s, i.radiusSecret)),
    ]),
    ...(single(i) ? acctLines(servers[0]!, i.radiusSecret) : []),
    ...(retry ? [`# ${retry.comment}`, retry.line] : []),
  ];
}

function acctLines(s: RadiusServer, secret: string): string[] {
  return [`acct_server_addr=${s.address}`, `acct_server_port=${s.acctPort}`, `acct_server_shared_secret=${secret}`];
}

/**
 * OpenWrt's wifi scripts (hostapd.sh and the ucode ap.uc of package wifi-scripts) take auth_server
 * and acct_server as lists but one auth_port/auth_secret and one acct_port/acct_secret for all of
 * them. A server on other ports goes in hostapd_bss_options, raw lines the scripts write after
 * everything else in the BSS, so it still comes last. hostapd.sh splits those at whitespace.
 */
export function radiusUciLines(i: RadiusServerInputs, q: (v: string | number) => string): string[] {
  const servers = radiusServersOf(i);
  if (single(i)) {
    const s = servers[0]!;
    return [
      `\toption auth_server ${q(s.address)}`,
      `\toption auth_port ${q(s.authPort)}`,
      `\toption auth_secret ${q(i.radiusSecret)}`,
      `\toption acct_server ${q(s.address)}`,
      `\toption acct_port ${q(s.acctPort)}`,
      `\toption acct_secret ${q(i.radiusSecret)}`,
    ];
  }
  const listed = servers.filter((s) => s.authPort === i.authPort && s.acctPort === i.acctPort);
  const raw = servers.filter((s) => !listed.includes(s));
  const retry = retryPrimary(i);
  const rawLines = [
    ...raw.flatMap((s) => [
      `auth_server_addr=${s.address}`,
      `auth_server_port=${s.authPort}`,
      `auth_server_shared_secret=${i.radiusSecret}`,
      ...acctLines(s, i.radiusSecret),
    ]),
    ...(retry ? [retry.line] : []),
  ];
  if (raw.length > 0 && /\s/.test(i.radiusSecret))
    throw new Error(
      `AP ${i.apName}'s RADIUS secret contains whitespace: OpenWrt's hostapd.sh splits hostapd_bss_options at it, so the server on other ports (${raw.map((s) => s.name).join(', ')}) cannot be given; use --format hostapd`,
    );
  return [
    ...orderComments(i, servers).map((c) => `\t# ${c}`),
    '\t# OpenWrt gives every listed server the one auth_port/auth_secret and acct_port/acct_secret below (its wifi scripts must take auth_server as a list)',
    ...listed.map((s) => `\tlist auth_server ${q(s.address)}`),
    `\toption auth_port ${q(i.authPort)}`,
    `\toption auth_secret ${q(i.radiusSecret)}`,
    ...listed.map((s) => `\tlist acct_server ${q(s.address)}`),
    `\toption acct_port ${q(i.acctPort)}`,
    `\toption acct_secret ${q(i.radiusSecret)}`,
    ...(raw.length > 0
      ? [
          `\t# ${raw.map((s) => `${s.name} listens on ${s.authPort}/${s.acctPort}`).join(', ')}, not the KMS's ${i.authPort}/${i.acctPort}: OpenWrt has one auth_port for all listed servers, so it comes as raw hostapd lines (written after the listed servers)`,
        ]
      : []),
    ...(retry ? [`\t# ${retry.comment}; OpenWrt has no option for it`] : []),
    ...rawLines.map((l) => `\tlist hostapd_bss_options ${q(l)}`),
  ];
}
