/**
 * Early warning ("Log Anomaly Predicted"): per partition and feature, forecast the next minutes
 * from the windows closed so far and predict when a feature will cross the level at which the
 * window detectors alert, before they do.
 *
 * Model. For every feature (default: count, bytes, errorRate, latencyP50, latencyP95) the window
 * closer feeds each closed window to {@link observeWindow}. The value becomes a standardised
 * residual from the profile's seasonal expectation,
 * ```
 *   r_t = (g(x_t) - c_t) / s_t
 * ```
 * with `g` the detectors' scale (log for latency quantiles, linear otherwise), `c_t` the
 * hour-of-week median and `s_t` the spread the detectors judge that feature by (profile
 * `expectedFor`; detectors/context `featureScale` / `logSigma`, and for volume and rates the
 * over-dispersed count noise of their discrete tests), both interpolated linearly between the
 * centres of neighbouring hour slots so the profile's hourly steps do not look like a trend. The
 * residual is forecast by an online damped-trend model (ETS(A,Ad,N), ./damped-trend) with the
 * variance of its level estimate and of the innovations to come.
 *
 * Why this and not Holt-Winters (./forecast) on the raw series: the seasonal shape (hour of day,
 * day of week) is already in the profile, learned robustly from weeks of history; a Holt-Winters
 * model with an hour-of-week season would need two full weeks of 1-minute windows (20,160 values)
 * before its first forecast and 10,080 seasonal indices per feature in state, which cannot live in
 * the closer's state item. Forecasting the residual needs 30 minutes of warm-up, a handful of
 * numbers per feature, O(horizon) work per window, and keeps what "normal" means identical to the
 * detectors'.
 *
 * Threshold per future minute: the profile's band at the partition's sensitivity, as wide as the
 * seasonal-band detector makes it: `c ± z_a·s`, `z_a` = {@link alertZ}, the deviation at which
 * that detector alone scores the window at the sensitivity (Bonferroni penalty included: 4.96
 * sigmas for Gaussian features at 0.95, 11.1 for the heavy-tailed upper latency quantiles). When
 * the partition has a VAE and its proactive thresholds cover that hour, the model's median and its
 * band at the sensitivity (`bandAt`) set the centre and spread instead, widened to the same alert
 * level. Only the directions the detectors alert on are predicted (`FEATURE_FLOORS[f].direction`:
 * volume both ways, errors and latency up).
 *
 * Prediction. Per minute h of the horizon: `P_h`, the chance that minute's value is beyond the
 * threshold, and `P(by h)`, the chance the crossing has happened by then (first passage: many
 * minutes of noise around a rising level, see forecastTrack). A prediction opens when
 * `P(by horizon) >= confidence` for `persistMinutes` windows in a row while the next minute is
 * still more likely inside than beyond; `probability` is `P(by horizon)`, `crossingAt` the median
 * crossing time (first minute with `P(by h) >= 0.5`). One open prediction per partition and
 * feature: later windows update it in state, without re-sending. It resolves `came_true` when the
 * window detectors raise an anomaly of the matching kind (or list a deviation of the feature's
 * family in that direction), or when the value is beyond the threshold in `confirmNeeded` of the
 * last `confirmWindow` minutes; it `expired` when `horizonMinutes + graceMinutes` pass without
 * that. No prediction opens while the partition has an open incident of that kind, nor within
 * `cooldownMinutes` of an anomaly or crossing of the feature's family; the forecaster restarts
 * after one (an incident's rise and fall are not the partition's trend).
 *
 * Pure: no SDK, no I/O, no clock (times are the windows' own).
 */
import { stableHash } from './hash';
import { DEFAULT_SENSITIVITY, expectedFor, featureObserved } from './profile';
import { FEATURE_FLOORS, errorDispersion, featureScale, fmt, levelShare, logSigma, meanEstimate, slotDispersion } from './detectors/context';
import { kindForFeature } from './detectors/seasonalBand';
import { bandAt, type PartitionThresholds } from './model-contract';
import { normalCdf, normalQuantile } from './stats';
import { dampedTrendForecast, dampedTrendStart, dampedTrendUpdate, resolveDampedTrendOptions, type DampedTrendOptions, type DampedTrendState, type DampedTrendStep } from './damped-trend';
import { FEATURE_NAMES, type Anomaly, type AnomalyKind, type FeatureName, type Profile, type WindowFeatures } from './types';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The seasonal-band detector's default penalty per feature tested (detectors/seasonalBand). */
export const DEFAULT_ALERT_PENALTY = 1e4;

/** Features forecast by default. */
export const EARLY_WARNING_FEATURES: readonly FeatureName[] = ['count', 'bytes', 'errorRate', 'latencyP50', 'latencyP95'];

/** Options of the early-warning forecaster. All have defaults ({@link EARLY_WARNING_DEFAULTS}). */
export interface EarlyWarningOptions {
  /** Features forecast. */
  features: readonly FeatureName[];
  /** Minutes ahead that are forecast (15..60 typical). */
  horizonMinutes: number;
  /** A prediction opens when the probability of a crossing within the horizon reaches this, in (0.5, 1). */
  confidence: number;
  /** Windows learned from before the first prediction. */
  warmupMinutes: number;
  /** Minutes after the horizon before an open prediction expires. */
  graceMinutes: number;
  /** A crossing is confirmed when the value is beyond its band in `confirmNeeded` of the last `confirmWindow` minutes. */
  confirmWindow: number;
  confirmNeeded: number;
  /** A gap longer than this between two windows restarts the forecaster (it re-warms). */
  maxGapMinutes: number;
  /** No prediction opens for a feature within this many minutes of an anomaly or confirmed crossing of its family. */
  cooldownMinutes: number;
  /**
   * A prediction opens only after this many consecutive windows whose forecast reached the
   * confidence (one burst minute moves the trend; a real ramp keeps it).
   */
  persistMinutes: number;
  /**
   * Alert level of the thresholds: the seasonal-band detector's penalty per feature tested and the
   * number of features it tests (see {@link alertZ}).
   */
  alertPenalty: number;
  alertTests: number;
  /** Damped-trend settings (./damped-trend). */
  model: Partial<DampedTrendOptions>;
}

