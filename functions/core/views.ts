/**
 * Pure view computations for dashboards: the band of a feature at a sensitivity (from the model's
 * proactive thresholds when they cover the hour, otherwise the seasonal robust band of the profile,
 * both read at the sensitivity as a two-sided probability level),
 * window probabilities replayed through the very scoring function the window closer uses, and a
 * histogram of those probabilities on a readable scale. No I/O, no SDK.
 */
import { combineScores, MAX_PROBABILITY } from './anomaly';
import { featureZ } from './detectors/seasonalBand';
import { FEATURE_FLOORS, type DetectorContext } from './detectors/context';
import { bandAt, quantileAt, type PartitionThresholds } from './model-contract';
import { scoreWindow } from './scoring';
import { normalQuantile } from './stats';
import type { FeatureName, Profile, WindowFeatures } from './types';

/** Where a band comes from. */
export type BandSource = 'model-thresholds' | 'seasonal';

/** A feature's band for one window. */
export interface FeatureBand {
  lower: number;
  upper: number;
  /** The centre the band is drawn around (seasonal median, or the model's median). */
  expected: number;
  source: BandSource;
}

/**
 * Half-width of the seasonal band, in the feature's robust sigmas, that holds the central
 * `sensitivity` of its values under the detectors' own tails: Gaussian, or the exponential tail of
 * upper window quantiles (see FeatureFloor.tail). The same reading as bandAt's two-sided level,
 * so a band means the same with and without the model. (The detectors alert on the combined
 * probability with a penalty for the number of tests, so a value just outside the band is
 * unusual, not yet an anomaly.)
 */
export function bandZForSensitivity(feature: FeatureName, sensitivity: number): number {
  const s = Math.min(0.99999, Math.max(0.5, sensitivity));
  const tail = (1 - s) / 2;
  if (FEATURE_FLOORS[feature].tail === 'exponential') return Math.max(0, (-Math.log(tail) - 0.5772) / 1.2825);
  return normalQuantile(1 - tail);
}

/**
 * The band of `feature` for window `w` at `sensitivity`: the model's proactive thresholds when
 * given and covering the window's hour (two-sided level = sensitivity, see bandAt), otherwise the
 * seasonal-band detector's band (featureZ, with its floors and sparse-window widening) at
 * {@link bandZForSensitivity}. Null when the feature
 * carries no information in the window (e.g. latency of an empty minute) and no thresholds cover it.
 */
export function featureBand(
  feature: FeatureName,
  w: WindowFeatures,
  profile: Profile,
  sensitivity: number,
  thresholds?: PartitionThresholds | null,
): FeatureBand | null {
  if (thresholds) {
    const band = bandAt(thresholds, feature, w.windowStart, sensitivity);
    if (band) {
      const hour = thresholds.hours.find((h) => h.hourStart === Math.floor(w.windowStart / 3_600_000) * 3_600_000);
      const values = hour?.quantiles[feature] ?? [];
      return { lower: band[0], upper: band[1], expected: quantileAt(thresholds.quantileLevels, values, 0.5), source: 'model-thresholds' };
    }
  }
  const ctx: DetectorContext = { profile, recent: [], rolling: {} };
  const r = featureZ(feature, w, ctx, { bandZ: bandZForSensitivity(feature, sensitivity) });
  if (!r) return null;
  return { lower: r.band[0], upper: r.band[1], expected: r.median, source: 'seasonal' };
}

/** One window's replayed probability. */
export interface ReplayedScore {
  windowStart: number;
  /** Combined probability of the statistical detectors, in [0, 1]. */
  probability: number;
}

/** Options of {@link replayProbabilities}. */
export interface ReplayOptions {
  /** Windows before this time only warm up the recent-window and rolling state (not returned). */
  from?: number;
  /** Recent windows kept as context (the closer keeps 15). */
  recentWindows?: number;
}

/**
 * Replays windows (any order; sorted here) through scoreWindow with the profile, carrying the
 * recent windows and the rolling state forward the way the window closer does, and returns each
 * window's combined probability. The model's own contribution is not included (it needs the
 * endpoint); callers may merge stored anomalies' probabilities, which include it.
 */
export function replayProbabilities(windows: readonly WindowFeatures[], profile: Profile, options: ReplayOptions = {}): ReplayedScore[] {
  const keep = options.recentWindows ?? 15;
  const from = options.from ?? -Infinity;
  const sorted = [...windows].sort((a, b) => a.windowStart - b.windowStart);
  const recent: WindowFeatures[] = [];
  let rolling: DetectorContext['rolling'] = {};
  const out: ReplayedScore[] = [];
  for (const w of sorted) {
    const r = scoreWindow(w, { profile, recent: [...recent], rolling }, { now: w.windowStart, sensitivity: 1 });
    rolling = r.rolling;
    // The combination scoreWindow uses (its `anomaly` is null at sensitivity 1, so combine here).
    const probability = combineScores(r.results.map((d) => d.score));
    if (w.windowStart >= from) out.push({ windowStart: w.windowStart, probability });
    recent.push(w);
    if (recent.length > keep) recent.splice(0, recent.length - keep);
  }
  return out;
}

/** Highest probability a score reaches (the detectors never claim certainty). */
const MAX_P = MAX_PROBABILITY;

/**
 * A probability on the "surprise" scale `-log10(1 - p)`: 0.9 -> 1, 0.99 -> 2, 0.999 -> 3,
 * 0.9999 -> 4. Most windows score near 0; this spreads out the tail where thresholds live.
 */
export function surprise(p: number): number {
  const c = Math.min(MAX_P, Math.max(0, Number.isFinite(p) ? p : 0));
  return c === 0 ? 0 : -Math.log10(1 - c);
}

/** Histogram of window probabilities with the current threshold. */
export interface ScoreHistogram {
  /** Bins on the surprise scale (see {@link surprise}), left-closed. */
  bins: Array<{ from: number; to: number; count: number }>;
  /** The sensitivity on the surprise scale. */
  threshold: number;
  /** Windows at or above the sensitivity. */
  above: number;
  total: number;
}

/** Bins probabilities on the surprise scale, `binWidth` wide from 0 to 4, and counts those at or above `sensitivity`. */
export function scoreHistogram(probabilities: readonly number[], sensitivity: number, binWidth = 0.25): ScoreHistogram {
  const top = surprise(MAX_P);
  const n = Math.round(top / binWidth);
  const bins = Array.from({ length: n }, (_, i) => ({ from: i * binWidth, to: (i + 1) * binWidth, count: 0 }));
  let above = 0;
  for (const p of probabilities) {
    const i = Math.min(n - 1, Math.floor(surprise(p) / binWidth));
    bins[i].count++;
    if (p >= sensitivity) above++;
  }
  return { bins, threshold: surprise(sensitivity), above, total: probabilities.length };
}
