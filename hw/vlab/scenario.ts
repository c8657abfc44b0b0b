// The scenario file format shared by the virtual lab (hw/vlab) and the hardware lab (hw/hil).
// A scenario says what the world looks like (APs, stations, RADIUS) and what happens in it (steps),
// plus what must be true afterwards (expect). It is YAML, validated here so that a typo fails at load
// time with the field's path instead of half-way through a 2-minute VM run.
import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { neighborsConfigIssues, neighborsSchema } from '../../daemon/config/neighbors-schema.js';
import { SECURITY_MODES } from '../../daemon/config/distribution-schema.js';

const name = z.string().regex(/^[a-z][a-z0-9]{0,11}$/, 'lower-case letters and digits, starting with a letter, at most 12');
const hex4 = z.string().regex(/^[0-9a-f]{4}$/, '4 lower-case hex digits');

const ftSchema = z.strictObject({
  mobilityDomain: hex4.default('a1b2'),
  /** hostapd pushes PMK-R1 to every r1kh after a 4-way handshake (pmk_r1_push=1). */
  pmkR1Push: z.boolean().default(true),
  /** false: FT over the air only (OpenWrt's default). */
  overDs: z.boolean().default(false),
  /** true: every AP gets r0kh/r1kh lines for every other AP (hostapd's own key sharing). */
  shareKeys: z.boolean().default(true),
});

const apSchema = z.strictObject({
  name,
  channel: z.number().int().min(1).max(13).default(1),
  /** Transmit power in dBm; mac80211_hwsim reports a frame's signal from its sender's power. */
  txPowerDbm: z.number().int().min(0).max(30).optional(),
});

const STATION_AKMS = ['WPA-EAP', 'WPA-EAP-SHA256', 'FT-EAP', 'FT-EAP-SHA384', 'WPA-EAP-SUITE-B-192'];

const stationSchema = z.strictObject({
  name,
  identity: z.string().default('alice'),
  password: z.string().default('vlab-alice-pw'),
  /**
   * wpa_supplicant key_mgmt; an FT AKM first makes the station use FT when the AP offers it. The
   * 192-bit AKMs (FT-EAP-SHA384, WPA-EAP-SUITE-B-192) also set GCMP-256 and BIP-GMAC-256.
   */
  keyMgmt: z
    .string()
    .default('WPA-EAP')
    .refine((v) => v.split(' ').every((a) => STATION_AKMS.includes(a)), {
      message: `space-separated AKMs from ${['WPA-EAP', 'WPA-EAP-SHA256', 'FT-EAP', 'FT-EAP-SHA384', 'WPA-EAP-SUITE-B-192'].join(', ')}`,
    }),
  /** wpa_supplicant ieee80211w: 0 no PMF, 1 optional, 2 required. */
  ieee80211w: z.number().int().min(0).max(2).default(0),
  /** wpa_supplicant proactive_key_caching (OKC): the station presents a PMKID derived for each new BSSID. */
  okc: z.boolean().default(false),
});

const radiusSchema = z.strictObject({
  /** One-way delay (ms) on the link to the AAA server, applied with netem on both ends. */
  delayMs: z.number().int().min(0).max(500).default(0),
  secret: z.string().default('vlab-radius-secret'),
  users: z
    .array(
      z.strictObject({
        identity: z.string(),
        password: z.string(),
        /** RADIUS-assigned VLAN (Tunnel-Type/Medium-Type/Private-Group-Id in the Access-Accept). */
        vlan: z.number().int().min(1).max(4094).optional(),
      }),
    )
    .default([{ identity: 'alice', password: 'vlab-alice-pw' }]),
});

const networkSchema = z.strictObject({
  ssid: z.string().min(1).max(32).default('vlab-enterprise'),
  /** AKMs the APs offer with security wpa2: WPA-EAP only, or FT-EAP as well. */
  keyMgmt: z.enum(['WPA-EAP', 'FT-EAP WPA-EAP']).default('WPA-EAP'),
  /**
   * kmsd's distribution.security (daemon/distribution/security.ts). Other than wpa2, the APs get
   * that mode's AKMs (an FT AKM among them), ciphers and PMF instead of keyMgmt.
   */
  security: z.enum(SECURITY_MODES).default('wpa2'),
  ft: ftSchema.optional(),
  /** hostapd okc=1 (only effective inside one hostapd process, kept for later KMS scenarios). */
  okc: z.boolean().default(false),
  /** hostapd dynamic_vlan with a wildcard vlan_file: RADIUS-assigned VLANs get their own AP_VLAN interface and bridge. */
  dynamicVlan: z.boolean().default(false),
});

