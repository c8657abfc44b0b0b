// The hardware lab's inventory: real OpenWrt APs and a Linux station, each reached over SSH with a
// pinned host key. Scenario node names (ap1, sta1, …) are looked up here by name.
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const mac = z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, 'lower-case MAC address');
const sshTarget = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().default('root'),
  /** The host key exactly as in known_hosts after the address: "ssh-ed25519 AAAA…". */
  hostKey: z.string().regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256) [A-Za-z0-9+/=]+$/, 'an OpenSSH public key: "<type> <base64>"'),
  /** Private key for logging in; default: the SSH agent / ~/.ssh defaults. */
  identityFile: z.string().optional(),
});

const apSchema = z.strictObject({
  name: z.string(),
  ssh: sshTarget,
  bssid: mac,
  /** OpenWrt radio section (radio0) and the hostapd interface that serves the scenario's SSID. */
  radio: z.string().default('radio0'),
  ifname: z.string().default('wlan0'),
  bridge: z.string().default('br-lan'),
  ctrlDir: z.string().default('/var/run/hostapd'),
  /** How to follow hostapd's events on the AP; OpenWrt logs them to syslog. */
  eventCommand: z.string().default('logread -f -e hostapd'),
  /** Optional monitor interface on this AP for the capture (e.g. created with `iw phy phy1 interface add mon0 type monitor`). */
  monitorIfname: z.string().optional(),
});

const stationSchema = z.strictObject({
  name: z.string(),
  ssh: sshTarget,
  mac,
  ifname: z.string().default('wlan0'),
  /** Where the runner keeps its own wpa_supplicant's config, ctrl socket, log and pidfile. */
  workDir: z.string().default('/tmp/kms-hil'),
  caCert: z.string().optional(),
});

export const inventorySchema = z.strictObject({
  aps: z.array(apSchema).min(1),
  stations: z.array(stationSchema).min(1),
});

export type Inventory = z.infer<typeof inventorySchema>;
export type InventoryAp = Inventory['aps'][number];
export type InventoryStation = Inventory['stations'][number];
export type SshTarget = z.infer<typeof sshTarget>;

export const INVENTORY_ENV = 'KMS_HIL_INVENTORY';

/** The inventory file to use: $KMS_HIL_INVENTORY, else hw/hil/inventory.yaml; undefined if neither exists. */
export function findInventory(defaultPath: string): string | undefined {
  const fromEnv = process.env[INVENTORY_ENV];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${INVENTORY_ENV}=${fromEnv} does not exist`);
    return fromEnv;
  }
  return existsSync(defaultPath) ? defaultPath : undefined;
}

export function loadInventory(path: string): Inventory {
  const r = inventorySchema.safeParse(parseYaml(readFileSync(path, 'utf8')));
  if (!r.success)
    throw new Error(
      `${path} is not a valid HIL inventory:\n${r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  return r.data;
}
