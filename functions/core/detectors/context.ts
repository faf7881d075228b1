/**
 * Shared detector contracts and helpers: the context every detector receives, the mapping from
 * tail probabilities to scores, per-feature noise floors and expected-value estimates.
 */
import { featureObserved, expectedFor } from '../profile';
import type { RollingStatsState } from '../rolling';
import { normalUpperTail, poissonLowerTail, poissonUpperTail, robustScale, zFromUpperTail } from '../stats';
import type { DetectorResult, FeatureName, Level, Profile, RobustStat, WindowFeatures } from '../types';

/** What a detector knows besides the window itself. */
export interface DetectorContext {
  profile: Profile;
  /** Previous windows of this partition, oldest first (possibly empty; gaps = silent minutes). */
  recent: WindowFeatures[];
  /** Rolling statistics state per feature name (see the rollingStats detector). */
  rolling: Record<string, RollingStatsState>;
}

/** A window detector: a continuous score in [0, 1], or null when it has nothing to say. */
export type Detector<O = unknown> = (features: WindowFeatures, ctx: DetectorContext, options?: O) => DetectorResult | null;

/** Highest score a detector reports (certainty is never claimed). */
export const MAX_SCORE = 0.9999;

/**
 * Maps a (one-sided) tail probability to a score: `1 - min(1, p * penalty)`, clamped to
 * [0, {@link MAX_SCORE}]. The penalty is a Bonferroni-style factor for the number of tests run
 * (features x windows): with penalty 1e4 a score of 0.95 needs p <= 5e-6 (~4.4 sigma), so a
 * partition scored every minute raises a chance alert only every few months per test.
 */
export function tailToScore(p: number, penalty: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.min(MAX_SCORE, Math.max(0, 1 - Math.max(0, p) * penalty));
}

/** Noise floors of one feature (see {@link FEATURE_FLOORS}). */
export interface FeatureFloor {
  /** Minimum scale in the feature's unit. */
  absolute: number;
  /** Minimum scale as a fraction of |median|. */
  relative: number;
  /** Count-like feature: Poisson noise applies (scale >= sqrt(median); Poisson tail test). */
  poisson?: boolean;
  /** Rate over the window's events: binomial noise applies (Poisson tail on the count). */
  rate?: boolean;
  /** Deviations that matter: 'up' (only increases) or 'both'. */
  direction: 'up' | 'both';
  /**
   * Right-skewed quantile feature (latency, sizes): z is computed on the log scale with sigma
   * `max(log(1 + scale/median), (log p95 - log median) / 1.645, logFloor)`. Window quantiles of a
   * few dozen events are heavy-tailed; their own training spread is the honest yardstick.
   */
  logFloor?: number;
  /**
   * Tail of the feature's z under normal conditions: 'gaussian' (default), or 'exponential' for
   * upper quantiles of a window (p95/p99 of a few dozen events behave like extreme order
   * statistics, whose Gumbel-type tail decays like exp(-1.28 z), far slower than a normal's).
   */
  tail?: 'gaussian' | 'exponential';
}

/**
 * Per-feature noise floors and directions. Floors keep a flat baseline (MAD 0) from turning every
 * wobble into a huge z: a count is never more precise than Poisson noise or 1 event, a rate than
 * 1 percentage point, a latency quantile than 10-20% (histogram buckets are 10% wide) or a few ms.
 * Only increases of error/latency/novelty features are anomalous; volume may go either way.
 */
