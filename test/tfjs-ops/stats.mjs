// Statistical checks for sampling ops, whose outputs no oracle can match
// number for number (Kiln draws from Philox4x32-10, TF.js from seedrandom's
// Alea): the TF.js op suite's "statistical" comparison kind (run.mjs) and
// test/e2e/random.test.mjs.
//
// checkSamples(stat, kiln, tfjs) runs, on Kiln's samples:
//   - a goodness-of-fit test against the exact distribution: Kolmogorov-
//     Smirnov for the continuous ones (uniform, normal, normal truncated at
//     2 std), chi-square for the discrete ones (uniform integers; categories
//     of a multinomial, row by row), and every sample inside the support;
//   - the mean (z test) and the variance (z test with the sample's fourth
//     moment) against the distribution's;
//   - independence between neighbouring elements: lag-1 autocorrelation,
//     N(0, 1/n) for independent samples;
//   - repeated values (continuous distributions): how many samples equal an
//     earlier one, against Poisson with the mean that the float32 values'
//     spacing and the generator's resolution give (4096 uniforms from 23
//     bits: 1.0, limit 6, P(more) 8.3e-5), so elements that share a
//     counter anywhere in the tensor, not only neighbours, fail;
//   - a two-sample test against TF.js's own samples of the same op:
//     Kolmogorov-Smirnov, or chi-square homogeneity for the discrete ones
//     (not where a case says that TF.js is biased: `tfjsBiased`).
// Each test at significance ALPHA (1e-4; two-sided for the z tests and KS,
// the upper tail for chi-square and the repeated values):
// with about 6 tests a case, a correct sampler fails a case with
// probability under 1e-3 for a given seed, and the seeds are fixed, so a
// pass or a failure repeats. What each test can see at the suite's sizes
// (4096 samples): a KS distance of 0.035, a mean off by 0.06 std.

export const ALPHA = 1e-4;
const Z = 3.891; // two-sided normal quantile at ALPHA
const Z_UPPER = 3.719; // one-sided (upper) normal quantile at ALPHA
const KS_C = Math.sqrt(-Math.log(ALPHA / 2) / 2); // asymptotic KS constant at ALPHA

// erf to 1.2e-7 (Numerical Recipes' erfc, Chebyshev fit).
function erf(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}
export const normalCdf = (x) => 0.5 * (1 + erf(x / Math.SQRT2));
const normalPdf = (x) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);

// The exact distribution a case's op samples: cdf (continuous) or the
// probabilities of lo, lo+1, ... (discrete), its mean, variance and support.
export function distribution(stat) {
  const { dist } = stat;
  if (dist === 'uniform') {
    const { lo, hi } = stat;
    return { cdf: (x) => Math.min(1, Math.max(0, (x - lo) / (hi - lo))), mean: (lo + hi) / 2, variance: (hi - lo) ** 2 / 12,
      inside: (x) => x >= lo && x < hi };
  }
  if (dist === 'normal') {
    const { mean = 0, std = 1 } = stat;
    return { cdf: (x) => normalCdf((x - mean) / std), mean, variance: std * std, inside: Number.isFinite };
  }
  if (dist === 'truncated') {
    const { mean = 0, std = 1 } = stat;
    const mass = normalCdf(2) - normalCdf(-2);
    return {
      cdf: (x) => Math.min(1, Math.max(0, (normalCdf((x - mean) / std) - normalCdf(-2)) / mass)),
      mean, variance: std * std * (1 - (4 * normalPdf(2)) / mass),
      inside: (x) => Math.abs(x - mean) <= 2 * std * (1 + 1e-6),
    };
  }
  if (dist === 'int') {
    const { lo, hi } = stat;
    const n = hi - lo;
    return { probs: Array(n).fill(1 / n), lo, mean: (lo + hi - 1) / 2, variance: (n * n - 1) / 12,
      inside: (x) => Number.isInteger(x) && x >= lo && x < hi };
  }
  if (dist === 'categorical') {
    const logits = stat.logits.map(Number); // strings where JSON cannot hold them ('-Infinity')
    const max = Math.max(...logits);
    const w = logits.map((l) => Math.exp(l - max));
    const total = w.reduce((a, b) => a + b, 0);
    const probs = w.map((v) => v / total);
    const mean = probs.reduce((a, p, k) => a + p * k, 0);
    return { probs, lo: 0, mean, variance: probs.reduce((a, p, k) => a + p * (k - mean) ** 2, 0),
      inside: (x) => Number.isInteger(x) && x >= 0 && x < probs.length };
  }
  throw new Error(`unknown distribution '${dist}'`);
}

