// npm run bench: figures with units, each next to the peer it is compared with, in one run.
import { benchKeys } from './keys.js';
import { benchRadius } from './radius.js';
import { benchRadsec } from './radsec.js';
import { benchStoreReload } from './store-reload.js';
import { benchDistribution } from './distribution.js';
import { BURST, benchRrb } from './rrb.js';
import { benchRoams } from './roams.js';
import { benchNeighbors } from './neighbors.js';
import { benchPull } from './pull.js';
import { benchBurstAfterRestart } from './burst-after-restart.js';
import { benchRevoke } from './revoke.js';
import { benchClusterFailover } from './cluster-failover.js';
import { benchClusterThroughput } from './cluster-throughput.js';
import { benchCluster } from './cluster.js';

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  console.log(`hostapd-kms benchmarks — node ${process.version}, ${new Date().toISOString()}`);

  if (want('keys')) {
    const k = benchKeys();
    console.log('\n## Key hierarchy (one core)');
    console.log(`raw HMAC-SHA256 (21-octet message)   ${fmt(k.hmacPerS)} /s   (peer: node:crypto HMAC)`);
    console.log(
      `PMK-R1 derivation                     ${fmt(k.pmkR1PerS)} /s   = ${fmt(k.hmacPerS / k.pmkR1PerS, 2)}x the time of one raw HMAC (goal < 2x)`,
    );
    console.log(`PMK-R1 + PMKR1Name                    ${fmt(k.pmkR1WithNamePerS)} /s`);
  }

  if (want('store')) {
    const n = Number(process.env.KMS_BENCH_STORE_RECORDS ?? 500_000);
    const s = await benchStoreReload(n);
    console.log('\n## Store (SQLite WAL, keys sealed with AES-256-GCM)');
    console.log(`write ${fmt(s.n)} records (one transaction)   ${fmt(s.writeSeconds, 2)} s`);
    console.log(`reload ${fmt(s.n)} records at start-up         ${fmt(s.reloadSeconds, 2)} s   (goal < 3 s)`);
  }

  if (want('rrb')) {
    console.log("\n## R0KH-R1KH frames and AES-SIV (one core: kmsd's R0KH-R1KH thread)");
    const r = benchRrb();
    console.log(`R0KH-R1KH PUSH frames built ${fmt(r.pushBuildsPerS)} /s`);
    const burst = BURST.stationsPerS * BURST.neighbourBsses;
    console.log(
      `AES-SIV at a burst of ${fmt(BURST.stationsPerS)} new stations/s x ${BURST.neighbourBsses} BSSes = ${fmt(burst)} PUSH seals/s + ${fmt(BURST.stationsPerS)} PULL opens/s:`,
    );
    for (const s of r.siv) {
      console.log(
        `  ${s.name.padEnd(24)} seals ${fmt(s.sealsPerS)} /s, opens ${fmt(s.opensPerS)} /s, seal+open ${fmt(s.sealOpenPairsPerS)} /s, ` +
          `${fmt(s.usPerPushFrame, 1)} µs per PUSH frame, ${fmt(100 * s.coreShareAtBurst)} % of one core at the burst`,
      );
    }
  }

  if (want('distribution')) {
    console.log('\n## Key distribution (FT PUSH to neighbours; SQLite ledger; local L2 sink)');
    for (const line of await benchDistribution()) console.log(line);
  }

  if (want('pull')) {
    console.log("\n## Roam-time PULL (kmsd's R0KH-R1KH thread; AP on a bridged veth segment)");
    for (const line of await benchPull()) console.log(line);
  }

  if (want('failover')) {
    console.log('\n## Cluster failover: kill -9 of the member holding the exactly-once work → first PULL answered by the survivor');
    for (const line of await benchClusterFailover()) console.log(line);
  }

  if (want('cluster-load')) {
    console.log('\n## Cluster: sustained new stations through 2 members, 8 neighbours each (3-member etcd, FreeRADIUS, same machine)');
    for (const line of await benchClusterThroughput()) console.log(line);
  }

  if (want('revoke')) {
    console.log("\n## Revocation: revoke → every AP holding the station's keys told (KMS Disconnect-Requests, ACKs in)");
    for (const line of await benchRevoke()) console.log(line);
  }

  if (want('roams')) {
    console.log('\n## Roam analysis from captures (one core), next to tshark on the same file');
    for (const line of await benchRoams()) console.log(line);
  }

  if (want('neighbors')) {
    console.log('\n## RF neighbours (6,000-AP synthetic campus, one core)');
    for (const line of benchNeighbors()) console.log(line);
  }

  if (want('burst')) {
    console.log('\n## RADIUS burst right after a restart (every AP retransmitting at once): loss on the KMS socket');
    for (const line of await benchBurstAfterRestart()) console.log(line);
  }

  if (want('radius')) {
    console.log('\n## RADIUS proxy: KMS vs FreeRADIUS as a plain proxy, same upstream, same load');
    const r = await benchRadius();
    for (const line of r) console.log(line);
  }

  if (want('radsec')) {
    console.log('\n## RADIUS upstream transport: RadSec (TLS, RFC 6614) vs UDP, same FreeRADIUS, same load');
    for (const line of await benchRadsec()) console.log(line);
  }

  if (want('cluster')) {
    console.log('\n## Cluster (docs/cluster.md): what committing to etcd adds to the Accept relay, and replication to the other member');
    for (const line of await benchCluster()) console.log(line);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench failed: ${(e as Error).stack}`);
    process.exit(1);
  },
);