/**
 * The KMS in the lab: kmsd runs in the vlab-kms namespace on the DS segment. The runner writes its
 * config (RADIUS clients = the APs, upstream = the lab's FreeRADIUS, distribution: with one entry per
 * AP) and builds each AP's hostapd config from `kmsctl ap-config <ap> --format hostapd`.
 */
const kmsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** false: no distribution: section, the KMS only proxies RADIUS and keeps records. */
  distribution: z.boolean().default(true),
  /** Static neighbour lists by AP name (distribution.aps[].neighbors). */
  neighbors: z.record(z.string(), z.array(name)).default({}),
  /** How kmsd reaches each AP's hostapd: SSH to its dropbear (pinned host key), or not at all. */
  control: z.enum(['ssh', 'none']).default('ssh'),
  keyLifetimeS: z.number().int().min(60).max(65535).default(3600),
  /**
   * One-way delay (ms, netem) on everything the KMS sends: a KMS that answers PULLs late, as a
   * busy or distant one would (for measuring the FT ANonce race; it delays its RADIUS answers too).
   */
  sendDelayMs: z.number().int().min(0).max(500).default(0),
  logLevel: z.enum(['info', 'debug', 'trace']).default('debug'),
  /**
   * Dynamic authorization: every AP's client entry gets a `das:` (its own secret), kmsd listens for
   * Disconnect/CoA from the lab's FreeRADIUS, and `kmsctl ap-config` gives the APs their
   * radius_das_* lines, so the KMS can disconnect stations (revocation). A list names the APs that
   * get a DAS; the others have none (the KMS cannot disconnect anyone there).
   */
  das: z.union([z.boolean(), z.array(name).min(1)]).default(false),
  /**
   * RF-neighbour discovery: kmsd's `distribution.neighbors` block as it is (daemon/config/neighbors-schema.ts,
   * checked with kmsd's own schema at load time). The static `neighbors` lists become pinned entries.
   */
  discovery: z.record(z.string(), z.unknown()).optional(),
  /** Extra kmsd settings deep-merged over the generated config (objects merge, arrays and values replace). */
  overrides: z.record(z.string(), z.unknown()).default({}),
});

