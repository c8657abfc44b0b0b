// The ctrl-interface command lines and ubus argument objects the AP drivers send: the exact text
// hostapd's parsers (ctrl_iface.c, ubus.c) take, and the refusals of what they would misread.
import { describe, expect, it } from 'vitest';
import {
  bssTmReqCommand,
  bssTransitionArgs,
  deauthenticateCommand,
  delClientArgs,
  parseNeighborList,
  removeNeighborCommand,
  reqBeaconCommand,
  rrmBeaconReqArgs,
  rrmNrSetArgs,
  setNeighborCommand,
} from '../../../adapters/hostapd/index.js';

const STA = '02:00:00:00:00:41';
const HWSIM_NR = Buffer.from('00112233445500000000510107', 'hex'); // hwsim's test_rrm_neighbor_db nr
const CANDIDATE = Buffer.from('020000000700ef0d00005109070301ff0603000900', 'hex'); // preference 255, wide bandwidth

describe('REQ_BEACON and rrm_beacon_req', () => {
  it('formats the request body the same way for both', () => {
    expect(reqBeaconCommand('02-00-00-00-00-41', { opClass: 81, channel: 0, mode: 'table' })).toBe(
      `REQ_BEACON ${STA} 51000000000002ffffffffffff`,
    );
    expect(reqBeaconCommand(STA, { opClass: 81, channel: 0, mode: 'active' }, 0x10)).toBe(
      `REQ_BEACON ${STA} req_mode=10 51000000640001ffffffffffff`,
    );
    expect(rrmBeaconReqArgs(STA, { opClass: 115, channel: 36, mode: 'active', durationTu: 50 })).toEqual({
      addr: STA,
      mode: 1,
      op_class: 115,
      channel: 36,
      duration: 50,
    });
  });
  it('refuses a bad station and a request the frame cannot carry', () => {
    expect(() => reqBeaconCommand('nope', { opClass: 81, channel: 0, mode: 'table' })).toThrow(RangeError);
    expect(() => rrmBeaconReqArgs(STA, { opClass: 81, channel: 256, mode: 'table' })).toThrow(RangeError);
  });
});

describe('SET_NEIGHBOR, REMOVE_NEIGHBOR and rrm_nr_set', () => {
  const entry = { bssid: '00:11:22:33:44:55', ssid: Buffer.from('rrm'), nr: HWSIM_NR };
  it('formats lines hostapd parses back (SHOW_NEIGHBOR prints the same shape)', () => {
    const line = setNeighborCommand(entry);
    expect(line).toBe('SET_NEIGHBOR 00:11:22:33:44:55 ssid=72726d nr=00112233445500000000510107');
    expect(parseNeighborList(`${line.slice('SET_NEIGHBOR '.length)}\n`)[0]).toMatchObject({
      bssid: '00:11:22:33:44:55',
      ssid: Buffer.from('rrm'),
      nr: HWSIM_NR,
    });
    expect(removeNeighborCommand('00-11-22-33-44-55', Buffer.from('rrm'))).toBe('REMOVE_NEIGHBOR 00:11:22:33:44:55 ssid=72726d');
    // An SSID containing "nr=" is why the SSID always goes as hex (hostapd finds nr= with strstr).
    expect(setNeighborCommand({ ...entry, ssid: Buffer.from('x nr=1') })).toMatch(/^SET_NEIGHBOR \S+ ssid=[0-9a-f]+ nr=[0-9a-f]+$/);
    expect(rrmNrSetArgs([entry])).toEqual({ list: [['00:11:22:33:44:55', 'rrm', '00112233445500000000510107']] });
  });
  it.each([
    ['no SSID', { ...entry, ssid: Buffer.alloc(0) }, /SSID of 0 octets/],
    ['a 33-octet SSID', { ...entry, ssid: Buffer.alloc(33, 0x61) }, /SSID of 33 octets/],
    ['a bad BSSID', { ...entry, bssid: '00:11:22:33:44' }, /bad MAC/],
    ['an nr that is no Neighbor Report body', { ...entry, nr: Buffer.alloc(12) }, /Neighbor Report/],
  ])('refuses %s', (_what, e, re) => {
    expect(() => setNeighborCommand(e)).toThrow(re);
    expect(() => rrmNrSetArgs([e])).toThrow(re);
  });
});

describe('BSS_TM_REQ and bss_transition_request', () => {
  it('lists the candidates as ieee802_11_parse_candidate_list reads them', () => {
    expect(
      bssTmReqCommand({
        staMac: STA,
        candidates: [CANDIDATE, HWSIM_NR],
        disassocImminent: true,
        disassocTimerTbtt: 100,
        validityIntervalTbtt: 50,
        abridged: true,
      }),
    ).toBe(
      `BSS_TM_REQ ${STA} disassoc_imminent=1 disassoc_timer=100 valid_int=50 abridged=1 pref=1 ` +
        'neighbor=02:00:00:00:07:00,0x00000def,81,9,7,0301ff0603000900 neighbor=00:11:22:33:44:55,0x00000000,81,1,7',
    );
    expect(bssTmReqCommand({ staMac: STA, candidates: [] })).toBe(`BSS_TM_REQ ${STA}`);
    expect(bssTransitionArgs({ staMac: STA, candidates: [CANDIDATE], disassocImminent: true, disassocTimerTbtt: 100 })).toEqual({
      addr: STA,
      neighbors: [CANDIDATE.toString('hex')],
      disassociation_imminent: true,
      disassociation_timer: 100,
    });
  });
  it('refuses malformed candidates and values', () => {
    expect(() => bssTmReqCommand({ staMac: STA, candidates: [Buffer.alloc(5)] })).toThrow(/Neighbor Report/);
    expect(() => bssTmReqCommand({ staMac: STA, candidates: [], disassocTimerTbtt: 70000 })).toThrow(RangeError);
    expect(() => bssTransitionArgs({ staMac: 'x', candidates: [] })).toThrow(/bad MAC/);
  });
});

describe('DEAUTHENTICATE and del_client', () => {
  it('formats the reason (default 1, unspecified) and never bans', () => {
    expect(deauthenticateCommand({ staMac: STA })).toBe(`DEAUTHENTICATE ${STA} reason=1`);
    expect(deauthenticateCommand({ staMac: '02-00-00-00-00-41', reason: 5 })).toBe(`DEAUTHENTICATE ${STA} reason=5`);
    expect(delClientArgs({ staMac: STA, reason: 5 })).toEqual({ addr: STA, reason: 5, deauth: true, ban_time: 0 });
    expect(() => deauthenticateCommand({ staMac: STA, reason: -1 })).toThrow(RangeError);
  });
});
