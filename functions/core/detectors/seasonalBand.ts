/**
 * Seasonal band detector: every feature of the window against the robust band of its hour-of-week
 * slot (or neighbours / global, see expectedFor).
 */
import { FEATURE_NAMES } from '../types';
import type { AnomalyKind, Deviation, DetectorResult, FeatureName, WindowFeatures } from '../types';
import { MINUTE_MS } from '../features';
import { normalUpperTail } from '../stats';
import {
  FEATURE_FLOORS,
  baseRate,
  discreteZ,
  countDispersion,
  slotDispersion,
  errorDispersion,
  dispersion,
  expected,
  featureScale,
  featureTail,
  fmt,
  logSigma,
  meanEstimate,
  observed,
  quasiPoissonLower,
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
  /** Events needed above a quantile for its upward deviation to count (default 3); see featureZ. */
  minTailEvents?: number;
  /**
   * Spans (minutes, ending with this window) over which a volume DROP is also tested as a sum, so
   * a partition that goes quiet is caught even when one minute alone is not conclusive (default
   * [5, 15]). Needs `ctx.recent` to reach back to the span start; missing minutes inside count as
   * silent. Only while the current window is itself below half its expected volume.
   */
  silenceSpansMinutes?: readonly number[];
}

/** The most significant multi-minute volume drop, as a `count` deviation (z < 0), or null. */
export function silenceCheck(w: WindowFeatures, ctx: DetectorContext, spans: readonly number[]): Deviation | null {
  const cur = expected(ctx, 'count', w.windowStart);
  if (cur.n === 0 || w.features.count >= cur.median / 2) return null;
  const earliest = ctx.recent.reduce((m, r) => Math.min(m, r.windowStart), Infinity);
  let best: Deviation | null = null;
  for (const minutes of spans) {
    const from = w.windowStart - (minutes - 1) * MINUTE_MS;
    if (minutes < 2 || earliest > from) continue;
    const seen = new Map<number, number>();
    for (const r of ctx.recent) if (r.windowStart >= from && r.windowStart < w.windowStart) seen.set(r.windowStart, r.features.count);
    seen.set(w.windowStart, w.features.count);
    let observedSum = 0;
    let lambda = 0;
    let med = 0;
    for (let t = from; t <= w.windowStart; t += MINUTE_MS) {
      const st = expected(ctx, 'count', t);
      observedSum += seen.get(t) ?? 0;
      lambda += meanEstimate(st, 0);
      med += st.median;
    }
    if (lambda <= 0 || observedSum >= lambda / 2) continue;
    const z = zOf(quasiPoissonLower(observedSum, lambda, dispersion(cur, meanEstimate(cur, 0.5))), false);
    if (!best || z < best.z) {
      const sd = Math.sqrt(lambda * dispersion(cur, meanEstimate(cur, 0.5)));
      best = { feature: `count (last ${minutes} min)`, observed: observedSum, expected: med, band: [Math.max(0, lambda - 3 * sd), lambda + 3 * sd], z };
    }
  }
  return best;
}

/** Anomaly kind suggested by the dominant deviating feature. */
export function kindForFeature(feature: string, z: number): AnomalyKind {
  if (feature.startsWith('count (')) return 'volume_drop'; // multi-minute silence check
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

/** Quantile features and their level: an upward deviation needs events above the quantile. */
const UPPER_QUANTILE: Partial<Record<FeatureName, number>> = { latencyP50: 0.5, latencyP95: 0.95, latencyP99: 0.99, bytesP95: 0.95 };

/**
 * Effective z of one feature, with the band (in the feature's unit) used for reporting.
 * `minTailEvents` (default 3): an upward quantile deviation only counts when the window has at
 * least this many events expected above that quantile (count × (1 − q)).
 */
export function featureZ(
  feature: FeatureName,
  w: WindowFeatures,
  ctx: DetectorContext,
  options: { minRate?: number; bandZ?: number; minTailEvents?: number } = {},
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
  const q = UPPER_QUANTILE[feature];
  if (q !== undefined && z > 0 && w.features.count * (1 - q) < (options.minTailEvents ?? 3)) {
    // Too few events above this quantile to call it high: in a 60-line minute, "p99" is just the
    // slowest line, and one slow request is not a latency anomaly.
    z = 0;
  }
  if (z !== 0 && feature === 'bytes') {
    // Bytes as "event equivalents" at the usual message size: the same (dispersed) count test as
    // volume. The usual size comes from the training means, so it exists even where the median
    // minute is empty (sparse logs).
    const g = ctx.profile.global;
    const avg =
      g.bytes.mean !== undefined && g.count.mean !== undefined && g.count.mean > 0
        ? g.bytes.mean / g.count.mean
        : stat.median > 0 && cnt.median > 0
          ? stat.median / cnt.median
          : 0;
    if (avg > 0) {
      const zp = discreteZ('count', x / avg, meanEstimate(cnt, 0.5), 0, slotDispersion(cnt));
      z = z > 0 ? Math.max(0, Math.min(z, zp)) : Math.min(0, Math.max(z, zp));
    }
  }
  if (z !== 0 && (fl.poisson || fl.rate)) {
    let n = w.features.count;
    if (feature === 'status5xxRate' || feature === 'status4xxRate') n = minimalDenominator(x, n);
    const baseline = fl.rate ? baseRate(ctx, feature, w.windowStart, options.minRate ?? 0.001) : meanEstimate(stat, 0.5);
    // Clustered sparse events (errors, pattern violations, new templates): dispersion from training.
    // Not volume: its global variance is mostly the daily cycle, which the seasonal slots model.
    const d =
      feature === 'errorRate'
        ? errorDispersion(ctx.profile)
        : feature === 'errorCount' || feature === 'patternViolations' || feature === 'newTemplateCount'
          ? countDispersion(ctx.profile, feature)
          : feature === 'count'
            ? slotDispersion(stat)
            : 1;
    const zp = discreteZ(feature, x, baseline, n, d);
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
    const r = featureZ(feature, w, ctx, { minRate: options.minRate, bandZ, minTailEvents: options.minTailEvents });
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
  const silence = silenceCheck(w, ctx, options.silenceSpansMinutes ?? [5, 15]);
  if (silence) {
    tested++;
    const p = normalUpperTail(Math.abs(silence.z));
    if (Math.abs(silence.z) >= listZ) deviations.push(silence);
    if (!best || p < bestP) {
      best = silence;
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
