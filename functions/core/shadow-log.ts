/**
 * The shadow log: a probabilistic picture of the stream's near future, per partition and in total,
 * refreshed by every capacity run. For each partition: expected events over the next N minutes with
 * an interval, the level mix, the template mix (top-k with shares), the payload size, and how sure
 * all that is; for the stream: events/s and bytes/s over the horizon. It drives pre-warming
 * ({@link partitionsWaking}: partitions about to become active) and the capacity decisions
 * ({@link capacityForecastFromShadow}).
 *
 * Pure: no SDK, no I/O, no clock.
 *
 * Volumes come from the forecaster (./volume-forecast). Mixes come from recent windows, kept as
 * exponentially decayed counts ({@link accumulateMix}): a window `d` minutes older than the newest
 * weighs `0.5^(d / halfLifeMinutes)`. The mix of the next minutes is taken to be the recent mix:
 * a level or template mix has no seasonal model here.
 *
 * Payload size: the stored window features carry each minute's message bytes and count, not a
 * per-event size distribution, so `meanBytes` is exact (decayed bytes / decayed events) and
 * `p95Bytes` is the 95th percentile of the per-minute MEAN event size over the last
 * `sizeSamples` active minutes: it shows minutes of unusually large lines (stack traces), not the
 * largest single lines.
 */
import type { ForecastPoint } from './forecast';
import type { CapacityForecast } from './capacity';
import { quantile } from './stats';
import type { WindowFeatures } from './types';
import type { ForecastMethod, SeriesForecast } from './volume-forecast';

/** What the shadow log needs of one closed window. */
export interface ShadowWindow {
  partition: string;
  windowStart: number;
  count: number;
  bytes: number;
  /** Events per level (any level names; e.g. ERROR / WARN / OTHER when only those are known). */
  levels: Record<string, number>;
  /** Events per template id. */
  templates: Record<string, number>;
}

/**
 * A stored window's features as a {@link ShadowWindow}. Window features keep the error count (ERROR
 * + FATAL) and the WARN rate, not every level, so the level mix is ERROR / WARN / OTHER.
 */
export function shadowWindowFromFeatures(w: WindowFeatures): ShadowWindow {
  const f = w.features;
  const count = Number.isFinite(f.count) && f.count > 0 ? f.count : 0;
  const error = Math.min(count, Math.max(0, f.errorCount ?? 0));
  const warn = Math.min(count - error, Math.max(0, Math.round((f.warnRate ?? 0) * count)));
  const levels: Record<string, number> = {};
  if (error > 0) levels.ERROR = error;
  if (warn > 0) levels.WARN = warn;
  if (count - error - warn > 0) levels.OTHER = count - error - warn;
  return { partition: w.partition, windowStart: w.windowStart, count, bytes: Number.isFinite(f.bytes) ? f.bytes : 0, levels, templates: { ...(w.templates ?? {}) } };
}

/** Decayed recent mix of one partition (serialisable; kept between runs). */
export interface MixState {
  /** Start of the newest window added, epoch ms (null before any). */
  lastWindowStart: number | null;
  /** Decayed event count (the mix's effective sample size). */
  events: number;
  /** Decayed message bytes. */
  bytes: number;
  levels: Record<string, number>;
  templates: Record<string, number>;
  /** Decayed events of templates pruned from `templates`. */
  otherTemplates: number;
  /** Per-minute mean event size of the last active minutes, oldest first. */
  sizes: number[];
  /** Windows added. */
  windows: number;
}

/** Options of {@link accumulateMix}. */
export interface MixOptions {
  /** Half-life of a window's weight, minutes. Default 30. */
  halfLifeMinutes?: number;
  /** Templates kept (by decayed count); the rest are summed in `otherTemplates`. Default 50. */
  maxTemplates?: number;
  /** Per-minute sizes kept for the p95. Default 60. */
  sizeSamples?: number;
}

const MINUTE_MS = 60_000;

/** An empty mix. */
export function emptyMix(): MixState {
  return { lastWindowStart: null, events: 0, bytes: 0, levels: {}, templates: {}, otherTemplates: 0, sizes: [], windows: 0 };
}

function decayAll(r: Record<string, number>, f: number): void {
  for (const k of Object.keys(r)) r[k] *= f;
}

/**
 * Adds windows of ONE partition to its decayed mix (returns a new state). Windows at or before the
 * state's newest window are ignored, so feeding the same window twice changes nothing.
 */