export function ksOneSample(samples, cdf) {
  const xs = Float64Array.from(samples).sort();
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return { d, limit: KS_C / Math.sqrt(n) };
}

export function ksTwoSample(a, b) {
  const xs = Float64Array.from(a).sort(), ys = Float64Array.from(b).sort();
  let i = 0, j = 0, d = 0;
  while (i < xs.length && j < ys.length) {
    const v = Math.min(xs[i], ys[j]);
    while (i < xs.length && xs[i] === v) i++;
    while (j < ys.length && ys[j] === v) j++;
    d = Math.max(d, Math.abs(i / xs.length - j / ys.length));
  }
  return { d, limit: KS_C * Math.sqrt((xs.length + ys.length) / (xs.length * ys.length)) };
}

// Chi-square's upper ALPHA quantile (Wilson-Hilferty, with the one-sided z;
// within 1% from 3 degrees of freedom).
export function chiLimit(df) {
  const c = 2 / (9 * df);
  return df * (1 - c + Z_UPPER * Math.sqrt(c)) ** 3;
}

// The samples that equal an earlier sample.
export function repeatedValues(samples) {
  return samples.length - new Set(samples).size;
}

// The expected number of repeated values among n samples of a continuous
// distribution as Kiln draws it, and the count a correct sampler exceeds
// with probability at most ALPHA. A value's probability is the larger of
// one generator level's (`level`: 2^-23 for the uniform's 23 bits, 2^-24
// for the truncated normal's one 24-bit uniform, about 0 for Box-Muller's
// two) and the density times float32's spacing there (levels that round
// together); the expected count is about C(n, 2) times the sum of squares,
// integrated on a grid from the cdf; the count is then about Poisson.
export function repeatLimit(stat, dist, n) {
  const level = stat.dist === 'uniform' ? 2 ** -23 : stat.dist === 'truncated' ? 2 ** -24 : 2 ** -48;
  const { mean = 0, std = 1 } = stat;
  const [a, b] = stat.dist === 'uniform' ? [stat.lo, stat.hi]
    : stat.dist === 'truncated' ? [mean - 2 * std, mean + 2 * std] : [mean - 9 * std, mean + 9 * std];
  const ulp = (x) => (x === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 23));
  const cells = 20000, h = (b - a) / cells;
  let sumSquares = 0;
  for (let i = 0; i < cells; i++) {
    const x0 = a + i * h, mass = dist.cdf(x0 + h) - dist.cdf(x0);
    sumSquares += mass * Math.max(level, (mass / h) * ulp(x0 + h / 2));
  }
  const lambda = (n * (n - 1) / 2) * sumSquares;
  let k = 0, term = Math.exp(-lambda), cdf = term;
  while (1 - cdf > ALPHA) {
    term *= lambda / ++k;
    cdf += term;
  }
  return { lambda, limit: k, p: 1 - cdf };
}

function counts(samples, lo, k) {
  const c = new Float64Array(k);
  for (const s of samples) c[Number(s) - lo]++;
  return c;
}

// Pearson's statistic against probabilities; categories of probability 0
// must stay empty (their count is reported instead).
export function chiSquare(samples, probs, lo = 0) {
  const c = counts(samples, lo, probs.length);
  let x = 0, df = -1;
  for (let k = 0; k < probs.length; k++) {
    if (probs[k] === 0) {
      if (c[k]) return { x: Infinity, limit: 0, why: `${c[k]} samples of ${lo + k}, which has probability 0` };
      continue;
    }
    const e = probs[k] * samples.length;
    x += (c[k] - e) ** 2 / e;
    df++;
  }
  return { x, limit: chiLimit(Math.max(df, 1)) };
}

