/**
 * Volume forecaster of the capacity function: per-step event and byte totals of the whole stream
 * and per-partition event counts, each an online damped Holt-Winters model (./forecast) with a
 * daily season, kept as plain JSON between runs.
 *
 * Pure: no SDK, no I/O, no clock. The caller reads closed windows, turns them into steps with
 * {@link windowsToSteps}, feeds them with {@link observeSteps} and forecasts with
 * {@link forecastSeries}.
 *
 * Steps: 5 minutes by default (the capacity schedule's rate), season 288 steps = one UTC day. Every
 * model starts at a UTC midnight (its seasonal phase 0): a series first seen at 14:05 is padded with
 * missing values from 00:00, which the Holt-Winters initialisation fills from the other season.
 * Steps before a series' first non-empty step are "no data yet", not zeros; after it an empty step
 * is a silent one (0).
 *
 * Until a model has seen two seasons (two days) it cannot forecast; {@link forecastSeries} then
 * falls back to the mean and spread of the last `recentSteps` steps, with at most half the
 * confidence, so the capacity policy acts conservatively (scale up only) on it.
 */
import { fitHoltWinters, HoltWinters, type ForecastPoint, type HoltWintersState } from './forecast';
import { normalQuantile } from './stats';

/** Configuration of the forecaster (stored with its state, so a restored state keeps its own). */
export interface VolumeForecasterConfig {
  /** Step length, ms. Default 300,000 (5 min). */
  stepMs: number;
  /** Steps per season. Default 288 (a day of 5-minute steps). `stepMs * seasonLength` should divide a day. */
  seasonLength: number;
  /** Prediction-interval coverage. Default 0.95. */
  level: number;
  /** Observations kept for the fallback forecast (before a model is ready). Default 24 (2 h). */
  recentSteps: number;
  /** A partition silent this long is dropped from the state. Default 7 days. */
  dropAfterMs: number;
}

/** Defaults of {@link VolumeForecasterConfig}. */
export const DEFAULT_VOLUME_CONFIG: Readonly<VolumeForecasterConfig> = Object.freeze({
  stepMs: 300_000,
  seasonLength: 288,
  level: 0.95,
  recentSteps: 24,
  dropAfterMs: 7 * 86_400_000,
});

/** What the forecaster needs of one closed window (a subset of WindowFeatures' values). */
export interface VolumeWindow {
  partition: string;
  /** Window start, epoch ms (minute-aligned). */
  windowStart: number;
  /** Events in the window. */
  count: number;
  /** UTF-8 bytes of the window's messages. */
  bytes: number;
}

/** Totals of one step. */
export interface VolumeStep {
  /** Step start, epoch ms (aligned to `stepMs`). */
  start: number;
  events: number;
  bytes: number;
  /** Events per partition (partitions with no window in the step are absent). */
  partitions: Record<string, number>;
}

/** One modelled series. */
export interface SeriesState {
  /** Epoch ms of the model's first step (a season boundary: phase 0). */
  origin: number;
  hw: HoltWintersState;
  /** Last observed values, oldest first (at most `recentSteps`). */
  recent: number[];
  /** Start of the last step with a value > 0, or null. */
  lastNonZeroAt: number | null;
}

/** Serialisable state of the forecaster. */
export interface VolumeForecasterState {
  version: 1;
  config: VolumeForecasterConfig;
  /** End (exclusive) of the last step fed, or null before the first. */
  observedThrough: number | null;
  /** Whole-stream events per step; null until the first non-empty step. */
  events: SeriesState | null;
  /** Whole-stream message bytes per step; null until the first non-empty step. */
  bytes: SeriesState | null;
  /** Events per step of each partition. */
  partitions: Record<string, SeriesState>;
}

/** How a {@link SeriesForecast} was made. */
export type ForecastMethod = 'holt-winters' | 'recent' | 'none';

/** Forecast of one series. */
export interface SeriesForecast {
  method: ForecastMethod;
  /** One point per step after the last observed one (`t` = step start); empty for 'none'. */
  points: ForecastPoint[];
  /** 0..1; see {@link forecastConfidence}. */
  confidence: number;
  /** Observations the series has seen (missing padding included). */
  observed: number;
}

/** Steps were not consecutive with what the state has already seen. */
export class StepSequenceError extends Error {
  override readonly name = 'StepSequenceError';
}

/** Resolves a partial configuration against the defaults and checks it. */
export function resolveVolumeConfig(config?: Partial<VolumeForecasterConfig>): VolumeForecasterConfig {
  const c = { ...DEFAULT_VOLUME_CONFIG, ...(config ?? {}) };
  if (!(Number.isInteger(c.stepMs) && c.stepMs >= 60_000 && c.stepMs % 60_000 === 0)) {
    throw new RangeError(`volume forecaster: stepMs must be a whole number of minutes, got ${c.stepMs}`);
  }
  if (!(Number.isInteger(c.seasonLength) && c.seasonLength >= 2)) {
    throw new RangeError(`volume forecaster: seasonLength must be an integer >= 2, got ${c.seasonLength}`);
  }
  if (!(Number.isInteger(c.recentSteps) && c.recentSteps >= 3)) {
    throw new RangeError(`volume forecaster: recentSteps must be an integer >= 3, got ${c.recentSteps}`);
  }
  if (!(c.level > 0 && c.level < 1)) throw new RangeError(`volume forecaster: level must be in (0, 1), got ${c.level}`);
  if (!(c.dropAfterMs > 0)) throw new RangeError(`volume forecaster: dropAfterMs must be > 0, got ${c.dropAfterMs}`);
  return c;
}

