// RF-neighbour discovery in the virtual lab: stations' beacon reports
// (the KMS's REQ_BEACON over SSH, hostapd's BEACON-RESP-RX) give AP1 a neighbour, AP3, that no config
// names; the KMS pushes the list into AP1's 802.11k database (a station's neighbour report request
// returns it, Mobility Domain bit set) and key distribution uses it: a new station's PMK-R1 reaches
// AP3 before any roam, and the roam there is FT with 0 EAP frames. hw/vlab/scenarios/kms-neighbors.yaml
// says step by step what it asserts. mac80211_hwsim gives one signal per sender (no per-pair signal),
// so ranking among candidates is tested with synthetic and recorded reports in test/unit/neighbors.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { analyseCaptureFile } from '../../adapters/pcap/roam-analysis.js';
import { expectAnalyzerAgrees } from './roam-crosscheck.js';
import { MINUTE, expectPass, printTables, runLab } from './lab-run.js';
import { loadScenario, parseScenario } from '../../hw/vlab/scenario.js';
import { makePlan, RADIUS_IP } from '../../hw/vlab/plan.js';
import { kmsdConfigYaml } from '../../hw/vlab/configs.js';
import { withDiscovery } from '../../hw/vlab/guest/kms.js';
import { neighborReportEventText, neighborReportFromLog } from '../../hw/vlab/guest/steps.js';
import { parseConfig } from '../../daemon/config/load.js';
import { fixtureKmsInputs } from './kms-inputs.js';
import { BSSID_INFO } from '../../daemon/neighbors/neighbor-report.js';

afterAll(printTables);

describe('kms-neighbors: what the runner writes and reads (no VM)', () => {
  const s = loadScenario('kms-neighbors');
  const plan = makePlan(s);
  const inputs = fixtureKmsInputs(plan);

  it("kms.discovery becomes kmsd's distribution.neighbors; only AP1 has a static (pinned) neighbour", () => {
    const d = parseConfig(kmsdConfigYaml(withDiscovery(s), plan, inputs, RADIUS_IP), 'lab kms.yaml').distribution!;
    expect(d.neighbors).toMatchObject({
      enabled: true,
      tickS: 1,
      beaconRequest: { mode: 'table', afterJoinDelayS: 1, perStationMinIntervalS: 10 },
      neighborReports: { minIntervalS: 1, mobilityDomainBit: true },
    });
    expect(d.aps.map((a) => [a.name, a.neighbors])).toEqual([
      ['ap1', ['ap2']],
      ['ap2', []],
      ['ap3', []],
    ]);
  });

  it('a bad discovery block or neighbour step fails at load time with its path', () => {
    const base = 'name: x\naps: [{name: ap1}, {name: ap2}]\nstations: [{name: sta1}]\n';
    expect(() => parseScenario(`${base}kms: {discovery: {topK: 0}}\nsteps: [{sleep: {ms: 1}}]\n`)).toThrow(/kms\.discovery\.topK/);
    expect(() =>
      parseScenario(`${base}kms: {neighbors: {ap1: [ap2]}, discovery: {forbid: {ap1: [ap2]}}}\nsteps: [{sleep: {ms: 1}}]\n`),
    ).toThrow(/both a static neighbour of ap1 and forbidden/);
    expect(() => parseScenario(`${base}kms: {}\nsteps: [{neighbor-report: {station: sta1, expect: [ap9]}}]\n`)).toThrow(
      /steps\.0: unknown AP ap9/,
    );
    expect(() => parseScenario(`${base}kms: {}\nsteps: [{assert-kms: {neighbors: {ap: ap1, includes: [ap7]}}}]\n`)).toThrow(
      /steps\.0: unknown AP ap7/,
    );
  });

  it("reads a station's neighbour report from wpa_supplicant's debug hexdump (what RRM-NEIGHBOR-REP-RECEIVED would print)", () => {
    // token 1, then two Neighbor Report elements (EID 52, 13 octets each): ap2 and ap3 of the lab, info 0x48f (MD bit, key scope, security, RM, reachable).
    const nr = (bssid: string) => `34 0d ${bssid} 8f 04 00 00 51 01 07`;
    const line = `1764110000.123456: RRM: New Neighbor Report - hexdump(len=31): 01 ${nr('02 00 00 00 01 00')} ${nr('02 00 00 00 02 00')}`;
    const entries = neighborReportFromLog(line)!;
    expect(entries.map(neighborReportEventText)).toEqual([
      'RRM-NEIGHBOR-REP-RECEIVED bssid=02:00:00:00:01:00 info=0x48f op_class=81 chan=1 phy_type=7',
      'RRM-NEIGHBOR-REP-RECEIVED bssid=02:00:00:00:02:00 info=0x48f op_class=81 chan=1 phy_type=7',
    ]);
    expect(entries.every((e) => (e.info & BSSID_INFO.MOBILITY_DOMAIN) !== 0)).toBe(true);
    expect(neighborReportFromLog('1764110000.123456: RRM: New Neighbor Report - hexdump(len=1): 01')).toEqual([]);
    expect(neighborReportFromLog('wlan2: CTRL-EVENT-CONNECTED')).toBeNull();
  });
});

describe('kms-neighbors in the virtual lab', () => {
  it(
    '5: beacon reports → graph edge → 802.11k list with the MD bit → PMK-R1 pushed to a discovered-only AP → FT roam, 0 EAP',
    async () => {
      const r = await runLab('kms-neighbors', { kms: true });
      expectPass(r);
      expect(r.guest?.steps.every((x) => x.ok)).toBe(true);
      await expectAnalyzerAgrees(r);
      // sta1's two re-joins of AP1 (disconnect, then full EAP to the same BSSID) are no roams to the analyzer either.
      const rejoins = (await analyseCaptureFile(join(r.resultsDir, 'capture.pcap'))).roams.filter(
        (e) => e.method === 'initial' && e.fromBssid !== null && e.fromBssid === e.toBssid,
      );
      expect(rejoins).toHaveLength(2);
      expect(r.rows).toHaveLength(1);
      expect(r.rows[0]).toMatchObject({ station: 'sta2', from: 'ap1', to: 'ap3', method: 'ft', eapFrames: 0, eapolKeyFrames: 0 });
    },
    10 * MINUTE,
  );
});
