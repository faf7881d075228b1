/**
 * EvaluateChallenger: the challenger's holdout metrics come from the training job
 * (FinalMetricDataList, parsed from its metric lines by SageMaker or the local runner); the
 * champion's from invoking the current champion endpoint with the very same labelled holdout.
 * The promotion rule (core/evaluation decidePromotion) decides.
 */
import { decidePromotion, holdoutMetrics, type HoldoutMetrics } from '../core/evaluation';
import type { HoldoutWindow } from '../core/holdout';
import type { ObjectStore } from '../adapters/object-store';
import type { ProfileStore } from '../adapters/profile-store';
import type { ModelInvoker } from './model-invoker';
import { parseS3Uri } from './s3-uri';
import type { EvaluateEvent, EvaluateOutput, MetricData } from './types';

/** What {@link evaluateChallenger} needs. */
export interface EvaluateDeps {
  /** The model bucket (holds the holdout channel). */
  models: ObjectStore;
  /** CURRENT profiles say which model is the champion and where it is served. */
  profiles: ProfileStore;
  invoker: ModelInvoker;
  /** Windows per InvokeEndpoint call. Default 500 (well under the 6 MB payload limit). */
  batchSize?: number;
}

/** The holdout could not be read. */
export class HoldoutReadError extends Error {
  override readonly name = 'HoldoutReadError';
}

/** The champion endpoint answered, but not with one score per window. */
export class ChampionScoringError extends Error {
  override readonly name = 'ChampionScoringError';
}

/** The champion: the model most CURRENT profiles of the partitions reference. */
export interface Champion {
  version: string;
  endpoint: string;
}

/** Challenger metrics from FinalMetricDataList, or null when the job reported no average precision. */
export function challengerMetrics(list: readonly MetricData[] | undefined, windows: number): HoldoutMetrics | null {
  const get = (name: string): number | undefined => {
    const m = list?.find((x) => x.MetricName === name);
    return typeof m?.Value === 'number' && Number.isFinite(m.Value) ? m.Value : undefined;
  };
  const ap = get('holdout:average_precision');
  if (ap === undefined) return null;
  return { averagePrecision: ap, falsePositiveRate: get('holdout:false_positive_rate') ?? 1, recall: get('holdout:recall') ?? 0, windows };
}

/** The champion model and endpoint of the partitions, or null when no CURRENT profile has a served model. */
export async function findChampion(profiles: ProfileStore, partitions: readonly string[]): Promise<Champion | null> {
  const votes = new Map<string, { champion: Champion; n: number }>();
  for (const p of partitions) {
    const model = (await profiles.getCurrent(p))?.model;
    if (!model?.endpoint) continue;
    const key = `${model.version}\u0000${model.endpoint}`;
    const v = votes.get(key) ?? { champion: { version: model.version, endpoint: model.endpoint }, n: 0 };
    v.n++;
    votes.set(key, v);
  }
  const best = [...votes.values()].sort((a, b) => b.n - a.n || a.champion.version.localeCompare(b.champion.version))[0];
  return best?.champion ?? null;
}

/** Reads every labelled window of the holdout channel (gzip or plain JSON lines), in key order. */
export async function readHoldout(models: ObjectStore, holdoutS3Uri: string): Promise<HoldoutWindow[]> {
  const { bucket, key } = parseS3Uri(holdoutS3Uri);
  if (bucket !== models.bucket) throw new HoldoutReadError(`Holdout ${holdoutS3Uri} is not in the model bucket ${models.bucket}.`);
  const keys = (await models.list(key)).filter((k) => /\.jsonl(\.gz)?$/.test(k)).sort();
  const out: HoldoutWindow[] = [];
  for (const k of keys) for (const w of (await models.getJsonLines<HoldoutWindow>(k)) ?? []) out.push(w);
  if (out.length === 0) throw new HoldoutReadError(`No holdout windows under ${holdoutS3Uri}: was PrepareDataset's output written?`);
  return out;
}

/** Champion metrics: scores the holdout on the champion endpoint in batches. */
export async function championMetrics(invoker: ModelInvoker, endpoint: string, holdout: readonly HoldoutWindow[], batchSize = 500): Promise<HoldoutMetrics> {
  const probabilities: number[] = [];
  for (let i = 0; i < holdout.length; i += batchSize) {
    const batch = holdout.slice(i, i + batchSize).map((w) => ({ partition: w.partition, windowStart: w.windowStart, features: w.features }));
    const res = await invoker.score(endpoint, { op: 'score', windows: batch });
    if (res.scores.length !== batch.length) {
      throw new ChampionScoringError(`Champion endpoint ${endpoint} returned ${res.scores.length} scores for ${batch.length} windows.`);
    }
    for (const s of res.scores) probabilities.push(s.anomalyProbability);
  }
  return holdoutMetrics(probabilities, holdout.map((w) => w.label));
}

/** Evaluates the challenger against the champion and decides. */
export async function evaluateChallenger(event: EvaluateEvent, deps: EvaluateDeps): Promise<EvaluateOutput> {
  const holdout = await readHoldout(deps.models, event.holdoutS3Uri);
  const challenger = challengerMetrics(event.training.FinalMetricDataList, holdout.length);
  const base = { modelVersion: event.jobName, challenger };
  const champion = await findChampion(deps.profiles, event.partitions);
  if (!challenger) {
    return {
      ...base,
      promote: false,
      reason: `training job ${event.training.TrainingJobName} reported no holdout:average_precision metric`,
      champion: null,
      championVersion: champion?.version ?? null,
    };
  }
  if (!champion) {
    const decision = decidePromotion(challenger, null, event.promotion);
    return { ...base, ...decision, champion: null, championVersion: null };
  }
  let championScore: HoldoutMetrics;
  try {
    championScore = await championMetrics(deps.invoker, champion.endpoint, holdout, deps.batchSize);
  } catch (err) {
    if (err instanceof ChampionScoringError) throw err;
    // The champion's endpoint is gone or broken: it cannot defend its title; the bars alone decide.
    const decision = decidePromotion(challenger, null, event.promotion);
    const why = `champion ${champion.version} on ${champion.endpoint} could not be scored (${(err as Error).name}: ${(err as Error).message})`;
    return { ...base, promote: decision.promote, reason: `${why}; ${decision.reason}`, champion: null, championVersion: champion.version };
  }
  const decision = decidePromotion(challenger, championScore, event.promotion);
  return { ...base, ...decision, champion: championScore, championVersion: champion.version };
}
