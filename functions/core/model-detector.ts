/**
 * The VAE as one more detector: validates the model server's response (model-contract
 * ScoreResponse) and turns a window's WindowModelScore into a DetectorResult named 'vae' that
 * scoreWindow combines with the statistical detectors. Pure: no I/O.
 */
import { z } from 'zod';
import { bandAt, type PartitionThresholds, type ScoreResponse, type WindowModelScore } from './model-contract';
import { kindForFeature } from './detectors/seasonalBand';
import { fmt } from './detectors/context';
import { zFromUpperTail } from './stats';
import { DEFAULT_SENSITIVITY } from './profile';
import { FEATURE_NAMES } from './types';
import type { Deviation, DetectorResult, FeatureName } from './types';

/** Detector name of the model's result. */
export const VAE_DETECTOR = 'vae';

/** The model server's body did not match the contract (model-contract ScoreResponse). */
export class MalformedModelResponseError extends Error {
  override readonly name = 'MalformedModelResponseError';
}

const featureSet = new Set<string>(FEATURE_NAMES);
const finite = z.number().refine((x) => Number.isFinite(x), 'must be a finite number');
const probability = finite.refine((x) => x >= 0 && x <= 1, 'must be in [0,1]');

const contributionSchema = z.object({
  feature: z.string(),
  share: probability,
  observed: finite,
  expected: finite,
});

const windowScoreSchema = z.object({
  partition: z.string().min(1),
  windowStart: finite,
  // -Infinity is serialised as null by JSON.stringify: accept it, it is not needed for scoring.
  logLikelihood: z.number().nullable().transform((x) => (x === null ? Number.NEGATIVE_INFINITY : x)),
  pValue: probability,
  anomalyProbability: probability,
  contributions: z.array(contributionSchema),
  knownPartition: z.boolean(),
});

/** zod schema of a score response (unknown keys are dropped). */
export const scoreResponseSchema = z.object({
  modelVersion: z.string().min(1),
  scores: z.array(windowScoreSchema),
});

/**
 * Validates a parsed JSON body as a {@link ScoreResponse}. Contributions naming a feature this
 * build does not know (a newer model) are dropped rather than failing the whole batch.
 * @throws MalformedModelResponseError naming the first offending field
 */
export function parseScoreResponse(body: unknown): ScoreResponse {
  const parsed = scoreResponseSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(body)';
    throw new MalformedModelResponseError(`malformed model response: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return {
    modelVersion: parsed.data.modelVersion,
    scores: parsed.data.scores.map((s) => ({
      ...s,
      contributions: s.contributions
        .filter((c) => featureSet.has(c.feature))
        .map((c) => ({ ...c, feature: c.feature as FeatureName })),
    })),
  };
}

/** Options of {@link modelDetectorResult}. */
export interface ModelDetectorOptions {
  /** Model version, named in the evidence. */
  modelVersion?: string;
  /** The partition's proactive thresholds: bands of the deviations (else [expected, expected]). */
  thresholds?: PartitionThresholds | null;
  /** Two-sided probability level of the bands (default the profile default, 0.95). */
  sensitivity?: number;
  /** Most deviations listed (default 3). */
  maxDeviations?: number;
  /** Contributions below this share are not listed, except the top one (default 0.1). */
  minShare?: number;
  /** Floor of the p-value when deriving z (default 1e-6: the held-out set cannot resolve rarer). */
  minPValue?: number;
}

/** Formats a number with thousands separators and two significant digits (40,000). */
function roundCount(x: number): string {
  return Number(x.toPrecision(2)).toLocaleString('en-US');
}

/** A p-value for evidence lines: 2.5e-5, 0.034. */
export function formatPValue(p: number): string {
  if (p === 0) return '0';
  return p < 0.01 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

/** Plain-language rarity of a p-value: "happens in 1 of 40,000 normal minutes". */
export function describeRarity(pValue: number): string {
  if (pValue <= 0) return 'no held-out normal minute was this unlikely';
  if (pValue >= 0.5) return 'a window like this is common';
  return `a window this unlikely happens in 1 of ${roundCount(1 / pValue)} normal minutes`;
}

/**
 * The window's overall unlikeliness as a z-score: the z with P(Z >= z) = pValue, at least 0
 * (common windows are not "negative" anomalies).
 */
export function windowZ(pValue: number, minPValue = 1e-6): number {
  return Math.max(0, zFromUpperTail(Math.max(pValue, minPValue)));
}

/**
 * Maps the model's score of one window to a DetectorResult:
 * - score: `anomalyProbability`;
 * - kind: from the top contribution's feature (kindForFeature; seasonal_band without contributions);
 * - deviations: the top contributing features, observed vs the model's reconstruction, band from
 *   the thresholds at the window's hour and the sensitivity when available, and a signed z:
 *   `sign(observed - expected) * windowZ(pValue) * sqrt(share)` (under a Gaussian reading the
 *   window's squared z splits over features in proportion to their share of the excess NLL);
 * - evidence: how rare the window is and which features explain it, in plain language.
 */
export function modelDetectorResult(score: WindowModelScore, options: ModelDetectorOptions = {}): DetectorResult {
  const maxDeviations = options.maxDeviations ?? 3;
  const minShare = options.minShare ?? 0.1;
  const sensitivity = options.sensitivity ?? DEFAULT_SENSITIVITY;
  const zw = windowZ(score.pValue, options.minPValue);
  const contributions = [...score.contributions].sort((a, b) => b.share - a.share);
  const listed = contributions.filter((c, i) => i === 0 || c.share >= minShare).slice(0, Math.max(1, maxDeviations));

  const deviations: Deviation[] = listed.map((c) => {
    const sign = c.observed >= c.expected ? 1 : -1;
    const band = (options.thresholds ? bandAt(options.thresholds, c.feature, score.windowStart, sensitivity) : null) ?? [c.expected, c.expected];
    return { feature: c.feature, observed: c.observed, expected: c.expected, band, z: sign * zw * Math.sqrt(Math.max(0, c.share)) };
  });
  const top = deviations[0];
  const kind = top ? kindForFeature(top.feature, top.z) : 'seasonal_band';

  const explains = listed.map((c, i) => `${c.feature}${i === 0 ? ' explains' : ''} ${Math.round(100 * c.share)}%`).join(', ');
  const evidence = [`VAE: ${describeRarity(score.pValue)} (p=${formatPValue(score.pValue)})${explains ? `; ${explains}` : ''}`];
  for (const d of deviations) {
    const band = d.band[0] === d.band[1] ? '' : ` (band ${fmt(d.band[0])}..${fmt(d.band[1])})`;
    evidence.push(`VAE: ${d.feature} ${fmt(d.observed)} where the model expected ${fmt(d.expected)}${band}`);
  }
  if (!score.knownPartition) evidence.push('VAE: partition not in the training data; p-value from the global calibration');
  if (options.modelVersion) evidence.push(`VAE: model ${options.modelVersion}`);

  return { detector: VAE_DETECTOR, kind, score: score.anomalyProbability, deviations, evidence };
}
