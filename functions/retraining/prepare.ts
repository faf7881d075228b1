/**
 * PrepareDataset: builds one retraining run's data set from the window features in the dataset
 * bucket. Windows of replayed scenario runs are left out (`scenarioData: "exclude"`, the default) or,
 * with `"include"`, their clean stretches kept and their labelled incident windows set aside for the
 * holdout (core/scenario-data). Windows a stored anomaly covers are left out (confirmed anomalies
 * must not teach the model "normal"); each partition's windows are split by time into train
 * (older) and holdout (newest); the holdout gets injected anomalies (label 1), plus the scenario
 * incident windows of its period, so champion and challenger are judged on the same labelled
 * incidents. Both channels go to the model bucket as gzip JSON lines under
 * `trainingPrefix(jobName)`, in the SageMaker training contract's format.
 */
import { loadWindows, partitionsWithWindows } from '../profile-builder/builder';
import { injectAnomalies } from '../core/holdout';
import { resourceNames, trainingPrefix } from '../core/resources';
import { VAE_DEFAULTS, type ModelWindow } from '../core/model-contract';
import type { WindowFeatures } from '../core/types';
import type { ObjectStore } from '../adapters/object-store';
import { LabelStore } from '../adapters/label-store';
import { windowsToExclude } from '../core/feedback';
import { scenarioDataMode, scenarioHoldoutRows, splitScenarioWindows, ScenarioDataModeError, type ScenarioDataMode } from '../core/scenario-data';
import { readScenarioStretches, type RunCatalogObjects } from '../scenario/catalog';
import { s3Uri } from './s3-uri';
import type { PrepareEvent, PrepareOutput, RetrainingRequest } from './types';

/** Hyperparameters every job gets unless the request overrides them (SageMaker wants strings). */
export const DEFAULT_HYPERPARAMETERS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(VAE_DEFAULTS).map(([k, v]) => [k, String(v)]),
);

/** Data set defaults. */
export const PREPARE_DEFAULTS = {
  days: 14,
  holdoutShare: 0.15,
  anomalyShare: 0.1,
  seed: 7,
  /** A partition with fewer usable windows is left out of the run. */
  minWindowsPerPartition: 120,
} as const;

/** What {@link prepareDataset} reads and writes. */
export interface PrepareDeps {
  /** Window features (dataset bucket). */
  datasets: ObjectStore;
  /** Stored anomalies (anomaly bucket). */
  anomalies: ObjectStore;
  /** Training data sets (model bucket). */
  models: ObjectStore;
  /** Parallel S3 reads. Default 16. */
  readConcurrency?: number;
  /** Minimum usable windows per partition. Default {@link PREPARE_DEFAULTS}.minWindowsPerPartition. */
  minWindowsPerPartition?: number;
  /** Job name prefix: the model endpoint's name. Default `resourceNames().modelEndpoint`. */
  jobPrefix?: string;
  /** Stored scenario runs (synthetic bucket); without it no window is known to be synthetic. */
  runs?: RunCatalogObjects;
}

/** Not enough window features to train on: says what to do. */
export class InsufficientTrainingDataError extends Error {
  override readonly name = 'InsufficientTrainingDataError';
}

/** The request is invalid (a bad `days`, `now`, share...). */
export class RetrainingRequestError extends Error {
  override readonly name = 'RetrainingRequestError';
}

const DAY_MS = 86_400_000;

/**
 * `<prefix>-YYYYMMDD-HHMMSS` (UTC) for a run starting at `now`; the prefix is the endpoint name
 * (`harbinger-vae`), so the stack's IAM can scope models and endpoint configs to `<endpoint>-*`.
 */
export function trainingJobName(now: number, prefix = resourceNames().modelEndpoint): string {
  const d = new Date(now).toISOString();
  return `${prefix}-${d.slice(0, 10).replace(/-/g, '')}-${d.slice(11, 19).replace(/:/g, '')}`;
}