const timeoutMs = z.number().int().positive().optional();
const stepSchema = z.union([
  z.strictObject({ join: z.strictObject({ station: name, ap: name, timeoutMs }) }),
  z.strictObject({
    roam: z.strictObject({
      station: name,
      to: name,
      /** wpa_cli roam (station decides) or a BSS Transition Management request from the current AP. */
      via: z.enum(['wpa_cli', 'bss-tm']).default('wpa_cli'),
      timeoutMs,
      /**
       * count: a scenario that measures how often roams fail (kms-pull-race) records a failed roam
       * and goes on; the target's refusal (an ASSOC-REJECT) ends the attempt at once. The
       * scenario still fails, and its table shows every attempt with its cause.
       */
      onFailure: z.enum(['stop', 'count']).default('stop'),
    }),
  }),
  z.strictObject({
    wait: z.strictObject({ node: name, event: z.string().min(1), timeoutMs }),
  }),
  z.strictObject({
    assert: z.strictObject({
      node: name,
      logContains: z.string().optional(),
      logLacks: z.string().optional(),
    }),
  }),
  z.strictObject({
    /** Run a command on an AP through its SSH server, exactly as a manager of real APs would. */
    ssh: z.strictObject({ ap: name, run: z.string(), expect: z.string().optional(), timeoutMs }),
  }),
  z.strictObject({
    /** wpa_cli on a station or hostapd_cli on an AP, e.g. "scan_results" or "raw PMKSA"; output goes to the log. */
    cli: z.strictObject({
      node: name,
      args: z.string().min(1),
      expect: z.string().optional(),
      /** The output must not contain this. */
      lacks: z.string().optional(),
      /** Repeat the command (every second) until `expect` shows up and `lacks` is gone, for up to this long. */
      timeoutMs,
    }),
  }),
  z.strictObject({ sleep: z.strictObject({ ms: z.number().int().min(0).max(60_000) }) }),
  // KMS steps (need a kms: section). Patterns and commands may name {<ap>} (BSSID), {<station>} (MAC) and {kms} (the KMS's MAC).
  /** Kill kmsd (SIGKILL by default: no clean shutdown). */
  z.strictObject({ 'kms-kill': z.strictObject({ signal: z.enum(['KILL', 'TERM']).default('KILL') }) }),
  /** Start kmsd again (same config and state) and wait for 'kmsd ready'. */
  z.strictObject({ 'kms-start': z.strictObject({ timeoutMs }) }),
  /** Stop an AP's SSH server and every session it serves (the KMS's connection breaks). */
  z.strictObject({ 'ap-ssh-down': z.strictObject({ ap: name }) }),
  z.strictObject({ 'ap-ssh-up': z.strictObject({ ap: name }) }),
  z.strictObject({
    /** A regex on an AP's hostapd -d log; waits up to timeoutMs for it (or, with absent, checks it is not there). */
    'assert-hostapd-log': z.strictObject({
      ap: name,
      pattern: z.string().min(1),
      /** start: the whole log; previous: since the previous step began (as wait); step: since this step. */
      since: z.enum(['start', 'previous', 'step']).default('previous'),
      absent: z.boolean().default(false),
      /** At least this many matching lines. */
      count: z.number().int().min(1).default(1),
      timeoutMs,
    }),
  }),
  z.strictObject({
    /** What the KMS knows, through its API (kmsd's own log for `log`). Polled until true or timeoutMs. */
    'assert-kms': z.strictObject({
      station: name.optional(),
      /** Fields of `kmsctl station <mac> --json` that must equal these values (dotted paths allowed). */
      record: z.record(z.string(), z.unknown()).optional(),
      /** Placements (GET /v1/stations/<mac>/placements) that must exist. */
      placements: z
        .array(
          z.strictObject({
            ap: name,
            kind: z.enum(['ft', 'okc']).optional(),
            state: z.enum(['sent', 'added', 'confirmed', 'queued', 'failed', 'withdrawn']).optional(),
            via: z.enum(['push', 'pull', 'pmksa-add']).optional(),
          }),
        )
        .optional(),
      /** A regex on kmsd's log (JSON lines). */
      log: z.string().optional(),
      /** A regex on a line of kmsd's /metrics (Prometheus text), e.g. a drop counter with its reason. */
      metric: z.string().optional(),
      /** An AP's RF-neighbour list as `kmsctl neighbors <ap> --json` (GET /v1/neighbors?ap=) shows it. */
      neighbors: z
        .strictObject({
          ap: name,
          /** These APs are in its list (in any order). */
          includes: z.array(name).default([]),
          /** These are not. */
          excludes: z.array(name).default([]),
          /** Exactly these entries are pinned (the static neighbours). */
          pinned: z.array(name).optional(),
          /** Each discovered (non-pinned) entry of `includes` has at least this many beacon-report observations. */
          minObservations: z.number().int().min(0).default(0),
        })
        .optional(),
      /** Run `kmsctl --config <lab config> <these args>` once; it must exit 0 (and print `expect`). */
      kmsctl: z.string().optional(),
      expect: z.string().optional(),
      since: z.enum(['start', 'previous', 'step']).default('previous'),
      absent: z.boolean().default(false),
      timeoutMs,
    }),
  }),
  z.strictObject({
    /**
     * The station asks its AP for an 802.11k neighbour report (`wpa_cli neighbor_rep_request`); the
     * answer (wpa_supplicant's `RRM: New Neighbor Report` hexdump) must list these APs' BSSIDs.
     */
    'neighbor-report': z.strictObject({
      station: name,
      expect: z.array(name).min(1),
      /** These APs' BSSIDs must not be in the answer. */
      lacks: z.array(name).default([]),
      /** Every expected entry has the Mobility Domain bit (BSSID Information b10) set. */
      mobilityDomain: z.boolean().default(false),
      /** Ask again (every 2 s) until the answer is complete, for up to this long. */
      timeoutMs,
    }),
  }),
  z.strictObject({
    /**
     * Revoke a station at the KMS: `kmsctl revoke <mac>` or `POST /v1/stations/<mac>/revoke`; waits
     * for kmsd's `station revoked` line.
     */
    'kms-revoke': z.strictObject({ station: name, via: z.enum(['kmsctl', 'api']).default('kmsctl'), timeoutMs }),
  }),
  z.strictObject({
    /**
     * The station, just (re)associated with `ap`, must be thrown off there: a Deauthentication or
     * Disassociation frame from the AP in the capture and AP-STA-DISCONNECTED, at most `withinMs`
     * after the (Re)Association Response that let it in. The time is measured and printed.
     */
    'expect-disconnect': z.strictObject({
      station: name,
      ap: name,
      withinMs: z.number().int().positive(),
      /** admission: from the AP's (Re)Association Response; revoke: from kmsd's `station revoked` (a kms-revoke step). */
      since: z.enum(['admission', 'revoke']).default('admission'),
      timeoutMs,
    }),
  }),
  z.strictObject({
    /**
     * After an expect-disconnect: the station's next login (wpa_supplicant reconnects by itself,
     * anywhere) must be a full EAP authentication (EAP frames in the capture) that the KMS saw as
     * a new Access-Accept (`station learned`). It enters the roam table with via `reconnect`.
     */
    rejoin: z.strictObject({ station: name, timeoutMs }),
  }),
  z.strictObject({
    /** Send a bad R0KH-R1KH frame to the KMS from an AP's bridge (the AP's BSSID as source). */
    'inject-rrb': z.strictObject({
      from: name,
      frame: z.enum(['replay-pull', 'wrong-key', 'truncated', 'unknown-r1kh']),
    }),
  }),
]);

