import { describe, expect, it } from 'vitest';
import { accountingFacts } from '../../../adapters/radius/station-facts.js';
import { Attr, AcctStatusType, Code } from '../../../adapters/radius/codes.js';
import { attrInteger, attrString, decodePacket, encodePacket, type RadiusAttribute } from '../../../adapters/radius/packet.js';

// Accounting facts carry the Acct-Terminate-Cause of a Stop by its RFC 2866 name: the revocation
// trigger (stations.revokeOnAcctTerminateCause) matches on it.

const request = (attrs: RadiusAttribute[]) =>
  decodePacket(
    encodePacket({
      code: Code.AccountingRequest,
      identifier: 1,
      authenticator: Buffer.alloc(16),
      attributes: [attrString(Attr.CallingStationId, '02-00-00-00-01-00'), ...attrs],
    }),
  );

describe('accountingFacts', () => {
  it('names the Acct-Terminate-Cause; an unknown value keeps its number; none is null', () => {
    const stop = (cause?: number) =>
      accountingFacts(
        request([
          attrInteger(Attr.AcctStatusType, AcctStatusType.Stop),
          ...(cause === undefined ? [] : [attrInteger(Attr.AcctTerminateCause, cause)]),
        ]),
        '10.0.0.1',
      );
    expect(stop(6)).toMatchObject({ status: 'stop', staMac: '02:00:00:00:01:00', terminateCause: 'Admin-Reset' });
    expect(stop(1)?.terminateCause).toBe('User-Request');
    expect(stop(99)?.terminateCause).toBe('99');
    expect(stop()?.terminateCause).toBeNull();
  });
});
