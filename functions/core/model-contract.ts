/**
 * The contract between the window closer (or any caller of the SageMaker endpoint) and the VAE
 * model server (models/serve.ts): request and response bodies of POST /invocations, the
 * proactive thresholds document, and the pure helpers both sides use to read them.
 * One definition, used on AWS (InvokeEndpoint) and locally (the same client, endpoint override).
 */
import { z } from 'zod';
import { FEATURE_NAMES, type FeatureName } from './types';

/** Content type of every request and response body. */
export const MODEL_CONTENT_TYPE = 'application/json';

/**
 * "An observation is anomalous when P(x) < ANOMALY_TAIL under the learned distribution": the
 * model's p-value (the share of normal windows that are at least as unlikely) must fall below this
 * for the window to count as anomalous at all.
 */
export const ANOMALY_TAIL = 0.01;

/**
 * Training hyperparameters of the VAE and their defaults: small and fast on 2 cores, enough for
 * 14 features. The retraining job passes overrides (as strings, SageMaker's convention); the
 * training entry point (models/vae.ts parseHyperparameters) validates them over these defaults.
 */
export interface VaeHyperparameters {
  epochs: number;
  latentDim: number;
  hiddenUnits: number;
  embeddingDim: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Windows sampled for training at most (uniformly, seeded). */
  maxWindows: number;
  /** Samples of z per window when scoring (importance-weighted likelihood). */
  scoreSamples: number;
  /**
   * Small data sets get more epochs so that training takes at least this many optimiser steps
   * (at most 10x `epochs`). `epochs` 0 still means no training.
   */
  minSteps: number;
}

/** Default hyperparameters (see {@link VaeHyperparameters}). */
export const VAE_DEFAULTS: Readonly<VaeHyperparameters> = {
  epochs: 12,
  latentDim: 6,
  hiddenUnits: 64,
  embeddingDim: 4,
  batchSize: 256,
  learningRate: 0.003,
  seed: 7,
  maxWindows: 120_000,
  scoreSamples: 16,
  minSteps: 1500,
};

/** One window sent to the model. */
export interface ModelWindow {
  partition: string;
  /** Window start, epoch ms (its hour-of-day and day-of-week condition the model). */
  windowStart: number;
  features: Record<FeatureName, number>;
}

/** POST /invocations: score windows (one call per batch of windows). */
export interface ScoreRequest {
  op?: 'score';
  windows: ModelWindow[];
}

/** One feature's share of a window's unlikeliness. */
export interface FeatureContribution {
  feature: FeatureName;
  /** Share of the window's excess negative log-likelihood due to this feature, in [0,1]. */
  share: number;
  observed: number;
  /** The model's reconstruction of the feature (what it expected given the rest of the window). */
  expected: number;
}

/** The model's view of one window. */
export interface WindowModelScore {
  partition: string;
  windowStart: number;
  /** Estimated log-likelihood (reconstruction probability, An & Cho 2015), in standardised units. */
  logLikelihood: number;
  /** Share of held-out normal windows of this partition with a log-likelihood at most this low. */
  pValue: number;
  /**
   * Probability that the window is anomalous: `1 - pValue / ANOMALY_TAIL`, clipped to
   * [0, 0.9999]. 0 while pValue >= 0.01; 0.95 at pValue 0.0005.
   */
  anomalyProbability: number;
  /** Features ordered by share, largest first (only those with share > 0). */
  contributions: FeatureContribution[];
  /** False when the model was not trained on this partition (then the score is from the global calibration). */
  knownPartition: boolean;
}

/** Response of a score request. */
export interface ScoreResponse {
  modelVersion: string;
  scores: WindowModelScore[];
}

/** POST /invocations: per-feature bands for the coming hours (proactive thresholds). */
export interface ThresholdsRequest {
  op: 'thresholds';
  partitions: string[];
  /** First hour, epoch ms (rounded down to the hour). */
  from: number;
  /** Hours ahead (default 24). */
  hours?: number;
}

/**
 * Two-sided probability levels every band is computed at. A sensitivity s reads the band
 * [q((1-s)/2), q((1+s)/2)] by interpolation, so moving the sensitivity never needs the model.
 */
export const THRESHOLD_QUANTILES: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9975, 0.999, 0.9995,
];

/** Bands of one partition for one hour. */
export interface HourThresholds {
  /** Hour start, epoch ms. */
  hourStart: number;
  /** Feature -> value at each of {@link THRESHOLD_QUANTILES}. */
  quantiles: Record<FeatureName, number[]>;
}

/** Proactive thresholds of one partition, as written by the retraining job. */
export interface PartitionThresholds {
  partition: string;
  modelVersion: string;
  computedAt: number;
  quantileLevels: readonly number[];
  hours: HourThresholds[];
}

/** Response of a thresholds request. */
export interface ThresholdsResponse {
  modelVersion: string;
  thresholds: PartitionThresholds[];
}

/**
 * Limits of one sample request: hours per call and windows per hour (a run asks for the hours it
 * covers in calls of at most `maxHours`; 60 windows per hour are the hour's minutes).
 */
export const SAMPLE_LIMITS = { maxHours: 48, maxPerHour: 60 } as const;

