import { describe, expect, it } from 'vitest';
import {
  AKM,
  akmToHostapdKeyMgmt,
  derivePmkR0,
  derivePmkR1,
  derivePmkR1Name,
  deriveFtPtk,
  derivePmkid,
  pmkFromMsk,
  pmkidNeedsKck,
  pmksaCachePmk,
  usesSha384,
  xxKeyFor,
} from '../../../daemon/keys/index.js';
import { AA1, AA2, MDID, MSK, R0KH, SSID, STA, seq } from './inputs.js';

// The keys of WPA3-Enterprise's AKMs: 5 (WPA-EAP-SHA256, OKC), 3 (FT-EAP) and 13 (FT-EAP-SHA384,
// the 192-bit mode's FT). Same inputs as vectors.test.ts. IEEE 802.11 publishes no FT-SHA384
// hierarchy vectors, so the values below were computed with Python's hashlib/hmac, an
// implementation independent of this one, from hostapd 2.10's definitions (wpa_common.c:
// wpa_derive_pmk_r0/_r1/_r1_name, wpa_pmk_r1_to_ptk, rsn_pmkid); where hostapd itself printed a
// value (vectors.test.ts) the Python result is the same.

describe('FT-EAP-SHA384 (AKM 13) over SHA-384 end to end [Python cross-check]', () => {
  const xxKey = xxKeyFor(AKM.FT_IEEE8021X_SHA384, { msk: MSK })!;
  const r0 = derivePmkR0({ xxKey, ssid: SSID, mdid: MDID, r0khId: R0KH, s0khId: STA });

  it('XXKey is the first 384 bits of the MSK, PMK-R0 is 48 octets', () => {
    expect(xxKey.equals(MSK.subarray(0, 48))).toBe(true);
    expect(r0.pmkR0).toHaveLength(48);
  });

  it('PMK-R1 and PMKR1Name for a second R1KH (KDF-384, SHA-384 name)', () => {
    const r1 = derivePmkR1(r0.pmkR0, AA1, STA);
    expect(r1.toString('hex')).toBe('3c9045ebbf850cb66b2f4fd4ea8045821cdeae72da5f4a6f0eb6a8fcc9dc08e30b52042fe85b9cef038a2529a66f65c5');
    expect(derivePmkR1Name(r0.pmkR0Name, AA1, STA, 'sha384').toString('hex')).toBe('be22b40f18399c0ca26115b1651a5412');
    // The SHA-256 name would be another key's name: the target AP would not find the pushed key.
    expect(derivePmkR1Name(r0.pmkR0Name, AA1, STA, 'sha256').toString('hex')).not.toBe('be22b40f18399c0ca26115b1651a5412');
  });

  it('FT PTK with GCMP-256: KCK 24, KEK 32, TK 32 octets (KDF-384); PTKName stays SHA-256 in 2.10', () => {
    const r1 = derivePmkR1(r0.pmkR0, AA2, STA);
    const r1Name = derivePmkR1Name(r0.pmkR0Name, AA2, STA, 'sha384');
    const ptk = deriveFtPtk(r1, r1Name, seq(0x10, 0x2f), seq(0x80, 0x9f), AA2, STA, { kck: 24, kek: 32, tk: 32 });
    expect(ptk.kck.toString('hex')).toBe('d5d88057d726eb67f24a2277e55e342a8fd8659518a887ec');
    expect(ptk.kek.toString('hex')).toBe('ec44a811e453c60c01b96a20a4118206f5e7b4495bd6368585d335422c066e4d');
    expect(ptk.tk.toString('hex')).toBe('18721fd0589a874093d595b6c90a1d4c6a7b948201071f262fb7cdb39068eae0');
    expect(ptk.ptkName.toString('hex')).toBe('283eb95a034f7306fbc67af5055cacc6');
  });

  it('PMK and PMKSA-cache PMK are MSK[0..47]; the PMKID is HMAC-SHA-384', () => {
    expect(pmkFromMsk(MSK, AKM.FT_IEEE8021X_SHA384).equals(MSK.subarray(0, 48))).toBe(true);
    expect(pmksaCachePmk(MSK, AKM.FT_IEEE8021X_SHA384).equals(MSK.subarray(0, 48))).toBe(true);
    expect(derivePmkid(MSK.subarray(0, 48), AA2, STA, AKM.FT_IEEE8021X_SHA384).toString('hex')).toBe('b2a4b981d2dd3db3360079cb42190bb5');
    expect(usesSha384(AKM.FT_IEEE8021X_SHA384)).toBe(true);
    expect(akmToHostapdKeyMgmt(AKM.FT_IEEE8021X_SHA384)).toBe(0x1000000);
  });
});

describe('WPA-EAP-SHA256 (AKM 5), the OKC AKM of WPA3-Enterprise [Python cross-check]', () => {
  const pmk = pmkFromMsk(MSK, AKM.IEEE8021X_SHA256);
  it('PMK is MSK[0..31] (hostapd caches the same), PMKID is HMAC-SHA-256 per target BSSID', () => {
    expect(pmk.equals(MSK.subarray(0, 32))).toBe(true);
    expect(pmksaCachePmk(MSK, AKM.IEEE8021X_SHA256).equals(pmk)).toBe(true);
    expect(derivePmkid(pmk, AA1, STA, AKM.IEEE8021X_SHA256).toString('hex')).toBe('6a63e1e55b1722409597ab7e4b94ed9b');
    expect(derivePmkid(pmk, AA2, STA, AKM.IEEE8021X_SHA256).toString('hex')).toBe('e52fea23f069cf3573dde612f042297e');
  });
  it('PMKSA_ADD key_mgmt bit is WPA_KEY_MGMT_IEEE8021X_SHA256 (128)', () => {
    expect(akmToHostapdKeyMgmt(AKM.IEEE8021X_SHA256)).toBe(128);
  });
});

describe('Suite B (AKMs 11 and 12)', () => {
  it('no PMKID from the PMK: hostapd names the PMKSA with the KCK of the 4-way handshake', () => {
    expect(pmkidNeedsKck(AKM.IEEE8021X_SUITE_B_192)).toBe(true);
    expect(pmkidNeedsKck(AKM.IEEE8021X_SUITE_B)).toBe(true);
    expect(pmkidNeedsKck(AKM.IEEE8021X_SHA256)).toBe(false);
    expect(() => derivePmkid(MSK.subarray(0, 48), AA2, STA, AKM.IEEE8021X_SUITE_B_192)).toThrow(/SUITE-B-192.*KCK/);
  });
  it('the 192-bit PMK is MSK[0..47]', () => {
    expect(pmkFromMsk(MSK, AKM.IEEE8021X_SUITE_B_192).equals(MSK.subarray(0, 48))).toBe(true);
    expect(xxKeyFor(AKM.IEEE8021X_SUITE_B_192, { msk: MSK })).toBeNull();
  });
});
