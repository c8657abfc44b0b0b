import type { RfEvidenceChannel } from '../neighbors/evidence.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { KmsConfig } from '../config/schema.js';
import type { ApConfig } from '../config/distribution-schema.js';
import type { StartupSecrets } from './startup-checks.js';
import { partLogger } from '../log/logger.js';
import type { KmsMetrics } from '../metrics/metrics.js';
import type { StationTable } from '../records/station-table.js';
import type { StationLife } from '../stations/station-life.js';
import { ApChannels } from '../distribution/ap-channels.js';
import { apStatusViews, type ApStatusView } from '../api/views.js';
import type { PlacementStore } from '../ports/placement-store.js';
import { KeyDistributor } from '../distribution/distributor.js';
import { RrbKeyTable, StaticNeighbors, type ApInfo, type BssInfo, type Topology } from '../distribution/topology.js';
import { SequenceWarmup } from '../distribution/sequence-warmup.js';
import { canonicalNetwork } from '../common/ip-prefix.js';
import { startRrbThread } from '../threads/rrb-thread.js';
import type { SendFence } from '../threads/rrb-messages.js';
import { spawnThread } from './spawn-thread.js';
import type { ApDriver, ApEvent } from '../ports/ap-driver.js';
import { CtrlSocketDriver, HostapdCliDriver, SshTransport, UbusDriver } from '../../adapters/hostapd/index.js';
import type { NeighborStore } from '../ports/neighbor-store.js';
import { startNeighbors, type RunningNeighbors } from './wire-neighbors.js';

// Builds key distribution from the `distribution:` section: the R0KH-R1KH thread (the endpoint on
// the APs' L2 segment, answering PULLs), one control channel per AP whose events go to ApChannels,
// the distributor that StationLife's events drive, and the sequence warm-up. It constructs and
// connects; what an event means is decided in the core (ApChannels, StationLife, the distributor).
// A reload replaces the topology, the RRB key table (here and on the R0KH-R1KH thread), the
// control channels of new, changed and removed APs, and the neighbour pins; everything reads them
// through lookups (topology.*, rrbKeys.get, controls.get), never through copies.

export interface RunningDistribution {
  distributor: KeyDistributor;
  topology: Topology;
  /** RF-neighbour discovery, when configured. */
  neighbors: RunningNeighbors | null;
  /** An AP's control channel, when it has one (revocation deauthenticates through it when the AP has no DAS). */
  controlFor(ap: string): ApDriver | null;
  /**
   * A reload's distribution.aps (and neighbour pins/forbids): resolves and checks its secrets
   * first (throws, naming the setting, before anything changes), and returns the step that
   * applies it. The other distribution settings need a restart (daemon/config/reload-plan.ts).
   */
  prepareReload(next: KmsConfig, secrets: Pick<StartupSecrets, 'rrbKeys' | 'sshKeys'>): () => Promise<ApsReloaded>;
  /** Each configured AP as GET /v1/aps shows it. */
  apStatus(): ApStatusView[];
  /**
   * Cluster (docs/cluster.md): this member takes the exactly-once work (its R0KH-R1KH endpoint
   * opens, the APs' sequence state is learned again, what is left is placed), or lets it go.
   */
  /** `fence`: the member lease's shared renewal clock, which the R0KH-R1KH thread checks before each frame. */
  activate(resumed?: boolean, fence?: SendFence): Promise<void>;
  standby(): void;
  stop(): Promise<void>;
}

export interface ApsReloaded {
  added: string[];
  removed: string[];
  changed: string[];
}

/** The topology of the `distribution:` section (kmsd builds it first: StationLife places stations with it). */
export function apInfosOf(config: KmsConfig): ApInfo[] {
  const clientAddress = new Map(config.radius.clients.map((c) => [c.name, c.address]));
  return config.distribution!.aps.map((a) => ({
    name: a.name,
    nasIdentifier: a.nasIdentifier,
    // Spelled as the RADIUS socket reports a sender, so the topology's lookup by address finds it.
    radiusAddress: canonicalNetwork(a.radiusAddress ?? clientAddress.get(a.radiusClient)!)!,
    bsses: a.bsses.map((b) => ({
      ap: a.name,
      ifname: b.ifname,
      bssid: b.bssid,
      r1khId: b.r1khId ?? b.bssid,
      ...(a.hostapdVersion ? { hostapdVersion: a.hostapdVersion } : {}),
    })),
  }));
}

