import { z } from 'zod';
import { ipAddress, mac, name, secretRef } from './primitives.js';
import { neighborsConfigIssues, neighborsSchema } from './neighbors-schema.js';
import { HOSTAPD_VERSIONS, type HostapdVersion } from '../keys/akm.js';

// The `distribution:` section: the mobility domain, the APs the KMS places keys on, how it
// reaches each of them, each AP's static neighbours, and RF-neighbour discovery (`neighbors`).

const host = z.string().min(1);

/**
 * What the SSID offers (daemon/distribution/security.ts has each mode's AKMs, ciphers and PMF):
 * wpa2 = WPA2-Enterprise; wpa3-transition = WPA3-Enterprise transition mode (WPA2 clients still
 * join, PMF optional); wpa3 = WPA3-Enterprise only (PMF required); wpa3-192 = the 192-bit mode.
 */
export const SECURITY_MODES = ['wpa2', 'wpa3-transition', 'wpa3', 'wpa3-192'] as const;
export const securityMode = z.enum(SECURITY_MODES, { error: `expected one of ${SECURITY_MODES.join(', ')}` });
export type SecurityMode = z.infer<typeof securityMode>;

const sshControl = {
  host,
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default('root'),
  /** The AP's host key fingerprint as `ssh-keygen -lf` prints it: SHA256:… (pinned; anything else is refused). */
  hostKey: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'expected a SHA256:… host key fingerprint'),
  privateKey: secretRef,
  ctrlDir: z.string().min(1).default('/var/run/hostapd'),
};

const control = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ssh'), ...sshControl }).strict(),
  z.object({ kind: z.literal('ubus'), ...sshControl }).strict(),
  z.object({ kind: z.literal('ctrl-socket'), ctrlDir: z.string().min(1).default('/var/run/hostapd') }).strict(),
  z.object({ kind: z.literal('none') }).strict(),
]);

const bss = z
  .object({
    ifname: z.string().min(1).max(15),
    bssid: mac,
    /** hostapd r1_key_holder, if set on that BSS; default the BSSID. */
    r1khId: mac.optional(),
  })
  .strict();

const ap = z
  .object({
    name,
    /** hostapd nas_identifier: the R0KH-ID of stations that authenticate here. 1..48 octets. */
    nasIdentifier: z.string().min(1).max(48),
    /** The radius.clients entry this AP sends RADIUS as. */
    radiusClient: name,
    /**
     * The address this AP sends RADIUS from. Needed when its radiusClient is a prefix; otherwise
     * it is the client's address (and, if given, must be that address).
     */
    radiusAddress: ipAddress.optional(),
    /** Key of this AP's r0kh line for the KMS: 64 hex digits, or 32 (legacy, expanded as hostapd does; daemon/keys/rrb-key.ts). */
    rrbKey: secretRef,
    /** The AP's ft_iface (OpenWrt: its bridge, e.g. br-lan). */
    bridge: z.string().min(1).default('br-lan'),
    control: control.default({ kind: 'none' }),
    bsses: z.array(bss).min(1),
    /** Static neighbour list (AP names): the whole list without discovery, pinned entries with it. */
    neighbors: z.array(name).default([]),
    /** This AP's mode, if it differs from distribution.security (e.g. while a site migrates to WPA3). */
    security: securityMode.optional(),
    /**
     * The AP's hostapd release line: '2.10' (and earlier) or '2.11' (2.11 and later, upstream main
     * too). It picks the FT-EAP PMKID hash and the default form of `kmsctl ap-config`. Absent: '2.10'.
     */
    hostapdVersion: z.enum(HOSTAPD_VERSIONS as [HostapdVersion, ...HostapdVersion[]]).optional(),
  })
  .strict();