export function accumulateMix(prev: MixState | undefined, windows: readonly ShadowWindow[], options: MixOptions = {}): MixState {
  const half = options.halfLifeMinutes ?? 30;
  const maxTemplates = options.maxTemplates ?? 50;
  const sizeSamples = options.sizeSamples ?? 60;
  if (!(half > 0)) throw new RangeError(`accumulateMix: halfLifeMinutes must be > 0, got ${half}`);
  const m: MixState = prev
    ? { ...prev, levels: { ...prev.levels }, templates: { ...prev.templates }, sizes: [...prev.sizes] }
    : emptyMix();
  const sorted = [...windows].sort((a, b) => a.windowStart - b.windowStart);
  for (const w of sorted) {
    if (m.lastWindowStart !== null && w.windowStart <= m.lastWindowStart) continue;
    if (m.lastWindowStart !== null) {
      const f = Math.pow(0.5, (w.windowStart - m.lastWindowStart) / MINUTE_MS / half);
      m.events *= f;
      m.bytes *= f;
      m.otherTemplates *= f;
      decayAll(m.levels, f);
      decayAll(m.templates, f);
    }
    m.lastWindowStart = w.windowStart;
    m.windows++;
    const count = Number.isFinite(w.count) && w.count > 0 ? w.count : 0;
    if (count === 0) continue;
    m.events += count;
    m.bytes += Number.isFinite(w.bytes) && w.bytes > 0 ? w.bytes : 0;
    for (const [k, v] of Object.entries(w.levels)) if (v > 0) m.levels[k] = (m.levels[k] ?? 0) + v;
    for (const [k, v] of Object.entries(w.templates)) if (v > 0) m.templates[k] = (m.templates[k] ?? 0) + v;
    m.sizes.push(w.bytes / count);
    if (m.sizes.length > sizeSamples) m.sizes.splice(0, m.sizes.length - sizeSamples);
  }
  const entries = Object.entries(m.templates).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length > maxTemplates) {
    for (const [k, v] of entries.slice(maxTemplates)) {
      m.otherTemplates += v;
      delete m.templates[k];
    }
  }
  // Drop weights that decayed to nothing, so the state does not keep every level/template forever.
  for (const r of [m.levels, m.templates]) for (const [k, v] of Object.entries(r)) if (v < 1e-6) delete r[k];
  return m;
}

/** Confidence of a mix from its effective sample size: `n / (n + 100)` (100 decayed events give 0.5). */
export function mixConfidence(mix: MixState | undefined): number {
  const n = mix?.events ?? 0;
  return n > 0 ? n / (n + 100) : 0;
}

/** A value with its prediction interval. */
export interface Interval {
  mean: number;
  lower: number;
  upper: number;
}

/** A partition's predicted near future. */
export interface ShadowPartition {
  partition: string;
  /** Events expected over the horizon (bounds are the summed per-step bounds: conservative). */
  expected: Interval & { eventsPerMinute: number };
  /** Recent events per minute (mean of the last observed steps). */
  recentEventsPerMinute: number;
  /** Level shares (sum to 1; empty when nothing was seen). */
  levels: Record<string, number>;
  /** The most frequent templates with their shares, and the share of all the others. */
  templates: { top: Array<{ id: string; share: number }>; otherShare: number; distinct: number };
  /** Mean event size, and the p95 of per-minute mean event sizes (see the module comment). */
  payload: { meanBytes: number; p95Bytes: number };
  confidence: { volume: number; mix: number; overall: number };
  method: ForecastMethod;
}

/** A partition about to become active. */
export interface WakingPartition {
  partition: string;
  /** Start of the first forecast step at or above the activity threshold, epoch ms. */
  at: number;
  /** Expected events per minute in that step. */
  expectedPerMinute: number;
  recentEventsPerMinute: number;
  confidence: number;
}

/** Whole-stream rates over the horizon (per second; mean and upper are the horizon's peak step). */
export interface ShadowTotals {
  eventsPerSec: Interval;
  bytesPerSec: Interval;
  confidence: number;
  method: ForecastMethod;
  /** Start of the step holding the peak upper bound of events. */
  peakAt: number;
}

/** The shadow log document (written to the dataset bucket as JSON). */
export interface ShadowLog {
  version: 1;
  generatedAt: string;
  horizon: { start: string; end: string; minutes: number; stepMinutes: number };
  /** End of the last closed step the forecasts start from. */
  observedThrough: string | null;
  /** How often it is refreshed, and until when this one stands. */
  refreshMinutes: number;
  validUntil: string;
  /** Null while there is not enough history for any forecast. */
  totals: ShadowTotals | null;
  partitions: ShadowPartition[];
  waking: WakingPartition[];
}

/** One partition's inputs to {@link buildShadowLog}. */
export interface ShadowPartitionInput {
  partition: string;
  forecast: SeriesForecast;
  mix?: MixState;
  /** Last observed step values (events per step), oldest first. */
  recent: readonly number[];
}

