import type { RadiusCounts } from './radius-messages.js';

// The RADIUS thread's counters between two reports to the main thread. Counting happens once
// or twice per packet, so a label set is found through nested maps of the labels themselves:
// no key string is built per packet, and a cell, once made, is reused for every later report.

interface Cell {
  labels: string[];
  n: number;
}

class LabelTally {
  private readonly root = new Map<string, unknown>();
  private readonly cells: Cell[] = [];

  add(...labels: string[]): void {
    let level = this.root;
    for (let i = 0; i < labels.length - 1; i++) {
      let next = level.get(labels[i]!) as Map<string, unknown> | undefined;
      if (!next) level.set(labels[i]!, (next = new Map()));
      level = next;
    }
    const last = labels[labels.length - 1]!;
    let cell = level.get(last) as Cell | undefined;
    if (!cell) {
      cell = { labels, n: 0 };
      level.set(last, cell);
      this.cells.push(cell);
    }
    cell.n++;
  }

  get pending(): boolean {
    return this.cells.some((c) => c.n > 0);
  }

  /** The non-zero counts since the last take, as [...labels, n]. */
  take(): [...string[], number][] {
    const out: [...string[], number][] = [];
    for (const c of this.cells) {
      if (c.n === 0) continue;
      out.push([...c.labels, c.n]);
      c.n = 0;
    }
    return out;
  }
}

export class RadiusTally {
  readonly dropped = new LabelTally();
  readonly forwarded = new LabelTally();
  readonly answered = new LabelTally();
  private latency = new Map<string, number[]>();

  get pending(): boolean {
    return this.latency.size > 0 || this.dropped.pending || this.forwarded.pending || this.answered.pending;
  }

  observe(kind: string, seconds: number): void {
    let list = this.latency.get(kind);
    if (!list) this.latency.set(kind, (list = []));
    list.push(seconds);
  }

  take(): RadiusCounts {
    const latency = [...this.latency];
    this.latency = new Map();
    return {
      dropped: this.dropped.take() as RadiusCounts['dropped'],
      forwarded: this.forwarded.take() as RadiusCounts['forwarded'],
      answered: this.answered.take() as RadiusCounts['answered'],
      latency,
    };
  }
}
