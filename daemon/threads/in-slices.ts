// Work that arrives in bursts on the main thread (a batch of Accepts, thousands of records another
// cluster member relayed after a stall) is run a slice at a time, one slice per turn of the event
// loop. Each station's priming does synchronous work first (store read, key derivation, planning);
// run for a whole burst in one turn it kept the thread from its timers for seconds, and a cluster
// holder then missed its etcd lease renewals and fenced itself off the work.

/** Jobs per turn: large enough that a burst costs few turns, small enough that a turn stays short. */
const PER_TURN = 32;

export class InSlices {
  private readonly jobs: (() => void)[] = [];
  private scheduled = false;

  /** `around` runs each slice (kmsd: at roam-time priority, two syscalls per slice rather than per job). */
  constructor(
    private readonly perTurn = PER_TURN,
    private readonly around: (slice: () => void) => void = (slice) => slice(),
  ) {}

  /** Runs `job` in order after those queued before it, in this turn's slice or a later one. */
  run(job: () => void): void {
    this.jobs.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.slice());
    }
  }

  get waiting(): number {
    return this.jobs.length;
  }

  private slice(): void {
    const jobs = this.jobs.splice(0, this.perTurn);
    this.around(() => {
      for (const job of jobs) job();
    });
    this.scheduled = this.jobs.length > 0;
    if (this.scheduled) setImmediate(() => this.slice());
  }
}