/** A forecaster that has seen nothing yet. */
export function emptyVolumeState(config?: Partial<VolumeForecasterConfig>): VolumeForecasterState {
  return { version: 1, config: resolveVolumeConfig(config), observedThrough: null, events: null, bytes: null, partitions: {} };
}

/** Floors `t` to a multiple of `stepMs`. */
export function alignStep(t: number, stepMs: number): number {
  return Math.floor(t / stepMs) * stepMs;
}

/**
 * Sums closed windows into consecutive steps covering [from, to) (both aligned to `stepMs`). Every
 * step is present, empty ones included; windows outside the range are ignored.
 * @throws RangeError when from/to are not aligned or to < from
 */
export function windowsToSteps(windows: Iterable<VolumeWindow>, from: number, to: number, stepMs: number): VolumeStep[] {
  if (from % stepMs !== 0 || to % stepMs !== 0 || to < from) {
    throw new RangeError(`windowsToSteps: [${from}, ${to}) must be aligned to ${stepMs} ms and non-empty or empty, not reversed`);
  }
  const steps: VolumeStep[] = [];
  for (let t = from; t < to; t += stepMs) steps.push({ start: t, events: 0, bytes: 0, partitions: {} });
  for (const w of windows) {
    if (w.windowStart < from || w.windowStart >= to) continue;
    const s = steps[Math.floor((w.windowStart - from) / stepMs)];
    const count = Number.isFinite(w.count) && w.count > 0 ? w.count : 0;
    const bytes = Number.isFinite(w.bytes) && w.bytes > 0 ? w.bytes : 0;
    s.events += count;
    s.bytes += bytes;
    s.partitions[w.partition] = (s.partitions[w.partition] ?? 0) + count;
  }
  return steps;
}

/** Options of {@link observeSteps}. */
export interface ObserveOptions {
  /**
   * Fit the smoothing parameters of series created by this call with the grid search of
   * `fitHoltWinters` (bootstrap from history). Default false (default parameters).
   */
  fit?: boolean;
}

/** Working copy of one series while steps are fed. */
interface Draft {
  origin: number;
  /** Existing model (incremental) or null (new: values collected, model built at the end). */
  model: HoltWinters | null;
  values: number[];
  recent: number[];
  lastNonZeroAt: number | null;
}

function seasonMs(c: VolumeForecasterConfig): number {
  return c.stepMs * c.seasonLength;
}

function newDraft(start: number, c: VolumeForecasterConfig): Draft {
  const origin = alignStep(start, seasonMs(c));
  const pad = Math.round((start - origin) / c.stepMs);
  return { origin, model: null, values: new Array<number>(pad).fill(NaN), recent: [], lastNonZeroAt: null };
}

function draftOf(s: SeriesState): Draft {
  return { origin: s.origin, model: HoltWinters.from(s.hw), values: [], recent: [...s.recent], lastNonZeroAt: s.lastNonZeroAt };
}

function push(d: Draft, start: number, v: number, c: VolumeForecasterConfig): void {
  if (d.model) d.model.update(v);
  else d.values.push(v);
  d.recent.push(v);
  if (d.recent.length > c.recentSteps) d.recent.splice(0, d.recent.length - c.recentSteps);
  if (v > 0) d.lastNonZeroAt = start;
}

function finish(d: Draft, c: VolumeForecasterConfig, fit: boolean): SeriesState {
  let model = d.model;
  if (!model) {
    const opts = { seasonLength: c.seasonLength, level: c.level, nonNegative: true };
    // A new series starts at a non-empty step, so its first two seasons always hold a finite value.
    if (fit && d.values.length >= 2 * c.seasonLength) {
      model = fitHoltWinters(d.values, { ...opts, grid: true });
    } else {
      model = new HoltWinters(opts);
      for (const v of d.values) model.update(v);
    }
  }
  return { origin: d.origin, hw: model.toJSON(), recent: d.recent, lastNonZeroAt: d.lastNonZeroAt };
}

/**
 * Feeds consecutive steps into the forecaster and returns the new state (the input is not
 * modified). Partitions seen for the first time get a model from their first non-empty step;
 * partitions silent for longer than `dropAfterMs` are dropped.
 * @param state - previous state, or null for a fresh forecaster (then `config` applies)
 * @param steps - consecutive, aligned steps starting at `state.observedThrough` (any aligned start for a fresh one)
 * @throws StepSequenceError when the steps do not continue the state's sequence
 */