/** Defaults of {@link EarlyWarningOptions}. */
export const EARLY_WARNING_DEFAULTS: Readonly<EarlyWarningOptions> = Object.freeze({
  features: EARLY_WARNING_FEATURES,
  horizonMinutes: 60,
  confidence: 0.9,
  warmupMinutes: 30,
  graceMinutes: 10,
  confirmWindow: 5,
  confirmNeeded: 3,
  maxGapMinutes: 30,
  cooldownMinutes: 30,
  persistMinutes: 3,
  alertPenalty: DEFAULT_ALERT_PENALTY,
  alertTests: FEATURE_NAMES.length,
  model: {},
});

/** Direction of a predicted crossing. */
export type PredictionDirection = 'up' | 'down';

/** Where a threshold came from. */
export type ThresholdSource = 'profile' | 'model';

/** How a prediction ended. */
export interface PredictionResolution {
  outcome: 'came_true' | 'expired';
  /** Window (start, epoch ms) at which it resolved. */
  at: number;
  /** What confirmed it (came_true only). */
  by?: 'detector' | 'crossing';
  /** The confirming anomaly (by detector). */
  anomalyId?: string;
  /** Minutes from the warning to the confirmation (came_true only): the lead time. */
  leadMinutes?: number;
}

/** A "Log Anomaly Predicted" warning. */
export interface Prediction {
  /** Deterministic: partition, feature, direction and the window it was issued after. */
  id: string;
  partition: string;
  feature: FeatureName;
  direction: PredictionDirection;
  /** Anomaly kind the detectors would raise (volume_spike, volume_drop, error_spike, latency). */
  kind: AnomalyKind;
  /** Start of the last window the forecast had seen when the prediction opened, epoch ms. */
  issuedAt: number;
  /** Start of the last window it was re-evaluated at. */
  updatedAt: number;
  /** Predicted crossing: start of the first minute by which the crossing is more likely than not (median crossing time). */
  crossingAt: number;
  /** Start of the first minute by which the crossing is `confidence` likely. */
  confidentAt: number;
  /** Probability that the crossing happens within the horizon, in [0, 1] (at the last evaluation). */
  probability: number;
  /** Forecast at `crossingAt`, in the feature's unit (prediction interval at the confidence level). */
  forecast: { mean: number; lower: number; upper: number };
  /** Threshold at `crossingAt`, in the feature's unit. */
  threshold: number;
  thresholdSource: ThresholdSource;
  /** Value of the feature in the window the prediction was made from, and what the profile expected then. */
  observed: number;
  expected: number;
  horizonMinutes: number;
  /** Confidence level the prediction was opened at. */
  confidence: number;
  /** Window start at or after which it expires unless confirmed. */
  expiresAt: number;
  /** The warning in plain words. */
  message: string;
  status: 'open' | 'came_true' | 'expired';
  resolution?: PredictionResolution;
}

/** What happened to a prediction in one window: opened, or resolved. */
export interface PredictionChange {
  change: 'opened' | 'came_true' | 'expired';
  prediction: Prediction;
}

/** Forecaster state of one feature. */
export interface FeatureTrack {
  model: DampedTrendState;
  /** Bit i set: the window i minutes before the last one was above its band. */
  above: number;
  /** Bit i set: below its band. */
  below: number;
  /**
   * Start of the last window in which the feature's family was anomalous (a detector fired on it)
   * or beyond its band for a confirmed crossing; 0 when never. No prediction opens within
   * `cooldownMinutes` of it: the forecaster is still digesting that incident (its recovery looks
   * like a trend the other way).
   */
  lastBad: number;
  /** Consecutive windows (up to `persistMinutes`) whose forecast was confidently beyond the band, up and down. */
  runUp: number;
  runDown: number;
}

/** Serialisable per-partition state (a few hundred bytes; kept in the closer's detector state). */
export interface EarlyWarningState {
  version: 1;
  /** Start of the last window observed, epoch ms (0 when none). */
  lastWindowStart: number;
  tracks: Partial<Record<FeatureName, FeatureTrack>>;
  /** The open prediction of each feature. */
  open: Partial<Record<FeatureName, Prediction>>;
}

/** What the forecaster needs to know besides the window. */
export interface ObserveContext {
  profile: Profile;
  /** The partition's VAE proactive thresholds, when it has a model. */
  thresholds?: PartitionThresholds | null;
  /** Alert level (default the profile's, else 0.95). */
  sensitivity?: number;
  /** The window detectors' anomaly for this window, if any. */
  anomaly?: Anomaly | null;
  /** Kinds of the partition's open incidents after this window (no prediction opens for those). */
  openKinds?: readonly AnomalyKind[];
}

/** Outcome of {@link observeWindow}. */
export interface ObserveResult {
  state: EarlyWarningState;
  /** Predictions opened or resolved in this window. */
  changes: PredictionChange[];
}

