// The lab's revocation checks without a VM: the kms-revoke scenario and its new steps parse (and
// mistakes are named), kmsd accepts the DAS part of the config the lab writes and the APs get the
// DAS lines from it, and the frame logic behind expect-disconnect and rejoin reads captures right.
import { describe, it, expect } from 'vitest';
import { loadScenario, parseScenario } from '../../../hw/vlab/scenario.js';
import { makePlan, RADIUS_IP } from '../../../hw/vlab/plan.js';
import { hostapdConf, kmsdConfigYaml, mergeHostapdConf } from '../../../hw/vlab/configs.js';
import { parseConfig } from '../../../daemon/config/load.js';
import { renderHostapd } from '../../../daemon/distribution/ap-config.js';
import { decode80211, type WifiFrame } from '../../../hw/vlab/pcap.js';
import { disconnectFrames, explainNoDisconnect, formatDisconnects, reloginOf } from '../../../hw/vlab/revocation.js';
import { checkExpectations } from '../../../hw/vlab/expect.js';
import { fixtureKmsInputs } from '../../lab/kms-inputs.js';

const STA = '02:00:00:00:03:00';
const AP1 = '02:00:00:00:00:00';
const AP2 = '02:00:00:00:01:00';
const f = (at: number, kind: WifiFrame['kind'], src: string, dst: string, extra: Partial<WifiFrame> = {}): WifiFrame => ({
  at,
  kind,
  src,
  dst,
  ...extra,
});

describe('kms-revoke: the scenario and its steps', () => {
  it('loads, with DAS on the neighbours and the revocation steps in order', () => {
    const s = loadScenario('kms-revoke');
    expect(s.kms?.das).toEqual(['ap2', 'ap3', 'ap4']);
    const kinds = s.steps.map((st) => Object.keys(st)[0]);
    expect(kinds).toContain('kms-revoke');
    expect(kinds.indexOf('expect-disconnect')).toBeLessThan(kinds.indexOf('rejoin'));
    expect(s.steps.find((st) => 'kms-revoke' in st && st['kms-revoke'].via === 'api')).toBeDefined();
  });

  const head = 'name: x\naps: [{name: ap1}, {name: ap2}]\nstations: [{name: sta1}]\n';
  it('names what is wrong with the revocation steps', () => {
    expect(() => parseScenario(`${head}steps: [{kms-revoke: {station: sta1}}]\n`)).toThrow(
      /steps\.0: kms-revoke needs an enabled kms: section/,
    );
    expect(() => parseScenario(`${head}kms: {das: true}\nsteps: [{kms-revoke: {station: sta9}}]\n`)).toThrow(
      /steps\.0: unknown station sta9/,
    );
    expect(() => parseScenario(`${head}kms: {das: true}\nsteps: [{kms-revoke: {station: sta1, via: ssh}}]\n`)).toThrow(
      /steps\.0: Invalid input/,
    );
    expect(() =>
      parseScenario(
        `${head}kms: {}\nsteps: [{join: {station: sta1, ap: ap1}}, {expect-disconnect: {station: sta1, ap: ap1, withinMs: 100}}]\n`,
      ),
    ).toThrow(/kms\.das: expect-disconnect needs kms\.das: true/);
    expect(() => parseScenario(`${head}kms: {das: true}\nsteps: [{rejoin: {station: sta1}}]\n`)).toThrow(
      /steps\.0: rejoin of sta1 needs an earlier expect-disconnect of it/,
    );
    expect(() => parseScenario(`${head}kms: {das: true, distribution: false}\nsteps: [{sleep: {ms: 1}}]\n`)).toThrow(
      /kms\.das: das needs kms\.distribution: true/,
    );
    expect(() =>
      parseScenario(
        `${head}kms: {das: true}\nsteps: [{join: {station: sta1, ap: ap1}}, {expect-disconnect: {station: sta1, ap: ap1, withinMs: 100, since: revoke}}]\n`,
      ),
    ).toThrow(/steps\.1: expect-disconnect since: revoke needs an earlier kms-revoke of sta1/);
  });

  it('an expected roam without `to` matches wherever the station went', () => {
    const row = {
      station: 'sta1',
      from: 'ap2',
      to: 'ap1',
      via: 'reconnect',
      method: 'full-eap' as const,
      eapFrames: 9,
      eapolKeyFrames: 4,
      captureMs: 300,
      eventsMs: 400,
      requestToConnectedMs: 500,
      ftFailure: null,
    };
    expect(checkExpectations([{ station: 'sta1', from: 'ap2', method: 'full-eap', minEapFrames: 1 }], [row])).toEqual([]);
    expect(checkExpectations([{ station: 'sta1', from: 'ap2', method: 'pmksa' }], [row])).toEqual([
      'expect.roams[0] (sta1 ap2→any AP): method was full-eap, expected pmksa',
    ]);
  });
});