const finiteNumber = z.number().refine((x) => Number.isFinite(x), 'must be a finite number');
const HOUR_MS = 3_600_000;

/**
 * zod schema of POST /invocations `{"sample": {...}}`: window feature vectors drawn from the VAE
 * decoder, conditioned on each hour (the synthetic generator's window level). The one definition:
 * the server validates requests with it ({@link parseSampleRequest}), the client builds them from
 * its type.
 */
export const sampleRequestSchema = z
  .object({
    sample: z
      .object({
        /** The partition (`service#region[#segment]`) the windows are drawn for. */
        partition: z.string().min(1),
        /** Hour starts, epoch ms, each a whole hour: `n` windows are drawn per hour, conditioned on it. */
        hourStarts: z
          .array(finiteNumber.refine((h) => h % HOUR_MS === 0, 'must be the start of an hour (epoch ms, a multiple of 3600000)'))
          .min(1)
          .max(SAMPLE_LIMITS.maxHours, `at most ${SAMPLE_LIMITS.maxHours} hours per call`),
        /** Windows per hour (row i is minute i of the hour). */
        n: z.number().int().min(1).max(SAMPLE_LIMITS.maxPerHour),
        /** Any integer: hour h is drawn with {@link hourSampleSeed}(seed, h), so the same request gives the same rows. */
        seed: z.number().int(),
      })
      .strict(),
  })
  .strict();

/** POST /invocations: sample windows from the decoder (see {@link sampleRequestSchema}). */
export type SampleRequest = z.infer<typeof sampleRequestSchema>;

const featureRow = z.record(z.string(), finiteNumber).transform((r) => {
  const out = {} as Record<FeatureName, number>;
  for (const f of FEATURE_NAMES) out[f] = r[f] ?? 0;
  return out;
});

/** zod schema of the answer to a sample request (unknown keys dropped; features this build does not know dropped). */
export const sampleResponseSchema = z.object({
  modelVersion: z.string().min(1),
  partition: z.string().min(1),
  /** False when the model was not trained on the partition: `hours` is then empty. */
  knownPartition: z.boolean(),
  hours: z.array(z.object({ hourStart: finiteNumber, windows: z.array(featureRow) })),
});

/** Response of a sample request: per hour asked for, `n` feature vectors (row i = minute i). */
export type SampleResponse = z.infer<typeof sampleResponseSchema>;

/** A body is not a valid sample request or response; the message names the field. */
export class ModelContractError extends Error {
  override readonly name = 'ModelContractError';
}

function contractIssue(error: z.ZodError, what: string): ModelContractError {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : '(body)';
  return new ModelContractError(`${what}: ${where}: ${issue?.message ?? 'invalid'}`);
}

/**
 * Validates a parsed JSON body as a {@link SampleRequest}.
 * @throws ModelContractError naming the first offending field
 */
export function parseSampleRequest(body: unknown): SampleRequest {
  const r = sampleRequestSchema.safeParse(body);
  if (!r.success) throw contractIssue(r.error, 'sample request');
  return r.data;
}

/**
 * Validates a parsed JSON body as a {@link SampleResponse}.
 * @throws ModelContractError naming the first offending field
 */
export function parseSampleResponse(body: unknown): SampleResponse {
  const r = sampleResponseSchema.safeParse(body);
  if (!r.success) throw contractIssue(r.error, 'sample response');
  return r.data;
}

/** Seed of one hour of a sample request: the same (seed, hour) always draws the same rows. */
export function hourSampleSeed(seed: number, hourStart: number): number {
  return ((seed | 0) + Math.floor(hourStart / HOUR_MS)) | 0;
}

/** Maps a p-value to the probability of being anomalous (see {@link WindowModelScore.anomalyProbability}). */
export function anomalyProbabilityOf(pValue: number): number {
  if (!Number.isFinite(pValue)) return 0;
  return Math.min(0.9999, Math.max(0, 1 - pValue / ANOMALY_TAIL));
}

/** Interpolates the value at probability `p` from values at the sorted `levels`. */
export function quantileAt(levels: readonly number[], values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p <= levels[0]) return values[0];
  const last = levels.length - 1;
  if (p >= levels[last]) return values[last];
  let i = 1;
  while (levels[i] < p) i++;
  const t = (p - levels[i - 1]) / (levels[i] - levels[i - 1]);
  return values[i - 1] + t * (values[i] - values[i - 1]);
}

/**
 * The band of `feature` at time `ts` for a sensitivity (two-sided probability level, e.g. 0.95),
 * or null when the thresholds do not cover that hour.
 */
export function bandAt(thresholds: PartitionThresholds, feature: FeatureName, ts: number, sensitivity: number): [number, number] | null {
  const hourStart = Math.floor(ts / 3_600_000) * 3_600_000;
  const hour = thresholds.hours.find((h) => h.hourStart === hourStart);
  const values = hour?.quantiles[feature];
  if (!values) return null;
  const lo = (1 - sensitivity) / 2;
  return [quantileAt(thresholds.quantileLevels, values, lo), quantileAt(thresholds.quantileLevels, values, 1 - lo)];
}