/** Input of {@link buildShadowLog}. */
export interface ShadowInput {
  /** The run's time, epoch ms. */
  now: number;
  horizonMinutes: number;
  refreshMinutes: number;
  stepMs: number;
  /** End of the last observed step, or null. */
  observedThrough: number | null;
  totals: { events: SeriesForecast; bytes: SeriesForecast };
  partitions: readonly ShadowPartitionInput[];
  /** Templates listed per partition. Default 5. */
  topTemplates?: number;
  /** Threshold of "active", events per minute. Default 1. */
  activeEventsPerMinute?: number;
  /** Steps a partition must have been below the threshold to count as waking. Default 3. */
  quietSteps?: number;
}

/** Fraction of step [t, t + stepMs) inside [from, to). */
function overlap(t: number, stepMs: number, from: number, to: number): number {
  const o = Math.min(t + stepMs, to) - Math.max(t, from);
  return o > 0 ? o / stepMs : 0;
}

function inHorizon(points: readonly ForecastPoint[], stepMs: number, from: number, to: number): ForecastPoint[] {
  const hit = points.filter((p) => overlap(p.t, stepMs, from, to) > 0);
  // A forecast that ends before the horizon starts still says something: use its last point.
  return hit.length ? hit : points.slice(-1);
}

function peakRate(points: readonly ForecastPoint[], stepSec: number): { interval: Interval; peakAt: number } {
  let mean = 0;
  let upper = 0;
  let lower = Infinity;
  let peakAt = points[0]?.t ?? 0;
  for (const p of points) {
    if (p.upper / stepSec > upper) {
      upper = p.upper / stepSec;
      peakAt = p.t;
    }
    mean = Math.max(mean, p.mean / stepSec);
    lower = Math.min(lower, p.lower / stepSec);
  }
  return { interval: { mean, lower: Number.isFinite(lower) ? lower : 0, upper: Math.max(upper, mean) }, peakAt };
}

function shares(r: Record<string, number>): Record<string, number> {
  const total = Object.values(r).reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  if (total <= 0) return out;
  for (const [k, v] of Object.entries(r).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) out[k] = v / total;
  return out;
}

function mean(xs: readonly number[]): number {
  const f = xs.filter((x) => Number.isFinite(x));
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : 0;
}

/**
 * Partitions about to become active: below `activeEventsPerMinute` in each of the last `quietSteps`
 * observed steps, and forecast at or above it in a step of the horizon. Sorted by when they wake.
 */
export function partitionsWaking(
  partitions: readonly ShadowPartitionInput[],
  options: { now: number; horizonMinutes: number; stepMs: number; activeEventsPerMinute?: number; quietSteps?: number },
): WakingPartition[] {
  const threshold = options.activeEventsPerMinute ?? 1;
  const quietSteps = options.quietSteps ?? 3;
  const stepMin = options.stepMs / MINUTE_MS;
  const to = options.now + options.horizonMinutes * MINUTE_MS;
  const out: WakingPartition[] = [];
  for (const p of partitions) {
    const last = p.recent.slice(-quietSteps);
    if (last.length < quietSteps || last.some((v) => !(v / stepMin < threshold))) continue;
    const step = p.forecast.points.find((pt) => overlap(pt.t, options.stepMs, options.now, to) > 0 && pt.mean / stepMin >= threshold);
    if (!step) continue;
    out.push({
      partition: p.partition,
      at: step.t,
      expectedPerMinute: step.mean / stepMin,
      recentEventsPerMinute: mean(last) / stepMin,
      confidence: p.forecast.confidence,
    });
  }
  return out.sort((a, b) => a.at - b.at || a.partition.localeCompare(b.partition));
}

/**
 * Builds the shadow log for the horizon [now, now + horizonMinutes). Totals come from the
 * whole-stream models (summing per-partition upper bounds would overstate the interval);
 * per-partition volumes from each partition's model.
 */
