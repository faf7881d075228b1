/**
 * Reading "Log Anomaly Predicted" events for the dashboard. The window closer publishes one event
 * per change of a prediction (functions/core/early-warning: the {@link Prediction} plus `change`
 * 'opened' | 'came_true' | 'expired'), all with the prediction's deterministic `id`; the dashboard
 * merges them into the prediction's latest state. Reading is tolerant: a detail without `id`,
 * `status` or `crossingAt` (older or hand-written events) is still read where it can be (the time of
 * the crossing from `crossingAt` | `predictedAt` | `expectedAt` | `windowStart` | `at`, epoch ms or ISO).
 */
import type { AlertEnvelope } from '../alert-sink';
import { EVENTS } from '../../../functions/core/resources';
import type { Prediction, PredictionChange, PredictionResolution } from '../../../functions/core/early-warning';

/** Where a prediction stands: still open, came true, expired, or resolved with no outcome given. */
export type PredictionStatus = Prediction['status'] | 'resolved';

/** A predicted threshold crossing as the dashboard shows it (the latest state of one prediction). */
export interface PredictedCrossing {
  /** The prediction's id (derived from partition, feature and time when the event carries none). */
  id: string;
  partition: string;
  /** When the crossing is expected (`crossingAt`), epoch ms. */
  at: number;
  /** When the prediction was made (`issuedAt`, else the first event's time), epoch ms. */
  raisedAt: number;
  /** Time of the newest event about it, epoch ms. */
  updatedAt: number;
  status: PredictionStatus;
  /** The newest event's change ('opened', 'came_true', 'expired', or another producer's word). */
  change?: string;
  feature?: string;
  direction?: Prediction['direction'];
  kind?: string;
  /** Largest per-minute probability of the crossing within the horizon. */
  probability?: number;
  severity?: string;
  /** Threshold at the crossing, in the feature's unit, and where it came from. */
  threshold?: number;
  thresholdSource?: string;
  forecast?: Prediction['forecast'];
  expiresAt?: number;
  message?: string;
  resolution?: PredictionResolution;
}

function timeOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The partition an envelope is about (`detail.partition`, or its incident's), if any. */
export function partitionOfEnvelope(e: AlertEnvelope): string | undefined {
  const d = e.detail as { partition?: unknown; incident?: { partition?: unknown } } | null;
  if (typeof d?.partition === 'string') return d.partition;
  if (typeof d?.incident?.partition === 'string') return d.incident.partition;
  return undefined;
}

const STATUS_OF_CHANGE: Record<string, PredictionStatus> = {
  opened: 'open',
  updated: 'open',
  came_true: 'came_true',
  expired: 'expired',
  resolved: 'resolved',
} satisfies Partial<Record<PredictionChange['change'] | 'updated' | 'resolved', PredictionStatus>>;

function statusOf(d: Record<string, unknown>, resolution: PredictionResolution | undefined): PredictionStatus {
  const s = d.status;
  if (s === 'open' || s === 'came_true' || s === 'expired') return s;
  const fromChange = typeof d.change === 'string' ? STATUS_OF_CHANGE[d.change] : undefined;
  if (fromChange === 'resolved' && resolution) return resolution.outcome === 'came_true' ? 'came_true' : 'expired';
  return fromChange ?? (resolution ? (resolution.outcome === 'came_true' ? 'came_true' : 'expired') : 'open');
}

function resolutionOf(v: unknown): PredictionResolution | undefined {
  const r = v as Partial<PredictionResolution> | null | undefined;
  if (!r || (r.outcome !== 'came_true' && r.outcome !== 'expired')) return undefined;
  const out: PredictionResolution = { outcome: r.outcome, at: timeOf(r.at) ?? 0 };
  if (r.by === 'detector' || r.by === 'crossing') out.by = r.by;
  if (typeof r.anomalyId === 'string') out.anomalyId = r.anomalyId;
  if (num(r.leadMinutes) !== undefined) out.leadMinutes = r.leadMinutes;
  return out;
}

/** One event of a prediction read as a crossing, or null for any other or unreadable event. */
export function predictedCrossingOf(e: AlertEnvelope): PredictedCrossing | null {
  if (e['detail-type'] !== EVENTS.anomalyPredicted) return null;
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const partition = partitionOfEnvelope(e);
  const at = timeOf(d.crossingAt) ?? timeOf(d.predictedAt) ?? timeOf(d.expectedAt) ?? timeOf(d.windowStart) ?? timeOf(d.at);
  if (!partition || at === undefined) return null;
  const sent = timeOf(e.time) ?? at;
  const issuedAt = timeOf(d.issuedAt);
  const feature = str(d.feature);
  const resolution = resolutionOf(d.resolution);
  const out: PredictedCrossing = {
    id: str(d.id) ?? `${partition}|${feature ?? ''}|${issuedAt ?? at}`,
    partition,
    at,
    raisedAt: issuedAt ?? sent,
    updatedAt: sent,
    status: statusOf(d, resolution),
  };
  if (str(d.change)) out.change = d.change as string;
  if (feature) out.feature = feature;
  if (d.direction === 'up' || d.direction === 'down') out.direction = d.direction;
  if (str(d.kind)) out.kind = d.kind as string;
  if (num(d.probability) !== undefined) out.probability = d.probability as number;
  if (str(d.severity)) out.severity = d.severity as string;
  if (num(d.threshold) !== undefined) out.threshold = d.threshold as number;
  if (str(d.thresholdSource)) out.thresholdSource = d.thresholdSource as string;
  const f = d.forecast as Prediction['forecast'] | undefined;
  if (f && [f.mean, f.lower, f.upper].every((v) => num(v) !== undefined)) out.forecast = { mean: f.mean, lower: f.lower, upper: f.upper };
  if (timeOf(d.expiresAt) !== undefined) out.expiresAt = timeOf(d.expiresAt);
  if (str(d.message)) out.message = d.message as string;
  if (resolution) out.resolution = resolution;
  return out;
}

/**
 * Merges the events of each prediction (same id) in arrival order into its latest state: later
 * events' fields win, the first event's `raisedAt` is kept. Sorted by crossing time.
 */
export function mergePredictions(events: readonly PredictedCrossing[]): PredictedCrossing[] {
  const byId = new Map<string, PredictedCrossing>();
  for (const e of events) {
    const prev = byId.get(e.id);
    byId.set(e.id, prev ? { ...prev, ...e, raisedAt: Math.min(prev.raisedAt, e.raisedAt), updatedAt: Math.max(prev.updatedAt, e.updatedAt) } : e);
  }
  return [...byId.values()].sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
}
