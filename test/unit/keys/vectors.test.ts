import { describe, expect, it } from 'vitest';
import {
  AKM,
  derivePmkR0,
  derivePmkR1,
  derivePmkR1Name,
  deriveFtPtk,
  derivePmkid,
  pmkFromMsk,
  xxKeyFor,
  pskFromPassphrase,
  kdf,
  pmksaCachePmk,
} from '../../../daemon/keys/index.js';
import { macToBytes } from '../../../daemon/common/mac.js';
import { AA1, AA2, MDID, MSK, R0KH, SSID, STA, hex, seq } from './inputs.js';

// Every vector of docs/hostapd-interfaces.md, "Key hierarchy vectors".

describe('public vectors', () => {
  it('PSK from passphrase (Annex J)', () => {
    expect(pskFromPassphrase('password', 'IEEE').toString('hex')).toBe('f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e');
    expect(pskFromPassphrase('ThisIsAPassword', 'ThisIsASSID').toString('hex')).toBe(
      '0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af',
    );
  });

  it('hashcat 16800 PMKID (HMAC-SHA1)', () => {
    const pmk = pskFromPassphrase('hashcat!', hex('ed487162465a774bfba60eb603a39f3a'));
    expect(pmk.toString('hex')).toBe('5b13d4babb3714ccc62c9f71864bc984efd6a55f237c7a87fc2151e1ca658a9d');
    const pmkid = derivePmkid(pmk, macToBytes('46:04:ba:73:4d:4e'), macToBytes('89:ac:f0:e7:61:f4'), AKM.PSK);
    expect(pmkid.toString('hex')).toBe('2582a8281bf9d4308d6f5731d0e61c61');
  });

  it('rejects bad passphrases', () => {
    expect(() => pskFromPassphrase('short', 'x')).toThrow(/8\.\.63/);
  });
});

describe('FT-EAP (AKM 3) hierarchy [hostapd-generated]', () => {
  const xxKey = xxKeyFor(AKM.FT_IEEE8021X, { msk: MSK })!;
  const r0 = derivePmkR0({ xxKey, ssid: SSID, mdid: MDID, r0khId: R0KH, s0khId: STA });

  it('uses the second half of the MSK', () => {
    expect(xxKey.equals(MSK.subarray(32))).toBe(true);
  });
  it('PMK-R0 and PMKR0Name', () => {
    expect(r0.pmkR0.toString('hex')).toBe('ba9de5965fd375e9c34f7d5592eade5a4e8b7f79f56ebc86d46a2d3de8eb27b1');
    expect(r0.pmkR0Name.toString('hex')).toBe('0d93e545afa75635cf9bf28051145523');
  });
  it('PMK-R1 and PMKR1Name for two R1KHs', () => {
    expect(derivePmkR1(r0.pmkR0, AA1, STA).toString('hex')).toBe('ad89441ef78bb560351f6a369e9aed51b4571e364fd7e8bf0602133524d8d4be');
    expect(derivePmkR1Name(r0.pmkR0Name, AA1, STA).toString('hex')).toBe('6decf4fc7639eb5ff7ebada3f45ec9fe');
    expect(derivePmkR1(r0.pmkR0, AA2, STA).toString('hex')).toBe('ca2ac25071a665de46430333889a5f6015f7aab91e2b0fcf07311597b95e3c9d');
    expect(derivePmkR1Name(r0.pmkR0Name, AA2, STA).toString('hex')).toBe('1fcb399d50b69afd01b81afa6b36a30a');
  });
  it('FT PTK and PTKName at aa2 with CCMP', () => {
    const r1 = derivePmkR1(r0.pmkR0, AA2, STA);
    const r1Name = derivePmkR1Name(r0.pmkR0Name, AA2, STA);
    const ptk = deriveFtPtk(r1, r1Name, seq(0x10, 0x2f), seq(0x80, 0x9f), AA2, STA);
    expect(ptk.kck.toString('hex')).toBe('ff1f33a8df4e4c7f98e14d260c27b8a4');
    expect(ptk.kek.toString('hex')).toBe('7ed19fb454aa891922c66368dd7954e4');
    expect(ptk.tk.toString('hex')).toBe('cebe03e34d088c2129a571ccaedad6f9');
    expect(ptk.ptkName.toString('hex')).toBe('82d315ec5eacc61e0fc3ba042a910d00');
  });
});

