import { z } from 'zod';
import { distributionSchema } from './distribution-schema.js';
import { clusterSchema } from './cluster-schema.js';
import { apDasSchema, dynamicAuthorizationSchema } from './das-schema.js';
import { ipAddress, listenPort, name, port, secretRef, type SecretRef } from './primitives.js';
import { canonicalNetwork, isPrefix, networkContains, networkProblem } from '../common/ip-prefix.js';
import { ACCT_TERMINATE_CAUSES } from '../records/facts.js';

export { secretRef, type SecretRef };

// The YAML configuration, validated at start. Every field has a default a small site can live
// with; examples/kms.yaml documents each one. Secrets can be given inline (tests, labs), from a
// file, or from a systemd credential (production: LoadCredential=).

const listener = z.object({ address: ipAddress, port: listenPort }).strict();

const radiusClient = z
  .object({
    name,
    /** One AP's source address, or a network prefix (10.20.0.0/16) whose every address shares the secret. */
    address: z.string().superRefine((s, ctx) => {
      const problem = networkProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    secret: secretRef,
    /** The AP's Dynamic Authorization Server (hostapd radius_das_*), for relayed Disconnect/CoA. */
    das: apDasSchema.optional(),
  })
  .strict();

/** RadSec (RFC 6614): the files are read by the start-up checks, as the secrets are. */
const upstreamTls = z
  .object({
    /** The CA(s) the server certificate must chain to (PEM). */
    ca: secretRef,
    /** The KMS's client certificate (PEM) and its private key (PEM, a private file or credential). */
    certificate: secretRef,
    key: secretRef,
    /** Sent as SNI and checked against the server certificate's subjectAltName. */
    serverName: z.string().min(1),
    /** An idle connection gets a Status-Server this often. */
    keepaliveS: z.number().int().min(1).max(3600).default(20),
  })
  .strict();

const upstream = z
  .object({
    name: z.string().min(1),
    address: ipAddress,
    /** `tls`: RadSec, auth and accounting on one TLS connection to authPort (default 2083). */
    transport: z.enum(['udp', 'tls']).default('udp'),
    authPort: port.optional(),
    acctPort: port.optional(),
    /** Required for UDP; RadSec's is "radsec" (RFC 6614 §2.3) unless given. */
    secret: secretRef.optional(),
    tls: upstreamTls.optional(),
    /** How long to wait for an answer before trying again or failing over. */
    timeoutMs: z.number().int().min(100).max(60_000).default(3000),
    /** Sends to one server before moving to the next. */
    tries: z.number().int().min(1).max(10).default(2),
  })
  .strict()
  .superRefine((u, ctx) => {
    if (u.transport === 'tls' && !u.tls)
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'transport tls needs tls: {ca, certificate, key, serverName}' });
    if (u.transport === 'udp' && u.tls) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls is only for transport: tls' });
    if (u.transport === 'udp' && u.secret === undefined)
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'a UDP upstream needs a secret' });
  })
  .transform((u) => {
    const authPort = u.authPort ?? (u.transport === 'tls' ? 2083 : 1812);
    return {
      ...u,
      authPort,
      acctPort: u.acctPort ?? (u.transport === 'tls' ? authPort : 1813),
      secret: u.secret ?? 'radsec',
    };
  });

