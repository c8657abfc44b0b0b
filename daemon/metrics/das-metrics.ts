import { Counter, type Registry } from 'prom-client';

// The dynamic authorization proxy's counters (RFC 5176 Disconnect/CoA relayed to the APs).

export class DasMetrics {
  readonly dropped: Counter<'reason'>;
  readonly answered: Counter<'kind' | 'code' | 'error_cause'>;
  readonly forwarded: Counter<'ap'>;

  constructor(registry: Registry) {
    this.dropped = new Counter({
      name: 'kms_das_dropped_total',
      labelNames: ['reason'],
      registers: [registry],
      help: 'Disconnect/CoA requests from upstreams (and answers from APs) dropped unanswered, by reason',
    });
    this.answered = new Counter({
      name: 'kms_das_answered_total',
      labelNames: ['kind', 'code', 'error_cause'],
      registers: [registry],
      help: 'Disconnect/CoA answers sent to upstreams, by request kind, answer code and Error-Cause',
    });
    this.forwarded = new Counter({
      name: 'kms_das_forwarded_total',
      labelNames: ['ap'],
      registers: [registry],
      help: "Disconnect-Requests sent to an AP's DAS (retries included), by radius.clients entry",
    });
  }
}
