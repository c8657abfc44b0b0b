import { describe, expect, it } from 'vitest';
import { AKM, derivePmkid, pmkidHashFor } from '../../../daemon/keys/index.js';
import { macToBytes } from '../../../daemon/common/mac.js';
import { pmkidFor } from '../../../daemon/api/views.js';
import type { StationKeys, StationRecord } from '../../../daemon/records/station.js';

// The FT-EAP (AKM 3) PMKID over the PMK changed hash in hostapd 2.11 (SHA-1 → SHA-256). The values
// below were printed by rsn_pmkid() of hostapd 2.10, 2.11 and upstream main (built by hand, see
// docs/hostapd-versions.md) for PMK = MSK[32..63] of the MSK 00..3f, AA 02:00:00:00:04:00,
// SPA 02:00:00:00:01:00: the PMK hostapd caches for an FT-EAP station.
const PMK = Buffer.from(Array.from({ length: 32 }, (_, i) => 0x20 + i));
const AA = macToBytes('02:00:00:00:04:00');
const SPA = macToBytes('02:00:00:00:01:00');
const SHA1_PMKID = 'c53e03f50d238ba602ed0c649622b638'; // 2.10 for AKM 3; every version for AKM 1 and 4
const SHA256_PMKID = 'd3550bc765f980792702bfc30359fefc'; // 2.11 and main for AKM 3; every version for AKM 5

describe('PMKID by hostapd release line [hostapd-generated]', () => {
  it('FT-EAP: HMAC-SHA-1 for 2.10 (also the default), HMAC-SHA-256 for 2.11 and later', () => {
    expect(derivePmkid(PMK, AA, SPA, AKM.FT_IEEE8021X).toString('hex')).toBe(SHA1_PMKID);
    expect(derivePmkid(PMK, AA, SPA, AKM.FT_IEEE8021X, { hostapd: '2.10' }).toString('hex')).toBe(SHA1_PMKID);
    expect(derivePmkid(PMK, AA, SPA, AKM.FT_IEEE8021X, { hostapd: '2.11' }).toString('hex')).toBe(SHA256_PMKID);
  });

  it('the other AKMs do not depend on the version', () => {
    for (const hostapd of ['2.10', '2.11'] as const) {
      expect(derivePmkid(PMK, AA, SPA, AKM.IEEE8021X, { hostapd }).toString('hex')).toBe(SHA1_PMKID);
      expect(derivePmkid(PMK, AA, SPA, AKM.FT_PSK, { hostapd }).toString('hex')).toBe(SHA1_PMKID);
      expect(derivePmkid(PMK, AA, SPA, AKM.IEEE8021X_SHA256, { hostapd }).toString('hex')).toBe(SHA256_PMKID);
      expect(pmkidHashFor(AKM.FT_IEEE8021X_SHA384, { hostapd })).toBe('sha384');
    }
  });
});

describe("kmsctl station --bssid (the API view) follows the AP's release line", () => {
  it('an FT-EAP station: SHA-1 PMKID for a 2.10 AP, SHA-256 for a 2.11 AP', () => {
    const record = { staMac: '02:00:00:00:01:00', akm: AKM.FT_IEEE8021X } as StationRecord;
    const keys = { mpmk: PMK, pmk: Buffer.alloc(32, 9) } as unknown as StationKeys;
    expect(pmkidFor(record, keys, '02:00:00:00:04:00')).toBe(SHA1_PMKID);
    expect(pmkidFor(record, keys, '02:00:00:00:04:00', '2.10')).toBe(SHA1_PMKID);
    expect(pmkidFor(record, keys, '02:00:00:00:04:00', '2.11')).toBe(SHA256_PMKID);
  });
});
