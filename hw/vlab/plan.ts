// Where every piece of a scenario lives in the guest: radio numbers, MAC addresses, namespaces, IP
// addresses on the distribution-system (DS) segment and file paths. Pure and deterministic, so the
// host can name things (BSSIDs in the roam table) without asking the guest.
import type { Scenario } from './scenario.js';

/** The L2 segment joining the APs' bridges; RADIUS and (later) the KMS sit on it too. */
export const DS_SUBNET = '10.77.0';
export const RADIUS_IP = `${DS_SUBNET}.2`;
/** The KMS namespace's address on the DS; the lab's own SSH manager (ssh steps) runs from there too. */
export const MANAGER_IP = `${DS_SUBNET}.3`;
export const KMS_IP = MANAGER_IP;
/** The KMS namespace's interface on the DS segment (kmsd's distribution.rrb.interface) and its fixed MAC (the APs' r0kh). */
export const KMS_IFNAME = 'eth0';
export const KMS_MAC = '02:00:00:77:00:03';
export const RUN_DIR = '/run/vlab';

export interface ApPlan {
  name: string;
  index: number;
  radio: number;
  ifname: string;
  bssid: string;
  ns: string;
  ip: string;
  nasId: string;
  ctrlDir: string;
  dir: string;
}

export interface StationPlan {
  name: string;
  radio: number;
  ifname: string;
  mac: string;
  ns: string;
  ctrlDir: string;
  dir: string;
}

export interface KmsPlan {
  ns: string;
  ip: string;
  ifname: string;
  mac: string;
  dir: string;
  configPath: string;
  logPath: string;
  apiPort: number;
}

export interface Plan {
  radios: number;
  kms: KmsPlan;
  aps: ApPlan[];
  stations: StationPlan[];
  radiusNs: string;
  managerNs: string;
  dsNs: string;
}

/** mac80211_hwsim gives radio k the address 02:00:00:00:kk:00. */
export function hwsimMac(radio: number): string {
  return `02:00:00:00:${radio.toString(16).padStart(2, '0')}:00`;
}

export function makePlan(s: Scenario): Plan {
  const aps = s.aps.map(
    (ap, i): ApPlan => ({
      name: ap.name,
      index: i,
      radio: i,
      ifname: `wlan${i}`,
      bssid: hwsimMac(i),
      ns: `vlab-${ap.name}`,
      ip: `${DS_SUBNET}.${11 + i}`,
      nasId: `${ap.name}.vlab`,
      ctrlDir: `${RUN_DIR}/${ap.name}/hostapd`,
      dir: `${RUN_DIR}/${ap.name}`,
    }),
  );
  const stations = s.stations.map((sta, i): StationPlan => {
    const radio = aps.length + i;
    return {
      name: sta.name,
      radio,
      ifname: `wlan${radio}`,
      mac: hwsimMac(radio),
      ns: `vlab-${sta.name}`,
      ctrlDir: `${RUN_DIR}/${sta.name}/wpa`,
      dir: `${RUN_DIR}/${sta.name}`,
    };
  });
  const kmsDir = `${RUN_DIR}/kms`;
  const kms: KmsPlan = {
    ns: 'vlab-kms',
    ip: KMS_IP,
    ifname: KMS_IFNAME,
    mac: KMS_MAC,
    dir: kmsDir,
    configPath: `${kmsDir}/kms.yaml`,
    logPath: `${kmsDir}/kmsd.log`,
    apiPort: 8900,
  };
  return { radios: aps.length + stations.length, kms, aps, stations, radiusNs: 'vlab-radius', managerNs: 'vlab-kms', dsNs: 'vlab-ds' };
}

export function macsOf(plan: Plan): Record<string, string> {
  return Object.fromEntries([...plan.aps.map((a) => [a.name, a.bssid]), ...plan.stations.map((s) => [s.name, s.mac])]);
}

/** Replaces {<ap>} (BSSID), {<station>} (MAC) and {kms} (the KMS's MAC on the DS) in a pattern or command. */
export function fillNames(text: string, plan: Plan): string {
  const names: Record<string, string> = { ...macsOf(plan), kms: plan.kms.mac };
  return text.replace(/\{([a-z][a-z0-9]*)\}/g, (whole, n: string) => names[n] ?? whole);
}