export const FEATURE_FLOORS: Record<FeatureName, FeatureFloor> = {
  count: { absolute: 1, relative: 0.1, poisson: true, direction: 'both' },
  bytes: { absolute: 100, relative: 0.1, direction: 'both' },
  errorCount: { absolute: 1, relative: 0.25, poisson: true, direction: 'up' },
  errorRate: { absolute: 0.01, relative: 0.25, rate: true, direction: 'up' },
  warnRate: { absolute: 0.01, relative: 0.25, rate: true, direction: 'up' },
  status5xxRate: { absolute: 0.01, relative: 0.25, rate: true, direction: 'up' },
  status4xxRate: { absolute: 0.02, relative: 0.25, rate: true, direction: 'up' },
  latencyP50: { absolute: 1, relative: 0.1, direction: 'up', logFloor: 0.1 },
  latencyP95: { absolute: 2, relative: 0.15, direction: 'up', logFloor: 0.15, tail: 'exponential' },
  latencyP99: { absolute: 5, relative: 0.2, direction: 'up', logFloor: 0.2, tail: 'exponential' },
  bytesP95: { absolute: 10, relative: 0.15, direction: 'up', logFloor: 0.15, tail: 'exponential' },
  newTemplateCount: { absolute: 1, relative: 0.25, poisson: true, direction: 'up' },
  distinctTemplates: { absolute: 1, relative: 0.1, poisson: true, direction: 'up' },
  patternViolations: { absolute: 1, relative: 0.25, poisson: true, direction: 'up' },
};

/**
 * One-sided tail probability of a feature's |z| under normal conditions (see
 * {@link FeatureFloor.tail}): Gaussian, or Gumbel-like `exp(-(0.5772 + 1.2825 |z|))`.
 */
export function featureTail(feature: FeatureName, z: number): number {
  const a = Math.abs(z);
  if (FEATURE_FLOORS[feature].tail === 'exponential') return Math.min(1, Math.exp(-(0.5772 + 1.2825 * a)));
  return normalUpperTail(a);
}

/** Robust scale of a feature's expected statistic, with the feature's floors applied. */
export function featureScale(feature: FeatureName, stat: RobustStat): number {
  const fl = FEATURE_FLOORS[feature];
  const base = robustScale(stat.mad, stat.median, { absolute: fl.absolute, relative: fl.relative });
  return fl.poisson ? Math.max(base, Math.sqrt(Math.max(0, stat.median))) : base;
}

/** Log-scale sigma of a right-skewed quantile feature (see {@link FeatureFloor.logFloor}). */
export function logSigma(feature: FeatureName, stat: RobustStat): number {
  const fl = FEATURE_FLOORS[feature];
  const med = Math.max(stat.median, fl.absolute);
  const fromMad = Math.log(1 + featureScale(feature, stat) / med);
  const fromP95 = stat.p95 > med ? Math.log(stat.p95 / med) / 1.645 : 0;
  return Math.max(fromMad, fromP95, fl.logFloor ?? 0.1);
}

/**
 * z-equivalent of a count-like observation under Poisson noise, for features with `poisson` or
 * `rate` floors: the robust z must also be surprising as a count of discrete events (three errors
 * out of twenty lines is a big rate but weak evidence).
 * @param x - observed feature value
 * @param baseline - expected mean of the feature (a count, or a rate for rate features)
 * @param n - events behind a rate (ignored for counts)
 * @param d - dispersion (variance / mean) of the underlying counts, 1 for Poisson
 * @returns signed z (positive for "too many")
 */
export function discreteZ(feature: FeatureName, x: number, baseline: number, n: number, d = 1): number {
  const fl = FEATURE_FLOORS[feature];
  const k = fl.rate ? x * n : x;
  const lambda = fl.rate ? n * baseline : baseline;
  if (k > lambda) return zOf(quasiPoissonUpper(k, lambda, d), true);
  if (k < lambda) return zOf(quasiPoissonLower(k, lambda, d), false);
  return 0;
}

/**
 * Conservative estimate of a mean from robust statistics: `max(median, p95 / 3, floor)`. For
 * sparse counts the median is 0 while the mean is not; p95/3 bounds the mean from below for
 * Poisson-like data without being dragged up by rare bursts.
 */
export function meanEstimate(stat: RobustStat, floor: number): number {
  return Math.max(stat.median, stat.p95 / 3, floor);
}

/**
 * Training-wide share of events at the given levels, from the profile's template dictionary
 * (each template counted at its dominant level). This is the MEAN rate, which the robust stats
 * (median/MAD/p05/p95) cannot give for sparse events: with 1 error per 100 lines and 10 lines a
 * minute the median error rate is 0. Returns undefined without a dictionary.
 */
