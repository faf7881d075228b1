/**
 * Turns raw model scores (negative log-likelihoods: higher = less likely) into p-values: the share
 * of normal windows at least as unlikely. The body of the distribution is the empirical CDF of
 * held-out normal windows; beyond its 90th percentile an exponential tail is fitted to the excesses
 * (peaks over threshold), so p-values far smaller than 1/(held-out windows) stay meaningful.
 */

/** A fitted calibration (JSON-serialisable, stored in the model artifact). */
export interface Calibration {
  /** Score at each of `levels` (cumulative probability), ascending. */
  quantiles: number[];
  levels: number[];
  /** Tail threshold: the score at cumulative probability `1 - tailShare`. */
  threshold: number;
  /** Share of normal windows above `threshold`. */
  tailShare: number;
  /** Mean excess over the threshold (scale of the exponential tail). */
  tailScale: number;
  /** Held-out windows it was fitted on. */
  n: number;
}

/** Cumulative levels stored in a calibration. */
const LEVELS = Array.from({ length: 91 }, (_, i) => i / 100);

/** Minimum normal windows needed to fit a calibration. */
export const MIN_CALIBRATION_WINDOWS = 50;

/**
 * Fits a calibration on scores of normal windows.
 * @throws Error when fewer than MIN_CALIBRATION_WINDOWS finite scores are given
 */
export function fitCalibration(scores: readonly number[], tailShare = 0.1): Calibration {
  const s = scores.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length < MIN_CALIBRATION_WINDOWS) {
    throw new Error(`Calibration needs at least ${MIN_CALIBRATION_WINDOWS} held-out normal windows, got ${s.length}: train on more history.`);
  }
  const at = (p: number): number => {
    const pos = p * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(s.length - 1, lo + 1);
    return s[lo] + (pos - lo) * (s[hi] - s[lo]);
  };
  const levels = LEVELS.filter((l) => l <= 1 - tailShare + 1e-12);
  const quantiles = levels.map(at);
  const threshold = at(1 - tailShare);
  const excess = s.filter((x) => x > threshold).map((x) => x - threshold);
  const mean = excess.length ? excess.reduce((a, b) => a + b, 0) / excess.length : 0;
  // The scale never collapses below a small share of the body's spread (ties, tiny samples).
  const spread = Math.max(1e-6, threshold - at(0.5));
  return { quantiles, levels, threshold, tailShare, tailScale: Math.max(mean, 0.05 * spread), n: s.length };
}

/** P(score of a normal window >= score). */
export function pValueOf(c: Calibration, score: number): number {
  if (!Number.isFinite(score)) return 0;
  if (score > c.threshold) return c.tailShare * Math.exp(-(score - c.threshold) / c.tailScale);
  const q = c.quantiles;
  if (score <= q[0]) return 1;
  let i = 1;
  while (i < q.length && q[i] < score) i++;
  if (i >= q.length) return c.tailShare;
  const span = q[i] - q[i - 1];
  const t = span > 0 ? (score - q[i - 1]) / span : 1;
  const cdf = c.levels[i - 1] + t * (c.levels[i] - c.levels[i - 1]);
  return Math.max(c.tailShare, 1 - cdf);
}

/** The score whose p-value is `p` (inverse of {@link pValueOf} in the tail and body). */
export function scoreAtPValue(c: Calibration, p: number): number {
  if (p < c.tailShare) return c.threshold + c.tailScale * Math.log(c.tailShare / p);
  const cdf = 1 - p;
  let i = 1;
  while (i < c.levels.length && c.levels[i] < cdf) i++;
  if (i >= c.levels.length) return c.threshold;
  const t = (cdf - c.levels[i - 1]) / (c.levels[i] - c.levels[i - 1]);
  return c.quantiles[i - 1] + t * (c.quantiles[i] - c.quantiles[i - 1]);
}