export const configSchema = z
  .object({
    stateDir: z.string().min(1).default('/var/lib/hostapd-kms'),
    masterKey: z
      .object({
        file: z.string().min(1).optional(),
        credential: z.string().min(1).optional(),
      })
      .strict()
      .default({ credential: 'master-key', file: '/etc/hostapd-kms/master-key' }),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
    radius: z
      .object({
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
        recvBufferBytes: z
          .number()
          .int()
          .min(65_536)
          .max(1 << 30)
          .default(8 << 20),
        /** RFC 5176 Disconnect/CoA from the AAA servers, relayed to the station's AP. Absent: not listened for. */
        dynamicAuthorization: dynamicAuthorizationSchema.optional(),
      })
      .strict(),
    stations: z
      .object({
        defaultLifetimeS: z
          .number()
          .int()
          .min(60)
          .default(12 * 3600),
        machineAuthWindowS: z
          .number()
          .int()
          .min(0)
          .default(8 * 3600),
        purgeIntervalS: z.number().int().min(1).default(300),
        /** Accounting-Stop causes (Acct-Terminate-Cause, RFC 2866 names) that revoke the session (docs/revocation.md). */
        revokeOnAcctTerminateCause: z.array(z.enum(ACCT_TERMINATE_CAUSES.slice(1) as [string, ...string[]])).default(['Admin-Reset']),
        /** How long a revoked record is kept (audit; and a sign of the session is recognised while it is). At least the key lifetime is used. */
        revokedRetentionS: z
          .number()
          .int()
          .min(60)
          .default(24 * 3600),
      })
      .strict()
      .default({
        defaultLifetimeS: 12 * 3600,
        machineAuthWindowS: 8 * 3600,
        purgeIntervalS: 300,
        revokeOnAcctTerminateCause: ['Admin-Reset'],
        revokedRetentionS: 24 * 3600,
      }),
    api: z
      .object({
        address: ipAddress.default('127.0.0.1'),
        port: listenPort.default(8900),
        token: secretRef,
      })
      .strict(),
    /** Roam observation from captures (monitor interfaces); GET /v1/roams serves what it sees. */
    roams: z
      .object({
        slowFtMs: z.number().int().min(1).default(400),
        slowOtherMs: z.number().int().min(1).default(2000),
        logSize: z.number().int().min(1).max(1_000_000).default(10_000),
        sources: z
          .array(
            z
              .object({
                kind: z.literal('monitor'),
                /** A local monitor interface (radiotap), read with tcpdump. */
                interface: z.string().min(1).max(15),
                /** Optional extra tcpdump filter. */
                filter: z.string().optional(),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ slowFtMs: 400, slowOtherMs: 2000, logSize: 10_000, sources: [] }),
    /** Key placement on neighbour APs; without it the KMS only proxies and keeps records. */
    distribution: distributionSchema.optional(),
    /** Several kmsd instances on one etcd (daemon/config/cluster-schema.ts); absent: one kmsd on SQLite. */
    cluster: clusterSchema.optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // Overlapping prefixes are allowed (the longest match wins, adapters/radius/clients.ts); one
    // network given twice is not, whatever its spelling.
    const seen = new Map<string, number>();
    cfg.radius.clients.forEach((c, i) => {
      const canonical = canonicalNetwork(c.address) ?? c.address;
      if (seen.has(canonical)) {
        ctx.addIssue({
          code: 'custom',
          path: ['radius', 'clients', i, 'address'],
          message: `address ${c.address} is already used by clients[${seen.get(canonical)}]`,
        });
      }
      seen.set(canonical, i);
    });
    const clients = new Map(cfg.radius.clients.map((c) => [c.name, c]));
    const apAddresses = new Map<string, string>();
    cfg.distribution?.aps.forEach((a, i) => {
      const client = clients.get(a.radiusClient);
      if (!client) {
        ctx.addIssue({
          code: 'custom',
          path: ['distribution', 'aps', i, 'radiusClient'],
          message: `no radius.clients entry named ${a.radiusClient}`,
        });
        return;
      }
      // The KMS finds the AP of a RADIUS request by NAS-Identifier, then BSSID, then source address:
      // a prefix names many addresses, so the AP's own one must be given.
      if (a.radiusAddress === undefined) {
        if (isPrefix(client.address)) {
          ctx.addIssue({
            code: 'custom',
            path: ['distribution', 'aps', i, 'radiusAddress'],
            message: `radius client ${client.name} is a prefix (${client.address}): give this AP its radiusAddress, the address it sends RADIUS from`,
          });
        }
      } else if (!networkContains(client.address, a.radiusAddress)) {
        ctx.addIssue({
          code: 'custom',
          path: ['distribution', 'aps', i, 'radiusAddress'],
          message: `${a.radiusAddress} is not in radius client ${client.name} (${client.address})`,
        });
      } else {
        const canonical = canonicalNetwork(a.radiusAddress)!;
        const other = apAddresses.get(canonical);
        if (other)
          ctx.addIssue({
            code: 'custom',
            path: ['distribution', 'aps', i, 'radiusAddress'],
            message: `${a.radiusAddress} is also the radiusAddress of ${other}`,
          });
        apAddresses.set(canonical, a.name);
      }
    });
    // Every member speaks R0KH-R1KH from one KMS MAC (docs/cluster.md): an interface's own MAC
    // differs per machine, so the shared one must be written down.
    if (cfg.cluster && cfg.distribution && !cfg.distribution.rrb.mac) {
      ctx.addIssue({
        code: 'custom',
        path: ['distribution', 'rrb', 'mac'],
        message: "a cluster needs the KMS's one R0KH-R1KH MAC here, the same on every member (the APs' r0kh line names it)",
      });
    }
    if (!cfg.masterKey.file && !cfg.masterKey.credential) {
      ctx.addIssue({ code: 'custom', path: ['masterKey'], message: 'give a file or a systemd credential name' });
    }
  });

export type KmsConfig = z.infer<typeof configSchema>;
