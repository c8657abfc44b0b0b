// Where the KMS's keys live in the cluster store, under `cluster.etcd.prefix` (docs/cluster.md has
// the table). One place, so a member's writer and another member's watcher cannot disagree.

export class ClusterLayout {
  constructor(readonly prefix: string) {}

  get stations(): string {
    return `${this.prefix}stations/`;
  }

  station(staMac: string): string {
    return `${this.stations}${staMac}`;
  }

  /** The station MAC of a key under `stations`, or null for any other key. */
  stationOf(key: string): string | null {
    return key.startsWith(this.stations) ? key.slice(this.stations.length) : null;
  }

  get placements(): string {
    return `${this.prefix}placements/`;
  }

  /**
   * One station's placement ledger entry as written by `member`. Each member writes only under its
   * own name, so no two members ever write one key, and each follows only the others' names:
   * nobody is sent back what it wrote itself.
   */
  placementEntry(staMac: string, member: string): string {
    return `${this.placementsOf(member)}${staMac}`;
  }

  placementsOf(member: string): string {
    return `${this.placements}${member}/`;
  }

  /** RF evidence `member` saw (daemon/cluster/rf-evidence-relay.ts), one entry per batch. */
  rfEvidenceOf(member: string): string {
    return `${this.prefix}rf/${member}/`;
  }

  /** The member's claim on the exactly-once work (R0KH-R1KH traffic, PMKSA_ADD, re-pushes, retries). */
  get workClaim(): string {
    return `${this.prefix}claims/work`;
  }

  get members(): string {
    return `${this.prefix}members/`;
  }

  member(name: string): string {
    return `${this.members}${name}`;
  }
}
