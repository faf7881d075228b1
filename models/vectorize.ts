/**
 * Window features -> model input: a variance-stabilising transform per feature, per-partition
 * standardisation, and the time context (hour-of-day and day-of-week) the VAE is conditioned on.
 * Pure: used by training, the model server and the benchmarks.
 */
import { FEATURE_NAMES, type FeatureName } from '../functions/core/types';
import { FEATURE_FLOORS } from '../functions/core/detectors/context';

/** Number of features the model sees. */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Rate features (share of a window's events): binomial z against the partition's base rate. */
const RATE_FEATURES: ReadonlySet<FeatureName> = new Set(
  FEATURE_NAMES.filter((f) => FEATURE_FLOORS[f].rate === true),
);
const COUNT_INDEX = FEATURE_NAMES.indexOf('count');
const BYTES_INDEX = FEATURE_NAMES.indexOf('bytes');

/**
 * Smallest standard deviation per feature in transformed units: a feature that never moved in
 * training (always 0 errors) must not make one error look impossible. log1p units for counts and
 * quantiles (0.3 ≈ a third more or less), binomial-z units for rates.
 */
export const MIN_SCALE: Record<FeatureName, number> = Object.fromEntries(
  FEATURE_NAMES.map((f) => [f, RATE_FEATURES.has(f) ? 0.5 : 0.3]),
) as Record<FeatureName, number>;

/** Features where only an increase is anomalous (errors, latency, novelty), per FEATURE_FLOORS. */
export const UPWARD_ONLY: readonly boolean[] = FEATURE_NAMES.map((f) => FEATURE_FLOORS[f].direction === 'up');

/** Per-partition transform parameters and standardisation in transformed units. */
export interface Standardiser {
  /** Base rate per feature index (rate features only; 0 elsewhere). */
  baseRate: number[];
  center: number[];
  scale: number[];
}

/**
 * Variance-stabilising transform of one feature. Counts, sizes and latencies: log1p; bytes as
 * bytes per event (log1p), since total bytes follow the count and its own noise is the line size. Rates: the
 * excess of the window's k = rate × count events over the partition's base rate in binomial
 * standard deviations, so "1 error in 2 lines" at night and "60 errors in 200 lines" at peak are
 * judged by how much evidence they carry, not by the raw share.
 */
export function transform(j: number, x: number, count: number, baseRate: number): number {
  const v = Number.isFinite(x) && x > 0 ? x : 0;
  if (j === BYTES_INDEX) return Math.log1p(v / Math.max(1, count));
  if (!RATE_FEATURES.has(FEATURE_NAMES[j])) return Math.log1p(v);
  const n = Number.isFinite(count) && count > 0 ? count : 0;
  if (n === 0) return 0;
  const p0 = Math.min(0.99, Math.max(0.001, baseRate));
  return (Math.min(1, v) * n - n * p0) / Math.sqrt(n * p0 * (1 - p0) + 0.25);
}

/** Inverse of {@link transform} (clipped to the feature's valid range). */
export function untransform(j: number, t: number, count: number, baseRate: number): number {
  if (j === BYTES_INDEX) return Math.max(0, Math.expm1(t)) * Math.max(1, count);
  if (!RATE_FEATURES.has(FEATURE_NAMES[j])) return Math.max(0, Math.expm1(t));
  const n = Math.max(0, count);
  if (n < 0.5) return 0;
  const p0 = Math.min(0.99, Math.max(0.001, baseRate));
  return Math.min(1, Math.max(0, p0 + (t * Math.sqrt(n * p0 * (1 - p0) + 0.25)) / n));
}

/** Fits a standardiser (base rates, then mean and floored standard deviation per feature). */
export function fitStandardiser(rows: ReadonlyArray<Record<FeatureName, number>>): Standardiser {
  const baseRate = FEATURE_NAMES.map((f) => {
    if (!RATE_FEATURES.has(f)) return 0;
    let k = 0;
    let n = 0;
    for (const r of rows) {
      k += (r[f] || 0) * (r.count || 0);
      n += r.count || 0;
    }
    return n > 0 ? k / n : 0;
  });
  const center = new Array<number>(FEATURE_COUNT).fill(0);
  const sq = new Array<number>(FEATURE_COUNT).fill(0);
  for (const r of rows) {
    FEATURE_NAMES.forEach((f, j) => {
      const t = transform(j, r[f], r.count, baseRate[j]);
      center[j] += t;
      sq[j] += t * t;
    });
  }
  const n = Math.max(1, rows.length);
  const scale = FEATURE_NAMES.map((f, j) => {
    const mean = center[j] / n;
    center[j] = mean;
    const variance = Math.max(0, sq[j] / n - mean * mean);
    return Math.max(Math.sqrt(variance), MIN_SCALE[f]);
  });
  return { baseRate, center, scale };
}

/** Standardised, transformed feature vector, written into `out` at `offset`. */
export function encodeFeatures(features: Record<FeatureName, number>, s: Standardiser, out: Float32Array, offset: number): void {
  FEATURE_NAMES.forEach((f, j) => {
    out[offset + j] = (transform(j, features[f], features.count, s.baseRate[j]) - s.center[j]) / s.scale[j];
  });
}

/**
 * Back to feature units from one standardised row (`z[offset .. offset + FEATURE_COUNT)`); rates
 * are read against the row's own decoded count.
 */
export function decodeRow(z: ArrayLike<number>, offset: number, s: Standardiser): Record<FeatureName, number> {
  const count = untransform(COUNT_INDEX, z[offset + COUNT_INDEX] * s.scale[COUNT_INDEX] + s.center[COUNT_INDEX], 0, 0);
  const out = {} as Record<FeatureName, number>;
  FEATURE_NAMES.forEach((f, j) => {
    out[f] = untransform(j, z[offset + j] * s.scale[j] + s.center[j], count, s.baseRate[j]);
  });
  return out;
}

/** Width of the time context vector. */
export const TIME_CONTEXT = 6;

/**
 * Time context of a window: daily and half-daily cycles of the hour, and the weekly cycle of the day
 * (UTC), as sines and cosines (continuous across midnight and the week's end).
 */
export function timeContext(windowStart: number, out: Float32Array, offset: number): void {
  const d = new Date(windowStart);
  const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
  const day = d.getUTCDay() + hour / 24;
  const a = (2 * Math.PI * hour) / 24;
  const w = (2 * Math.PI * day) / 7;
  out[offset] = Math.sin(a);
  out[offset + 1] = Math.cos(a);
  out[offset + 2] = Math.sin(2 * a);
  out[offset + 3] = Math.cos(2 * a);
  out[offset + 4] = Math.sin(w);
  out[offset + 5] = Math.cos(w);
}