// Chi-square homogeneity of two samples over lo..lo+k-1.
export function chiTwoSample(a, b, lo, k) {
  const ca = counts(a, lo, k), cb = counts(b, lo, k);
  let x = 0, df = -1;
  for (let i = 0; i < k; i++) {
    const total = ca[i] + cb[i];
    if (!total) continue;
    const ea = (total * a.length) / (a.length + b.length), eb = total - ea;
    x += (ca[i] - ea) ** 2 / ea + (cb[i] - eb) ** 2 / eb;
    df++;
  }
  return { x, limit: chiLimit(Math.max(df, 1)) };
}

export function moments(samples) {
  const n = samples.length;
  let m = 0;
  for (const s of samples) m += Number(s);
  m /= n;
  let m2 = 0, m4 = 0, lag = 0;
  for (let i = 0; i < n; i++) {
    const d = Number(samples[i]) - m;
    m2 += d * d;
    m4 += d ** 4;
    if (i + 1 < n) lag += d * (Number(samples[i + 1]) - m);
  }
  return { n, mean: m, variance: m2 / n, m4: m4 / n, lag1: m2 ? lag / m2 : 0 };
}

const fmt = (v) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

// Kiln's samples against the distribution `stat` describes and against
// TF.js's samples of the same op (either may be null): null, or what failed.
// `rows`: a multinomial's samples are [rows, samples], one distribution per
// row (stat.logits a row's logits each, stat.rows of them).
export function checkSamples(stat, kiln, tfjs = null) {
  if (stat.dist === 'multinomial') {
    const perRow = kiln.length / stat.rows.length;
    for (let r = 0; r < stat.rows.length; r++) {
      const slice = (x) => x && Array.from(x.subarray(r * perRow, (r + 1) * perRow), Number);
      const why = checkSamples({ dist: 'categorical', logits: stat.rows[r] }, slice(kiln), slice(tfjs));
      if (why) return `row ${r}: ${why}`;
    }
    return null;
  }
  const dist = distribution(stat);
  const xs = Array.from(kiln, Number);
  const outside = xs.findIndex((x) => !dist.inside(x));
  if (outside >= 0) return `sample ${outside} is ${xs[outside]}, outside the distribution's support`;
  const m = moments(xs);
  const n = xs.length;
  if (!dist.probs) {
    const r = repeatedValues(xs), t = repeatLimit(stat, dist, n);
    if (r > t.limit)
      return `${r} samples repeat an earlier one, expected ${fmt(t.lambda)} (limit ${t.limit}, P(more) ${t.p.toExponential(1)})`;
  }
  if (dist.probs) {
    const t = chiSquare(xs, dist.probs, dist.lo);
    if (!(t.x <= t.limit)) return t.why ?? `chi-square ${fmt(t.x)} > ${fmt(t.limit)} (alpha ${ALPHA}) against the exact distribution`;
  } else {
    const t = ksOneSample(xs, dist.cdf);
    if (t.d > t.limit) return `KS distance ${fmt(t.d)} > ${fmt(t.limit)} (alpha ${ALPHA}) from the exact distribution`;
  }
  const sdMean = Math.sqrt(dist.variance / n);
  if (Math.abs(m.mean - dist.mean) > Z * sdMean) return `mean ${fmt(m.mean)}, expected ${fmt(dist.mean)} +- ${fmt(Z * sdMean)}`;
  const sdVar = Math.sqrt(Math.max(m.m4 - m.variance ** 2, 0) / n);
  if (Math.abs(m.variance - dist.variance) > Z * sdVar)
    return `variance ${fmt(m.variance)}, expected ${fmt(dist.variance)} +- ${fmt(Z * sdVar)}`;
  if (Math.abs(m.lag1) > Z / Math.sqrt(n)) return `lag-1 correlation ${fmt(m.lag1)} beyond +- ${fmt(Z / Math.sqrt(n))}`;
  if (tfjs && !stat.tfjsBiased) {
    const ys = Array.from(tfjs, Number);
    if (dist.probs) {
      const t = chiTwoSample(xs, ys, dist.lo, dist.probs.length);
      if (!(t.x <= t.limit)) return `chi-square ${fmt(t.x)} > ${fmt(t.limit)} (alpha ${ALPHA}) against TF.js's samples`;
    } else {
      const t = ksTwoSample(xs, ys);
      if (t.d > t.limit) return `KS distance ${fmt(t.d)} > ${fmt(t.limit)} (alpha ${ALPHA}) from TF.js's samples`;
    }
  }
  return null;
}
