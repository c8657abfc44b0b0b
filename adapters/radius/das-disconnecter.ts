// The KMS's own Disconnect-Requests (revocation), through the same sender as the ones it relays
// for its upstreams (das-client.ts), behind the core's StationDisconnecter port.
import type { DisconnectPlace, DisconnectResult, StationDisconnecter } from '../../daemon/ports/station-disconnecter.js';
import { errorCauseName } from './dynamic-authorization.js';
import type { ApDasTarget, DasClient } from './das-client.js';

export class DasDisconnecter implements StationDisconnecter {
  constructor(
    private readonly client: DasClient,
    /** The DAS of that place, or null when it has none configured (replaced on a reload). */
    public targetOf: (at: DisconnectPlace) => ApDasTarget | null,
  ) {}

  async disconnect(staMac: string, at: DisconnectPlace): Promise<DisconnectResult> {
    const target = this.targetOf(at);
    if (!target) return { result: 'no-das' };
    const r = await this.client.disconnect(staMac, target);
    if (r.ack) return { result: 'ack' };
    if (r.timedOut) return { result: 'timeout' };
    return { result: 'nak', errorCause: errorCauseName(r.errorCause) };
  }
}