describe('kms-revoke: DAS in the configs the lab writes', () => {
  const s = loadScenario('kms-revoke');
  const plan = makePlan(s);
  const inputs = fixtureKmsInputs(plan);
  const cfg = parseConfig(kmsdConfigYaml(s, plan, inputs, RADIUS_IP), 'lab kms.yaml');

  it('kmsd accepts it: the neighbours have a DAS with its own secret, FreeRADIUS may send Disconnect/CoA', () => {
    expect(cfg.radius.clients.map((c) => [c.name, c.das?.port])).toEqual([
      ['ap1', undefined],
      ['ap2', 3799],
      ['ap3', 3799],
      ['ap4', 3799],
    ]);
    expect(cfg.radius.clients[1]!.das!.secret).not.toEqual(cfg.radius.clients[2]!.das!.secret);
    expect(cfg.radius.dynamicAuthorization).toMatchObject({
      listen: { address: plan.kms.ip, port: 3799 },
      upstreams: [{ name: 'freeradius', address: RADIUS_IP }],
    });
  });

  it('kms.das may name the APs that get a DAS', () => {
    const text = 'name: x\naps: [{name: ap1}, {name: ap2}]\nstations: [{name: sta1}]\nkms: {das: [ap2]}\nsteps: [{sleep: {ms: 1}}]\n';
    const one = parseScenario(text);
    const c = parseConfig(kmsdConfigYaml(one, makePlan(one), fixtureKmsInputs(makePlan(one)), RADIUS_IP));
    expect(c.radius.clients.map((x) => [x.name, x.das !== undefined])).toEqual([
      ['ap1', false],
      ['ap2', true],
    ]);
    expect(() => parseScenario(text.replace('[ap2]', '[ap7]'))).toThrow(/kms\.das: unknown AP ap7/);
  });

  it('other KMS scenarios stay without DAS', () => {
    const ft = loadScenario('kms-ft');
    const c = parseConfig(kmsdConfigYaml(ft, makePlan(ft), fixtureKmsInputs(makePlan(ft)), RADIUS_IP));
    expect(c.radius.dynamicAuthorization).toBeUndefined();
    expect(c.radius.clients.every((x) => x.das === undefined)).toBe(true);
  });

  it("each AP's merged hostapd.conf has the DAS lines kmsctl ap-config writes, with the KMS as the only client", () => {
    const d = cfg.distribution!;
    const ap = plan.aps[1]!;
    const client = cfg.radius.clients[1]!;
    const das = {
      secret: client.das!.secret as string,
      port: client.das!.port,
      kmsAddress: d.kmsRadiusAddress,
      eventTimestampWindowS: cfg.radius.dynamicAuthorization!.eventTimestampWindowS,
    };
    const kms = renderHostapd({
      distribution: d,
      ap: d.aps[1]!,
      das,
      radiusSecret: 'x',
      rrbKeyHex: 'ab'.repeat(32),
      kmsMac: plan.kms.mac,
      authPort: 1812,
      acctPort: 1813,
    });
    const base = hostapdConf(s, plan, ap, {
      ifname: ap.ifname,
      bridge: 'br-lan',
      ctrlDir: ap.ctrlDir,
      ownIp: ap.ip,
      radiusIp: plan.kms.ip,
    });
    const conf = mergeHostapdConf(base, kms, 'kms');
    const values = (key: string) =>
      conf
        .split('\n')
        .filter((l) => l.startsWith(`${key}=`))
        .map((l) => l.slice(key.length + 1));
    expect(values('radius_das_port')).toEqual(['3799']);
    expect(values('radius_das_client')).toEqual([`${plan.kms.ip} ${das.secret}`]);
    expect(values('radius_das_require_message_authenticator')).toEqual(['1']);
  });
});

