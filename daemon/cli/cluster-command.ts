// kmsctl cluster [--json]: a cluster member's view (GET /v1/cluster): the members configured and
// registered in etcd, this member's commit state and local outbox, and replication from the others.
import type { Command } from 'commander';
import { apiGet, type ApiTarget } from './api-client.js';
import { table } from './format.js';

interface ClusterReport {
  member: string;
  etcd: { endpoints: string[]; reachable: boolean; error?: string; readMs?: number };
  members: { name: string; radiusAddress: string; self: boolean; registered: boolean | null; version?: string; startedAt?: number }[];
  commit: {
    state: string;
    commitTimeoutMs: number;
    queued: number;
    committed: number;
    relayedUncommitted: number;
    replayed: number;
    superseded: number;
    reason?: string;
  } | null;
  replication: {
    revision: string | null;
    watching: boolean;
    imported: number;
    rejected: number;
    lastRejection?: string;
    lagMs: { samples: number; p50: number | null; p99: number | null; max: number | null };
  };
  work: { holder: string | null; self: boolean; since?: number };
}

export function clusterText(r: ClusterReport): string {
  const lines: string[] = [];
  const e = r.etcd;
  lines.push(
    `member ${r.member}; etcd ${e.endpoints.join(', ')}: ${e.reachable ? `reachable (read ${e.readMs} ms)` : `UNREACHABLE (${e.error})`}`,
  );
  lines.push(
    table(
      ['MEMBER', 'RADIUS', 'REGISTERED', 'VERSION'],
      r.members.map((m) => [
        `${m.name}${m.self ? ' (this)' : ''}`,
        m.radiusAddress,
        m.registered === null ? 'unknown' : m.registered ? 'yes' : 'NO',
        m.version ?? '-',
      ]),
    ),
  );
  const c = r.commit;
  if (c) {
    lines.push(
      `commit: ${c.state === 'up' ? 'up (Accepts wait for etcd' : 'DEGRADED (Accepts relayed, records kept locally'}, at most ${c.commitTimeoutMs} ms); ` +
        `${c.queued} queued locally; ${c.committed} committed before relay, ${c.relayedUncommitted} relayed before etcd had them, ${c.replayed} replayed, ${c.superseded} superseded` +
        (c.reason ? `; reason: ${c.reason}` : ''),
    );
  } else lines.push('commit: no report from the RADIUS thread yet');
  const p = r.replication;
  const lag =
    p.lagMs.samples === 0
      ? 'no samples yet'
      : `lag p50 ${p.lagMs.p50} ms, p99 ${p.lagMs.p99} ms, max ${p.lagMs.max} ms over ${p.lagMs.samples}`;
  lines.push(
    `replication: ${p.watching ? 'watching' : 'NOT watching'} from revision ${p.revision ?? '-'}; ${p.imported} records imported, ${p.rejected} entries rejected` +
      (p.lastRejection ? ` (last: ${p.lastRejection})` : '') +
      `; ${lag}`,
  );
  const w = r.work;
  lines.push(
    `exactly-once work (R0KH-R1KH, PMKSA_ADD, re-pushes, retries): ${w.holder === null ? (e.reachable ? 'NOBODY holds it' : 'holder unknown') : `held by ${w.holder}`}` +
      (w.self && w.since ? `, this member since ${new Date(w.since).toISOString()}` : ''),
  );
  return `${lines.join('\n')}\n`;
}

export function registerClusterCommand(program: Command, target: () => ApiTarget): void {
  program
    .command('cluster')
    .description('cluster members, etcd reachability, the local outbox and replication lag (a kmsd with a cluster section)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const r = await apiGet<ClusterReport>(target(), '/v1/cluster');
      process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : clusterText(r));
    });
}