export function observeSteps(
  state: VolumeForecasterState | null,
  steps: readonly VolumeStep[],
  options: ObserveOptions & { config?: Partial<VolumeForecasterConfig> } = {},
): VolumeForecasterState {
  const base = state ?? emptyVolumeState(options.config);
  const c = base.config;
  if (steps.length === 0) return base;
  let expected = base.observedThrough ?? steps[0].start;
  for (const s of steps) {
    if (s.start % c.stepMs !== 0) throw new StepSequenceError(`step ${new Date(s.start).toISOString()} is not aligned to ${c.stepMs} ms`);
    if (s.start !== expected) {
      throw new StepSequenceError(
        `steps must continue at ${new Date(expected).toISOString()}, got ${new Date(s.start).toISOString()} (feed the gap, or start a new forecaster)`,
      );
    }
    expected += c.stepMs;
  }
  const fit = options.fit ?? false;
  let events = base.events ? draftOf(base.events) : null;
  let bytes = base.bytes ? draftOf(base.bytes) : null;
  const parts = new Map<string, Draft>();
  for (const [p, s] of Object.entries(base.partitions)) parts.set(p, draftOf(s));

  for (const s of steps) {
    if (!events && s.events > 0) events = newDraft(s.start, c);
    if (!bytes && s.bytes > 0) bytes = newDraft(s.start, c);
    if (events) push(events, s.start, s.events, c);
    if (bytes) push(bytes, s.start, s.bytes, c);
    for (const [p, n] of Object.entries(s.partitions)) if (n > 0 && !parts.has(p)) parts.set(p, newDraft(s.start, c));
    for (const [p, d] of parts) push(d, s.start, s.partitions[p] ?? 0, c);
  }

  const end = steps[steps.length - 1].start + c.stepMs;
  const partitions: Record<string, SeriesState> = {};
  for (const [p, d] of [...parts].sort(([a], [b]) => a.localeCompare(b))) {
    const last = d.lastNonZeroAt ?? d.origin;
    if (end - last > c.dropAfterMs) continue;
    partitions[p] = finish(d, c, fit);
  }
  return {
    version: 1,
    config: c,
    observedThrough: end,
    events: events ? finish(events, c, fit) : null,
    bytes: bytes ? finish(bytes, c, fit) : null,
    partitions,
  };
}

/**
 * Confidence of a forecast, 0..1: `readiness / (1 + r)`, `r` the mean relative half-width of the
 * prediction interval over the points, `(upper - mean) / max(mean, floor)`. Readiness is 1 for a
 * Holt-Winters model, and `0.5 * min(1, n / 12)` for the fallback over `n` recent steps (so a
 * fallback forecast never reaches the policy's default 0.6 and only scales up).
 * @param floor - smallest mean used as the denominator (one event per step by default), so a near-zero series is not "infinitely uncertain"
 */
export function forecastConfidence(points: readonly ForecastPoint[], method: ForecastMethod, n: number, floor = 1): number {
  if (method === 'none' || points.length === 0) return 0;
  let r = 0;
  for (const p of points) r += (p.upper - p.mean) / Math.max(p.mean, floor);
  r /= points.length;
  const readiness = method === 'holt-winters' ? 1 : 0.5 * Math.min(1, n / 12);
  const c = readiness / (1 + Math.max(0, r));
  return Number.isFinite(c) ? Math.min(1, Math.max(0, c)) : 0;
}

/**
 * Forecasts a series `steps` steps past its last observation.
 * @param series - the series (null: nothing seen yet, method 'none')
 * @param config - the forecaster's configuration
 * @param observedThrough - end of the last observed step (the state's `observedThrough`)
 * @param steps - horizon in steps (integer >= 1)
 */
export function forecastSeries(
  series: SeriesState | null | undefined,
  config: VolumeForecasterConfig,
  observedThrough: number,
  steps: number,
): SeriesForecast {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`forecastSeries: steps must be an integer >= 1, got ${steps}`);
  if (!series) return { method: 'none', points: [], confidence: 0, observed: 0 };
  const lastStart = observedThrough - config.stepMs;
  const hw = HoltWinters.from(series.hw);
  if (hw.isReady) {
    const points = hw.forecast(steps, config.stepMs, lastStart);
    return { method: 'holt-winters', points, confidence: forecastConfidence(points, 'holt-winters', hw.count), observed: hw.count };
  }
  const xs = series.recent.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n < 3) return { method: 'none', points: [], confidence: 0, observed: hw.count };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1);
  const z = normalQuantile(0.5 + config.level / 2);
  const half = z * Math.sqrt(variance) * Math.sqrt(1 + 1 / n);
  const points: ForecastPoint[] = [];
  for (let h = 1; h <= steps; h++) {
    points.push({ t: lastStart + h * config.stepMs, mean, lower: Math.max(0, mean - half), upper: mean + half });
  }
  return { method: 'recent', points, confidence: forecastConfidence(points, 'recent', n), observed: hw.count };
}