/** One minute of a feature's forecast, in the feature's unit. */
export interface FeatureForecastPoint {
  /** Window start of the forecast minute, epoch ms. */
  t: number;
  mean: number;
  /** Prediction interval of the minute's value at the confidence level. */
  lower: number;
  upper: number;
  /** Upper threshold (the alert band's upper edge). */
  upperThreshold: number;
  /** Lower threshold (null when none: errors and latency alert upward only). */
  lowerThreshold: number | null;
  /** P(this minute's value is above the upper threshold), P(below the lower one). */
  pAbove: number;
  pBelow: number;
  /** P(some minute from the next one up to this one is above / below): the crossing has happened by then. */
  pAboveBy: number;
  pBelowBy: number;
  source: ThresholdSource;
}

/** An invalid option. */
export class EarlyWarningOptionsError extends RangeError {
  override readonly name = 'EarlyWarningOptionsError';
}

/**
 * Fills in defaults and checks the options.
 * @throws EarlyWarningOptionsError naming the offending option
 */
export function resolveEarlyWarningOptions(options: Partial<EarlyWarningOptions> = {}): EarlyWarningOptions & { trend: DampedTrendOptions } {
  const hit = resolvedCache.get(options);
  if (hit) return hit;
  const resolved = resolveUncached(options);
  resolvedCache.set(options, resolved);
  return resolved;
}

const NO_OPTIONS: Partial<EarlyWarningOptions> = Object.freeze({});

/** Resolved options by options object (the closer passes the same object every window). */
const resolvedCache = new WeakMap<object, EarlyWarningOptions & { trend: DampedTrendOptions }>();

function resolveUncached(options: Partial<EarlyWarningOptions>): EarlyWarningOptions & { trend: DampedTrendOptions } {
  const o: EarlyWarningOptions = { ...EARLY_WARNING_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined && k in o) (o as unknown as Record<string, unknown>)[k] = v;
  const int = (k: keyof EarlyWarningOptions, min: number, max: number): void => {
    const v = o[k] as number;
    if (!Number.isInteger(v) || v < min || v > max) throw new EarlyWarningOptionsError(`early warning: ${k} must be an integer in [${min}, ${max}], got ${v}`);
  };
  int('horizonMinutes', 1, 360);
  int('warmupMinutes', 1, 10_000);
  int('graceMinutes', 0, 1440);
  int('confirmWindow', 1, 8);
  int('confirmNeeded', 1, o.confirmWindow);
  int('maxGapMinutes', 1, 10_000);
  int('cooldownMinutes', 0, 10_000);
  int('persistMinutes', 1, 60);
  int('alertTests', 1, 1000);
  if (!(o.alertPenalty >= 1 && Number.isFinite(o.alertPenalty))) throw new EarlyWarningOptionsError(`early warning: alertPenalty must be a finite number >= 1, got ${o.alertPenalty}`);
  if (!(o.confidence > 0.5 && o.confidence < 1)) throw new EarlyWarningOptionsError(`early warning: confidence must be in (0.5, 1), got ${o.confidence}`);
  if (!Array.isArray(o.features) || o.features.some((f) => !(f in FEATURE_FLOORS))) {
    throw new EarlyWarningOptionsError(`early warning: features must be feature names, got ${JSON.stringify(o.features)}`);
  }
  let trend: DampedTrendOptions;
  try {
    trend = resolveDampedTrendOptions(o.model);
  } catch (err) {
    throw new EarlyWarningOptionsError(`early warning: model: ${(err as Error).message}`);
  }
  return { ...o, trend };
}

/** An empty state. */
export function emptyEarlyWarningState(): EarlyWarningState {
  return { version: 1, lastWindowStart: 0, tracks: {}, open: {} };
}

/**
 * A state read from storage, checked; anything unusable gives an empty state (the forecaster
 * re-warms in a few minutes rather than failing the closer).
 */
export function restoreEarlyWarningState(x: unknown): EarlyWarningState {
  if (!x || typeof x !== 'object') return emptyEarlyWarningState();
  const s = x as Partial<EarlyWarningState>;
  if (s.version !== 1 || typeof s.lastWindowStart !== 'number' || !s.tracks || typeof s.tracks !== 'object' || !s.open || typeof s.open !== 'object') {
    return emptyEarlyWarningState();
  }
  const tracks: EarlyWarningState['tracks'] = {};
  for (const [f, t] of Object.entries(s.tracks)) {
    const m = t?.model;
    if (!m || ![m.level, m.trend, m.mse, m.n].every((v) => typeof v === 'number' && Number.isFinite(v))) continue;
    tracks[f as FeatureName] = {
      model: { level: m.level, trend: m.trend, mse: m.mse, n: m.n },
      above: Number(t.above) | 0,
      below: Number(t.below) | 0,
      lastBad: Number.isFinite(t.lastBad) ? Number(t.lastBad) : 0,
      runUp: Number(t.runUp) | 0,
      runDown: Number(t.runDown) | 0,
    };
  }
  const open: EarlyWarningState['open'] = {};
  for (const [f, p] of Object.entries(s.open)) if (p && typeof p.id === 'string' && typeof p.expiresAt === 'number') open[f as FeatureName] = p;
  return { version: 1, lastWindowStart: s.lastWindowStart, tracks, open };
}

/** Half-width, in the feature's sigmas, of its two-sided band at `level` (e.g. 0.95), by its tail model. */
export function bandZ(feature: FeatureName, level: number): number {
  return tailZ(feature, (1 - level) / 2);
}

