// Small statistics helpers shared by the benchmarks: medians and percentiles, never single runs.
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const median = (values) => percentile(values, 50);

export const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Events numbered 0 … total − 1: how many were never received, and how many extra times the rest were. */
export function lostAndDuplicated(seen, total) {
  let lost = 0;
  let duplicated = 0;
  for (let n = 0; n < total; n++) {
    const count = seen.get(n) ?? 0;
    if (count === 0) lost += 1;
    if (count > 1) duplicated += count - 1;
  }
  return { lost, duplicated };
}