/** Reference time of a run: the request's `now`, else the execution start, else the clock. */
export function referenceTime(event: PrepareEvent, clock: () => number = Date.now): number {
  const raw = event.request?.now ?? event.executionStartTime;
  if (raw === undefined) return clock();
  const t = typeof raw === 'number' ? raw : Date.parse(raw);
  if (!Number.isFinite(t)) throw new RetrainingRequestError(`"now" must be an ISO time or epoch milliseconds, got ${JSON.stringify(raw)}`);
  return t;
}

/** Default hyperparameters merged with overrides, every value a string. */
export function mergeHyperParameters(overrides: RetrainingRequest['hyperParameters'] = {}): Record<string, string> {
  const out: Record<string, string> = { ...DEFAULT_HYPERPARAMETERS };
  for (const [k, v] of Object.entries(overrides)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new RetrainingRequestError(`hyperParameters.${k} must be a string or a number`);
    out[k] = String(v);
  }
  return out;
}

/**
 * Splits windows by time: the oldest `1 - holdoutShare` train, the newest are held out.
 * @param windows - one partition's windows, any order
 */
export function splitByTime<T extends { windowStart: number }>(windows: readonly T[], holdoutShare: number): { train: T[]; holdout: T[] } {
  const sorted = [...windows].sort((a, b) => a.windowStart - b.windowStart);
  const cut = Math.min(sorted.length - 1, Math.max(1, Math.round(sorted.length * (1 - holdoutShare))));
  return { train: sorted.slice(0, cut), holdout: sorted.slice(cut) };
}

/**
 * Window starts (minute, epoch ms) to leave out of a partition's training data within [from, to):
 * every stored anomaly's window (from the anomaly keys alone), except windows whose anomalies were
 * all labelled false positives by a person (those were normal; see core/feedback).
 */
export async function anomalousWindowStarts(anomalies: ObjectStore, partition: string, from: number, to: number): Promise<Set<number>> {
  const store = new LabelStore(anomalies);
  const refs = await store.anomalyRefs(partition, from, to);
  if (refs.length === 0) return new Set();
  return windowsToExclude(refs, await store.list(partition, from, to));
}

const toModelWindow = (w: WindowFeatures): ModelWindow => ({ partition: w.partition, windowStart: w.windowStart, features: w.features });

function validate(request: RetrainingRequest): { days: number; holdoutShare: number; anomalyShare: number; seed: number; scenarioData: ScenarioDataMode } {
  let scenarioData: ScenarioDataMode;
  try {
    scenarioData = scenarioDataMode(request.scenarioData);
  } catch (err) {
    if (err instanceof ScenarioDataModeError) throw new RetrainingRequestError(err.message);
    throw err;
  }
  const days = request.days ?? PREPARE_DEFAULTS.days;
  const holdoutShare = request.holdoutShare ?? PREPARE_DEFAULTS.holdoutShare;
  const anomalyShare = request.anomalyShare ?? PREPARE_DEFAULTS.anomalyShare;
  const seed = request.seed ?? PREPARE_DEFAULTS.seed;
  if (!(Number.isFinite(days) && days > 0 && days <= 366)) throw new RetrainingRequestError(`"days" must be in (0, 366], got ${days}`);
  if (!(holdoutShare > 0 && holdoutShare < 0.5)) throw new RetrainingRequestError(`"holdoutShare" must be in (0, 0.5), got ${holdoutShare}`);
  if (!(anomalyShare > 0 && anomalyShare <= 1)) throw new RetrainingRequestError(`"anomalyShare" must be in (0, 1], got ${anomalyShare}`);
  if (!Number.isInteger(seed)) throw new RetrainingRequestError(`"seed" must be an integer, got ${seed}`);
  return { days, holdoutShare, anomalyShare, seed, scenarioData };
}

/**
 * Prepares the data set of one retraining run and writes both channels to the model bucket.
 * @throws InsufficientTrainingDataError when no partition has enough usable windows
 * @throws RetrainingRequestError for an invalid request
 */
