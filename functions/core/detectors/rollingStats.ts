/**
 * Rolling statistics detector: per-feature z-score against an exponentially weighted mean/std of
 * the partition's own recent windows (adapts to drift the weekly profile has not seen yet).
 */
import { RollingStats } from '../rolling';
import type { RollingStatsState } from '../rolling';
import { robustScale } from '../stats';
import type { Deviation, DetectorResult, FeatureName, WindowFeatures } from '../types';
import { FEATURE_FLOORS, discreteZ, expected, featureScale, featureTail, fmt, logSigma, observed, tailToScore } from './context';
import type { DetectorContext } from './context';

/** Options of {@link rollingStats} and {@link updateRollingState}. */
export interface RollingStatsDetectorOptions {
  /**
   * Features tracked (default errorRate, latencyP50). Volume is left to the seasonal band: a
   * rolling mean cannot tell a morning ramp from a spike.
   */
  features?: readonly FeatureName[];
  /** EWMA half-life in windows (default 60). */
  halfLife?: number;
  /** Updates needed before a feature can score (default 30). */
  warmup?: number;
  /** Penalty per feature tested (default 1e5: stricter than the profile bands, see tailToScore). */
  penalty?: number;
  /** Values are clipped to mean ± clipZ * std before updating, so an incident does not become the new normal at once (default 4). */
  clipZ?: number;
  /** Deviations listed when |z| >= this (default 3). */
  listZ?: number;
  /**
   * A state not updated for longer than this is stale: it is not scored against and restarts on
   * the next update (default 30 minutes). Keeps a restart after an outage from looking anomalous.
   */
  maxGapMs?: number;
  /** Quantile features (latency, sizes) are skipped in windows with fewer events (default 10). */
  minEventsForQuantiles?: number;
}

const DEFAULT_FEATURES: readonly FeatureName[] = ['errorRate', 'latencyP50'];

/**
 * Quantile features (those with a log floor) are tracked on the log scale: `log(max(x, absolute))`.
 */
function transform(feature: FeatureName, x: number): number {
  const fl = FEATURE_FLOORS[feature];
  return fl.logFloor !== undefined ? Math.log(Math.max(x, fl.absolute)) : x;
}

function usable(feature: FeatureName, w: WindowFeatures, minEvents: number): boolean {
  if (!observed(feature, w)) return false;
  return FEATURE_FLOORS[feature].logFloor === undefined || w.features.count >= minEvents;
}

const DEFAULT_MAX_GAP = 30 * 60_000;

function stale(state: RollingStatsState, w: WindowFeatures, maxGap: number): boolean {
  return state.lastTs !== undefined && w.windowStart - state.lastTs > maxGap;
}

/** Std used for a z: the rolling std, floored with the feature's noise floors around the mean. */
function scaleOf(feature: FeatureName, r: RollingStats): number {
  const fl = FEATURE_FLOORS[feature];
  if (fl.logFloor !== undefined) return Math.max(r.std, fl.logFloor);
  const base = robustScale(r.std / 1.4826, r.mean, { absolute: fl.absolute, relative: fl.relative });
  return fl.poisson ? Math.max(base, Math.sqrt(Math.max(0, r.mean))) : base;
}

/**
 * Scores a window against the rolling state in `ctx.rolling` (does not change it; call
 * {@link updateRollingState} after scoring). Kind `rolling_stats`.
 */
export function rollingStats(w: WindowFeatures, ctx: DetectorContext, options: RollingStatsDetectorOptions = {}): DetectorResult | null {
  const features = options.features ?? DEFAULT_FEATURES;
  const warmup = options.warmup ?? 30;
  const penalty = options.penalty ?? 1e5;
  const listZ = options.listZ ?? 3;
  const minEvents = options.minEventsForQuantiles ?? 10;
  const maxGap = options.maxGapMs ?? DEFAULT_MAX_GAP;
  const deviations: Deviation[] = [];
  let tested = 0;
  let bestP = 1;
  for (const f of features) {
    const state = ctx.rolling[f];
    if (!state || state.n < warmup || !usable(f, w, minEvents) || stale(state, w, maxGap)) continue;
    const r = RollingStats.from(state);
    // Never more precise than the profile's own spread for this slot: an EWMA over a quiet hour
    // can be very narrow, and one unusual minute of a different event mix is not an anomaly.
    const seasonal = expected(ctx, f, w.windowStart);
    const isLogFeature = FEATURE_FLOORS[f].logFloor !== undefined;
    const scale = Math.max(scaleOf(f, r), seasonal.n > 0 ? (isLogFeature ? logSigma(f, seasonal) : featureScale(f, seasonal)) : 0);
    const isLog = FEATURE_FLOORS[f].logFloor !== undefined;
    let z = (transform(f, w.features[f]) - r.mean) / scale;
    if (FEATURE_FLOORS[f].direction === 'up' && z < 0) z = 0;
    if (z !== 0 && (FEATURE_FLOORS[f].poisson || FEATURE_FLOORS[f].rate)) {
      const zp = discreteZ(f, w.features[f], Math.max(r.mean, FEATURE_FLOORS[f].rate ? 0.001 : 0.5), w.features.count);
      z = z > 0 ? Math.max(0, Math.min(z, zp)) : Math.min(0, Math.max(z, zp));
    }
    tested++;
    bestP = Math.min(bestP, featureTail(f, z));
    if (Math.abs(z) >= listZ) {
      const band: [number, number] = isLog
        ? [Math.exp(r.mean - 3 * scale), Math.exp(r.mean + 3 * scale)]
        : [Math.max(0, r.mean - 3 * scale), r.mean + 3 * scale];
      deviations.push({ feature: f, observed: w.features[f], expected: isLog ? Math.exp(r.mean) : r.mean, band, z });
    }
  }
  if (tested === 0) return null;
  deviations.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  return {
    detector: 'rollingStats',
    kind: 'rolling_stats',
    score: tailToScore(bestP, penalty * tested),
    deviations,
    evidence: deviations.map((d) => `${d.feature} ${fmt(d.observed)} vs recent mean ${fmt(d.expected)} (z=${fmt(d.z)})`),
  };
}

/**
 * Returns the rolling state after this window (pure: the input record is not modified). Values
 * beyond mean ± clipZ * std are clipped once warmed up; unobserved features are not updated.
 */
export function updateRollingState(
  rolling: Record<string, RollingStatsState>,
  w: WindowFeatures,
  options: RollingStatsDetectorOptions = {},
): Record<string, RollingStatsState> {
  const features = options.features ?? DEFAULT_FEATURES;
  const warmup = options.warmup ?? 30;
  const clipZ = options.clipZ ?? 4;
  const out: Record<string, RollingStatsState> = { ...rolling };
  for (const f of features) {
    if (!usable(f, w, options.minEventsForQuantiles ?? 10)) continue;
    const r = out[f] ? RollingStats.from(out[f]) : new RollingStats({ halfLife: options.halfLife ?? 60 });
    if (stale(r.toJSON(), w, options.maxGapMs ?? DEFAULT_MAX_GAP)) r.reset();
    let x = transform(f, w.features[f]);
    if (r.n >= warmup) {
      const s = scaleOf(f, r);
      x = Math.min(r.mean + clipZ * s, Math.max(r.mean - clipZ * s, x));
    }
    r.update(x, w.windowStart);
    out[f] = r.toJSON();
  }
  return out;
}