export const distributionSchema = z
  .object({
    ssid: z.string().min(1).max(32),
    /** The SSID's security mode on every AP (an AP may override it). */
    security: securityMode.default('wpa2'),
    /** 4 hex digits, as hostapd's mobility_domain. */
    mobilityDomain: z
      .string()
      .regex(/^[0-9a-fA-F]{4}$/, 'expected 4 hex digits')
      .transform((s) => s.toLowerCase()),
    /** The address APs send RADIUS to (for generated AP configs). */
    kmsRadiusAddress: ipAddress,
    rrb: z
      .object({
        /** The L2 segment shared with the APs' ft_iface. */
        interface: z.string().min(1).max(15),
        /** Source MAC of our frames (the `r0kh` MAC in AP configs); default the interface's. */
        mac: mac.optional(),
        /**
         * Nice levels the R0KH-R1KH thread runs above the service: a PULL is what a roaming
         * station waits for, so it must not queue behind RADIUS bursts or other programs on a
         * busy machine. Needs RLIMIT_NICE (the unit's `LimitNICE=`) or CAP_SYS_NICE; without
         * them the thread keeps the service's priority and kmsd logs it. 0: do not try.
         */
        priorityBoost: z.number().int().min(0).max(20).default(10),
        /**
         * The real-time priority (SCHED_RR) of the R0KH-R1KH thread; 0: none, nice only. A nice
         * value decides a thread's share of the CPU, not how soon it runs when a frame wakes it:
         * beside busy programs a niced-up thread still waits for their time slices, often
         * milliseconds. A real-time thread runs the moment it is woken. It is the lowest real-time
         * priority, and the kernel caps what real-time threads take (95 % of each second by
         * default). Needs RLIMIT_RTPRIO (the unit's `LimitRTPRIO=1`) or CAP_SYS_NICE; without them
         * kmsd logs it and the thread keeps its nice boost.
         */
        realtimePriority: z.number().int().min(0).max(99).default(1),
      })
      .strict(),
    /**
     * EXPIRES_IN of pushed PMK-R1s and PMKSA_ADD lifetimes (less if the session ends sooner); re-placed
     * before it runs out. It bounds how long a revoked station's PMK-R1 (which no AP interface
     * removes) stays usable on an AP that reports nothing of it: half an hour, for a re-push rate of
     * stations × neighbour BSSes / (lifetime − margin) (docs/revocation.md has both figures).
     */
    keyLifetimeS: z.number().int().min(60).max(65535).default(1800),
    repushMarginS: z.number().int().min(10).default(300),
    retry: z
      .object({
        maxQueuedPerAp: z.number().int().min(1).default(10_000),
        baseDelayMs: z.number().int().min(10).default(1000),
        maxDelayMs: z.number().int().min(100).default(60_000),
      })
      .strict()
      .default({ maxQueuedPerAp: 10_000, baseDelayMs: 1000, maxDelayMs: 60_000 }),
    aps: z.array(ap).min(1),
    /** RF-neighbour discovery; absent or `enabled: false`: the static `neighbors:` lists, as they are. */
    neighbors: neighborsSchema.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.neighbors) {
      for (const i of neighborsConfigIssues(d.neighbors, d.aps))
        ctx.addIssue({ code: 'custom', path: ['neighbors', ...i.path], message: i.message });
    }
    const names = new Set(d.aps.map((a) => a.name));
    const seenNames = new Set<string>();
    const bssids = new Map<string, string>();
    d.aps.forEach((a, i) => {
      // FT-EAP-SHA384 and FT-EAP keys are different hierarchies: a 192-bit AP and a 128-bit AP in one
      // mobility domain could never take each other's PMK-R1s, and hostapd would refuse the roam late.
      const mode = a.security ?? d.security;
      if ((mode === 'wpa3-192') !== (d.security === 'wpa3-192')) {
        ctx.addIssue({
          code: 'custom',
          path: ['aps', i, 'security'],
          message: `${mode} cannot share a mobility domain with ${d.security}: wpa3-192 uses FT-EAP-SHA384 keys, the other modes FT-EAP; give the 192-bit SSID its own distribution`,
        });
      }
      if (seenNames.has(a.name)) ctx.addIssue({ code: 'custom', path: ['aps', i, 'name'], message: `AP name ${a.name} is used twice` });
      seenNames.add(a.name);
      a.neighbors.forEach((n, j) => {
        if (!names.has(n)) ctx.addIssue({ code: 'custom', path: ['aps', i, 'neighbors', j], message: `no AP named ${n}` });
        if (n === a.name) ctx.addIssue({ code: 'custom', path: ['aps', i, 'neighbors', j], message: 'an AP is not its own neighbour' });
      });
      a.bsses.forEach((b, j) => {
        const other = bssids.get(b.bssid);
        if (other) ctx.addIssue({ code: 'custom', path: ['aps', i, 'bsses', j, 'bssid'], message: `BSSID ${b.bssid} is also on ${other}` });
        bssids.set(b.bssid, a.name);
      });
    });
  });

export type DistributionConfig = z.infer<typeof distributionSchema>;
export type ApConfig = DistributionConfig['aps'][number];