/** The z whose one-sided tail probability is `p` under the feature's tail model (detectors/context featureTail). */
function tailZ(feature: FeatureName, p: number): number {
  if (FEATURE_FLOORS[feature].tail === 'exponential') return Math.max(0, (Math.log(1 / p) - 0.5772) / 1.2825);
  return Math.max(0, normalQuantile(1 - p));
}

/**
 * Half-width, in the feature's sigmas, of the band beyond which the seasonal-band detector alone
 * raises an anomaly at `sensitivity`: it alerts when `1 - p·penalty·tests >= sensitivity`
 * (detectors/context tailToScore), i.e. for a one-sided tail `p <= (1 - sensitivity) / (penalty·tests)`.
 * At 0.95 with the detector's defaults (penalty 1e4, 14 features): 4.96 sigmas for Gaussian
 * features, 11.1 for the Gumbel-like upper latency quantiles.
 */
export function alertZ(feature: FeatureName, sensitivity: number, penalty = DEFAULT_ALERT_PENALTY, tests: number = FEATURE_NAMES.length): number {
  return tailZ(feature, (1 - sensitivity) / (penalty * tests));
}

const isLog = (f: FeatureName): boolean => FEATURE_FLOORS[f].logFloor !== undefined;

/** The detectors' scale: log of the value (floored) for latency-like quantiles, else the value. */
function toScale(f: FeatureName, x: number): number {
  return isLog(f) ? Math.log(Math.max(x, FEATURE_FLOORS[f].absolute)) : x;
}

function fromScale(f: FeatureName, y: number): number {
  return isLog(f) ? Math.exp(y) : y;
}

/** A feature's expectation and alert band at one slot, on the detectors' scale. */
interface Frame {
  center: number;
  scale: number;
  /** Upper threshold on the scale. */
  hi: number;
  /** Lower threshold on the scale; -Infinity when none. */
  lo: number;
  /** The raw expected value (median). */
  expected: number;
}

function slotFrame(profile: Profile, f: FeatureName, ts: number, za: number): Frame {
  const stat = expectedFor(profile, f, ts);
  const fl = FEATURE_FLOORS[f];
  const cnt = expectedFor(profile, 'count', ts);
  if (isLog(f)) {
    // As featureZ: a quantile of a sparse window is noisier (reference at least 5 events).
    const sparse = Math.sqrt(Math.max(1, 5 / Math.max(1, cnt.median)));
    const scale = logSigma(f, stat) * sparse;
    const center = Math.log(Math.max(stat.median, fl.absolute));
    return { center, scale, hi: center + za * scale, lo: -Infinity, expected: stat.median };
  }
  // As the detectors' count tests (featureZ, discreteZ): volume is over-dispersed Poisson with the
  // slot's own dispersion, bytes follow the count at the usual message size, a rate is a share of
  // the minute's expected events with the learned error dispersion.
  let scale = featureScale(f, stat);
  const events = meanEstimate(cnt, 0.5);
  if (f === 'count') scale = Math.max(scale, Math.sqrt(slotDispersion(stat) * meanEstimate(stat, 0.5)));
  if (f === 'bytes') {
    const g = profile.global;
    const avg = g.bytes.mean !== undefined && g.count.mean !== undefined && g.count.mean > 0 ? g.bytes.mean / g.count.mean : cnt.median > 0 ? stat.median / cnt.median : 0;
    scale = Math.max(scale, stat.median / Math.sqrt(Math.max(1, cnt.median)), avg * Math.sqrt(slotDispersion(cnt) * events));
  }
  if (fl.rate) {
    const share = f === 'errorRate' ? levelShare(profile, ['ERROR', 'FATAL']) : f === 'warnRate' ? levelShare(profile, ['WARN']) : undefined;
    const rate = Math.max(stat.median, share ?? 0, 0.001);
    const d = f === 'errorRate' ? errorDispersion(profile) : 1;
    scale = Math.max(scale, Math.sqrt((d * rate) / Math.max(1, events)));
  }
  scale = Math.max(scale, 1e-9);
  const center = stat.median;
  const loRaw = center - za * scale;
  const lo = fl.direction === 'both' && loRaw > 0 ? loRaw : -Infinity;
  return { center, scale, hi: center + za * scale, lo, expected: stat.median };
}

/** A frame at one minute, and where its thresholds come from. */
type SourcedFrame = Frame & { source: ThresholdSource };

/** Most minutes a frame source keeps (a horizon's worth, twice over). */
const MAX_CACHED_MINUTES = 512;

/**
 * Frames of one feature, interpolated between hour-slot centres; slots and minutes are cached, so
 * consecutive windows (whose horizons overlap by all but one minute) compute one new minute each.
 */
class FrameSource {
  private readonly slots = new Map<number, Frame>();
  private readonly minutes = new Map<number, SourcedFrame>();
  private readonly za: number;
  private readonly zs: number;
  constructor(
    private readonly profile: Profile,
    readonly feature: FeatureName,
    private readonly sensitivity: number,
    private readonly thresholds: PartitionThresholds | null | undefined,
    alert: { penalty: number; tests: number },
  ) {
    this.za = alertZ(feature, sensitivity, alert.penalty, alert.tests);
    this.zs = bandZ(feature, sensitivity);
  }

  private slot(hourStart: number): Frame {
    let fr = this.slots.get(hourStart);
    if (!fr) {
      if (this.slots.size >= 64) this.slots.clear();
      this.slots.set(hourStart, (fr = slotFrame(this.profile, this.feature, hourStart, this.za)));
    }
    return fr;
  }

