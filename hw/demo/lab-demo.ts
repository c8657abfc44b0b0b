// npm run demo: the KMS's main job, shown in the virtual lab with real hostapd APs, a real
// wpa_supplicant station and a real FreeRADIUS (the radios are simulated): a station joins
// through the KMS, its key reaches the neighbour before the roam, and the roam is FT with no
// EAP. Then the same roam without the KMS (full EAP), so the two can be compared.
// `npm run demo:wired` is the quicker demo without radios (hostapd -Dwired, one login).
import { runScenario, type LabRun } from '../vlab/run.js';

const quiet = process.argv.includes('--quiet');
const log = quiet ? () => undefined : (l: string) => console.log(l);
const ms = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v.toFixed(0)} ms`);

function roamLine(run: LabRun): string {
  const r = run.rows[0];
  if (!r) return 'no roam happened';
  return `${r.method}, ${r.eapFrames ?? 'n/a'} EAP frames, ${ms(r.captureMs)} on the air (first Authentication to the last key frame), ${ms(r.requestToConnectedMs)} request → connected`;
}

async function main(): Promise<void> {
  console.log('== the KMS in the virtual lab: join through the KMS, keys placed ahead, FT roam (first run builds the guest image)');
  const withKms = await runScenario('demo-kms-roam', { log });
  console.log('\n== the same roam without the KMS: no key sharing, full EAP at the new AP');
  const without = await runScenario('roam-full-eap', { log });

  const stored = withKms.kms?.pushStoredMs['sta1#1'] ?? {};
  console.log(`\n${withKms.table}\n\n${without.table}\n`);
  console.log('== result');
  console.log(`  sta1 joined ap1 through the KMS (PEAP to FreeRADIUS); the KMS learned its PMK-R0`);
  console.log(`  its PMK-R1 was stored by ap2 ${ms(stored.ap2)} after the Access-Accept, before any roam`);
  console.log(`  roam ap1 → ap2 with the KMS:    ${roamLine(withKms)}`);
  console.log(`  roam ap1 → ap2 without the KMS: ${roamLine(without)}`);
  for (const run of [withKms, without]) if (!run.ok) console.log(`\nFAIL ${run.scenario.name}:\n${run.failures.join('\n\n')}`);
  console.log(`\nresults: ${withKms.resultsDir}\n         ${without.resultsDir}`);
  process.exitCode = withKms.ok && without.ok ? 0 : 1;
}

main().catch((e: Error) => {
  console.error(`demo failed: ${e.message}`);
  process.exitCode = 1;
});