export async function prepareDataset(event: PrepareEvent, deps: PrepareDeps): Promise<PrepareOutput> {
  const request = event.request ?? {};
  const { days, holdoutShare, anomalyShare, seed, scenarioData } = validate(request);
  const now = referenceTime(event);
  const from = now - days * DAY_MS;
  const minWindows = deps.minWindowsPerPartition ?? PREPARE_DEFAULTS.minWindowsPerPartition;
  const jobName = trainingJobName(now, deps.jobPrefix);
  const prefix = trainingPrefix(jobName);
  const candidates = request.partitions?.length ? [...request.partitions].sort() : await partitionsWithWindows(deps.datasets);

  const counts = { found: 0, excludedAnomalous: 0, train: 0, holdoutNormal: 0, holdoutInjected: 0 };
  const stretches = deps.runs ? await readScenarioStretches(deps.runs, { start: from, end: now }) : [];
  const scenario: PrepareOutput['scenarioData'] = { mode: scenarioData, runs: stretches.length, excluded: 0, included: 0, incidents: 0, holdoutAnomalies: 0 };
  const partitions: string[] = [];
  const skippedPartitions: PrepareOutput['skippedPartitions'] = [];
  let partitionIndex = 0;
  for (const partition of candidates) {
    const windows = await loadWindows(deps.datasets, partition, from, now, deps.readConcurrency);
    // Scenario runs first: their incident windows are labelled by ground truth, stored anomalies or not.
    const synthetic = splitScenarioWindows(windows.map(toModelWindow), stretches, scenarioData);
    scenario.excluded += synthetic.counts.excluded;
    scenario.included += synthetic.counts.included;
    scenario.incidents += synthetic.counts.incidents;
    const anomalous = await anomalousWindowStarts(deps.anomalies, partition, from, now);
    const usable = synthetic.train.filter((w) => !anomalous.has(w.windowStart));
    counts.found += windows.length;
    counts.excludedAnomalous += synthetic.train.length - usable.length;
    if (usable.length < minWindows) {
      skippedPartitions.push({ partition, reason: `${usable.length} usable windows in the last ${days} days (need ${minWindows})` });
      continue;
    }
    const split = splitByTime(usable, holdoutShare);
    const holdout = injectAnomalies(split.holdout, { seed: seed + partitionIndex++, share: anomalyShare });
    const real = scenarioHoldoutRows(synthetic.incidents, split.holdout[0].windowStart);
    holdout.push(...real);
    scenario.holdoutAnomalies += real.length;
    const file = `part-${encodeURIComponent(partition)}.jsonl.gz`;
    await deps.models.putJsonLines(`${prefix}train/${file}`, split.train);
    await deps.models.putJsonLines(`${prefix}holdout/${file}`, holdout);
    partitions.push(partition);
    counts.train += split.train.length;
    counts.holdoutNormal += split.holdout.length;
    counts.holdoutInjected += holdout.length - split.holdout.length - real.length;
  }
  if (partitions.length === 0) {
    const detail = skippedPartitions.length
      ? skippedPartitions.map((s) => `${s.partition}: ${s.reason}`).join('; ')
      : `no window features under windows/ in ${deps.datasets.bucket}`;
    throw new InsufficientTrainingDataError(
      `Not enough window features to train on between ${new Date(from).toISOString()} and ${new Date(now).toISOString()} (${detail}). ` +
        `Let the window closer run longer, import history (harbinger demo stores a week), or raise "days".`,
    );
  }
  return {
    jobName,
    now,
    days,
    trainS3Uri: s3Uri(deps.models.bucket, `${prefix}train/`),
    holdoutS3Uri: s3Uri(deps.models.bucket, `${prefix}holdout/`),
    partitions,
    skippedPartitions,
    windows: counts,
    scenarioData: scenario,
    hyperParameters: mergeHyperParameters(request.hyperParameters),
    promotion: request.promotion ?? {},
  };
}