const expectRoamSchema = z.strictObject({
  station: name,
  from: name,
  /** Left out: wherever the station went (a rejoin, where wpa_supplicant picks the AP). */
  to: name.optional(),
  method: z.enum(['ft', 'pmksa', 'full-eap']).optional(),
  eapFrames: z.number().int().min(0).optional(),
  minEapFrames: z.number().int().min(0).optional(),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(''),
    network: networkSchema.default(networkSchema.parse({})),
    radius: radiusSchema.default(radiusSchema.parse({})),
    aps: z.array(apSchema).min(1).max(8),
    stations: z.array(stationSchema).min(1).max(8),
    /** kmsd in the lab (see kmsSchema); without it the APs talk to FreeRADIUS directly. */
    kms: kmsSchema.optional(),
    steps: z.array(stepSchema).min(1),
    expect: z.strictObject({ roams: z.array(expectRoamSchema).default([]) }).default({ roams: [] }),
  })
  .superRefine((s, ctx) => {
    const aps = new Set(s.aps.map((a) => a.name));
    const stas = new Set(s.stations.map((x) => x.name));
    const nodes = new Set([...aps, ...stas, 'radius']);
    if (aps.size !== s.aps.length || stas.size !== s.stations.length)
      ctx.addIssue({ code: 'custom', message: 'duplicate AP or station name' });
    for (const n of aps) if (stas.has(n)) ctx.addIssue({ code: 'custom', message: `name '${n}' is both an AP and a station` });
    s.steps.forEach((step, i) => {
      const bad = (msg: string) => ctx.addIssue({ code: 'custom', path: ['steps', i], message: msg });
      if ('join' in step) {
        if (!stas.has(step.join.station)) bad(`unknown station ${step.join.station}`);
        if (!aps.has(step.join.ap)) bad(`unknown AP ${step.join.ap}`);
      }
      if ('roam' in step) {
        if (!stas.has(step.roam.station)) bad(`unknown station ${step.roam.station}`);
        if (!aps.has(step.roam.to)) bad(`unknown AP ${step.roam.to}`);
      }
      if ('wait' in step && !nodes.has(step.wait.node)) bad(`unknown node ${step.wait.node}`);
      if ('assert' in step && !nodes.has(step.assert.node)) bad(`unknown node ${step.assert.node}`);
      if ('ssh' in step && !aps.has(step.ssh.ap)) bad(`unknown AP ${step.ssh.ap}`);
      if ('cli' in step && !aps.has(step.cli.node) && !stas.has(step.cli.node)) bad(`unknown AP or station ${step.cli.node}`);
      const kmsStep = kmsStepName(step);
      if (kmsStep && !s.kms?.enabled) bad(`${kmsStep} needs an enabled kms: section`);
      if ('ap-ssh-down' in step && !aps.has(step['ap-ssh-down'].ap)) bad(`unknown AP ${step['ap-ssh-down'].ap}`);
      if ('ap-ssh-up' in step && !aps.has(step['ap-ssh-up'].ap)) bad(`unknown AP ${step['ap-ssh-up'].ap}`);
      if ('assert-hostapd-log' in step) {
        if (!aps.has(step['assert-hostapd-log'].ap)) bad(`unknown AP ${step['assert-hostapd-log'].ap}`);
        try {
          new RegExp(step['assert-hostapd-log'].pattern);
        } catch (e) {
          bad(`bad pattern: ${(e as Error).message}`);
        }
      }
      if ('assert-kms' in step) {
        const a = step['assert-kms'];
        if (a.station !== undefined && !stas.has(a.station)) bad(`unknown station ${a.station}`);
        if ((a.record || a.placements) && a.station === undefined) bad('record and placements need a station');
        if (!a.record && !a.placements && a.log === undefined && a.kmsctl === undefined && a.metric === undefined && !a.neighbors)
          bad('assert-kms needs record, placements, log, metric, neighbors or kmsctl');
        if (a.neighbors)
          for (const n of [a.neighbors.ap, ...a.neighbors.includes, ...a.neighbors.excludes, ...(a.neighbors.pinned ?? [])])
            if (!aps.has(n)) bad(`unknown AP ${n}`);
        if (a.metric !== undefined) {
          try {
            new RegExp(a.metric);
          } catch (e) {
            bad(`bad metric pattern: ${(e as Error).message}`);
          }
        }
        if (a.expect !== undefined && a.kmsctl === undefined) bad('expect goes with kmsctl');
        for (const p of a.placements ?? []) if (!aps.has(p.ap)) bad(`unknown AP ${p.ap}`);
        if (a.log !== undefined) {
          try {
            new RegExp(a.log);
          } catch (e) {
            bad(`bad log pattern: ${(e as Error).message}`);
          }
        }
      }
      if ('inject-rrb' in step && !aps.has(step['inject-rrb'].from)) bad(`unknown AP ${step['inject-rrb'].from}`);
      if ('kms-revoke' in step && !stas.has(step['kms-revoke'].station)) bad(`unknown station ${step['kms-revoke'].station}`);
      if ('expect-disconnect' in step) {
        const d = step['expect-disconnect'];
        if (!stas.has(d.station)) bad(`unknown station ${d.station}`);
        if (!aps.has(d.ap)) bad(`unknown AP ${d.ap}`);
        const revoked = s.steps.slice(0, i).some((x) => 'kms-revoke' in x && x['kms-revoke'].station === d.station);
        if (d.since === 'revoke' && !revoked) bad(`expect-disconnect since: revoke needs an earlier kms-revoke of ${d.station}`);
      }
      if ('rejoin' in step) {
        if (!stas.has(step.rejoin.station)) bad(`unknown station ${step.rejoin.station}`);
        const earlier = s.steps.slice(0, i).some((x) => 'expect-disconnect' in x && x['expect-disconnect'].station === step.rejoin.station);
        if (!earlier) bad(`rejoin of ${step.rejoin.station} needs an earlier expect-disconnect of it`);
      }
      if ('neighbor-report' in step) {
        const n = step['neighbor-report'];
        if (!stas.has(n.station)) bad(`unknown station ${n.station}`);
        for (const ap of [...n.expect, ...n.lacks]) if (!aps.has(ap)) bad(`unknown AP ${ap}`);
      }
    });
    if (s.kms?.enabled) {
      for (const [ap, list] of Object.entries(s.kms.neighbors)) {
        if (!aps.has(ap)) ctx.addIssue({ code: 'custom', path: ['kms', 'neighbors', ap], message: `unknown AP ${ap}` });
        for (const n of list) {
          if (!aps.has(n)) ctx.addIssue({ code: 'custom', path: ['kms', 'neighbors', ap], message: `unknown AP ${n}` });
          if (n === ap) ctx.addIssue({ code: 'custom', path: ['kms', 'neighbors', ap], message: 'an AP is not its own neighbour' });
        }
      }
    }
    if (s.kms?.enabled && !s.kms.das && s.steps.some((x) => 'expect-disconnect' in x)) {
      ctx.addIssue({
        code: 'custom',
        path: ['kms', 'das'],
        message: "expect-disconnect needs kms.das: true (the KMS disconnects through the APs' DAS)",
      });
    }
    if (Array.isArray(s.kms?.das))
      for (const ap of s.kms.das) if (!aps.has(ap)) ctx.addIssue({ code: 'custom', path: ['kms', 'das'], message: `unknown AP ${ap}` });
    if (s.kms?.das && !s.kms.distribution)
      ctx.addIssue({
        code: 'custom',
        path: ['kms', 'das'],
        message: 'das needs kms.distribution: true (kmsctl ap-config writes the DAS lines)',
      });
    if (s.kms?.discovery !== undefined) {
      const path = ['kms', 'discovery'];
      if (!s.kms.distribution) ctx.addIssue({ code: 'custom', path, message: 'discovery needs kms.distribution: true' });
      const parsed = neighborsSchema.safeParse(s.kms.discovery);
      if (!parsed.success)
        for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', path: [...path, ...i.path.map(String)], message: i.message });
      else {
        const apsWithPins = s.aps.map((a) => ({ name: a.name, neighbors: s.kms!.neighbors[a.name] ?? [] }));
        for (const i of neighborsConfigIssues(parsed.data, apsWithPins))
          ctx.addIssue({ code: 'custom', path: [...path, ...i.path.map(String)], message: i.message });
      }
    }
    if (s.network.keyMgmt.includes('FT') && !s.network.ft)
      ctx.addIssue({ code: 'custom', path: ['network', 'ft'], message: 'FT-EAP needs an ft: section' });
    if (s.network.security !== 'wpa2' && !s.network.ft)
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'ft'],
        message: `security ${s.network.security} offers an FT AKM: it needs an ft: section`,
      });
  });

