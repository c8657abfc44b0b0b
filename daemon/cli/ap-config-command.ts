import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, resolveSecret } from '../config/load.js';
import { normalizeMac } from '../common/mac.js';
import { renderHostapd, renderRxkhFile, renderUci } from '../distribution/ap-config.js';
import type { FallbackAaaInputs } from '../distribution/ap-radius-servers.js';
import type { KmsConfig } from '../config/schema.js';
import { HOSTAPD_VERSIONS, type HostapdVersion } from '../keys/akm.js';
import { rrbKeyFromHex } from '../keys/rrb-key.js';

// kmsctl ap-config: the lines an AP needs, from the KMS's own config (no daemon needed).

export function registerApConfigCommand(program: Command, configFile: () => string): void {
  program
    .command('ap-config')
    .description("print an AP's configuration for use with the KMS (hostapd.conf lines or an OpenWrt UCI snippet)")
    .argument('<ap>', 'AP name from distribution.aps')
    .option('--format <format>', 'hostapd | uci | rxkh (the rxkh_file content, hostapd 2.11+)', 'hostapd')
    .option(
      '--hostapd <version>',
      "the AP's hostapd release line: 2.10 | 2.11 (2.11 and later); default the AP's hostapdVersion, else 2.10",
    )
    .option('--rxkh-file <path>', 'hostapd 2.11+: put rxkh_file=<path> in place of the r0kh line (print the file with --format rxkh)')
    .option(
      '--fallback-aaa',
      'add the AAA server (the first of radius.upstreams) as the last RADIUS server: logins go on with every KMS down, roams are then full EAP; the AAA server needs this AP as a client with its secret',
    )
    .option('--json', 'machine-readable output: {ap, format, text}')
    .addHelpText(
      'after',
      [
        '',
        'With a cluster: section the AP gets every member as a RADIUS server, in an order of its own (a',
        'rendezvous hash of AP and member names, so APs start spread over the members; hostapd fails over',
        'to the next when one stops answering), and rkh_neg_timeout=cluster.leaseTtlS so a PULL lost while',
        'the KMS MAC moves blocks a R0KH-ID for seconds, not 60 s. With --fallback-aaa the AP also tries its',
        'first server again every 600 s (radius_retry_primary_interval), or it would stay on the AAA server.',
        'UCI: the servers as auth_server/acct_server lists, the rest as hostapd_bss_options. See docs/cluster.md.',
      ].join('\n'),
    )
    .action((apName: string, o: { format: string; hostapd?: string; rxkhFile?: string; fallbackAaa?: boolean; json?: boolean }) => {
      if (o.hostapd !== undefined && !HOSTAPD_VERSIONS.includes(o.hostapd as HostapdVersion)) {
        throw new Error(`--hostapd must be ${HOSTAPD_VERSIONS.join(' or ')}, not "${o.hostapd}"`);
      }
      const file = configFile();
      const cfg = loadConfig(file);
      const d = cfg.distribution;
      if (!d) throw new Error(`${file} has no distribution section: there are no APs to configure`);
      const ap = d.aps.find((a) => a.name === apName);
      if (!ap) throw new Error(`no AP named "${apName}" in ${file} (have: ${d.aps.map((a) => a.name).join(', ')})`);
      const client = cfg.radius.clients.find((c) => c.name === ap.radiusClient)!;
      const rrbKeyHex = resolveSecret(ap.rrbKey, `distribution.aps[${ap.name}].rrbKey`).trim().toLowerCase();
      // The AP gets the key as written: hostapd expands a legacy 32-digit key the way the KMS does.
      const checked = rrbKeyFromHex(rrbKeyHex);
      if (!checked.ok) throw new Error(`distribution.aps[${ap.name}].rrbKey ${checked.problem}`);
      const kmsMac = d.rrb.mac ?? interfaceMac(d.rrb.interface);
      const dynamic = cfg.radius.dynamicAuthorization;
      // The DAS lines only when the KMS relays Disconnect/CoA and this AP's client entry has a DAS.
      const das =
        dynamic && client.das
          ? {
              secret: resolveSecret(client.das.secret, `radius.clients[${client.name}].das.secret`),
              port: client.das.port,
              kmsAddress: dynamic.sourceAddress ?? d.kmsRadiusAddress,
              eventTimestampWindowS: dynamic.eventTimestampWindowS,
            }
          : undefined;
      const inputs = {
        distribution: d,
        ap,
        rrbKeyHex,
        kmsMac,
        ...(das ? { das } : {}),
        radiusSecret: resolveSecret(client.secret, `radius.clients[${client.name}].secret`),
        authPort: cfg.radius.authListen.port || 1812,
        acctPort: cfg.radius.acctListen.port || 1813,
        ...(o.hostapd ? { hostapd: o.hostapd as HostapdVersion } : {}),
        ...(o.rxkhFile !== undefined ? { rxkhFile: o.rxkhFile } : {}),
        ...(cfg.cluster ? { cluster: { members: cfg.cluster.members, leaseTtlS: cfg.cluster.leaseTtlS } } : {}),
        ...(o.fallbackAaa ? { fallbackAaa: fallbackAaaOf(cfg.radius.upstreams[0]!) } : {}),
      };
      const render = { hostapd: renderHostapd, uci: renderUci, rxkh: renderRxkhFile }[o.format];
      if (!render) throw new Error(`--format must be hostapd, uci or rxkh, not "${o.format}"`);
      const text = render(inputs);
      process.stdout.write(o.json ? `${JSON.stringify({ ap: ap.name, format: o.format, text })}\n` : text);
    });
}

/** The AP reaches the AAA server as the KMS does, but over plain RADIUS: hostapd 2.10 has no RadSec. */
function fallbackAaaOf(u: KmsConfig['radius']['upstreams'][number]): FallbackAaaInputs {
  if (u.transport !== 'udp')
    throw new Error(
      `--fallback-aaa: the first of radius.upstreams (${u.name}) is RadSec (transport: tls); the AP would need its UDP RADIUS address and ports`,
    );
  return { name: u.name, address: u.address, authPort: u.authPort, acctPort: u.acctPort };
}

function interfaceMac(ifname: string): string {
  let text: string;
  try {
    text = readFileSync(`/sys/class/net/${ifname}/address`, 'utf8');
  } catch {
    throw new Error(`cannot read the MAC of ${ifname} (distribution.rrb.interface): set distribution.rrb.mac`);
  }
  const mac = normalizeMac(text.trim());
  if (!mac) throw new Error(`${ifname} has no Ethernet MAC: set distribution.rrb.mac`);
  return mac;
}
