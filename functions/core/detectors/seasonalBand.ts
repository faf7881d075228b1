/**
 * Seasonal band detector: every feature of the window against the robust band of its hour-of-week
 * slot (or neighbours / global, see expectedFor).
 */
import { normalUpperTail } from '../stats';
import { FEATURE_NAMES } from '../types';
import type { AnomalyKind, Deviation, DetectorResult, FeatureName, WindowFeatures } from '../types';
import {
  FEATURE_FLOORS,
  expected,
  featureScale,
  fmt,
  meanEstimate,
  observed,
  quasiPoissonLower,
  quasiPoissonUpper,
  tailToScore,
  zOf,
} from './context';
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

/** Effective z of one feature; also returns the robust scale used for the band. */
export function featureZ(
  feature: FeatureName,
  w: WindowFeatures,
  ctx: DetectorContext,
  minRate = 0.001,
): { z: number; median: number; scale: number; n: number } | null {
  if (!observed(feature, w)) return null;
  const stat = expected(ctx, feature, w.windowStart);
  const fl = FEATURE_FLOORS[feature];
  const x = w.features[feature];
  let scale = featureScale(feature, stat);
  if (feature === 'bytes') {
    // Bytes follow the event count: relative Poisson noise of the count applies.
    const cnt = expected(ctx, 'count', w.windowStart);
    scale = Math.max(scale, stat.median / Math.sqrt(Math.max(1, cnt.median)));
  }
  let z = (x - stat.median) / scale;
  if (fl.direction === 'up' && z < 0) z = 0;
  if (z !== 0 && (fl.poisson || fl.rate)) {
    // Discreteness check: the robust z must also be surprising as a count.
    let k = x;
    let lambda: number;
    if (fl.rate) {
      const n = feature === 'errorRate' || feature === 'warnRate' ? w.features.count : minimalDenominator(x, w.features.count);
      k = x * n;
      lambda = n * meanEstimate(stat, minRate);
    } else {
      lambda = meanEstimate(stat, 0.5);
    }
    const up = z > 0;
    const p = up ? (k > lambda ? quasiPoissonUpper(k, lambda) : 1) : k < lambda ? quasiPoissonLower(k, lambda) : 1;
    const zp = zOf(p, up);
    z = up ? Math.max(0, Math.min(z, zp)) : Math.min(0, Math.max(z, zp));
  }
  return { z, median: stat.median, scale, n: stat.n };
}

/**
 * Seasonal band detector. Score: the strongest one-sided deviation's normal tail probability,
 * penalised for the number of features tested (see tailToScore). Kind from the dominant feature
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
  for (const feature of features) {
    const r = featureZ(feature, w, ctx, options.minRate);
    if (!r || r.n < minWindows) continue;
    tested++;
    const dev: Deviation = {
      feature,
      observed: w.features[feature],
      expected: r.median,
      band: [Math.max(0, r.median - bandZ * r.scale), r.median + bandZ * r.scale],
      z: r.z,
    };
    if (Math.abs(r.z) >= listZ) deviations.push(dev);
    if (!best || Math.abs(r.z) > Math.abs(best.z)) best = dev;
  }
  if (tested === 0 || !best) return null;
  deviations.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  const score = tailToScore(normalUpperTail(Math.abs(best.z)), penalty * tested);
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
