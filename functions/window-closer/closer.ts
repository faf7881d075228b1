/**
 * The window closer's work for one tick, independent of Lambda wiring: close every window past its
 * end + allowed lateness, turn the already-summed item into features, score them against the
 * partition's profile, recent history and (when the profile names one) the VAE model, store
 * anomalies and features, publish alerts.
 *
 * A tick runs in three phases: (1) close windows and compute features, all partitions
 * (concurrently, each in window order); (2) one model call for every window whose profile names a
 * model (chunks of at most 500), behind a circuit breaker, falling back to the statistical
 * detectors on any failure; (3) score each partition's windows in order, group incidents, alert,
 * and write the partition's detector state last.
 *
 * Early warning (core/early-warning): after each window is scored, the partition's forecasters
 * learn it and may open or resolve a "Log Anomaly Predicted" prediction, published through the
 * same alert publisher with the prediction's deterministic id (a retried tick re-derives the same
 * predictions from the same windows). A forecaster error never fails the tick: it is counted in
 * the summary (`predictionErrors`) and the partition's forecaster restarts from an empty state.
 */
import { attributesToPartial, emptyPartial, windowFeatures } from '../core/features';
import { scoreWindow, type AnomalyScoring } from '../core/scoring';
import { groupWindow, type IncidentChange } from '../core/incidents';
import { forEachLimit } from '../core/concurrency';
import { anomalyKey, EVENTS, predictionKey, windowFeaturesKey } from '../core/resources';
import { CircuitBreaker } from '../core/circuit-breaker';
import { modelDetectorResult, parseScoreResponse } from '../core/model-detector';
import type { ModelWindow, PartitionThresholds, WindowModelScore } from '../core/model-contract';
import { observeWindow, restoreEarlyWarningState, type EarlyWarningOptions, type Prediction, type PredictionChange } from '../core/early-warning';
import type { Anomaly, AnomalyKind, DetectorResult, Profile, WindowFeatures } from '../core/types';
import type { WindowStore, OpenWindowRef } from '../adapters/window-store';
import type { DetectorState, DetectorStateStore } from '../adapters/detector-state-store';
import type { ObjectStore } from '../adapters/object-store';
import type { AlertPublisher } from '../adapters/alert-publisher';
import { modelTimeoutFromEnv, type ModelScorer, type ThresholdsReader } from '../adapters/model-client';
import { coMovementHint, movementsByMinute, type Movement } from '../core/co-movement';

/** Root-cause hints kept on an anomaly (the co-movement hint takes the last place when it is full). */
const MAX_HINTS = 6;

/** What the closer needs from the outside world. */
export interface CloserDeps {
  windows: WindowStore;
  states: DetectorStateStore;
  profileOf: (partition: string) => Promise<Profile | null>;
  /** Partitions that have a published profile (checked for silent minutes). */
  knownPartitions: () => Promise<string[]>;
  anomalies: ObjectStore;
  datasets: ObjectStore;
  alerts: AlertPublisher;
  /** Allowed lateness after a window's end before it is closed, ms. */
  latenessMs: number;
  /** Most recent windows kept per partition for sliding-window detectors. */
  recentWindows?: number;
  /** At most this many missing (silent) minutes are filled per partition per tick. */
  maxGapMinutes?: number;
  /** Quiet windows before an incident resolves (alert grouping). Default 5. */
  quietWindows?: number;
  /** Partitions closed concurrently. Default 4. */
  partitionConcurrency?: number;
  /**
   * Scores windows with the model (VAE). Absent: windows whose profile names a model are scored by
   * the statistical detectors and counted as fallbacks ("model scoring not configured").
   */
  model?: ModelScorer;
  /** The partition's proactive thresholds (bands of the model's deviations); null when none. */
  thresholdsOf?: ThresholdsReader;
  /** Breaker around model calls. Default: one per `model` object (3 failures, 60 s cool-down, wall clock). */
  modelBreaker?: CircuitBreaker;
  /** The closer's own bound on one model call, ms (default HARBINGER_MODEL_TIMEOUT_MS, else 3000; plus 250 ms grace). */
  modelTimeoutMs?: number;
  /** Windows per model call (default and maximum 500). */
  modelBatchSize?: number;
  /**
   * Early-warning settings (core/early-warning EarlyWarningOptions); `false` turns predictions off.
   * Default: the core's defaults.
   */
  earlyWarning?: Partial<EarlyWarningOptions> | false;
}

