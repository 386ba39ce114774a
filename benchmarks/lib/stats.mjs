// Summaries of timing samples, and ratios between two of them.

// The q-quantile of sorted values, interpolating linearly between ranks.
function quantile(sorted, q) {
  if (sorted.length === 1) return sorted[0];
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** {n, median, p25, p75, min, max} of milliseconds, or null for no samples. */
export function summarize(samples) {
  if (!samples.length) return null;
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantile(s, 0.5),
    p25: quantile(s, 0.25),
    p75: quantile(s, 0.75),
    min: s[0],
    max: s[s.length - 1],
  };
}

/**
 * peer time / Kiln time (above 1: Kiln is faster) of the medians, with a
 * range from the interquartile ranges ([peer p25 / Kiln p75, peer p75 / Kiln
 * p25]) and the ratio of the minimums: load from elsewhere only ever adds
 * time, so on a busy machine the fastest runs are the least disturbed.
 */
export function ratio(peer, kiln) {
  if (!peer || !kiln) return null;
  return { value: peer.median / kiln.median, low: peer.p25 / kiln.p75, high: peer.p75 / kiln.p25,
    ofMinimums: peer.min / kiln.min };
}
