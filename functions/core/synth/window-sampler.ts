/**
 * Window-level sampling: feature vectors of a partition's 1-minute windows at a given time, with
 * the partition's seasonality. From the VAE decoder when a sampler is given (through the small
 * {@link WindowSampler} interface, so core stays free of tfjs), otherwise from the profile's
 * seasonal statistics (the hour-of-week slot, the global statistic when the slot is null). Pure.
 */
import { stableHash } from '../hash';
import { fmix32, mulberry32, normal, poisson } from '../random';
import { FEATURE_NAMES, type FeatureName, type Profile, type RobustStat } from '../types';
import { expectedFor } from '../profile';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** z of the 95th / 75th percentile of a standard normal. */
const Z95 = 1.6448536269514722;
const Z75 = 0.6744897501960817;
/**
 * Correlation assumed between the latency quantiles of one window (P50 -> P95 -> P99) in the
 * statistical sampler: the profile keeps marginals only, and independent draws would pair a low
 * median with a high tail as often as with a low one.
 */
export const LATENCY_QUANTILE_CORRELATION = 0.6;

/**
 * Draws `n` window feature vectors of `partition` for the consecutive minutes of the hour that
 * starts at `hourStart` (row i is minute i). A VAE adapter, or {@link statsWindowSampler}. Rows
 * may omit features; the event generator reads `count`, `errorCount` (or `errorRate`), `warnRate`,
 * `latencyP50` and `latencyP95`.
 */
export type WindowSampler = (partition: string, hourStart: number, n: number) => Array<Partial<Record<FeatureName, number>>>;

/** One sampled window. */
export interface SampledWindow {
  windowStart: number;
  features: Partial<Record<FeatureName, number>>;
}

/**
 * The profile's statistic of a feature at a time, as the detectors expect it (expectedFor): its
 * hour-of-week slot, else the blend of the neighbouring hours of the same day, else the global
 * one. (Falling back straight to the global statistic would generate a night-and-day average for
 * an hour the history has not seen yet, which the detectors then rightly call a volume drop.)
 */
export function statFor(profile: Profile, feature: FeatureName, ts: number): RobustStat {
  return expectedFor(profile, feature, ts);
}

/**
 * Value of a feature at standard-normal deviate `z`: piecewise through the statistic's 5th
 * percentile, median ± MAD (about the quartiles, kept inside [p05, p95]), median and 95th
 * percentile at their normal deviates, extended beyond p05/p95 with the end segments' slopes;
 * in log space when all anchors are positive (sizes and latencies are skewed); clamped at 0.
 */
export function featureAt(stat: RobustStat, z: number): number {
  const { p05, median, p95 } = stat;
  const lo = Math.min(median, Math.max(p05, median - stat.mad));
  const hi = Math.max(median, Math.min(p95, median + stat.mad));
  const zs = [-Z95, -Z75, 0, Z75, Z95];
  const log = p05 > 0 && lo > 0;
  const vs = [p05, lo, median, hi, p95].map((v) => (log ? Math.log(v) : v));
  let i = z < -Z75 ? 0 : z < 0 ? 1 : z < Z75 ? 2 : 3;
  if (z < -Z95) i = 0;
  const w = (z - zs[i]) / (zs[i + 1] - zs[i]);
  const v = vs[i] + (vs[i + 1] - vs[i]) * w;
  return Math.max(0, log ? Math.exp(v) : v);
}