  /**
   * The model's alert band at a minute, when its thresholds cover that hour: its median and its
   * band at the sensitivity give a center and a spread on the detectors' scale, widened to the
   * same alert level as the profile's.
   */
  private modelBand(ts: number): { hi: number; lo: number } | null {
    if (!this.thresholds) return null;
    const band = bandAt(this.thresholds, this.feature, ts, this.sensitivity);
    const mid = bandAt(this.thresholds, this.feature, ts, 0);
    if (!band || !mid || !Number.isFinite(band[0]) || !Number.isFinite(band[1]) || !Number.isFinite(mid[0])) return null;
    const f = this.feature;
    const c = toScale(f, mid[0]);
    const sigma = (toScale(f, band[1]) - c) / Math.max(this.zs, 1e-9);
    if (!(sigma > 0)) return null;
    const loRaw = fromScale(f, c - this.za * sigma);
    const lo = FEATURE_FLOORS[f].direction === 'both' && !isLog(f) && loRaw > 0 ? toScale(f, loRaw) : -Infinity;
    return { hi: c + this.za * sigma, lo };
  }

  /** The frame at a minute (window start, epoch ms). */
  at(ts: number): SourcedFrame {
    const hit = this.minutes.get(ts);
    if (hit) return hit;
    const hour = Math.floor(ts / HOUR) * HOUR;
    // Position of the minute's middle relative to its hour's middle, in hours: -0.5..0.5.
    const x = (ts + MINUTE / 2 - hour) / HOUR - 0.5;
    const a = this.slot(hour);
    const b = this.slot(x >= 0 ? hour + HOUR : hour - HOUR);
    const w = Math.abs(x);
    const v = 1 - w;
    const fr: SourcedFrame = {
      center: v * a.center + w * b.center,
      scale: v * a.scale + w * b.scale,
      hi: v * a.hi + w * b.hi,
      lo: a.lo === -Infinity || b.lo === -Infinity ? (w < 0.5 ? a.lo : b.lo) : v * a.lo + w * b.lo,
      expected: v * a.expected + w * b.expected,
      source: 'profile',
    };
    const model = this.modelBand(ts);
    if (model) {
      fr.hi = model.hi;
      fr.lo = model.lo;
      fr.source = 'model';
    }
    if (this.minutes.size >= MAX_CACHED_MINUTES) {
      const oldest = this.minutes.keys().next().value as number;
      this.minutes.delete(oldest);
    }
    this.minutes.set(ts, fr);
    return fr;
  }
}

/** Frame sources by profile identity (partition, version, build time) and settings; bounded. */
const frameCache = new Map<string, { profile: Profile; thresholds: PartitionThresholds | null | undefined; source: FrameSource }>();
const MAX_FRAME_SOURCES = 4096;

/**
 * The frame source of a feature for a profile, reused across windows (and closer ticks) while the
 * profile version, the thresholds object and the settings stay the same. A profile is identified by
 * partition, version and build time: the profile store hands out a fresh object every minute.
 */
function framesFor(profile: Profile, feature: FeatureName, sensitivity: number, thresholds: PartitionThresholds | null | undefined, o: EarlyWarningOptions): FrameSource {
  const key = `${profile.partition}|${profile.version}|${profile.builtAt}|${feature}|${sensitivity}|${o.alertPenalty}|${o.alertTests}`;
  const hit = frameCache.get(key);
  if (hit && hit.thresholds === thresholds && (hit.profile === profile || sameProfile(hit.profile, profile))) return hit.source;
  const source = new FrameSource(profile, feature, sensitivity, thresholds, { penalty: o.alertPenalty, tests: o.alertTests });
  if (frameCache.size >= MAX_FRAME_SOURCES) frameCache.clear();
  frameCache.set(key, { profile, thresholds, source });
  return source;
}

const fingerprints = new WeakMap<Profile, string>();

/** Two objects of one stored profile version (a guard against a key collision: same global statistics; memoised per object). */
function sameProfile(a: Profile, b: Profile): boolean {
  const fp = (p: Profile): string => {
    let f = fingerprints.get(p);
    if (f === undefined) fingerprints.set(p, (f = `${p.trainingWindows}|${JSON.stringify(p.global)}`));
    return f;
  };
  return fp(a) === fp(b);
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v; v &= v - 1) n++;
  return n;
}

/** Family of a feature for matching detector deviations: volume, errors, latency, or itself. */
function family(feature: string): string {
  const base = feature.split(' (')[0];
  if (base === 'count' || base === 'bytes') return 'volume';
  if (base === 'errorRate' || base === 'errorCount' || base === 'status5xxRate') return 'errors';
  if (base.startsWith('latency')) return 'latency';
  return base;
}

/** The anomaly kind a crossing of `feature` in `direction` would be reported as. */
export function predictedKind(feature: FeatureName, direction: PredictionDirection): AnomalyKind {
  return kindForFeature(feature, direction === 'up' ? 1 : -1);
}

/**
 * Whether the detectors' anomaly confirms a prediction: same kind, or a listed deviation of the
 * feature's family (volume, errors, latency) in the predicted direction.
 */
export function anomalyConfirms(anomaly: Anomaly, feature: FeatureName, direction: PredictionDirection): boolean {
  if (anomaly.kind === predictedKind(feature, direction)) return true;
  const fam = family(feature);
  return anomaly.deviations.some((d) => family(d.feature) === fam && (direction === 'up' ? d.z > 0 : d.z < 0));
}

/**
 * Probabilists' Gauss-Hermite rule with 7 nodes: E[g(Z)] for Z ~ N(0, 1) as Σ w·g(x), exact for
 * polynomials up to degree 13.
 */
