/**
 * Seasonal band detector: every feature of the window against the robust band of its hour-of-week
 * slot (or neighbours / global, see expectedFor).
 */
import { FEATURE_NAMES } from '../types';
import type { AnomalyKind, Deviation, DetectorResult, FeatureName, WindowFeatures } from '../types';
import { FEATURE_FLOORS, baseRate, discreteZ, expected, featureScale, featureTail, fmt, logSigma, meanEstimate, observed, tailToScore } from './context';
import type { DetectorContext } from './context';

/** Options of {@link seasonalBand}. */
export interface SeasonalBandOptions {
  /** Features checked (default: all FEATURE_NAMES). */
  features?: readonly FeatureName[];
  /**
   * Bonferroni-style penalty per feature tested (default 1e4; with 14 features a single-feature
   * deviation needs |z| ≈ 5 for score 0.95).
   */
  penalty?: number;
  /** Half-width of the reported band in robust sigmas (default 3). */
  bandZ?: number;
  /** Deviations listed when |z| >= this (default 3). */
  listZ?: number;
  /** Minimum training windows behind a statistic for it to be used (default 5). */
  minWindows?: number;
  /** Floor of the base rate used for rate features' count test (default 0.001). */
  minRate?: number;
}

/** Anomaly kind suggested by the dominant deviating feature. */
export function kindForFeature(feature: string, z: number): AnomalyKind {
  switch (feature) {
    case 'count':
    case 'bytes':
      return z < 0 ? 'volume_drop' : 'volume_spike';
    case 'latencyP50':
    case 'latencyP95':
    case 'latencyP99':
      return 'latency';
    case 'errorCount':
    case 'errorRate':
    case 'status5xxRate':
      return 'error_spike';
    case 'newTemplateCount':
      return 'new_template';
    case 'patternViolations':
      return 'pattern_break';
    default:
      return 'seasonal_band';
  }
}

/**
 * Smallest denominator n in 1..maxN for which `rate * n` is an integer: the least-evidence event
 * count consistent with an observed rate (used when the denominator is unknown).
 */
export function minimalDenominator(rate: number, maxN: number): number {
  const limit = Math.max(1, Math.floor(maxN));
  for (let n = 1; n <= limit; n++) {
    const k = rate * n;
    if (Math.abs(k - Math.round(k)) < 1e-7 * Math.max(1, n)) return n;
  }
  return limit;
}

/** Effective z of one feature, with the band (in the feature's unit) used for reporting. */
export function featureZ(
  feature: FeatureName,
  w: WindowFeatures,
  ctx: DetectorContext,
  options: { minRate?: number; bandZ?: number } = {},
): { z: number; median: number; band: [number, number]; n: number } | null {
  if (!observed(feature, w)) return null;
  const bandZ = options.bandZ ?? 3;
  const stat = expected(ctx, feature, w.windowStart);
  const fl = FEATURE_FLOORS[feature];
  const x = w.features[feature];
  let z: number;
  let band: [number, number];
  const cnt = expected(ctx, 'count', w.windowStart);
  if (fl.logFloor !== undefined) {
    // A window quantile's spread shrinks like 1/sqrt(events): widen it for sparser windows. The
    // reference is at least 5 events: in very quiet partitions a "quantile" is one or two lines.
    const sparse = Math.sqrt(Math.max(1, Math.max(cnt.median, 5) / Math.max(1, w.features.count)));
    const sigma = logSigma(feature, stat) * sparse;
    const med = Math.max(stat.median, fl.absolute);
    z = Math.log(Math.max(x, fl.absolute) / med) / sigma;
    band = [med * Math.exp(-bandZ * sigma), med * Math.exp(bandZ * sigma)];
  } else {
    let scale = featureScale(feature, stat);
    if (feature === 'bytes') {
      // Bytes follow the event count: relative Poisson noise of the count applies.
      scale = Math.max(scale, stat.median / Math.sqrt(Math.max(1, cnt.median)));
    }
    z = (x - stat.median) / scale;
    band = [Math.max(0, stat.median - bandZ * scale), stat.median + bandZ * scale];
  }
  if (fl.direction === 'up' && z < 0) z = 0;
  if (z !== 0 && feature === 'bytes' && stat.median > 0 && cnt.median > 0) {
    // Bytes as "event equivalents" at the usual message size: an exact Poisson check.
    const avg = stat.median / cnt.median;
    const zp = discreteZ('count', x / avg, meanEstimate(cnt, 0.5), 0);
    z = z > 0 ? Math.max(0, Math.min(z, zp)) : Math.min(0, Math.max(z, zp));
  }
  if (z !== 0 && (fl.poisson || fl.rate)) {
    let n = w.features.count;
    if (feature === 'status5xxRate' || feature === 'status4xxRate') n = minimalDenominator(x, n);
    const baseline = fl.rate ? baseRate(ctx, feature, w.windowStart, options.minRate ?? 0.001) : meanEstimate(stat, 0.5);
    const zp = discreteZ(feature, x, baseline, n);
    z = z > 0 ? Math.max(0, Math.min(z, zp)) : Math.min(0, Math.max(z, zp));
  }
  return { z, median: stat.median, band, n: stat.n };
}

/**
 * Seasonal band detector. Score: the smallest one-sided tail probability among the features
 * (Gaussian, or exponential for upper quantiles; see featureTail), penalised for the number of
 * features tested (see tailToScore). Kind from the dominant feature
 * (volume_spike / volume_drop / latency / error_spike / new_template / pattern_break /
 * seasonal_band). A busy partition going silent gives a huge negative count z (volume_drop).
 */
export function seasonalBand(w: WindowFeatures, ctx: DetectorContext, options: SeasonalBandOptions = {}): DetectorResult | null {
  const features = options.features ?? FEATURE_NAMES;
  const penalty = options.penalty ?? 1e4;
  const bandZ = options.bandZ ?? 3;
  const listZ = options.listZ ?? 3;
  const minWindows = options.minWindows ?? 5;
  const deviations: Deviation[] = [];
  let tested = 0;
  let best: Deviation | null = null;
  let bestP = 1;
  for (const feature of features) {
    const r = featureZ(feature, w, ctx, { minRate: options.minRate, bandZ });
    if (!r || r.n < minWindows) continue;
    tested++;
    const dev: Deviation = {
      feature,
      observed: w.features[feature],
      expected: r.median,
      band: r.band,
      z: r.z,
    };
    if (Math.abs(r.z) >= listZ) deviations.push(dev);
    const p = featureTail(feature, r.z);
    if (!best || p < bestP || (p === bestP && Math.abs(r.z) > Math.abs(best.z))) {
      best = dev;
      bestP = p;
    }
  }
  if (tested === 0 || !best) return null;
  deviations.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  const score = tailToScore(bestP, penalty * tested);
  return {
    detector: 'seasonalBand',
    kind: kindForFeature(best.feature, best.z),
    score,
    deviations,
    evidence: deviations.map(
      (d) => `${d.feature} ${fmt(d.observed)} vs expected ${fmt(d.expected)} (band ${fmt(d.band[0])}..${fmt(d.band[1])}, z=${fmt(d.z)})`,
    ),
  };
}