describe('FT-EAP-SHA384 (AKM 13) [hostapd-generated]', () => {
  it('PMK-R0, PMKR0Name, PMK-R1, PMKR1Name', () => {
    const xxKey = xxKeyFor(AKM.FT_IEEE8021X_SHA384, { msk: MSK })!;
    expect(xxKey.equals(MSK.subarray(0, 48))).toBe(true);
    const r0 = derivePmkR0({ xxKey, ssid: SSID, mdid: MDID, r0khId: R0KH, s0khId: STA });
    expect(r0.pmkR0.toString('hex')).toBe(
      '3e45746e29906aa264ea1691ab067d2f6941e8999c8f5dbfe6b8cfebafeaa8bccc5ea2d18c66bfb390638b4b9f519e86',
    );
    expect(r0.pmkR0Name.toString('hex')).toBe('d450b2dbf80f3901116ca16f0de054bc');
    expect(derivePmkR1(r0.pmkR0, AA2, STA).toString('hex')).toBe(
      '87935c76a9c187cff872f5db3d41e9a8d72ad81c281c4099517639137c3c21b43cee60c49e907d967ce6cf94013e81a1',
    );
    expect(derivePmkR1Name(r0.pmkR0Name, AA2, STA, 'sha384').toString('hex')).toBe('2fc6a1470e459e03233131e64b1c1cc6');
  });
});

describe('FT-PSK (AKM 4) [hostapd-generated]', () => {
  it('derives from the PSK', () => {
    const psk = pskFromPassphrase('password', 'IEEE');
    const xxKey = xxKeyFor(AKM.FT_PSK, { psk })!;
    const r0 = derivePmkR0({ xxKey, ssid: Buffer.from('IEEE'), mdid: MDID, r0khId: R0KH, s0khId: STA });
    expect(r0.pmkR0.toString('hex')).toBe('267fbf28f67c4ca6963488556e893ed0a63f57c9ede7a00d1d3b5fa1af247a23');
    expect(r0.pmkR0Name.toString('hex')).toBe('45fe3cd1f7386ae52e7789e7509bb214');
    expect(derivePmkR1(r0.pmkR0, AA2, STA).toString('hex')).toBe('11682d4f813c7010b076f7d19de1382b13b3f3a19c714329d041a2e2e171414c');
    expect(derivePmkR1Name(r0.pmkR0Name, AA2, STA).toString('hex')).toBe('2f2acd8cd28f6abe553ffe7e5a126936');
  });
});

describe('PMKID [hostapd-generated]', () => {
  const pmk = pmkFromMsk(MSK, AKM.IEEE8021X);
  it('WPA2-EAP PMK is MSK[0..31]', () => expect(pmk.equals(MSK.subarray(0, 32))).toBe(true));
  it('HMAC-SHA1 for AKM 1 and for FT-EAP', () => {
    expect(derivePmkid(pmk, AA2, STA, AKM.IEEE8021X).toString('hex')).toBe('0addeb4ad801d8743c30405e7ed72d43');
    expect(derivePmkid(pmk, AA2, STA, AKM.FT_IEEE8021X).toString('hex')).toBe('0addeb4ad801d8743c30405e7ed72d43');
    expect(derivePmkid(pmk, AA1, STA, AKM.IEEE8021X).toString('hex')).toBe('b09ff6ef2e037257de2b78bae2f7469f');
  });
  it('HMAC-SHA256 for AKM 5', () => {
    expect(derivePmkid(pmk, AA2, STA, AKM.IEEE8021X_SHA256).toString('hex')).toBe('e52fea23f069cf3573dde612f042297e');
  });
});

describe('input checks', () => {
  it('refuses wrong lengths with a named field', () => {
    expect(() => derivePmkR0({ xxKey: Buffer.alloc(31), ssid: SSID, mdid: MDID, r0khId: R0KH, s0khId: STA })).toThrow(/32 or 48/);
    expect(() => derivePmkR0({ xxKey: Buffer.alloc(32), ssid: SSID, mdid: MDID, r0khId: Buffer.alloc(49), s0khId: STA })).toThrow(
      /R0KH-ID/,
    );
    expect(() => derivePmkR1(Buffer.alloc(32), Buffer.alloc(5), STA)).toThrow(/R1KH-ID/);
  });
  it('no XXKey without a full MSK or for non-FT AKMs', () => {
    expect(xxKeyFor(AKM.FT_IEEE8021X, { msk: MSK.subarray(0, 32) })).toBeNull();
    expect(xxKeyFor(AKM.IEEE8021X, { msk: MSK })).toBeNull();
  });
  it('PMKSA cache PMK follows hostapd (MPMK for FT-EAP)', () => {
    expect(pmksaCachePmk(MSK, AKM.FT_IEEE8021X).equals(MSK.subarray(32))).toBe(true);
    expect(pmksaCachePmk(MSK, AKM.IEEE8021X).equals(MSK.subarray(0, 32))).toBe(true);
  });
  it('KDF masks a partial last octet', () => {
    const out = kdf('sha256', Buffer.alloc(32, 1), 'x', Buffer.alloc(0), 12);
    expect(out.length).toBe(2);
    expect(out[1]! & 0x0f).toBe(0);
  });
});
