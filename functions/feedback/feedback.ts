/**
 * Applies one label to one stored anomaly: stores the label next to the anomaly and, for a new
 * false positive, raises the partition's alert level by one bounded step (ProfileStore
 * setSensitivity: no retraining, no new profile version). Used by the feedback Lambda, the CLI
 * (`harbinger label`) and the local dashboard, so the three behave the same.
 */
import { DEFAULT_SENSITIVITY } from '../core/profile';
import { nextSensitivity, parseLabelRequest, type AlertLabel } from '../core/feedback';
import type { LabelStore } from '../adapters/label-store';
import type { ProfileStore } from '../adapters/profile-store';

/** What {@link applyLabel} reads and writes. */
export interface FeedbackDeps {
  labels: LabelStore;
  /** Read without a cache (the level must be the stored one). */
  profiles: ProfileStore;
  now?: () => number;
}

/** The labelled anomaly does not exist. */
export class AnomalyNotFoundError extends Error {
  override readonly name = 'AnomalyNotFoundError';
}

/** Outcome of {@link applyLabel}. */
export interface LabelOutcome {
  label: AlertLabel;
  /** False when the anomaly already carried this verdict (nothing changed). */
  changed: boolean;
}

/**
 * Validates and applies a label.
 *
 * Idempotent: the label is written before the level moves, and a repeated request with the same
 * verdict only finishes a step an earlier try did not apply (the level still equals the label's
 * `before`), so a retry never steps twice.
 * @throws LabelRequestError for an invalid request
 * @throws AnomalyNotFoundError when the partition has no stored anomaly with that id
 */
export async function applyLabel(input: unknown, deps: FeedbackDeps): Promise<LabelOutcome> {
  const request = parseLabelRequest(input);
  const anomaly = await deps.labels.findAnomaly(request.partition, request.anomalyId);
  if (!anomaly) {
    throw new AnomalyNotFoundError(
      `No stored anomaly ${request.anomalyId} in partition ${request.partition}: take the "id" and "partition" from the alert (or the dashboard).`,
    );
  }
  const profile = await deps.profiles.getCurrent(request.partition);
  const level = profile?.sensitivity ?? DEFAULT_SENSITIVITY;
  const previous = await deps.labels.get(request.partition, anomaly.windowStart, anomaly.id);
  if (previous && previous.verdict === request.verdict) {
    const { before, after } = previous.sensitivity;
    if (profile && after !== before && level === before) await deps.profiles.setSensitivity(request.partition, after);
    return { label: previous, changed: false };
  }
  const after = profile ? nextSensitivity(level, request.verdict, previous?.verdict) : level;
  const label: AlertLabel = {
    anomalyId: anomaly.id,
    partition: anomaly.partition,
    windowStart: anomaly.windowStart,
    kind: anomaly.kind,
    verdict: request.verdict,
    labelledAt: (deps.now ?? Date.now)(),
    ...(request.by ? { by: request.by } : {}),
    ...(request.note ? { note: request.note } : {}),
    sensitivity: { before: level, after },
  };
  await deps.labels.put(label);
  if (after !== level) await deps.profiles.setSensitivity(request.partition, after);
  return { label, changed: true };
}
