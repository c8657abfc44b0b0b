import { z } from 'zod';
import { ipAddress, name, secretRef } from './primitives.js';

// The `cluster:` section: two or more kmsd instances sharing one mobility domain through etcd
// (docs/cluster.md). Absent: a single kmsd on its SQLite store, exactly as without it.

const endpoint = z.string().regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, 'expected an etcd client URL: http(s)://HOST:PORT');

/** One kmsd instance of the cluster, as the APs must know it (kmsctl ap-config, kmsctl cluster). */
const member = z
  .object({
    name,
    /** Where the APs send RADIUS to this instance (one auth_server_addr/acct_server_addr pair each, in this order). */
    radiusAddress: ipAddress,
  })
  .strict();

export const clusterSchema = z
  .object({
    /** This instance's name: one of `members`, unique in the cluster. */
    member: name,
    members: z.array(member).min(2, 'a cluster has at least two members'),
    etcd: z
      .object({
        endpoints: z.array(endpoint).min(1),
        /** Every key the KMS writes lives under this prefix (several clusters can share an etcd). */
        prefix: z
          .string()
          .regex(/^\/[A-Za-z0-9._/-]*\/$/, 'expected a key prefix such as /hostapd-kms/')
          .default('/hostapd-kms/'),
        /** TLS to etcd (PEM, inline or {file: PATH}): the CA of the members' certificates, and a client certificate and key if they ask for one. */
        tls: z.object({ ca: secretRef, cert: secretRef.optional(), key: secretRef.optional() }).strict().optional(),
        /** etcd's own authentication (`etcdctl user add`), when enabled. */
        username: z.string().min(1).optional(),
        password: secretRef.optional(),
      })
      .strict(),
    /**
     * How long an Access-Accept waits for its record's commit in etcd before it is relayed anyway
     * (the record is then kept locally and replayed when etcd answers again). A login never fails
     * because the cluster store is down; this bound is what such a login costs at most.
     */
    commitTimeoutMs: z.number().int().min(10).max(10_000).default(500),
    /**
     * TTL of this instance's etcd lease: its claims on exactly-once work (an AP's control channel,
     * its PUSHes and retries) lapse this long after it dies, and a survivor takes them over.
     */
    leaseTtlS: z.number().int().min(2).max(60).default(2),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = c.members.map((m) => m.name);
    if (!names.includes(c.member)) {
      ctx.addIssue({ code: 'custom', path: ['member'], message: `"${c.member}" is not one of cluster.members (${names.join(', ')})` });
    }
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        ctx.addIssue({ code: 'custom', path: ['members', i, 'name'], message: `member name "${n}" is used twice` });
    });
    if (c.etcd.password && !c.etcd.username)
      ctx.addIssue({ code: 'custom', path: ['etcd', 'password'], message: 'etcd.password needs etcd.username' });
    if (c.etcd.tls && !!c.etcd.tls.cert !== !!c.etcd.tls.key) {
      ctx.addIssue({ code: 'custom', path: ['etcd', 'tls'], message: 'etcd.tls.cert and etcd.tls.key go together' });
    }
  });

export type ClusterConfig = z.infer<typeof clusterSchema>;