const GH_NODES = [-3.750439717725742, -2.366759410734541, -1.154405394739968, 0, 1.154405394739968, 2.366759410734541, 3.750439717725742];
const GH_WEIGHTS = [0.000548268855972, 0.030757123967586, 0.240123178605013, 0.457142857142857, 0.240123178605013, 0.030757123967586, 0.000548268855972];

/**
 * The forecast of one feature from a track, in the feature's unit, with thresholds and
 * probabilities. A minute's value is the level plus the minute's own noise: `Y_h = μ_h + ε_h`,
 * `μ_h ~ N(mean_h, sdLevel_h²)` (./damped-trend), `ε_h ~ N(0, σ²)` independent across minutes.
 * The chance that the crossing has happened by minute h, `1 - P(Y_1..Y_h all inside)`, treats the
 * level's uncertainty as one shared shock (`μ_j = mean_j + sdLevel_j·Z`) integrated over `Z` with
 * a 7-node Gauss-Hermite rule, so noise excursions of many minutes add up while a wrong level
 * estimate counts once.
 */
interface ForecastCore {
  from: number;
  sigma: number;
  steps: DampedTrendStep[];
  frames: SourcedFrame[];
  pAbove: Float64Array;
  pBelow: Float64Array;
  byUp: Float64Array;
  byDown: Float64Array;
}

function forecastCore(track: FeatureTrack, frames: FrameSource, from: number, o: EarlyWarningOptions & { trend: DampedTrendOptions }, exact: boolean): ForecastCore {
  const sigma = Math.sqrt(track.model.mse);
  const steps = dampedTrendForecast(track.model, o.horizonMinutes, o.trend);
  const n = steps.length;
  const frs: SourcedFrame[] = new Array(n);
  const zHi = new Float64Array(n);
  const zLo = new Float64Array(n);
  const pAbove = new Float64Array(n);
  const pBelow = new Float64Array(n);
  let unionUp = 0;
  let unionDown = 0;
  for (let i = 0; i < n; i++) {
    const st = steps[i];
    const fr = (frs[i] = frames.at(from + st.h * MINUTE));
    const total = Math.sqrt(sigma * sigma + st.sdLevel * st.sdLevel);
    zHi[i] = (fr.hi - fr.center) / fr.scale;
    zLo[i] = fr.lo === -Infinity ? -Infinity : (fr.lo - fr.center) / fr.scale;
    const up = (zHi[i] - st.mean) / total;
    pAbove[i] = up > 9 ? 0 : 1 - normalCdf(up);
    const down = (zLo[i] - st.mean) / total;
    pBelow[i] = down < -9 ? 0 : normalCdf(down);
    unionUp += pAbove[i];
    unionDown += pBelow[i];
  }
  return {
    from,
    sigma,
    steps,
    frames: frs,
    pAbove,
    pBelow,
    byUp: firstPassage(steps, sigma, zHi, pAbove, unionUp, true, exact),
    byDown: firstPassage(steps, sigma, zLo, pBelow, unionDown, false, exact),
  };
}

/**
 * P(crossing by step i) for every step. `P(by h) <= Σ_{j<=h} P_j` (union bound): far from any
 * decision (the bound stays below 0.5 over the whole horizon) and unless `exact`, the integral is
 * skipped and the bound reported, so the common, quiet case stays cheap.
 */
function firstPassage(steps: readonly DampedTrendStep[], sigma: number, edge: Float64Array, p: Float64Array, union: number, up: boolean, exact: boolean): Float64Array {
  const n = steps.length;
  const by = new Float64Array(n);
  if (!exact && union < 0.5) {
    let acc = 0;
    for (let i = 0; i < n; i++) by[i] = Math.min(1, (acc += p[i]));
    return by;
  }
  const survive = new Float64Array(GH_NODES.length).fill(1);
  for (let i = 0; i < n; i++) {
    const st = steps[i];
    let alive = 0;
    for (let k = 0; k < GH_NODES.length; k++) {
      if (edge[i] !== -Infinity) {
        const c = normalCdf((edge[i] - st.mean - st.sdLevel * GH_NODES[k]) / sigma);
        survive[k] *= up ? c : 1 - c;
      }
      alive += GH_WEIGHTS[k] * survive[k];
    }
    by[i] = Math.min(1, Math.max(0, 1 - alive));
  }
  return by;
}

/** One point of a forecast, in the feature's unit. */
function pointAt(c: ForecastCore, i: number, f: FeatureName, o: EarlyWarningOptions): FeatureForecastPoint {
  const zc = normalQuantile(0.5 + o.confidence / 2);
  const st = c.steps[i];
  const fr = c.frames[i];
  const y = fr.center + fr.scale * st.mean;
  const sd = fr.scale * st.sd;
  const clamp0 = isLog(f) ? (v: number): number => v : (v: number): number => Math.max(0, v);
  return {
    t: c.from + st.h * MINUTE,
    mean: clamp0(fromScale(f, y)),
    lower: clamp0(fromScale(f, y - zc * sd)),
    upper: clamp0(fromScale(f, y + zc * sd)),
    upperThreshold: fromScale(f, fr.hi),
    lowerThreshold: fr.lo === -Infinity ? null : fromScale(f, fr.lo),
    pAbove: c.pAbove[i],
    pBelow: c.pBelow[i],
    pAboveBy: c.byUp[i],
    pBelowBy: c.byDown[i],
    source: fr.source,
  };
}

/**
 * One direction of a forecast: the chance the crossing happens within the horizon, the median
 * crossing step (first with `P(by h) >= 0.5`), the first step by which it is `confidence` likely
 * (-1 when never), and the chance the next minute is already beyond.
 */