/** Gamma(shape, 1) sample (Marsaglia-Tsang). */
function gamma(rng: () => number, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(rng() || 1e-12, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(rng);
    let v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * A count with the given mean and variance: Poisson when the variance does not exceed the mean,
 * negative binomial (gamma-Poisson) when it does (clustered events).
 */
export function overdispersedCount(rng: () => number, mean: number, variance: number): number {
  if (!(mean > 0)) return 0;
  if (!(variance > mean * 1.0001)) return poisson(rng, mean);
  const r = (mean * mean) / (variance - mean);
  return poisson(rng, (gamma(rng, r) * mean) / r);
}

const meanOf = (s: RobustStat): number => s.mean ?? s.median;

/**
 * One window's features from the profile at `ts`:
 * - `count`: Poisson or negative binomial with the slot's mean and variance;
 * - `errorCount`: given the count, proportional to it (the slot's error share) with the slot's extra
 *   dispersion (errors come in bursts), at most the count; `errorRate` follows;
 * - `warnRate`: warnings drawn the same way from the slot's mean warn rate;
 * - `latencyP50/P95/P99`: split normal per quantile, correlated ({@link LATENCY_QUANTILE_CORRELATION})
 *   and ordered; 0 in an empty window;
 * - `bytes`: count × the slot's bytes per event; other features from their marginals.
 * @param rng - seeded uniform source
 */
export function sampleFeatures(profile: Profile, ts: number, rng: () => number): Record<FeatureName, number> {
  const f = {} as Record<FeatureName, number>;
  for (const name of FEATURE_NAMES) f[name] = 0;
  const c = statFor(profile, 'count', ts);
  const n = c.mean !== undefined && c.variance !== undefined ? overdispersedCount(rng, c.mean, c.variance) : Math.round(featureAt(c, normal(rng)));
  f.count = n;
  if (n === 0) return f;
  const muN = Math.max(meanOf(c), 1e-9);
  const e = statFor(profile, 'errorCount', ts);
  const pe = Math.min(1, meanOf(e) / muN);
  const phiE = Math.max(1, ((e.variance ?? 0) - pe * pe * (c.variance ?? 0)) / Math.max(meanOf(e), 1e-9));
  f.errorCount = Math.min(n, overdispersedCount(rng, pe * n, phiE * pe * n));
  f.errorRate = f.errorCount / n;
  const w = statFor(profile, 'warnRate', ts);
  const pw = Math.min(1, meanOf(w));
  const phiW = pw > 0 && pw < 1 && w.variance ? Math.max(1, (w.variance * muN) / (pw * (1 - pw))) : 1;
  f.warnRate = Math.min(n - f.errorCount, overdispersedCount(rng, pw * n, phiW * pw * n)) / n;
  const rho = LATENCY_QUANTILE_CORRELATION;
  const z50 = normal(rng);
  const z95 = rho * z50 + Math.sqrt(1 - rho * rho) * normal(rng);
  const z99 = rho * z95 + Math.sqrt(1 - rho * rho) * normal(rng);
  f.latencyP50 = featureAt(statFor(profile, 'latencyP50', ts), z50);
  f.latencyP95 = Math.max(f.latencyP50, featureAt(statFor(profile, 'latencyP95', ts), z95));
  f.latencyP99 = Math.max(f.latencyP95, featureAt(statFor(profile, 'latencyP99', ts), z99));
  const b = statFor(profile, 'bytes', ts);
  f.bytes = (n * meanOf(b)) / muN;
  for (const name of ['status5xxRate', 'status4xxRate'] as const) f[name] = Math.min(1, featureAt(statFor(profile, name, ts), normal(rng)));
  f.bytesP95 = featureAt(statFor(profile, 'bytesP95', ts), normal(rng));
  f.distinctTemplates = Math.min(n, Math.round(featureAt(statFor(profile, 'distinctTemplates', ts), normal(rng))));
  f.newTemplateCount = Math.round(featureAt(statFor(profile, 'newTemplateCount', ts), normal(rng)));
  f.patternViolations = Math.round(featureAt(statFor(profile, 'patternViolations', ts), normal(rng)));
  return f;
}


/** Seed of one (run seed, partition, minute, stream of randomness): independent of the range asked for. */
export function minuteSeed(seed: number, partition: string, minute: number, stream = 0): number {
  const p = parseInt(stableHash(partition).slice(0, 8), 16) >>> 0;
  const s = (seed >>> 0) ^ Math.floor(seed / 0x100000000);
  return fmix32((fmix32((s ^ p ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0) + Math.imul(minute | 0, 0x9e3779b1)) >>> 0);
}

/**
 * The statistical sampler: every minute from its own seeded RNG, so a minute's features do not
 * depend on which range was asked for.
 * @param profile - the partition's baseline profile
 * @param seed - any integer
 */
export function statsWindowSampler(profile: Profile, seed: number): WindowSampler {
  return (partition, hourStart, n) =>
    Array.from({ length: n }, (_, i) => {
      const t = hourStart + i * MINUTE;
      return sampleFeatures(profile, t, mulberry32(minuteSeed(seed, partition, Math.floor(t / MINUTE), 1)));
    });
}

/** Options of {@link sampleWindows}. */
export interface SampleWindowsOptions {
  profile: Profile;
  /** First instant, epoch ms (inclusive). */
  start: number;
  /** Last instant, epoch ms (exclusive). */
  end: number;
  seed: number;
  /** VAE decoder samples; default {@link statsWindowSampler}. */
  sampler?: WindowSampler;
}

/** Thrown when a sampler returns fewer rows than asked for. */
export class WindowSamplerError extends Error {
  override readonly name = 'WindowSamplerError';
}

/**
 * Feature vectors for every minute window of `[start, end)` of the profile's partition, asking
 * the sampler one hour at a time.
 * @throws WindowSamplerError when the sampler returns fewer rows than minutes asked for
 */
export function sampleWindows(options: SampleWindowsOptions): SampledWindow[] {
  const { profile, start, end } = options;
  const sampler = options.sampler ?? statsWindowSampler(profile, options.seed);
  const out: SampledWindow[] = [];
  for (let hour = Math.floor(start / HOUR) * HOUR; hour < end; hour += HOUR) {
    const rows = sampler(profile.partition, hour, 60);
    if (rows.length < 60) throw new WindowSamplerError(`window sampler returned ${rows.length} rows for the hour ${new Date(hour).toISOString()} of ${profile.partition}; expected 60 (one per minute)`);
    for (let i = 0; i < 60; i++) {
      const t = hour + i * MINUTE;
      if (t + MINUTE <= start || t >= end) continue;
      out.push({ windowStart: t, features: rows[i] });
    }
  }
  return out;
}
