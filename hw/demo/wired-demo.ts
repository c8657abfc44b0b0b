// npm run demo: the KMS doing its first job with real parts, on one machine, no radios needed.
// FreeRADIUS (AAA) <- kmsd (RADIUS proxy) <- hostapd -Dwired (the "AP", in a namespace)
// <- wpa_supplicant -Dwired (the "station", in another namespace), PEAP/MSCHAPv2.
// It prints what kmsctl shows about the station, then keeps kmsd running until Ctrl-C
// (or exits at once with --once) so you can poke at it with kmsctl yourself.
import { startFreeRadius } from '../../test/helpers/freeradius.js';
import { startKms } from '../../test/helpers/kms.js';
import { canUseNetns } from '../../test/helpers/netns.js';
import { createWiredTopology, startWiredAuthenticator, runWiredSupplicant } from '../../test/helpers/wired-8021x.js';

const STA = '02:00:00:00:00:51';
const once = process.argv.includes('--once');

async function main(): Promise<void> {
  if (!canUseNetns()) throw new Error('the demo needs root (network namespaces); run it with sudo');
  const step = (s: string) => console.log(`\n== ${s}`);

  step('starting FreeRADIUS (the AAA server) on 127.0.0.1');
  const aaa = await startFreeRadius({ secret: 'demo-aaa-secret' });
  step('creating the AP and station namespaces');
  const topo = await createWiredTopology({ staMac: STA, apMac: '02:00:00:00:07:00' });
  const uplink = topo.uplink!;
  step(`starting kmsd on ${uplink.peerSide.ip} (RADIUS) and 127.0.0.1 (API)`);
  const kms = await startKms({
    logLevel: 'info',
    listenAddress: uplink.peerSide.ip,
    clients: [{ name: 'demo-ap', address: uplink.apSide.ip, secret: 'demo-ap-secret' }],
    upstreams: [{ name: 'freeradius', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: 'demo-aaa-secret' }],
  });
  step('starting hostapd -Dwired with the KMS as its RADIUS server');
  const ap = await startWiredAuthenticator({
    netns: topo.apNs,
    ifname: topo.apPort.ifname,
    ownIpAddr: uplink.apSide.ip,
    nasIdentifier: 'demo-ap.example.com',
    radius: { address: uplink.peerSide.ip, authPort: kms.authPort, acctPort: kms.acctPort, secret: 'demo-ap-secret' },
  });
  step(`station ${STA} authenticates (PEAP/MSCHAPv2 as alice)`);
  const r = await runWiredSupplicant({
    netns: topo.staNs,
    ifname: topo.staPort.ifname,
    identity: 'alice',
    password: 'password',
    caCertPath: aaa.caCertPath,
  });
  console.log(r.success ? `authenticated in ${r.durationMs.toFixed(0)} ms` : `authentication FAILED (${r.outcome})`);
  await ap.waitForLog(new RegExp(`AP-STA-CONNECTED ${STA}`)).catch(() => undefined);
  await new Promise((res) => setTimeout(res, 500)); // let the Accounting-Start arrive

  step('kmsctl stations');
  console.log((await kms.kmsctl(['stations'])).stdout);
  step(`kmsctl station ${STA} --bssid 02:00:00:00:08:00`);
  console.log((await kms.kmsctl(['station', STA, '--bssid', '02:00:00:00:08:00'])).stdout);
  step('kmsd log lines');
  console.log(
    kms
      .logs()
      .split('\n')
      .filter((l) => /station|ready|upstream/.test(l))
      .join('\n'),
  );

  const shutdown = async () => {
    await ap.stop();
    await kms.stop();
    await aaa.stop();
    await topo.destroy();
  };
  if (once || !r.success) {
    await shutdown();
    process.exit(r.success ? 0 : 1);
  }
  console.log(`\nkmsd keeps running. Try:\n  node dist/daemon/cli/kmsctl.js --config ${kms.configPath} stations\nCtrl-C stops everything.`);
  process.once('SIGINT', () => void shutdown().then(() => process.exit(0)));
}

main().catch((e) => {
  console.error(`demo failed: ${(e as Error).message}`);
  process.exit(1);
});