export type Scenario = z.infer<typeof scenarioSchema>;

/** Whether the AP gets a DAS (kms.das: true for every AP, or a list of AP names). */
export function apHasDas(s: Scenario, ap: string): boolean {
  const das = s.kms?.enabled ? s.kms.das : false;
  return Array.isArray(das) ? das.includes(ap) : das;
}
export type Step = Scenario['steps'][number];
export type ExpectRoam = Scenario['expect']['roams'][number];

/** One-line description of a step, used in logs and error messages ("step 3 (roam sta1 → ap2)"). */
export function describeStep(step: Step, index: number): string {
  const what =
    'join' in step
      ? `join ${step.join.station} → ${step.join.ap}`
      : 'roam' in step
        ? `roam ${step.roam.station} → ${step.roam.to} via ${step.roam.via}`
        : 'wait' in step
          ? `wait for '${step.wait.event}' on ${step.wait.node}`
          : 'assert' in step
            ? `assert log of ${step.assert.node}`
            : 'ssh' in step
              ? `ssh ${step.ssh.ap}: ${step.ssh.run}`
              : 'cli' in step
                ? `${step.cli.node}: cli ${step.cli.args}`
                : 'kms-kill' in step
                  ? `kill kmsd (SIG${step['kms-kill'].signal})`
                  : 'kms-start' in step
                    ? 'start kmsd'
                    : 'ap-ssh-down' in step
                      ? `SSH of ${step['ap-ssh-down'].ap} down`
                      : 'ap-ssh-up' in step
                        ? `SSH of ${step['ap-ssh-up'].ap} up`
                        : 'assert-hostapd-log' in step
                          ? `${step['assert-hostapd-log'].ap} log ${step['assert-hostapd-log'].absent ? 'lacks' : 'has'} /${step['assert-hostapd-log'].pattern}/`
                          : 'assert-kms' in step
                            ? `KMS knows ${describeKmsAssert(step['assert-kms'])}`
                            : 'inject-rrb' in step
                              ? `inject ${step['inject-rrb'].frame} RRB frame from ${step['inject-rrb'].from}`
                              : 'kms-revoke' in step
                                ? `revoke ${step['kms-revoke'].station} at the KMS via ${step['kms-revoke'].via}`
                                : 'expect-disconnect' in step
                                  ? `${step['expect-disconnect'].ap} disconnects ${step['expect-disconnect'].station} within ${step['expect-disconnect'].withinMs} ms`
                                  : 'rejoin' in step
                                    ? `${step.rejoin.station} logs in again with full EAP`
                                    : 'neighbor-report' in step
                                      ? `${step['neighbor-report'].station}: neighbour report lists ${step['neighbor-report'].expect.join(', ')}`
                                      : `sleep ${step.sleep.ms} ms`;
  return `step ${index + 1} (${what})`;
}

