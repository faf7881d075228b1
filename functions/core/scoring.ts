/**
 * Scores one closed window with every detector and decides whether it is an anomaly.
 */
import { buildAnomaly, combineScores } from './anomaly';
import type { CombineOptions } from './anomaly';
import { DETECTORS, DETECTOR_NAMES, updateRollingState } from './detectors/index';
import type { DetectorContext, DetectorName, DetectorOptions } from './detectors/index';
import { DEFAULT_SENSITIVITY } from './profile';
import type { Anomaly, DetectorResult, WindowFeatures } from './types';

/** Options of {@link scoreWindow}. */
export interface ScoringOptions extends CombineOptions {
  /** Alert level overriding `profile.sensitivity` (default: the profile's, else 0.95). */
  sensitivity?: number;
  /** Detection time, epoch ms (default Date.now(); pass it to stay deterministic). */
  now?: number;
  /** Per-detector options. */
  detectors?: DetectorOptions;
  /** Detectors to run (default all). */
  enabled?: readonly DetectorName[];
  /** Model version to report (default 'statistical-v1'). */
  modelVersion?: string;
  /**
   * Results computed outside this function (e.g. the VAE's, see core/model-detector), combined
   * with the detectors' results as if they were one more detector.
   */
  extraResults?: readonly DetectorResult[];
  /** How the window was scored, recorded on the anomaly (omitted when not given). */
  scoring?: AnomalyScoring;
}

/** How an anomaly was scored: by the model, or statistically (and why, when the model failed). */
export type AnomalyScoring = NonNullable<Anomaly['scoring']>;

/** Outcome of {@link scoreWindow}. */
export interface ScoreResult {
  results: DetectorResult[];
  /** The combined probability (whether or not it reached the sensitivity). */
  probability: number;
  /** The alert level the window was judged at. */
  sensitivity: number;
  /** The window's anomaly, or null when the combined probability stays below the sensitivity. */
  anomaly: Anomaly | null;
  /** Rolling state after this window: store it and pass it as ctx.rolling next time. */
  rolling: DetectorContext['rolling'];
}

/**
 * Runs all (enabled) detectors on a window, plus any `extraResults`. An anomaly is raised when the combined probability
 * (see combineScores) reaches the sensitivity; its kind is the strongest detector's kind.
 * The rolling state is updated from the window whether or not it was anomalous (clipped).
 */
export function scoreWindow(features: WindowFeatures, ctx: DetectorContext, options: ScoringOptions = {}): ScoreResult {
  const enabled = options.enabled ?? DETECTOR_NAMES;
  const opts = options.detectors ?? {};
  const results: DetectorResult[] = [];
  for (const name of enabled) {
    const detector = DETECTORS[name] as (w: WindowFeatures, c: DetectorContext, o?: unknown) => DetectorResult | null;
    const r = detector(features, ctx, opts[name]);
    if (r) results.push(r);
  }
  if (options.extraResults) results.push(...options.extraResults);
  const probability = combineScores(
    results.map((r) => r.score),
    options,
  );
  const sensitivity = options.sensitivity ?? ctx.profile.sensitivity ?? DEFAULT_SENSITIVITY;
  const built =
    results.length > 0 && probability >= sensitivity
      ? buildAnomaly(features, ctx.profile, results, probability, {
          detectedAt: options.now ?? Date.now(),
          modelVersion: options.modelVersion,
        })
      : null;
  const anomaly = built && options.scoring ? { ...built, scoring: { ...options.scoring } } : built;
  const rolling = enabled.includes('rollingStats') ? updateRollingState(ctx.rolling, features, opts.rollingStats) : { ...ctx.rolling };
  return { results, probability, sensitivity, anomaly, rolling };
}