export function buildShadowLog(input: ShadowInput): ShadowLog {
  const { now, stepMs } = input;
  const to = now + input.horizonMinutes * MINUTE_MS;
  const stepSec = stepMs / 1000;
  const stepMin = stepMs / MINUTE_MS;
  const topK = input.topTemplates ?? 5;

  let totals: ShadowTotals | null = null;
  const ev = input.totals.events;
  if (ev.method !== 'none' && ev.points.length > 0) {
    const e = peakRate(inHorizon(ev.points, stepMs, now, to), stepSec);
    const by = input.totals.bytes;
    const b =
      by.method !== 'none' && by.points.length > 0
        ? peakRate(inHorizon(by.points, stepMs, now, to), stepSec).interval
        : { mean: 0, lower: 0, upper: 0 };
    totals = { eventsPerSec: e.interval, bytesPerSec: b, confidence: ev.confidence, method: ev.method, peakAt: e.peakAt };
  }

  const partitions: ShadowPartition[] = input.partitions.map((p) => {
    const pts = p.forecast.points.length ? inHorizon(p.forecast.points, stepMs, now, to) : [];
    let m = 0;
    let lo = 0;
    let hi = 0;
    for (const pt of pts) {
      const w = overlap(pt.t, stepMs, now, to) || 1 / pts.length;
      m += pt.mean * w;
      lo += pt.lower * w;
      hi += pt.upper * w;
    }
    const mix = p.mix;
    const tmpl = Object.entries(mix?.templates ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const tmplTotal = tmpl.reduce((a, [, v]) => a + v, 0) + (mix?.otherTemplates ?? 0);
    const top = tmplTotal > 0 ? tmpl.slice(0, topK).map(([id, v]) => ({ id, share: v / tmplTotal })) : [];
    const topShare = top.reduce((a, t) => a + t.share, 0);
    const sizes = [...(mix?.sizes ?? [])].sort((a, b) => a - b);
    const volume = p.forecast.confidence;
    const mixConf = mixConfidence(mix);
    return {
      partition: p.partition,
      expected: { mean: m, lower: lo, upper: hi, eventsPerMinute: input.horizonMinutes > 0 ? m / input.horizonMinutes : 0 },
      recentEventsPerMinute: mean(p.recent.slice(-3)) / stepMin,
      levels: shares(mix?.levels ?? {}),
      templates: { top, otherShare: tmplTotal > 0 ? Math.max(0, 1 - topShare) : 0, distinct: tmpl.length },
      payload: {
        meanBytes: mix && mix.events > 0 ? mix.bytes / mix.events : 0,
        p95Bytes: sizes.length ? quantile(sizes, 0.95) : 0,
      },
      confidence: { volume, mix: mixConf, overall: Math.min(volume, mixConf) },
      method: p.forecast.method,
    };
  });

  const iso = (t: number): string => new Date(t).toISOString();
  return {
    version: 1,
    generatedAt: iso(now),
    horizon: { start: iso(now), end: iso(to), minutes: input.horizonMinutes, stepMinutes: stepMin },
    observedThrough: input.observedThrough === null ? null : iso(input.observedThrough),
    refreshMinutes: input.refreshMinutes,
    validUntil: iso(now + input.refreshMinutes * MINUTE_MS),
    totals,
    partitions: partitions.sort((a, b) => a.partition.localeCompare(b.partition)),
    waking: partitionsWaking(input.partitions, {
      now,
      horizonMinutes: input.horizonMinutes,
      stepMs,
      activeEventsPerMinute: input.activeEventsPerMinute,
      quietSteps: input.quietSteps,
    }),
  };
}

/** How log events become Kinesis load (see {@link capacityForecastFromShadow}). */
export interface LoadModel {
  /**
   * Log events per Kinesis record. CloudWatch Logs subscription payloads batch the events of one
   * log stream delivered together; the demo's simulated subscription measures 4.4. Default 4.
   */
  eventsPerRecord?: number;
  /**
   * Record bytes per message byte. Payloads are gzip JSON with an envelope: 0.78 on the demo's small
   * batches, lower on busy streams. Default 1 (an upper bound).
   */
  wireBytesRatio?: number;
  /**
   * Multiplies the forecast load before sizing (1 on AWS). The embedded runtime's demo streams ~9
   * events/s; a multiplier of 1000 makes it behave like a production stream of ~9,000 events/s.
   */
  loadMultiplier?: number;
}

/**
 * The stream's write load over the horizon as the shard policy wants it
 * (functions/core/capacity.ts): records/s = events/s / eventsPerRecord, bytes/s = message bytes/s x
 * wireBytesRatio, both x loadMultiplier; confidence = the events forecast's. Null without totals.
 */
export function capacityForecastFromShadow(shadow: ShadowLog, model: LoadModel = {}): CapacityForecast | null {
  const t = shadow.totals;
  if (!t) return null;
  const perRecord = model.eventsPerRecord ?? 4;
  const ratio = model.wireBytesRatio ?? 1;
  const k = model.loadMultiplier ?? 1;
  if (!(perRecord > 0 && ratio > 0 && k > 0)) {
    throw new RangeError(`capacityForecastFromShadow: eventsPerRecord, wireBytesRatio and loadMultiplier must be > 0`);
  }
  return {
    horizonStart: Date.parse(shadow.horizon.start),
    horizonEnd: Date.parse(shadow.horizon.end),
    recordsPerSecMean: (t.eventsPerSec.mean * k) / perRecord,
    recordsPerSecUpper: (t.eventsPerSec.upper * k) / perRecord,
    bytesPerSecMean: t.bytesPerSec.mean * ratio * k,
    bytesPerSecUpper: t.bytesPerSec.upper * ratio * k,
    confidence: t.confidence,
  };
}
