// Histograms read back from a /metrics page, for benches that take a daemon's own figures: the
// counts over a span (the difference of two reads) and quantiles estimated from the buckets.

/** A Prometheus histogram as /metrics prints it: cumulative counts per upper bound (s), +Inf last. */
export type Histogram = { le: number; count: number }[];

export function readHistogram(text: string, name: string): Histogram {
  const out: Histogram = [];
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    out.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) });
  }
  if (out.length === 0) throw new Error(`no histogram ${name} in /metrics`);
  return out;
}

export const histogramDelta = (after: Histogram, before: Histogram): Histogram =>
  after.map((b, i) => ({ le: b.le, count: b.count - before[i]!.count }));

/** One histogram of several processes' same-named histograms (same buckets). */
export const histogramSum = (hs: Histogram[]): Histogram =>
  hs[0]!.map((b, i) => ({ le: b.le, count: hs.reduce((n, h) => n + h[i]!.count, 0) }));

/** The q-quantile as Prometheus' histogram_quantile estimates it (linear within a bucket), in ms. */
export function histogramQuantileMs(h: Histogram, q: number): string {
  const total = h.at(-1)!.count;
  if (total === 0) return 'no samples';
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of h) {
    if (b.count >= rank) {
      if (b.le === Infinity) return `> ${lower * 1000} ms`;
      const inBucket = b.count - below;
      const est = inBucket === 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inBucket;
      return `≈ ${(est * 1000).toFixed(2)} ms (bucket ${lower * 1000}–${b.le * 1000} ms)`;
    }
    lower = b.le;
    below = b.count;
  }
  return 'no samples';
}

export const histogramLine = (h: Histogram) =>
  `p50 ${histogramQuantileMs(h, 0.5)}, p99 ${histogramQuantileMs(h, 0.99)}; ${h.at(-1)!.count} samples`;
