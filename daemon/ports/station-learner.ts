// Port: how the RADIUS side (adapters/radius) tells the core what it learned about a station.
import type { AccessAcceptFacts, AccountingFacts } from '../records/facts.js';

/** The hook the RADIUS proxy calls. */
export interface StationLearner {
  /** Resolves once the station is persisted: only then may the Accept be relayed. */
  onAccessAccept(facts: AccessAcceptFacts): Promise<void>;
  /** An Accounting-Request (start, interim, stop, on/off), as the proxy forwards it upstream. */
  onAccounting(facts: AccountingFacts): void;
}
