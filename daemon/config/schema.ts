import { z } from 'zod';
import { distributionSchema } from './distribution-schema.js';
import { apDasSchema, dynamicAuthorizationSchema } from './das-schema.js';
import { ipAddress, listenPort, name, port, secretRef, type SecretRef } from './primitives.js';
import { canonicalNetwork, isPrefix, networkContains, networkProblem } from '../common/ip-prefix.js';

export { secretRef, type SecretRef };

// The YAML configuration, validated at start. Every field has a default a small site can live
// with; examples/kms.yaml documents each one. Secrets can be given inline (tests, labs), from a
// file, or from a systemd credential (production: LoadCredential=).

const listener = z.object({ address: ipAddress, port: listenPort }).strict();

const radiusClient = z.object({
  name,
  /** One AP's source address, or a network prefix (10.20.0.0/16) whose every address shares the secret. */
  address: z.string().superRefine((s, ctx) => {
    const problem = networkProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  secret: secretRef,
  /** The AP's Dynamic Authorization Server (hostapd radius_das_*), for relayed Disconnect/CoA. */
  das: apDasSchema.optional(),
}).strict();

const upstream = z.object({
  name: z.string().min(1),
  address: ipAddress,
  authPort: port.default(1812),
  acctPort: port.default(1813),
  secret: secretRef,
  /** How long to wait for an answer before trying again or failing over. */
  timeoutMs: z.number().int().min(100).max(60_000).default(3000),
  /** Sends to one server before moving to the next. */
  tries: z.number().int().min(1).max(10).default(2),
}).strict();

export const configSchema = z.object({
  stateDir: z.string().min(1).default('/var/lib/hostapd-kms'),
  masterKey: z.object({
    file: z.string().min(1).optional(),
    credential: z.string().min(1).optional(),
  }).strict().default({ credential: 'master-key', file: '/etc/hostapd-kms/master-key' }),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  }).strict().default({ level: 'info' }),
  radius: z.object({
    authListen: listener.default({ address: '0.0.0.0', port: 1812 }),
    acctListen: listener.default({ address: '0.0.0.0', port: 1813 }),
    clients: z.array(radiusClient).min(1, 'at least one AP must be listed as a RADIUS client'),
    upstreams: z.array(upstream).min(1, 'at least one upstream AAA server is needed'),
    /** A server that timed out is probed with Status-Server this often until it answers. */
    deadProbeIntervalS: z.number().int().min(1).max(3600).default(30),
    /** Retransmissions of a request within this time get the cached answer. */
    duplicateWindowS: z.number().int().min(1).max(300).default(30),
    /** Requests waiting for an upstream answer; beyond this new requests are dropped and counted. */
    maxInFlight: z.number().int().min(16).max(1_000_000).default(8192),
    /**
     * kmsd's other threads (API, distribution, neighbours, WAL checkpoints) run this much nicer
     * than the RADIUS thread, so a request never waits behind them for a CPU; 0 keeps them equal.
     */
    otherThreadsNice: z.number().int().min(0).max(19).default(10),
    /**
     * SO_RCVBUF of the auth and accounting sockets: after a restart every AP retransmits at once,
     * and a burst beyond the kernel's default buffer (about 200 KiB) is dropped before kmsd reads
     * it. The kernel caps it at net.core.rmem_max (kmsd warns when it does).
     */
    recvBufferBytes: z.number().int().min(65_536).max(1 << 30).default(8 << 20),
    /** RFC 5176 Disconnect/CoA from the AAA servers, relayed to the station's AP. Absent: not listened for. */
    dynamicAuthorization: dynamicAuthorizationSchema.optional(),
  }).strict(),
  stations: z.object({
    defaultLifetimeS: z.number().int().min(60).default(12 * 3600),
    machineAuthWindowS: z.number().int().min(0).default(8 * 3600),
    purgeIntervalS: z.number().int().min(1).default(300),
  }).strict().default({ defaultLifetimeS: 12 * 3600, machineAuthWindowS: 8 * 3600, purgeIntervalS: 300 }),
  api: z.object({
    address: ipAddress.default('127.0.0.1'),
    port: listenPort.default(8900),
    token: secretRef,
  }).strict(),
  /** Roam observation from captures (monitor interfaces); GET /v1/roams serves what it sees. */
  roams: z.object({
    slowFtMs: z.number().int().min(1).default(400),
    slowOtherMs: z.number().int().min(1).default(2000),
    logSize: z.number().int().min(1).max(1_000_000).default(10_000),
    sources: z.array(z.object({
      kind: z.literal('monitor'),
      /** A local monitor interface (radiotap), read with tcpdump. */
      interface: z.string().min(1).max(15),
      /** Optional extra tcpdump filter. */
      filter: z.string().optional(),
    }).strict()).default([]),
  }).strict().default({ slowFtMs: 400, slowOtherMs: 2000, logSize: 10_000, sources: [] }),
  /** Key placement on neighbour APs; without it the KMS only proxies and keeps records. */
  distribution: distributionSchema.optional(),
}).strict().superRefine((cfg, ctx) => {
  // Overlapping prefixes are allowed (the longest match wins, adapters/radius/clients.ts); one
  // network given twice is not, whatever its spelling.
  const seen = new Map<string, number>();
  cfg.radius.clients.forEach((c, i) => {
    const canonical = canonicalNetwork(c.address) ?? c.address;
    if (seen.has(canonical)) {
      ctx.addIssue({ code: 'custom', path: ['radius', 'clients', i, 'address'], message: `address ${c.address} is already used by clients[${seen.get(canonical)}]` });
    }
    seen.set(canonical, i);
  });
  const clients = new Map(cfg.radius.clients.map((c) => [c.name, c]));
  const apAddresses = new Map<string, string>();
  cfg.distribution?.aps.forEach((a, i) => {
    const client = clients.get(a.radiusClient);
    if (!client) {
      ctx.addIssue({ code: 'custom', path: ['distribution', 'aps', i, 'radiusClient'], message: `no radius.clients entry named ${a.radiusClient}` });
      return;
    }
    // The KMS finds the AP of a RADIUS request by NAS-Identifier, then BSSID, then source address:
    // a prefix names many addresses, so the AP's own one must be given.
    if (a.radiusAddress === undefined) {
      if (isPrefix(client.address)) {
        ctx.addIssue({
          code: 'custom', path: ['distribution', 'aps', i, 'radiusAddress'],
          message: `radius client ${client.name} is a prefix (${client.address}): give this AP its radiusAddress, the address it sends RADIUS from`,
        });
      }
    } else if (!networkContains(client.address, a.radiusAddress)) {
      ctx.addIssue({
        code: 'custom', path: ['distribution', 'aps', i, 'radiusAddress'],
        message: `${a.radiusAddress} is not in radius client ${client.name} (${client.address})`,
      });
    } else {
      const canonical = canonicalNetwork(a.radiusAddress)!;
      const other = apAddresses.get(canonical);
      if (other) ctx.addIssue({ code: 'custom', path: ['distribution', 'aps', i, 'radiusAddress'], message: `${a.radiusAddress} is also the radiusAddress of ${other}` });
      apAddresses.set(canonical, a.name);
    }
  });
  if (!cfg.masterKey.file && !cfg.masterKey.credential) {
    ctx.addIssue({ code: 'custom', path: ['masterKey'], message: 'give a file or a systemd credential name' });
  }
});

export type KmsConfig = z.infer<typeof configSchema>;