function evalDirection(c: ForecastCore, d: PredictionDirection, confidence: number): { probability: number; confident: number; crossing: number; now: number } {
  const by = d === 'up' ? c.byUp : c.byDown;
  let confident = -1;
  let crossing = -1;
  for (let i = 0; i < by.length; i++) {
    if (crossing < 0 && by[i] >= 0.5) crossing = i;
    if (confident < 0 && by[i] >= confidence) confident = i;
  }
  const now = by.length ? (d === 'up' ? c.pAbove[0] : c.pBelow[0]) : 0;
  return { probability: by.length ? by[by.length - 1] : 0, confident, crossing: crossing < 0 ? confident : crossing, now };
}

/**
 * The current forecast of one feature of a partition (for dashboards and tests): the next
 * `horizonMinutes` after `state.lastWindowStart`, or null when the feature is not warmed up.
 */
export function featureForecast(
  state: EarlyWarningState,
  feature: FeatureName,
  ctx: Pick<ObserveContext, 'profile' | 'thresholds' | 'sensitivity'>,
  options: Partial<EarlyWarningOptions> = NO_OPTIONS,
): FeatureForecastPoint[] | null {
  const o = resolveEarlyWarningOptions(options);
  const track = state.tracks[feature];
  if (!track || track.model.n < o.warmupMinutes || state.lastWindowStart <= 0) return null;
  const s = ctx.sensitivity ?? ctx.profile.sensitivity ?? DEFAULT_SENSITIVITY;
  const core = forecastCore(track, framesFor(ctx.profile, feature, s, ctx.thresholds, o), state.lastWindowStart, o, true);
  return core.steps.map((_, i) => pointAt(core, i, feature, o));
}

const hhmm = (t: number): string => `${new Date(t).toISOString().slice(11, 16)}Z`;

function describe(p: Omit<Prediction, 'message'>): string {
  const verb = p.direction === 'up' ? 'rise above' : 'fall below';
  const src = p.thresholdSource === 'model' ? 'model band' : 'profile band';
  const mins = Math.round((p.crossingAt - p.issuedAt) / MINUTE);
  return (
    `${p.feature} forecast to ${verb} ${fmt(p.threshold)} (${src} at ${p.partition}'s sensitivity) around ${hhmm(p.crossingAt)}, ` +
    `in ${mins} min, probability ${p.probability.toFixed(2)}; now ${fmt(p.observed)}, expected ${fmt(p.expected)}`
  );
}

/**
 * Feeds one closed window of a partition to its forecasters: resolves open predictions, learns the
 * window, and opens a prediction for each feature whose forecast leaves its band with enough
 * confidence within the horizon. Windows must come in time order; a window at or before the last
 * one observed is ignored (idempotent on retries). Pure: returns a new state.
 * @throws EarlyWarningOptionsError on invalid options
 */
