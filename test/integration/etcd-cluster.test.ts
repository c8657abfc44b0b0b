import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';

// The cluster the HA tests stand on: three real etcd members that elect a leader, survive the
// leader's kill -9, refuse writes without a quorum, and take a restarted member back.
describe('test etcd cluster (helper)', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcdCluster({ size: 3 });
  }, 120_000);
  afterAll(async () => {
    await etcd?.stop();
  });

  it('elects a new leader after the leader is killed, loses writes without a quorum, and recovers', async () => {
    await etcd.ctl(['put', 'k', 'v1']);
    const first = await etcd.leader();
    await first.kill9();
    await etcd.waitHealthy(60_000, 2);
    const second = await etcd.leader();
    expect(second.name).not.toBe(first.name);
    await etcd.ctl(['put', 'k', 'v2']);

    await second.kill9(); // one of three left: no quorum
    await expect(etcd.ctl(['put', 'k', 'v3'])).rejects.toThrow();

    await first.restart();
    await second.restart();
    await etcd.waitHealthy(60_000, 3);
    expect((await etcd.ctl(['get', 'k', '--print-value-only'])).trim()).toBe('v2');
  }, 240_000);
});