/** One alert sent: an incident opened, escalated or resolved. */
export interface SentAlert {
  change: IncidentChange;
  incidentId: string;
  partition: string;
  kind: string;
  severity: string;
  windowStart: number;
}

/** One prediction event sent: a warning opened, came true or expired. */
export interface SentPrediction {
  change: PredictionChange['change'];
  /** Deterministic prediction id (the same in every event of one prediction). */
  id: string;
  partition: string;
  feature: Prediction['feature'];
  direction: Prediction['direction'];
  /** Probability that the crossing happens within the horizon. */
  probability: number;
  /** Predicted crossing (window start, epoch ms). */
  crossingAt: number;
  /** Window the prediction was made after (epoch ms). */
  issuedAt: number;
  threshold: number;
  /** came_true only: minutes from the warning to the detection or confirmed crossing. */
  leadMinutes?: number;
  message: string;
}

/** What one tick did. */
export interface CloseSummary {
  now: number;
  windowsClosed: number;
  silentWindows: number;
  windowsScored: number;
  /** Every anomalous window (all stored in S3). */
  anomalies: Anomaly[];
  /** The alerts actually sent: grouped per partition and kind (see core/incidents). */
  alerts: SentAlert[];
  partitions: number;
  unscoredNoProfile: number;
  /** Windows scored with the model's result. */
  modelScored: number;
  /** Windows whose profile names a model but that were scored statistically (error, timeout, malformed, circuit open). */
  modelFallbacks: number;
  /** Model calls made (InvokeEndpoint requests, not counting SDK retries). */
  modelCalls: number;
  /** Fallback windows by reason. */
  modelFallbackReasons: Record<string, number>;
  /** "Log Anomaly Predicted" events sent (opened, came_true, expired), in order. */
  predictions: SentPrediction[];
  /** Windows whose early-warning update failed (the tick went on without it). */
  predictionErrors: number;
  /** Those failures by message. */
  predictionErrorReasons: Record<string, number>;
  /** Highest combined P(anomalous) among the windows scored (0 when none). */
  maxProbability: number;
  /** Lowest alert level among the partitions scored (null when none). */
  minAlertLevel: number | null;
}

/** Most windows sent in one model call. */
export const MAX_MODEL_BATCH = 500;
/** Reason recorded when the breaker refuses a call. */
export const CIRCUIT_OPEN_REASON = 'circuit open';
/** Reason recorded when a profile names a model but the closer has no model client. */
export const NOT_CONFIGURED_REASON = 'model scoring not configured: set HARBINGER_MODEL_ENDPOINT';

const MINUTE = 60_000;


/** One partition after phase 1: its state, profile and the windows closed this tick, in order. */
interface PreparedPartition {
  partition: string;
  state: DetectorState;
  profile: Profile | null;
  windows: WindowFeatures[];
  /** False when there was nothing to consider (the state is then not written). */
  touched: boolean;
}

/** The model's verdict on one window, or why there is none. */
type ModelOutcome = { ok: true; score: WindowModelScore; modelVersion: string } | { ok: false; reason: string };

const breakers = new WeakMap<ModelScorer, CircuitBreaker>();

function breakerOf(deps: CloserDeps): CircuitBreaker | undefined {
  if (deps.modelBreaker) return deps.modelBreaker;
  if (!deps.model) return undefined;
  let b = breakers.get(deps.model);
  if (!b) {
    b = new CircuitBreaker();
    breakers.set(deps.model, b);
  }
  return b;
}

const windowKey = (partition: string, windowStart: number): string => `${partition}|${windowStart}`;

/**
 * Closes and scores every window that ended at least `latenessMs` before `now`.
 * Idempotent: closing is conditional, anomaly and feature keys are deterministic, and the detector
 * state only moves forward.
 */