export function observeWindow(
  previous: EarlyWarningState | undefined,
  w: WindowFeatures,
  ctx: ObserveContext,
  options: Partial<EarlyWarningOptions> = NO_OPTIONS,
): ObserveResult {
  const o = resolveEarlyWarningOptions(options);
  const prev = previous ?? emptyEarlyWarningState();
  if (prev.lastWindowStart > 0 && w.windowStart <= prev.lastWindowStart) return { state: prev, changes: [] };
  const gap = prev.lastWindowStart > 0 ? Math.round((w.windowStart - prev.lastWindowStart) / MINUTE) : Infinity;
  const restart = gap > o.maxGapMinutes;
  const state: EarlyWarningState = { version: 1, lastWindowStart: w.windowStart, tracks: {}, open: { ...prev.open } };
  const sensitivity = ctx.sensitivity ?? ctx.profile.sensitivity ?? DEFAULT_SENSITIVITY;
  const changes: PredictionChange[] = [];
  const mask = (1 << o.confirmWindow) - 1;
  const openKinds = new Set(ctx.openKinds ?? []);

  for (const f of o.features) {
    const frames = framesFor(ctx.profile, f, sensitivity, ctx.thresholds, o);
    const now = frames.at(w.windowStart);
    const seen = featureObserved(f, w.features) && Number.isFinite(w.features[f]);
    const x = w.features[f];
    const r = seen ? (toScale(f, x) - now.center) / now.scale : NaN;

    // Carry the track over the gap (missing minutes), or restart it.
    let track: FeatureTrack;
    const old = prev.tracks[f];
    if (!old || restart) {
      track = { model: dampedTrendStart(Number.isFinite(r) ? r : 0, o.trend), above: 0, below: 0, lastBad: old?.lastBad ?? 0, runUp: 0, runDown: 0 };
    } else {
      let model = old.model;
      for (let k = 1; k < gap; k++) model = dampedTrendUpdate(model, NaN, o.trend);
      const shift = Math.min(gap, 8); // missing minutes count as not beyond the band
      const keep = gap === 1;
      track = { model, above: (old.above << shift) & 0xff, below: (old.below << shift) & 0xff, lastBad: old.lastBad, runUp: keep ? old.runUp : 0, runDown: keep ? old.runDown : 0 };
    }
    const isAbove = seen && toScale(f, x) > now.hi;
    const isBelow = seen && now.lo !== -Infinity && toScale(f, x) < now.lo;
    track.above |= isAbove ? 1 : 0;
    track.below |= isBelow ? 1 : 0;
    const sustained = { up: popcount(track.above & mask) >= o.confirmNeeded, down: popcount(track.below & mask) >= o.confirmNeeded };
    const directions: PredictionDirection[] = FEATURE_FLOORS[f].direction === 'both' ? ['up', 'down'] : ['up'];
    if (sustained.up || sustained.down || (ctx.anomaly && directions.some((d) => anomalyConfirms(ctx.anomaly!, f, d)))) track.lastBad = w.windowStart;

    // Resolve the open prediction of this feature.
    const open = state.open[f];
    let justResolved = false;
    if (open) {
      const byDetector = ctx.anomaly && anomalyConfirms(ctx.anomaly, f, open.direction) ? ctx.anomaly : null;
      const lead = Math.round((w.windowStart - open.issuedAt) / MINUTE);
      if (byDetector || sustained[open.direction]) {
        const resolution: PredictionResolution = byDetector
          ? { outcome: 'came_true', at: w.windowStart, by: 'detector', anomalyId: byDetector.id, leadMinutes: lead }
          : { outcome: 'came_true', at: w.windowStart, by: 'crossing', leadMinutes: lead };
        const how = byDetector ? `the detectors raised ${byDetector.kind}` : `${f} stayed beyond ${fmt(open.threshold)}`;
        const message = `came true: ${how} at ${hhmm(w.windowStart)}, ${lead} min after the warning (${open.message})`;
        changes.push({ change: 'came_true', prediction: { ...open, status: 'came_true', resolution, message } });
        delete state.open[f];
        justResolved = true;
      } else if (w.windowStart >= open.expiresAt) {
        const message = `expired: no crossing within ${open.horizonMinutes + o.graceMinutes} min of the warning (${open.message})`;
        changes.push({ change: 'expired', prediction: { ...open, status: 'expired', resolution: { outcome: 'expired', at: w.windowStart }, message } });
        delete state.open[f];
      }
    }

    // While the family is anomalous (and for the cooldown after), the forecaster restarts every
    // window: an incident's rise and fall are not the partition's trend, and a damped trend that
    // learned them overshoots for an hour afterwards. After the cooldown it re-warms from scratch.
    const cooling = track.lastBad > 0 && w.windowStart - track.lastBad < o.cooldownMinutes * MINUTE;
    track.model = cooling ? dampedTrendStart(Number.isFinite(r) ? r : track.model.level, o.trend) : dampedTrendUpdate(track.model, r, o.trend);
    state.tracks[f] = track;
    const runs = { up: track.runUp, down: track.runDown };
    track.runUp = 0;
    track.runDown = 0;
    if (track.model.n < o.warmupMinutes) continue;

    const still = state.open[f];
    if (!still && (justResolved || cooling || directions.every((d) => openKinds.has(predictedKind(f, d))))) continue;

    const core = forecastCore(track, frames, w.windowStart, o, still !== undefined);
    const n = core.steps.length;

    if (still) {
      const e = evalDirection(core, still.direction, o.confidence);
      if (e.confident >= 0) {
        const pt = pointAt(core, e.crossing, f, o);
        const updated: Omit<Prediction, 'message'> = {
          ...still,
          updatedAt: w.windowStart,
          crossingAt: pt.t,
          confidentAt: core.from + core.steps[e.confident].h * MINUTE,
          probability: e.probability,
          forecast: { mean: pt.mean, lower: pt.lower, upper: pt.upper },
          threshold: (still.direction === 'up' ? pt.upperThreshold : pt.lowerThreshold) ?? still.threshold,
          thresholdSource: pt.source,
        };
        state.open[f] = { ...updated, message: describe(updated) };
      } else {
        state.open[f] = { ...still, updatedAt: w.windowStart, probability: n > 0 ? e.probability : still.probability };
      }
      continue;
    }

    let best: (ReturnType<typeof evalDirection> & { d: PredictionDirection }) | null = null;
    for (const d of directions) {
      if (openKinds.has(predictedKind(f, d))) continue;
      const e = evalDirection(core, d, o.confidence);
      // A prediction is about the future: the next minute's forecast must still be inside the band
      // (a level already beyond it is the detectors' business, e.g. the tail of an incident).
      if (e.now >= 0.5 || e.confident < 0) continue;
      const run = Math.min(o.persistMinutes, runs[d] + 1);
      if (d === 'up') track.runUp = run;
      else track.runDown = run;
      if (run >= o.persistMinutes && (!best || e.confident < best.confident)) best = { ...e, d };
    }
    if (!best) continue;
    const pt = pointAt(core, best.crossing, f, o);
    const base: Omit<Prediction, 'message'> = {
      id: stableHash(`${w.partition}|${f}|${best.d}|${w.windowStart}`),
      partition: w.partition,
      feature: f,
      direction: best.d,
      kind: predictedKind(f, best.d),
      issuedAt: w.windowStart,
      updatedAt: w.windowStart,
      crossingAt: pt.t,
      confidentAt: core.from + core.steps[best.confident].h * MINUTE,
      probability: best.probability,
      forecast: { mean: pt.mean, lower: pt.lower, upper: pt.upper },
      threshold: (best.d === 'up' ? pt.upperThreshold : pt.lowerThreshold) as number,
      thresholdSource: pt.source,
      observed: seen ? x : 0,
      expected: now.expected,
      horizonMinutes: o.horizonMinutes,
      confidence: o.confidence,
      expiresAt: w.windowStart + (o.horizonMinutes + o.graceMinutes) * MINUTE,
      status: 'open',
    };
    const prediction: Prediction = { ...base, message: describe(base) };
    state.open[f] = prediction;
    changes.push({ change: 'opened', prediction });
  }
  // Predictions of features no longer configured are dropped.
  for (const f of Object.keys(state.open) as FeatureName[]) if (!o.features.includes(f)) delete state.open[f];
  return { state, changes };
}