/** The name of a step that needs the KMS, or null. */
export function kmsStepName(step: Step): string | null {
  for (const k of ['kms-kill', 'kms-start', 'ap-ssh-down', 'ap-ssh-up', 'assert-kms', 'inject-rrb', 'kms-revoke'] as const)
    if (k in step) return k;
  return null;
}

function describeKmsAssert(a: Extract<Step, { 'assert-kms': unknown }>['assert-kms']): string {
  const parts: string[] = [];
  if (a.record) parts.push(`record of ${a.station} (${Object.keys(a.record).join(', ')})`);
  if (a.placements) parts.push(`placements of ${a.station} on ${a.placements.map((p) => p.ap).join(', ')}`);
  if (a.log !== undefined) parts.push(`${a.absent ? 'no ' : ''}log /${a.log}/`);
  if (a.kmsctl !== undefined) parts.push(`kmsctl ${a.kmsctl}`);
  if (a.metric !== undefined) parts.push(`metric /${a.metric}/`);
  if (a.neighbors)
    parts.push(
      `neighbours of ${a.neighbors.ap}${a.neighbors.includes.length ? ` ⊇ [${a.neighbors.includes.join(', ')}]` : ''}${a.neighbors.excludes.length ? `, not [${a.neighbors.excludes.join(', ')}]` : ''}`,
    );
  return parts.join('; ');
}