export async function closeWindows(now: number, deps: CloserDeps): Promise<CloseSummary> {
  const cutoff = now - MINUTE - deps.latenessMs;
  const refs = await deps.windows.listClosable(cutoff);
  const byPartition = new Map<string, OpenWindowRef[]>();
  for (const r of refs) {
    const list = byPartition.get(r.partition) ?? [];
    list.push(r);
    byPartition.set(r.partition, list);
  }
  for (const p of await deps.knownPartitions()) if (!byPartition.has(p)) byPartition.set(p, []);

  const summary: CloseSummary = {
    now,
    windowsClosed: 0,
    silentWindows: 0,
    windowsScored: 0,
    anomalies: [],
    alerts: [],
    partitions: byPartition.size,
    unscoredNoProfile: 0,
    modelScored: 0,
    modelFallbacks: 0,
    modelCalls: 0,
    modelFallbackReasons: {},
    predictions: [],
    maxProbability: 0,
    minAlertLevel: null,
    predictionErrors: 0,
    predictionErrorReasons: {},
  };
  // Partitions are independent (each has its own state item); windows within one stay in order.
  const queue = [...byPartition.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  const concurrency = deps.partitionConcurrency ?? 4;
  const prepared: PreparedPartition[] = new Array(queue.length);
  await forEachLimit(queue, concurrency, async ([partition, open], i) => {
    prepared[i] = await preparePartition(partition, open, cutoff, now, deps, summary);
  });
  const outcomes = await scoreWithModel(prepared, deps, summary);
  // Root-cause hint: which partitions moved in the same minutes (needs every partition's windows).
  const movements = movementsByMinute(prepared.flatMap((p) => (p.profile ? p.windows.map((features) => ({ features, profile: p.profile })) : [])));
  await forEachLimit(prepared, concurrency, (p) => scorePartition(p, outcomes, movements, now, deps, summary));
  return summary;
}

/** Phase 1: closes the partition's windows in order and stores their features. */
async function preparePartition(
  partition: string,
  open: OpenWindowRef[],
  cutoff: number,
  now: number,
  deps: CloserDeps,
  summary: CloseSummary,
): Promise<PreparedPartition> {
  const state = await deps.states.get(partition);
  const profile = await deps.profileOf(partition);
  const openStarts = new Set(open.map((r) => r.windowStart));
  const prepared: PreparedPartition = { partition, state, profile, windows: [], touched: false };

  // Minutes to consider, in order: every open window, plus (once the partition has history) every
  // minute since the last scored one that has no open item: silent minutes, or windows a crashed
  // run closed but never scored.
  const starts = new Set(openStarts);
  if (state.lastWindowStart > 0 && profile) {
    const maxGap = deps.maxGapMinutes ?? 60;
    const from = Math.max(state.lastWindowStart + MINUTE, cutoff - (maxGap - 1) * MINUTE);
    for (let t = from; t <= cutoff; t += MINUTE) starts.add(t);
  }
  const ordered = [...starts].filter((t) => t > state.lastWindowStart).sort((a, b) => a - b);
  if (ordered.length === 0) return prepared;
  prepared.touched = true;

  for (const windowStart of ordered) {
    let attrs: Record<string, unknown> | null;
    if (openStarts.has(windowStart)) {
      attrs = await deps.windows.close({ partition, windowStart }, now);
      if (attrs === null) continue; // another closer took it
      summary.windowsClosed++;
    } else {
      const item = await deps.windows.read(partition, windowStart);
      if (item.openShard !== undefined) {
        attrs = await deps.windows.close({ partition, windowStart }, now);
        if (attrs === null) continue;
        summary.windowsClosed++;
      } else {
        attrs = Object.keys(item).length ? item : null;
        if (!attrs) summary.silentWindows++;
      }
    }
    const partial = attrs ? attributesToPartial(partition, windowStart, attrs) : emptyPartial(partition, windowStart);
    const features = windowFeatures(partial);
    await deps.datasets.putJson(windowFeaturesKey(partition, windowStart), features);
    prepared.windows.push(features);
  }
  return prepared;
}

/**
 * Phase 2: one model call per chunk of at most {@link MAX_MODEL_BATCH} windows (grouped by the
 * endpoint the profiles name), for every window whose profile names a model. Never throws: a
 * failed, timed-out, malformed or refused (circuit open) call yields a fallback outcome.
 */
async function scoreWithModel(prepared: PreparedPartition[], deps: CloserDeps, summary: CloseSummary): Promise<Map<string, ModelOutcome>> {
  const outcomes = new Map<string, ModelOutcome>();
  const groups = new Map<string, ModelWindow[]>();
  for (const p of prepared) {
    if (!p.profile?.model) continue;
    const endpoint = p.profile.model.endpoint ?? '';
    const list = groups.get(endpoint) ?? [];
    for (const w of p.windows) list.push({ partition: w.partition, windowStart: w.windowStart, features: w.features });
    groups.set(endpoint, list);
  }
  const fail = (windows: ModelWindow[], reason: string): void => {
    for (const w of windows) outcomes.set(windowKey(w.partition, w.windowStart), { ok: false, reason });
  };
  const model = deps.model;
  const breaker = breakerOf(deps);
  const batch = Math.max(1, Math.min(MAX_MODEL_BATCH, deps.modelBatchSize ?? MAX_MODEL_BATCH));
  const timeoutMs = deps.modelTimeoutMs ?? modelTimeoutFromEnv();
  for (const [endpoint, windows] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    for (let i = 0; i < windows.length; i += batch) {
      const chunk = windows.slice(i, i + batch);
      if (!model || !breaker) {
        fail(chunk, NOT_CONFIGURED_REASON);
        continue;
      }
      if (!breaker.allowRequest()) {
        fail(chunk, CIRCUIT_OPEN_REASON);
        continue;
      }
      summary.modelCalls++;
      try {
        const res = parseScoreResponse(await withTimeout(model.score(chunk, endpoint ? { endpointName: endpoint } : {}), timeoutMs + 250));
        breaker.recordSuccess();
        const byKey = new Map(res.scores.map((s) => [windowKey(s.partition, s.windowStart), s]));
        for (const w of chunk) {
          const key = windowKey(w.partition, w.windowStart);
          const score = byKey.get(key);
          outcomes.set(key, score ? { ok: true, score, modelVersion: res.modelVersion } : { ok: false, reason: 'model response had no score for this window' });
        }
      } catch (err) {
        breaker.recordFailure();
        fail(chunk, err instanceof Error ? err.message : String(err));
      }
    }
  }
  return outcomes;
}

/** Thrown by {@link withTimeout}. */
export class ModelTimeoutError extends Error {
  override readonly name = 'ModelTimeoutError';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ModelTimeoutError(`model call timed out after ${ms} ms: check the endpoint, or raise HARBINGER_MODEL_TIMEOUT_MS`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Thresholds of a partition whose windows the model scored; a read error only costs the bands. */
async function thresholdsFor(p: PreparedPartition, deps: CloserDeps): Promise<PartitionThresholds | null> {
  if (!deps.thresholdsOf || !p.profile?.model) return null;
  try {
    return await deps.thresholdsOf(p.partition, p.profile);
  } catch {
    return null;
  }
}

/** Phase 3: scores the partition's windows in order, stores anomalies, alerts, writes the state. */
async function scorePartition(
  p: PreparedPartition,
  outcomes: Map<string, ModelOutcome>,
  movements: Map<number, Movement[]>,
  now: number,
  deps: CloserDeps,
  summary: CloseSummary,
): Promise<void> {
  if (!p.touched) return;
  const { partition, state, profile } = p;
  const modelled = profile?.model !== undefined && p.windows.some((w) => outcomes.get(windowKey(partition, w.windowStart))?.ok);
  // The early warning reads the model's proactive thresholds even when this tick's model call failed.
  const warn = deps.earlyWarning !== false;
  const thresholds = modelled || (warn && profile?.model !== undefined) ? await thresholdsFor(p, deps) : null;
  for (const features of p.windows) {
    const windowStart = features.windowStart;
    if (profile) {
      const { extraResults, modelVersion, scoring } = modelInputs(p, features, outcomes, thresholds, summary);
      const result = scoreWindow(features, { profile, recent: state.recent, rolling: state.rolling as never }, { now, extraResults, modelVersion, scoring });
      state.rolling = result.rolling as Record<string, unknown>;
      summary.windowsScored++;
      summary.maxProbability = Math.max(summary.maxProbability, result.probability);
      summary.minAlertLevel = Math.min(summary.minAlertLevel ?? 1, result.sensitivity);
      if (result.anomaly) {
        const together = coMovementHint(partition, windowStart, movements);
        if (together) result.anomaly.rootCauseHints = [...result.anomaly.rootCauseHints.slice(0, MAX_HINTS - 1), together];
        await deps.anomalies.putJson(anomalyKey(partition, windowStart, result.anomaly.id), result.anomaly);
        summary.anomalies.push(result.anomaly);
      }
      const grouped = groupWindow(state.incidents, windowStart, result.anomaly, { quietWindows: deps.quietWindows });
      state.incidents = grouped.incidents;
      for (const g of grouped.alerts) {
        if (g.change === 'resolved') await deps.alerts.publish(EVENTS.anomalyResolved, { change: g.change, incident: g.incident });
        else await deps.alerts.publish(EVENTS.anomalyDetected, { ...g.anomaly, change: g.change, incident: g.incident });
        summary.alerts.push({
          change: g.change,
          incidentId: g.incident.id,
          partition,
          kind: g.incident.kind,
          severity: g.incident.severity,
          windowStart,
        });
      }
      if (warn) await predict(state, features, profile, thresholds, result.anomaly, deps, summary);
    } else {
      summary.unscoredNoProfile++;
    }
    pushRecent(state, features, deps.recentWindows ?? 15);
    state.lastWindowStart = windowStart;
  }
  await deps.states.put(state);
}

/** The model's contribution to one window's scoring, and how the window counts in the summary. */
function modelInputs(
  p: PreparedPartition,
  features: WindowFeatures,
  outcomes: Map<string, ModelOutcome>,
  thresholds: PartitionThresholds | null,
  summary: CloseSummary,
): { extraResults?: DetectorResult[]; modelVersion?: string; scoring: AnomalyScoring } {
  if (!p.profile?.model) return { scoring: { mode: 'statistical' } };
  const outcome = outcomes.get(windowKey(p.partition, features.windowStart)) ?? { ok: false, reason: NOT_CONFIGURED_REASON };
  if (outcome.ok) {
    summary.modelScored++;
    const result = modelDetectorResult(outcome.score, { modelVersion: outcome.modelVersion, thresholds, sensitivity: p.profile.sensitivity });
    return { extraResults: [result], modelVersion: outcome.modelVersion, scoring: { mode: 'model' } };
  }
  summary.modelFallbacks++;
  summary.modelFallbackReasons[outcome.reason] = (summary.modelFallbackReasons[outcome.reason] ?? 0) + 1;
  return { scoring: { mode: 'statistical-fallback', reason: outcome.reason } };
}

/**
 * Feeds a scored window to the partition's early-warning forecasters and publishes the predictions
 * that opened or resolved. Forecaster errors are counted, not thrown; publishing errors propagate
 * like the anomaly alerts' (the tick is retried and re-derives the same prediction ids).
 */
async function predict(
  state: DetectorState,
  features: WindowFeatures,
  profile: Profile,
  thresholds: PartitionThresholds | null,
  anomaly: Anomaly | null,
  deps: CloserDeps,
  summary: CloseSummary,
): Promise<void> {
  let changes: PredictionChange[];
  try {
    const r = observeWindow(
      restoreEarlyWarningState(state.warning),
      features,
      { profile, thresholds, anomaly, openKinds: Object.keys(state.incidents) as AnomalyKind[] },
      deps.earlyWarning || undefined,
    );
    state.warning = r.state;
    changes = r.changes;
  } catch (err) {
    const reason = `early warning: ${err instanceof Error ? err.message : String(err)}`;
    summary.predictionErrors++;
    summary.predictionErrorReasons[reason] = (summary.predictionErrorReasons[reason] ?? 0) + 1;
    state.warning = undefined; // restart the forecasters rather than fail on the same state every tick
    return;
  }
  for (const c of changes) {
    const p = c.prediction;
    // Stored with the anomalies (scenario reports measure lead time from them), then announced.
    await deps.anomalies.putJson(predictionKey(p.partition, p.issuedAt, p.id), { ...p, change: c.change });
    await deps.alerts.publish(EVENTS.anomalyPredicted, { ...p, change: c.change });
    summary.predictions.push({
      change: c.change,
      id: p.id,
      partition: p.partition,
      feature: p.feature,
      direction: p.direction,
      probability: p.probability,
      crossingAt: p.crossingAt,
      issuedAt: p.issuedAt,
      threshold: p.threshold,
      ...(p.resolution?.leadMinutes !== undefined ? { leadMinutes: p.resolution.leadMinutes } : {}),
      message: p.message,
    });
  }
}

function pushRecent(state: DetectorState, features: WindowFeatures, keep: number): void {
  state.recent.push(features);
  if (state.recent.length > keep) state.recent.splice(0, state.recent.length - keep);
}
