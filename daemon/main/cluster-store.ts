import { EtcdKv } from '../../adapters/etcd/etcd-kv.js';
import type { KmsConfig } from '../config/schema.js';
import type { ClusterConnection } from '../threads/radius-messages.js';
import type { ClusterSecrets } from './startup-checks.js';

// Construction only: how kmsd's threads reach etcd, from `cluster:` and the secrets the start-up
// checks resolved. Each thread opens its own client (a gRPC channel does not cross threads).

export function clusterConnection(config: KmsConfig, secrets: ClusterSecrets | undefined): ClusterConnection | undefined {
  const c = config.cluster;
  if (!c) return undefined;
  return {
    member: c.member,
    endpoints: c.etcd.endpoints,
    prefix: c.etcd.prefix,
    ...(secrets?.tls ? { tls: secrets.tls } : {}),
    ...(c.etcd.username && secrets?.password !== undefined ? { auth: { username: c.etcd.username, password: secrets.password } } : {}),
  };
}

/**
 * `leases`: for the thread that keeps this client's leases alive (only the main thread takes any):
 * the nice value it runs at, and where a refusal to set it is reported.
 */
export function openClusterKv(c: ClusterConnection, leases?: { nice: number; warning(message: string): void }): EtcdKv {
  return new EtcdKv({
    endpoints: c.endpoints,
    ...(leases ? { leaseThreadNice: leases.nice, warning: leases.warning } : {}),
    ...(c.tls
      ? {
          tls: {
            ca: Buffer.from(c.tls.ca),
            ...(c.tls.cert ? { cert: Buffer.from(c.tls.cert) } : {}),
            ...(c.tls.key ? { key: Buffer.from(c.tls.key) } : {}),
          },
        }
      : {}),
    ...(c.auth ? { auth: c.auth } : {}),
  });
}