describe('kms-revoke: reading disconnects and logins from the frames', () => {
  it('decodes the reason code of a Deauthentication', () => {
    const frame = Buffer.alloc(26);
    frame[0] = 0xc0; // management, subtype 12 (deauthentication)
    Buffer.from(STA.replace(/:/g, ''), 'hex').copy(frame, 4);
    Buffer.from(AP2.replace(/:/g, ''), 'hex').copy(frame, 10);
    frame.writeUInt16LE(2, 24);
    expect(decode80211(frame, 5)).toEqual({ at: 5, kind: 'deauth', src: AP2, dst: STA, reason: 2 });
  });

  const roam = [
    f(100, 'auth', STA, AP2, { authAlg: 2, authSeq: 1 }),
    f(110, 'auth', AP2, STA, { authAlg: 2, authSeq: 2, status: 0 }),
    f(120, 'reassoc-req', STA, AP2),
    f(130, 'reassoc-resp', AP2, STA, { status: 0 }),
  ];

  it("times the disconnect from the AP's Reassociation Response to its Deauthentication", () => {
    const frames = [
      f(50, 'reassoc-resp', AP1, STA, { status: 0 }),
      ...roam,
      f(150, 'deauth', STA, AP1),
      f(460, 'deauth', AP2, STA, { reason: 2 }),
    ];
    const d = disconnectFrames(frames, STA, AP2, 90);
    expect(d.admitted?.at).toBe(130);
    expect(d.disconnect).toMatchObject({ at: 460, reason: 2 });
    expect(d.stationLeft).toBeUndefined();
    // A refused Reassociation admits nobody.
    expect(disconnectFrames([f(130, 'reassoc-resp', AP2, STA, { status: 55 })], STA, AP2, 90)).toEqual({});
  });

  it('says which link broke when no disconnect came', () => {
    const base = {
      station: 'sta1',
      staMac: STA,
      ap: 'ap2',
      bssid: AP2,
      stillAssociated: true,
      frames: disconnectFrames(roam, STA, AP2, 90),
    };
    expect(explainNoDisconnect({ ...base, apLines: [], kmsLines: [] })).toMatch(
      /ap2 still lists sta1.*the KMS's log does not show sta1 at ap2.*ap2's DAS received nothing/,
    );
    expect(explainNoDisconnect({ ...base, apLines: [], kmsLines: [`{"sta":"${STA}","to":"${AP2}","msg":"station seen at AP"}`] })).toMatch(
      /the KMS saw sta1 at ap2 but logged no Disconnect-Request for it/,
    );
    expect(
      explainNoDisconnect({
        ...base,
        apLines: ['1.000000: DAS: Received 120 bytes from 10.77.0.3:40000', '1.000001: DAS: Drop message from unknown client'],
        kmsLines: [],
      }),
    ).toMatch(/ap2's DAS received 1 request\(s\) and logged .*Drop message from unknown client/);
    expect(explainNoDisconnect({ ...base, frames: {}, apLines: [], kmsLines: [] })).toMatch(/never let in there/);
    expect(
      explainNoDisconnect({
        ...base,
        frames: { ...base.frames, stationLeft: f(200, 'deauth', STA, AP2, { reason: 3 }) },
        apLines: [],
        kmsLines: [],
      }),
    ).toMatch(/sta1 left ap2 itself \(deauth from the station, reason 3 \(leaving\)\)/);
  });

  it('classifies the login after a disconnect by its last authentication', () => {
    const fullEap = [
      f(1000, 'auth', STA, AP1, { authAlg: 0, authSeq: 1 }),
      f(1010, 'assoc-resp', AP1, STA, { status: 0 }),
      ...Array.from({ length: 8 }, (_, i) => f(1020 + i, 'eap', i % 2 ? AP1 : STA, i % 2 ? STA : AP1)),
      ...Array.from({ length: 4 }, (_, i) => f(1100 + i, 'eapol-key', i % 2 ? STA : AP1, i % 2 ? AP1 : STA)),
    ];
    expect(reloginOf(fullEap, STA, AP1, 900, 1200)).toEqual({ method: 'full-eap', eapFrames: 8, eapolKeyFrames: 4 });
    const cached = [
      f(1000, 'auth', STA, AP1, { authAlg: 0, authSeq: 1 }),
      ...Array.from({ length: 4 }, (_, i) => f(1100 + i, 'eapol-key', i % 2 ? STA : AP1, i % 2 ? AP1 : STA)),
    ];
    expect(reloginOf(cached, STA, AP1, 900, 1200).method).toBe('pmksa');
    expect(reloginOf(roam, STA, AP2, 90, 200).method).toBe('ft');
    // Frames before the disconnect (the revoked session's own) do not count.
    expect(reloginOf(fullEap, STA, AP1, 1150, 1200).method).toBe('unknown');
  });

  it('prints each disconnect with its bound', () => {
    expect(
      formatDisconnects([
        {
          station: 'sta1',
          ap: 'ap2',
          how: 'roam',
          since: 'admission',
          admittedAt: 130,
          disconnectedAt: 460,
          frame: 'deauth',
          reason: 2,
          captureMs: 330,
          eventsMs: 310.5,
          withinMs: 2000,
        },
        {
          station: 'sta2',
          ap: 'ap2',
          how: 'join',
          since: 'revoke',
          admittedAt: 130,
          revokedAt: 5000,
          disconnectedAt: 5120,
          frame: 'deauth',
          reason: 2,
          captureMs: 120,
          eventsMs: null,
          withinMs: 2000,
        },
      ]),
    ).toBe(
      [
        'disconnected after revocation:',
        '  sta1 at ap2 (roam): 330.0 ms from the (Re)Association Response to the Deauthentication (reason 2 (previous authentication no longer valid)), AP-STA-CONNECTED → AP-STA-DISCONNECTED 310.5 ms; bound 2000 ms',
        "  sta2 at ap2 (join): 120.0 ms from kmsd's `station revoked` to the Deauthentication (reason 2 (previous authentication no longer valid)); bound 2000 ms",
      ].join('\n'),
    );
  });
});