/** The folder of shipped scenarios, found from this module whether it runs from source or from dist/. */
export function scenariosDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const repo = here.includes(`${join('dist', 'hw', 'vlab')}`) ? resolve(here, '../../..') : resolve(here, '../..');
  return join(repo, 'hw', 'vlab', 'scenarios');
}

/** Accepts a path, or the name of a shipped scenario ("roam-ft" → hw/vlab/scenarios/roam-ft.yaml). */
export function resolveScenarioPath(nameOrPath: string): string {
  if (existsSync(nameOrPath)) return resolve(nameOrPath);
  const shipped = join(scenariosDir(), `${basename(nameOrPath).replace(/\.ya?ml$/, '')}.yaml`);
  if (existsSync(shipped)) return shipped;
  throw new Error(`no scenario '${nameOrPath}' (neither a file nor one of ${scenariosDir()})`);
}

/**
 * `- repeat: { times: N, steps: [...] }` in steps (and `- repeat: { times: N, roams: [...] }` in
 * expect.roams) stands for its items N times in a row: a scenario that measures how often
 * something happens needs many roams without many lines.
 */
export function expandRepeats(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object') return raw;
  const doc = raw as { steps?: unknown; expect?: { roams?: unknown } };
  const expand = (list: unknown, key: 'steps' | 'roams'): unknown => {
    if (!Array.isArray(list)) return list;
    return list.flatMap((item: unknown) => {
      const rep = (item as { repeat?: { times?: unknown } } | null)?.repeat as Record<string, unknown> | undefined;
      if (!rep) return [item];
      const times = rep.times;
      if (!Number.isInteger(times) || (times as number) < 1 || (times as number) > 1000)
        throw new Error(`repeat.times must be 1..1000, got ${String(times)}`);
      const inner = expand(rep[key], key);
      if (!Array.isArray(inner)) throw new Error(`repeat needs a list under '${key}'`);
      return Array.from({ length: times as number }, () => inner).flat();
    });
  };
  return {
    ...doc,
    ...(doc.steps !== undefined ? { steps: expand(doc.steps, 'steps') } : {}),
    ...(doc.expect?.roams !== undefined ? { expect: { ...doc.expect, roams: expand(doc.expect.roams, 'roams') } } : {}),
  };
}

export function parseScenario(text: string, source = 'scenario'): Scenario {
  let raw: unknown;
  try {
    raw = expandRepeats(parseYaml(text));
  } catch (e) {
    throw new Error(`${source} is not a valid scenario:\n  ${(e as Error).message}`);
  }
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new Error(`${source} is not a valid scenario:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function loadScenario(nameOrPath: string): Scenario {
  const path = resolveScenarioPath(nameOrPath);
  return parseScenario(readFileSync(path, 'utf8'), path);
}