export function levelShare(profile: Profile, levels: readonly Level[]): number | undefined {
  if (profile.templates.length === 0) return undefined;
  let s = 0;
  for (const t of profile.templates) if (levels.includes(t.level)) s += t.share;
  return s;
}

/**
 * Base rate of a rate feature for a window: the slot's median when positive, otherwise the
 * training-wide level share from the dictionary (errorRate: ERROR+FATAL, warnRate: WARN), otherwise
 * the conservative {@link meanEstimate}; never below `minRate`.
 */
export function baseRate(ctx: DetectorContext, feature: FeatureName, windowStart: number, minRate: number): number {
  const stat = expected(ctx, feature, windowStart);
  const levels: Level[] | undefined = feature === 'errorRate' ? ['ERROR', 'FATAL'] : feature === 'warnRate' ? ['WARN'] : undefined;
  const share = levels ? levelShare(ctx.profile, levels) : undefined;
  if (share !== undefined) return Math.max(stat.median, share, minRate);
  return meanEstimate(stat, minRate);
}

/** Expected statistic of a feature for a window (seasonal slot, neighbours or global). */
export function expected(ctx: DetectorContext, feature: FeatureName, windowStart: number): RobustStat {
  return expectedFor(ctx.profile, feature, windowStart);
}

/** Whether a feature carries information in a window. */
export function observed(feature: FeatureName, w: WindowFeatures): boolean {
  return featureObserved(feature, w.features);
}

/**
 * Quasi-Poisson upper-tail test: P(X >= k) for mean `lambda` with dispersion `d >= 1`
 * (variance = d * lambda), computed as a Poisson tail of k/d at lambda/d.
 */
export function quasiPoissonUpper(k: number, lambda: number, d = 1): number {
  const disp = Math.max(1, d);
  return poissonUpperTail(k / disp, lambda / disp);
}

/** Quasi-Poisson lower-tail test: P(X <= k). */
export function quasiPoissonLower(k: number, lambda: number, d = 1): number {
  const disp = Math.max(1, d);
  return poissonLowerTail(k / disp, lambda / disp);
}

/**
 * Dispersion (variance / mean) of a count feature over the training windows, in [1, 25]. Events
 * come in clusters: one failing request writes several ERROR lines, one broken flow violates
 * several ordered patterns at once. A Poisson model of single lines would call ordinary clusters
 * anomalous. 1 when the profile has no moments for the feature.
 */
export function countDispersion(profile: Profile, feature: FeatureName): number {
  const g = profile.global[feature];
  if (!g || g.mean === undefined || g.variance === undefined || g.mean <= 0) return 1;
  return Math.min(25, Math.max(1, g.variance / g.mean));
}

/**
 * Dispersion (variance / mean) of a count within one seasonal slot, in [1, 25]: how bursty the
 * volume is at that hour of the week beyond Poisson noise (sparse logs arrive in bursts of lines).
 * 1 without moments.
 */
export function slotDispersion(stat: RobustStat): number {
  if (stat.mean === undefined || stat.variance === undefined || stat.mean <= 0) return 1;
  return Math.min(25, Math.max(1, stat.variance / stat.mean));
}

/** {@link countDispersion} of error counts (also used for the error rate's count test). */
export function errorDispersion(profile: Profile): number {
  return countDispersion(profile, 'errorCount');
}

/** Dispersion (variance / mean) implied by a count statistic's MAD, at least 1. */
export function dispersion(stat: RobustStat, lambda: number): number {
  const sigma = 1.4826 * stat.mad;
  return lambda > 0 ? Math.max(1, (sigma * sigma) / lambda) : 1;
}

/** Signed z-equivalent of a one-sided tail probability (positive for "too high"). */
export function zOf(p: number, up: boolean): number {
  const z = zFromUpperTail(p);
  return up ? z : -z;
}

/** Compact number formatting for evidence lines. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1000) return Math.round(x).toString();
  if (a >= 10) return x.toFixed(1).replace(/\.0$/, '');
  if (a >= 0.01) return Number(x.toPrecision(2)).toString();
  return x.toExponential(1);
}
