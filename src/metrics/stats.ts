/** Summaries of per-image values, for reports. */

export interface Summary {
  /** Mean of the defined (non-NaN) values; NaN if there are none. */
  mean: number;
  /** Standard error of the mean, sd / sqrt(n) with the sample sd (n - 1); NaN if n < 2. */
  sem: number;
  /** Number of defined values. */
  n: number;
}

export function summarize(values: Iterable<number>): Summary {
  let n = 0, sum = 0, sumSq = 0;
  const kept: number[] = [];
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    kept.push(v);
    n++;
    sum += v;
  }
  const mean = n > 0 ? sum / n : NaN;
  for (const v of kept) sumSq += (v - mean) * (v - mean);
  return { mean, sem: n > 1 ? Math.sqrt(sumSq / (n - 1) / n) : NaN, n };
}
