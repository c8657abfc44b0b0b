// Builds the scenario's world inside the guest:
//   - mac80211_hwsim with one radio per AP and per station, and a pcap of hwsim0 for the whole run;
//   - per AP a network namespace holding its radio, a bridge br-lan, hostapd (nl80211) and dropbear
//     with a pinned host key, so the AP is reached and managed like a real OpenWrt AP;
//   - the distribution system (DS): one bridge in its own namespace that every AP's br-lan, the
//     RADIUS server and the KMS seat join through veth pairs (FT's R0KH-R1KH frames travel here);
//   - FreeRADIUS (PEAP/MSCHAPv2) behind a link with optional netem delay;
//   - per station a namespace with its radio and wpa_supplicant, network disabled until a join step.
import { mkdirSync, writeFileSync, readFileSync, cpSync, rmSync, chmodSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../scenario.js';
import { DS_SUBNET, MANAGER_IP, RADIUS_IP, RUN_DIR, type Plan } from '../plan.js';
import {
  hostapdConf,
  wpaSupplicantConf,
  radiusClientsConf,
  radiusUsers,
  radiusEapModule,
  hostapdVlanFile,
  mergeHostapdConf,
} from '../configs.js';
import { Daemons, must, run, sh, inNs, until } from './exec.js';
import { Logs } from './logs.js';
import { apConfigs, prepareKms, type KmsHandle } from './kms.js';

export interface World {
  plan: Plan;
  daemons: Daemons;
  logs: Logs;
  capturePath: string;
  knownHostsPath: string;
  clientKeyPath: string;
  /** kmsd, when the scenario has an enabled kms: section. */
  kms?: KmsHandle;
  /** (Re)starts an AP's dropbear with its pinned host key. */
  startSsh(ap: string): void;
  /** R0KH-R1KH frames on the DS bridge (ethertype 0x88B7), when the KMS runs. */
  dsCapturePath?: string;
}

export interface TopologyOptions {
  imageDir: string;
  timeScale: number;
  /** Log `top -b` every 3 s to top.log. */
  top?: boolean;
  /** The caller's, so that it can stop and collect them even when building fails half-way. */
  daemons?: Daemons;
  logs?: Logs;
}

const T = (ms: number, o: TopologyOptions) => Math.round(ms * o.timeScale);

async function phyOf(ifname: string): Promise<string> {
  return readFileSync(`/sys/class/net/${ifname}/phy80211/name`, 'utf8').trim();
}

/** A veth pair from namespace `a` (name nameA) to namespace `b` (name nameB). */
async function vethPair(a: string, nameA: string, b: string, nameB: string): Promise<void> {
  await must(['ip', 'link', 'add', nameA, 'netns', a, 'type', 'veth', 'peer', 'name', nameB, 'netns', b]);
}

async function joinDs(plan: Plan, ns: string, localName: string, dsName: string): Promise<void> {
  await vethPair(ns, localName, plan.dsNs, dsName);
  await must(['ip', '-n', plan.dsNs, 'link', 'set', dsName, 'master', 'ds', 'up']);
}

export async function buildWorld(s: Scenario, plan: Plan, o: TopologyOptions): Promise<World> {
  const started = Date.now();
  const phase = (what: string) => console.log(`vlab: topology: ${what} at +${Date.now() - started} ms`);
  const daemons = o.daemons ?? new Daemons();
  const logs = o.logs ?? new Logs();
  const startSsh = (name: string) => {
    const ap = plan.aps.find((a) => a.name === name);
    if (!ap) throw new Error(`no AP named ${name}`);
    daemons.start(
      `${ap.name}-ssh`,
      inNs(ap.ns, [
        'dropbear',
        '-F',
        '-E',
        '-s',
        '-r',
        join(o.imageDir, 'ssh', `ap${ap.index + 1}.hostkey`),
        '-p',
        `${ap.ip}:22`,
        '-P',
        join(ap.dir, 'dropbear.pid'),
      ]),
      join(ap.dir, 'dropbear.log'),
    );
  };
  mkdirSync(RUN_DIR, { recursive: true });

  await must(['modprobe', 'mac80211_hwsim', `radios=${plan.radios}`]);
  await must(['modprobe', '-a', 'bridge', 'veth', 'sch_netem']);
  await until('hwsim radios', T(10_000, o), async () => {
    const r = await run(['ip', '-br', 'link']);
    return r.stdout.includes('hwsim0') && r.stdout.includes(`wlan${plan.radios - 1}`) ? true : undefined;
  });

  // The capture starts before any radio is up, so it holds every frame of the run.
  const capturePath = join(RUN_DIR, 'capture.pcap');
  await must(['ip', 'link', 'set', 'hwsim0', 'up']);
  const tcpdumpLog = join(RUN_DIR, 'tcpdump.log');
  daemons.start('tcpdump', ['tcpdump', '-i', 'hwsim0', '-n', '-U', '--immediate-mode', '-Z', 'root', '-w', capturePath], tcpdumpLog);
  logs.add('tcpdump', tcpdumpLog);

  if (o.top) {
    daemons.start('top', ['top', '-b', '-d', '3', '-w', '200'], join(RUN_DIR, 'top.log'));
    logs.add('top', join(RUN_DIR, 'top.log'));
  }
  phase('radios and capture');
  // Distribution system: one bridge all APs, RADIUS and the KMS seat join.
  await must(['ip', 'netns', 'add', plan.dsNs]);
  await sh(`ip -n ${plan.dsNs} link set lo up
ip -n ${plan.dsNs} link add ds type bridge
ip -n ${plan.dsNs} link set ds up`);

  // RADIUS.
  await must(['ip', 'netns', 'add', plan.radiusNs]);
  await joinDs(plan, plan.radiusNs, 'eth0', 'radius');
  await sh(`ip -n ${plan.radiusNs} link set lo up
ip -n ${plan.radiusNs} addr add ${RADIUS_IP}/24 dev eth0
ip -n ${plan.radiusNs} link set eth0 up`);
  if (s.radius.delayMs > 0) {
    // Delay each direction: on the RADIUS side for replies, on the DS side for requests.
    await must(['tc', '-n', plan.radiusNs, 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', `${s.radius.delayMs}ms`]);
    await must(['tc', '-n', plan.dsNs, 'qdisc', 'add', 'dev', 'radius', 'root', 'netem', 'delay', `${s.radius.delayMs}ms`]);
  }
  const radiusLog = await startRadius(s, plan, o, daemons);
  logs.add('radius', radiusLog);

  phase('RADIUS started');
  // The KMS's namespace on the DS (kmsd when the scenario has one; the lab's SSH manager in any case).
  // Its MAC is fixed so that the APs' r0kh lines and the captures name it the same way every run.
  await must(['ip', 'netns', 'add', plan.managerNs]);
  await joinDs(plan, plan.managerNs, plan.kms.ifname, 'kms');
  await sh(`ip -n ${plan.managerNs} link set lo up
ip -n ${plan.managerNs} link set ${plan.kms.ifname} address ${plan.kms.mac}
ip -n ${plan.managerNs} addr add ${MANAGER_IP}/24 dev ${plan.kms.ifname}
ip -n ${plan.managerNs} link set ${plan.kms.ifname} up`);
  if (s.kms?.enabled && s.kms.sendDelayMs > 0) {
    await must(['tc', '-n', plan.managerNs, 'qdisc', 'add', 'dev', plan.kms.ifname, 'root', 'netem', 'delay', `${s.kms.sendDelayMs}ms`]);
  }
  const ssh = setUpSshTrust(plan, o.imageDir);

  let kms: KmsHandle | undefined;
  let kmsApConfigs: Promise<Map<string, string>> = Promise.resolve(new Map());
  let kmsReady: Promise<void> | undefined;
  let dsCapturePath: string | undefined;
  if (s.kms?.enabled) {
    kms = prepareKms(s, plan, o.imageDir, daemons, logs);
    // Node starts slowly under TCG (seconds, mostly reading modules over 9p): kmsctl ap-config for every
    // AP and kmsd itself start now and overlap with building the namespaces. kmsd's SSH transports retry
    // until the APs' dropbear (started below, before hostapd) listens.
    if (s.kms.distribution) kmsApConfigs = apConfigs(kms, plan, T(90_000, o));
    kmsApConfigs.catch(() => undefined);
    kmsReady = kms.start(T(90_000, o));
    kmsReady.catch(() => undefined);
    // Every R0KH-R1KH frame on the DS, for the record and for inject-rrb's replays.
    dsCapturePath = join(RUN_DIR, 'ds-rrb.pcap');
    const dsLog = join(RUN_DIR, 'tcpdump-ds.log');
    daemons.start(
      'tcpdump-ds',
      inNs(plan.dsNs, [
        'tcpdump',
        '-i',
        'ds',
        '-n',
        '-U',
        '--immediate-mode',
        '-Z',
        'root',
        '-w',
        dsCapturePath,
        'ether',
        'proto',
        '0x88b7',
      ]),
      dsLog,
    );
    logs.add('tcpdump-ds', dsLog);
  }

  // Radios move into their namespaces before anything uses them.
  for (const node of [...plan.aps, ...plan.stations]) {
    await must(['ip', 'netns', 'add', node.ns]);
    await must(['ip', '-n', node.ns, 'link', 'set', 'lo', 'up']);
    await must(['iw', 'phy', await phyOf(node.ifname), 'set', 'netns', 'name', node.ns]);
    mkdirSync(node.dir, { recursive: true });
  }

  for (const ap of plan.aps) {
    await joinDs(plan, ap.ns, 'ds0', `${ap.name}-ds`);
    await sh(`ip -n ${ap.ns} link add br-lan type bridge
ip -n ${ap.ns} link set ds0 master br-lan up
ip -n ${ap.ns} addr add ${ap.ip}/24 dev br-lan
ip -n ${ap.ns} link set br-lan up`);
    logs.add(`${ap.name}-ssh`, join(ap.dir, 'dropbear.log'));
    startSsh(ap.name);
  }
  phase('AP bridges and SSH servers up');
  const kmsApConfig = await kmsApConfigs;
  if (kmsApConfig.size > 0) phase('kmsctl ap-config done for every AP');

  for (const ap of plan.aps) {
    const spec = s.aps[ap.index]!;
    if (spec.txPowerDbm !== undefined) {
      await must(inNs(ap.ns, ['iw', 'dev', ap.ifname, 'set', 'txpower', 'fixed', String(spec.txPowerDbm * 100)]));
    }
    const conf = join(ap.dir, 'hostapd.conf');
    let vlanFile: string | undefined;
    if (s.network.dynamicVlan) {
      vlanFile = join(ap.dir, 'hostapd.vlan');
      writeFileSync(
        vlanFile,
        hostapdVlanFile(
          ap.ifname,
          s.radius.users.flatMap((u) => (u.vlan === undefined ? [] : [u.vlan])),
        ),
      );
    }
    // With a KMS but no distribution: section (no `kmsctl ap-config`), the lab points the AP at the KMS itself.
    const viaKms = s.kms?.enabled
      ? { radiusIp: plan.kms.ip, radiusSecret: kms!.apRadiusSecret(ap.name), accounting: true }
      : { radiusIp: RADIUS_IP };
    const base = hostapdConf(s, plan, ap, { ifname: ap.ifname, bridge: 'br-lan', ctrlDir: ap.ctrlDir, ownIp: ap.ip, vlanFile, ...viaKms });
    const fromKms = kmsApConfig.get(ap.name);
    writeFileSync(
      conf,
      fromKms
        ? mergeHostapdConf(
            base,
            fromKms,
            `from kmsctl ap-config ${ap.name} --format hostapd (replaces the lab's lines for the same options)`,
          )
        : base,
    );
    const log = join(ap.dir, 'hostapd.log');
    daemons.start(ap.name, inNs(ap.ns, ['hostapd', '-d', '-t', '-f', log, conf]), join(ap.dir, 'hostapd.out'));
    logs.add(ap.name, log);
    logs.add(`${ap.name}-out`, join(ap.dir, 'hostapd.out'));
  }
  phase('APs started');
  for (const ap of plan.aps) {
    await until(`hostapd on ${ap.name} to be ENABLED`, T(20_000, o), async () => {
      if (daemons.exited(ap.name))
        throw new Error(
          `hostapd on ${ap.name} exited: ${logs.evidence(`${ap.name}-out`, 0).join(' | ')} ${logs.evidence(ap.name, 0, 5).join(' | ')}`,
        );
      const r = await run(inNs(ap.ns, ['hostapd_cli', '-p', ap.ctrlDir, '-i', ap.ifname, 'status']));
      return /^state=ENABLED$/m.test(r.stdout) ? true : undefined;
    });
  }

  phase('APs enabled');
  for (const [i, sta] of plan.stations.entries()) {
    const conf = join(sta.dir, 'wpa_supplicant.conf');
    writeFileSync(conf, wpaSupplicantConf(s, i, sta.ctrlDir, join(o.imageDir, 'certs', 'ca.pem')));
    const log = join(sta.dir, 'wpa_supplicant.log');
    daemons.start(
      sta.name,
      inNs(sta.ns, ['wpa_supplicant', '-D', 'nl80211', '-i', sta.ifname, '-c', conf, '-d', '-t', '-f', log]),
      join(sta.dir, 'wpa_supplicant.out'),
    );
    logs.add(sta.name, log);
    logs.add(`${sta.name}-out`, join(sta.dir, 'wpa_supplicant.out'));
  }
  for (const sta of plan.stations) {
    await until(`wpa_supplicant on ${sta.name}`, T(20_000, o), async () => {
      if (daemons.exited(sta.name))
        throw new Error(`wpa_supplicant on ${sta.name} exited: ${logs.evidence(`${sta.name}-out`, 0).join(' | ')}`);
      const r = await run(inNs(sta.ns, ['wpa_cli', '-p', sta.ctrlDir, '-i', sta.ifname, 'ping']));
      return r.stdout.includes('PONG') ? true : undefined;
    });
  }

  phase('stations started');
  await until('RADIUS to be ready', T(30_000, o), async () => {
    if (daemons.exited('radius')) throw new Error(`FreeRADIUS exited: ${logs.evidence('radius', 0).join(' | ')}`);
    return logs.find('radius', 0, (l) => l.includes('Ready to process requests')) ? true : undefined;
  });
  await until('tcpdump to listen on hwsim0', T(10_000, o), async () =>
    logs.find('tcpdump', 0, (l) => l.includes('listening on')) ? true : undefined,
  );
  if (dsCapturePath)
    await until('tcpdump to listen on the DS', T(10_000, o), async () =>
      logs.find('tcpdump-ds', 0, (l) => l.includes('listening on')) ? true : undefined,
    );
  phase('RADIUS and capture ready');
  if (kmsReady) {
    await kmsReady;
    phase('kmsd ready');
    if (s.kms?.distribution && s.kms.control === 'ssh') {
      // Placements over SSH (PMKSA_ADD) and hostapd events need kmsd's control channel to every AP.
      for (const ap of plan.aps) {
        const re = new RegExp(`"ap":"${ap.name}".*"msg":"AP control channel up"`);
        await until(
          `kmsd's SSH control channel to ${ap.name}`,
          T(60_000, o),
          async () => {
            if (daemons.exited('kms')) throw new Error(`kmsd exited: ${logs.evidence('kms', 0, 8).join(' | ')}`);
            return logs.find('kms', 0, (l) => re.test(l)) ? true : undefined;
          },
          250,
        );
      }
      phase('kmsd has an SSH control channel to every AP');
    }
  }
  return { plan, daemons, logs, capturePath, ...ssh, kms, startSsh, dsCapturePath };
}

/** A private raddb in the guest's tmpfs: Debian's tree plus our clients, users, EAP module and certs. */
async function startRadius(s: Scenario, plan: Plan, o: TopologyOptions, daemons: Daemons): Promise<string> {
  const raddb = join(RUN_DIR, 'raddb');
  rmSync(raddb, { recursive: true, force: true });
  cpSync('/etc/freeradius/3.0', raddb, { recursive: true, verbatimSymlinks: true });
  const certDir = join(raddb, 'lab-certs');
  mkdirSync(certDir, { recursive: true });
  for (const f of ['ca.pem', 'server.pem', 'server.key', 'dh']) cpSync(join(o.imageDir, 'certs', f), join(certDir, f));
  // Log each authentication ("Login OK: [alice] …") so steps can wait for it.
  const radiusdConf = join(raddb, 'radiusd.conf');
  writeFileSync(radiusdConf, readFileSync(radiusdConf, 'utf8').replace(/^(\s*)auth = no$/m, '$1auth = yes'));
  writeFileSync(join(raddb, 'clients.conf'), radiusClientsConf(DS_SUBNET, s.radius.secret));
  rmSync(join(raddb, 'mods-config', 'files', 'authorize'), { force: true });
  writeFileSync(join(raddb, 'mods-config', 'files', 'authorize'), radiusUsers(s.radius.users));
  rmSync(join(raddb, 'mods-enabled', 'eap'), { force: true });
  writeFileSync(
    join(raddb, 'mods-enabled', 'eap'),
    radiusEapModule(
      certDir,
      s.radius.users.some((u) => u.vlan !== undefined),
    ),
  );
  // FreeRADIUS drops to user freerad: it must be able to read its tree, and write its run dir.
  const freerad = await must(['id', '-u', 'freerad']).then((x) => Number(x.trim()));
  const freeradGroup = await must(['id', '-g', 'freerad']).then((x) => Number(x.trim()));
  await must(['chown', '-R', `${freerad}:${freeradGroup}`, raddb]);
  chmodSync(join(certDir, 'server.key'), 0o640);
  mkdirSync('/run/freeradius', { recursive: true });
  chownSync('/run/freeradius', freerad, freeradGroup);
  const log = join(RUN_DIR, 'radius.log');
  writeFileSync(log, '');
  chownSync(log, freerad, freeradGroup);
  daemons.start('radius', inNs(plan.radiusNs, ['freeradius', '-f', '-d', raddb, '-l', log]), join(RUN_DIR, 'radius.out'));
  return log;
}

/** The manager's key is authorised on every AP; each AP's host key is pinned in known_hosts. */
function setUpSshTrust(plan: Plan, imageDir: string): { knownHostsPath: string; clientKeyPath: string } {
  // The guest runs on the host's root (read-only 9p under a tmpfs overlay): root's login shell there is
  // bash with the host's ~/.bashrc (pyenv init…), which bash reads for every SSH command and which costs
  // seconds of emulated CPU each time. OpenWrt APs give root ash; the lab's APs get /bin/sh (dash).
  // Only the guest's copy of /etc/passwd changes.
  const passwd = readFileSync('/etc/passwd', 'utf8');
  writeFileSync('/etc/passwd', passwd.replace(/^(root:[^:]*:0:0:[^:]*:[^:]*:).*$/m, '$1/bin/sh'));
  mkdirSync('/root/.ssh', { recursive: true, mode: 0o700 });
  chmodSync('/root/.ssh', 0o700);
  writeFileSync('/root/.ssh/authorized_keys', readFileSync(join(imageDir, 'ssh', 'client.pub')), { mode: 0o600 });
  const knownHostsPath = join(RUN_DIR, 'known_hosts');
  const lines = plan.aps.map((ap) => `${ap.ip} ${readFileSync(join(imageDir, 'ssh', `ap${ap.index + 1}.hostkey.pub`), 'utf8').trim()}`);
  writeFileSync(knownHostsPath, lines.join('\n') + '\n');
  return { knownHostsPath, clientKeyPath: join(imageDir, 'ssh', 'client') };
}