/** What a control channel is opened with: when it changes on a reload, the channel is reopened. */
const channelOf = (a: ApConfig) => JSON.stringify([a.control, a.bsses.map((b) => b.ifname)]);
const pinnedOf = (aps: readonly ApConfig[]) => new Map(aps.map((a) => [a.name, a.neighbors]));

export async function startDistribution(
  config: KmsConfig,
  deps: {
    /** What the start-up checks resolved (runStartupChecks): the APs' RRB and SSH keys. */
    secrets: Pick<StartupSecrets, 'rrbKeys' | 'sshKeys'>;
    stations: StationTable;
    ledger: PlacementStore;
    neighborStore: NeighborStore;
    /** Cluster: RF evidence to and from the other members. */
    rfEvidence?: RfEvidenceChannel;
    log: Logger;
    metrics: KmsMetrics;
    /** Built from apInfosOf(config); replaced in place on a reload. */
    topology: Topology;
    /** The station's life: the distributor and RF neighbours subscribe to it, AP events feed it. */
    life: StationLife;
    /** For the R0KH-R1KH thread, which reads station keys from the store itself. */
    storePath: string;
    masterKey: Buffer;
    fatal(reason: string): void;
    /** A cluster member starts without the exactly-once work, until its claim says otherwise. */
    standby?: boolean;
  },
): Promise<RunningDistribution> {
  const d = config.distribution!;
  const log = partLogger(deps.log, 'distribution');
  const topology = deps.topology;
  const rrbKeys = new RrbKeyTable();
  for (const [ap, key] of deps.secrets.rrbKeys) rrbKeys.set(ap, key);
  const sshKeys = new Map(deps.secrets.sshKeys);

  let distributor: KeyDistributor | null = null;
  const policy = {
    keyLifetimeS: d.keyLifetimeS,
    repushMarginS: d.repushMarginS,
    ssid: d.ssid,
    mobilityDomain: d.mobilityDomain,
    retry: d.retry,
  };
  // Made before the main thread lowers its own priority (wire.ts): the thread keeps the service's.
  const rrb = await startRrbThread(
    {
      ifname: d.rrb.interface,
      mac: d.rrb.mac,
      storePath: deps.storePath,
      masterKey: new Uint8Array(deps.masterKey),
      logLevel: config.log.level,
      aps: topology.aps,
      apKeys: d.aps.map((a) => [a.name, new Uint8Array(rrbKeys.get(a.name)!)]),
      policy: { keyLifetimeS: policy.keyLifetimeS, ssid: policy.ssid, mobilityDomain: policy.mobilityDomain },
      priorityBoost: d.rrb.priorityBoost,
      realtimePriority: d.rrb.realtimePriority,
      ...(deps.standby ? { silent: true } : {}),
    },
    {
      spawn: (data) => spawnThread('rrb-worker.js', 'rrb', data),
      log,
      onPull: (o) => distributor?.onPull(o),
      onFrames: (counts) => {
        for (const [event, reason, n] of counts) deps.metrics.rrbFrames.inc({ event, reason }, n);
      },
      fatal: deps.fatal,
    },
  );
  log.info(
    { interface: d.rrb.interface, mac: rrb.mac, rrbThread: rrb.tid, nice: rrb.priority.nice, realtime: rrb.priority.realtime },
    'R0KH-R1KH endpoint open',
  );
  if (rrb.priority.realtimeRefused) {
    log.warn(
      { rrbThread: rrb.tid, realtime: d.rrb.realtimePriority, err: rrb.priority.realtimeRefused },
      'the R0KH-R1KH thread could not run real-time (give the service LimitRTPRIO= and RestrictRealtime=no, or set distribution.rrb.realtimePriority: 0): it keeps its nice boost, and a PULL can wait a few milliseconds behind other programs',
    );
  }
  if (rrb.priority.refused) {
    log.warn(
      { rrbThread: rrb.tid, nice: rrb.priority.nice, boost: d.rrb.priorityBoost, err: rrb.priority.refused },
      'the R0KH-R1KH thread could not raise its CPU priority (give the service LimitNICE= or CAP_SYS_NICE, or set distribution.rrb.priorityBoost: 0): PULLs can wait behind other work on a busy machine',
    );
  }
  const rrbPeerFor = (bss: BssInfo) => {
    const key = rrbKeys.get(bss.ap);
    return key ? { mac: bss.bssid, r1khId: bss.r1khId, key } : null;
  };
  let warmup: SequenceWarmup | null = null;

  const controls = new Map<string, ApDriver>();
  const channels = new ApChannels({ log, observer: { channel: (ap, up) => deps.metrics.apTransportUp.set({ ap }, up ? 1 : 0) } });
  let neighbors: RunningNeighbors | null = null;
  const attach = (a: ApConfig) => {
    const control = openControl(a, config.stateDir, log, sshKeys);
    if (!control) return;
    controls.set(a.name, control);
    deps.metrics.apTransportUp.set({ ap: a.name }, control.connected ? 1 : 0);
    control.subscribe((ev: ApEvent) => {
      if (controls.get(a.name) !== control) return; // closed by a reload; its last words are stale
      channels.onApEvent(a.name, ev);
    });
    control
      .startEvents(a.bsses.map((b) => b.ifname))
      .catch((e: Error) => log.warn({ ap: a.name, err: e.message }, 'cannot stream hostapd events yet (retried on reconnect)'));
  };
  const detach = async (name: string) => {
    const control = controls.get(name);
    if (!control) return;
    controls.delete(name);
    deps.metrics.apTransportUp.remove({ ap: name });
    await control.close().catch((e: Error) => log.warn({ ap: name, err: e.message }, 'closing the AP control channel failed'));
  };
  for (const a of d.aps) attach(a);

  const pinned = pinnedOf(d.aps);
  const staticNeighbors = new StaticNeighbors(pinned);
  if (d.neighbors?.enabled) {
    neighbors = startNeighbors(
      { config: d.neighbors, pinned, ssid: d.ssid },
      { topology, controls, store: deps.neighborStore, log: deps.log, ...(deps.rfEvidence ? { evidence: deps.rfEvidence } : {}) },
    );
  }
  distributor = new KeyDistributor({
    topology,
    // The RF graph when discovery is on (static lists become pinned entries), else the static lists.
    neighbors: neighbors?.graph ?? staticNeighbors,
    pusher: rrb,
    rrbPeerFor,
    controlFor: (name) => controls.get(name) ?? null,
    stations: deps.stations,
    ledger: deps.ledger,
    policy,
    logger: log,
    observer: {
      placed: (kind, via) => deps.metrics.keysPlaced.inc({ kind, via }),
      failed: (kind, reason) => deps.metrics.keysMissed.inc({ kind, reason: reason.length > 60 ? 'error' : reason }),
      primed: (seconds) => deps.metrics.primeSeconds.observe(seconds),
      dropped: (reason) => deps.metrics.keysMissed.inc({ kind: 'any', reason }),
    },
  });
  distributor.start();
  if (deps.standby) {
    distributor.standby();
    neighbors?.service.standby();
  }
  warmup = new SequenceWarmup({
    topology,
    neighbors: neighbors?.graph ?? staticNeighbors,
    prober: rrb,
    rrbPeerFor,
    refreshS: 3600,
    logger: log,
  });
  warmup.start();
  // Before any event can arrive: the control channels deliver theirs on later turns of the loop.
  channels.subscribe(warmup);
  channels.subscribe(distributor);
  if (neighbors) channels.subscribe(neighbors.service);
  channels.subscribe(deps.life);
  deps.life.subscribe(distributor);
  if (neighbors) deps.life.subscribe(neighbors.service);

  let running = new Map(d.aps.map((a) => [a.name, a]));
  const prepareReload = (next: KmsConfig, secrets: Pick<StartupSecrets, 'rrbKeys' | 'sshKeys'>) => {
    const nd = next.distribution!;
    // The secrets were resolved and checked by the start-up checks before this is called.
    const keys = new Map(nd.aps.map((a) => [a.name, secrets.rrbKeys.get(a.name)!]));
    const infos = apInfosOf(next);
    return async (): Promise<ApsReloaded> => {
      const nextAps = new Map(nd.aps.map((a) => [a.name, a]));
      const removed = [...running.keys()].filter((n) => !nextAps.has(n));
      const added = [...nextAps.keys()].filter((n) => !running.has(n));
      const changed = [...nextAps.values()]
        .filter((a) => running.has(a.name) && JSON.stringify(running.get(a.name)) !== JSON.stringify(a))
        .map((a) => a.name);
      topology.replace(infos);
      for (const n of removed) rrbKeys.delete(n), sshKeys.delete(n);
      for (const [n, k] of keys) rrbKeys.set(n, k);
      for (const [n, k] of secrets.sshKeys) sshKeys.set(n, k);
      for (const n of removed) await detach(n);
      for (const a of nextAps.values()) {
        const old = running.get(a.name);
        if (old && channelOf(old) === channelOf(a)) continue;
        if (old) await detach(a.name);
        attach(a);
      }
      const pins = pinnedOf(nd.aps);
      staticNeighbors.replace(pins);
      neighbors?.reconfigure({ pinned: pins, forbid: nd.neighbors?.forbid ?? {}, controls, touched: [...added, ...changed] });
      running = nextAps;
      rrb.reload(
        topology.aps,
        nd.aps.map((a) => [a.name, new Uint8Array(rrbKeys.get(a.name)!)]),
        next.log.level,
      );
      // New APs and new neighbours mean new (BSS, R0KH-ID) pairs; known ones are merely renewed.
      if (added.length + changed.length > 0) warmup?.round('reload');
      return { added, removed, changed };
    };
  };

  return {
    distributor,
    topology,
    neighbors,
    controlFor: (name) => controls.get(name) ?? null,
    prepareReload,
    apStatus: () =>
      apStatusViews(running.values(), {
        connected: (ap) => controls.get(ap)?.connected ?? null,
        lastChange: (ap) => channels.lastChange(ap),
        queued: distributor!.queued(),
        neighborsOf: (ap) => (neighbors?.graph ?? staticNeighbors).neighborsOf(ap),
      }),
    activate: async (resumed = false, fence?: SendFence) => {
      rrb.silence(false, fence);
      neighbors?.service.activate();
      // A reopened endpoint's sequence state is new: every AP asks for it anew.
      warmup?.round(resumed ? 'resume' : 'takeover');
      if (resumed) {
        const primed = await distributor!.resume();
        log.info(
          { primed },
          'exactly-once work resumed after a pause in lease renewals (nobody else held it): stations learned meanwhile primed',
        );
        return;
      }
      const primed = await distributor!.activate();
      log.info({ primed }, 'exactly-once work taken over: ledger read, re-placements scheduled, pending stations primed');
    },
    standby: () => {
      distributor!.standby();
      neighbors?.service.standby();
      rrb.silence(true);
    },
    stop: async () => {
      neighbors?.stop();
      warmup?.stop();
      distributor!.stop();
      await rrb.stop();
      await Promise.all([...controls.values()].map((c) => c.close().catch(() => undefined)));
    },
  };
}

function openControl(a: ApConfig, stateDir: string, log: Logger, sshKeys: ReadonlyMap<string, string>): ApDriver | null {
  const c = a.control;
  if (c.kind === 'none') return null;
  if (c.kind === 'ctrl-socket') {
    const localDir = join(stateDir, 'ctrl', a.name);
    mkdirSync(localDir, { recursive: true, mode: 0o700 });
    return new CtrlSocketDriver({ ctrlDir: c.ctrlDir, interfaces: a.bsses.map((b) => b.ifname), localDir });
  }
  const transport = new SshTransport({
    apName: a.name,
    host: c.host,
    port: c.port,
    username: c.user,
    hostKeySha256: c.hostKey,
    privateKey: sshKeys.get(a.name)!,
  });
  transport
    .connect()
    .catch((e: Error) => log.warn({ ap: a.name, err: e.message }, 'AP not reachable over SSH yet; retrying in the background'));
  return c.kind === 'ubus' ? new UbusDriver({ transport, ctrlDir: c.ctrlDir }) : new HostapdCliDriver({ transport, ctrlDir: c.ctrlDir });
}
