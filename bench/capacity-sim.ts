/**
 * Capacity simulation: a week of traffic replayed through a per-shard throttling model under three
 * shard policies, compared on shard-hours, throttled records and UpdateShardCount calls.
 *
 * - static peak: the week's peak minute (known in hindsight) with the policy's headroom, never changed;
 * - reactive: a CloudWatch-alarm style policy: when a minute's incoming records or bytes exceed
 *   `alarmHigh` of the open capacity for `alarmPoints` consecutive minutes, resize for the observed
 *   peak; when they stay below `alarmLow` for `lowMinutes`, resize down. The target goes through
 *   the same `decideShards` (core/capacity) as the predictive policy (headroom, doubling/halving,
 *   10 calls per rolling 24 h, scale-down cooldown and hysteresis), fed the observed peak as a
 *   certain "forecast";
 * - predictive: the capacity function's own code: the volume forecaster (core/volume-forecast over
 *   core/forecast: damped Holt-Winters with a daily season on 5-minute steps, bootstrapped with a
 *   grid fit on 3 days of history), run every 5 minutes on the windows settled 5 minutes earlier,
 *   its horizon's peak upper bound handed to `decideShards`.
 *
 * Throttling model: uniform key distribution (UNIFORM_SCALING), so the stream accepts
 * `shards × 1,000 records/s` and `shards × 1 MiB/s`; each simulated minute is split into 60 seconds
 * with a seeded lognormal burst factor (sub-minute burstiness), and every second's excess over the
 * capacity is throttled (the larger of the record and byte excess, in records). A resize takes
 * effect `reshardDelayMinutes` after the call (the stream is UPDATING meanwhile; no policy can call
 * again until it is ACTIVE). Throttled record-seconds = Σ over seconds of max(0, demand − capacity)
 * in records/s × 1 s, i.e. the records refused.
 *
 * Traffic: a synthetic week from the generator's seasonal shape (core/synth: the default services'
 * diurnal and weekly curves in their regions) with surges of several shapes, always available;
 * and, when ../shared/data/nab is present, NAB's traffic-like series (realTweets volume, ELB request
 * count, EC2 network in; 5-minute values interpolated to minutes). Every series is scaled so its
 * simulated week's peak minute is `peakRecordsPerSec` (default 24,000: 30 shards at the default 25%
 * headroom), so the policies face the same stream size on every shape. Files absent: skipped.
 *
 * Run directly: `npx tsx bench/capacity-sim.ts`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decideShards, recordDecision, resolveCapacityLimits, requiredShards, type CapacityForecast, type CapacityHistory, type CapacityLimits } from '../functions/core/capacity';
import { forecastSeries, observeSteps, type VolumeForecasterConfig, type VolumeForecasterState, type VolumeStep } from '../functions/core/volume-forecast';
import { DEFAULT_SERVICES } from '../functions/core/synth/services';
import { expectedEventsPerMin } from '../functions/core/synth/generator';
import { mulberry32, normal } from '../functions/core/random';
import { parseTimestamp } from '../infra/local/series-command';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEP = 5 * MINUTE;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A traffic series at 1-minute resolution: bootstrap history, then the simulated stretch. */
export interface Traffic {
  name: string;
  /** Epoch ms of minute 0 (aligned to a day, so the forecaster's daily phase is right). */
  start: number;
  /** Records per second, per minute. */
  records: Float64Array;
  /** Bytes per second, per minute. */
  bytes: Float64Array;
  /** Minutes of history before the simulated stretch (the predictive policy's bootstrap). */
  bootstrapMinutes: number;
}

/** Options of {@link runCapacitySim}. */
export interface CapacitySimOptions {
  /** Shard policy limits (default: core/capacity defaults). */
  limits?: Partial<CapacityLimits>;
  /** decideShards minConfidence (default: its default, 0.6). */
  minConfidence?: number;
  /** Minutes from UpdateShardCount to the new capacity (default 5). */
  reshardDelayMinutes?: number;
  /**
   * Predictive policy: look-ahead of each decision, minutes. Default 60: each scale-up then covers
   * the next hour of a diurnal ramp instead of one shard of it (the capacity function defaults to 15;
   * 60 is the setting this simulation recommends).
   */
  horizonMinutes?: number;
  /** Predictive policy: minutes after which a minute's windows are settled and readable (default 5). */
  settleMinutes?: number;
  /** Predictive policy: volume forecaster settings (default: the capacity function's, 5-minute steps). */
  volume?: Partial<Omit<VolumeForecasterConfig, 'stepMs'>>;
  /** Reactive policy: alarm thresholds as a share of open capacity (default 0.8 and 0.35). */
  alarmHigh?: number;
  alarmLow?: number;
  /** Reactive policy: consecutive minutes above `alarmHigh` before acting (default 2). */
  alarmPoints?: number;
  /** Reactive policy: minutes below `alarmLow` before scaling down (default 30). */
  lowMinutes?: number;
  /** Reactive policy: minutes its metrics lag behind (default 1: CloudWatch's 1-minute stream metrics). */
  reactiveLagMinutes?: number;
  /** Peak records/s every series is scaled to (default 24,000). */
  peakRecordsPerSec?: number;
  /** Mean Kinesis record size, bytes (default 800: records bind before bytes). */
  recordBytes?: number;
  /** Simulated days (default 7). */
  days?: number;
  /** NAB folder (default ../shared/data/nab). */
  nabDir?: string;
  /** Synthetic traffic only (default false). */
  syntheticOnly?: boolean;
  seed?: number;
  log?: (line: string) => void;
  /** Called for every simulated minute of every policy (debugging and plots). */
  onMinute?: (m: MinuteTrace) => void;
}

/** One simulated minute of one policy on one series. */
export interface MinuteTrace {
  series: string;
  policy: PolicyOutcome['policy'];
  /** Epoch ms. */
  t: number;
  recordsPerSec: number;
  shards: number;
  throttledRecordSeconds: number;
}

/** Outcome of one policy on one series. */
export interface PolicyOutcome {
  policy: 'static' | 'reactive' | 'predictive';
  shardHours: number;
  /** Throttled record-seconds: Σ over seconds of max(0, demand − capacity) in records/s, i.e. the records refused. */
  throttledRecordSeconds: number;
  /** throttledRecordSeconds / all records of the simulated stretch. */
  throttledShare: number;
  /** Minutes with any throttling. */
  throttledMinutes: number;
  updateShardCountCalls: number;
  minShards: number;
  maxShards: number;
}

/** One series' comparison. */
export interface SeriesResult {
  name: string;
  minutes: number;
  peakRecordsPerSec: number;
  medianRecordsPerSec: number;
  policies: PolicyOutcome[];
  /** predictive / reactive throttled records (0 when both are 0; Infinity when only reactive is 0). */
  predictiveVsReactiveThrottling: number;
  /** predictive / static shard-hours. */
  predictiveVsStaticShardHours: number;
}

/** Whole benchmark result. */
export interface CapacitySimResult {
  settings: Required<Pick<CapacitySimOptions, 'reshardDelayMinutes' | 'horizonMinutes' | 'settleMinutes' | 'alarmHigh' | 'alarmLow' | 'alarmPoints' | 'lowMinutes' | 'reactiveLagMinutes' | 'recordBytes' | 'days'>> & {
    limits: CapacityLimits;
    minConfidence: number | null;
  };
  series: SeriesResult[];
  nabSkipped?: string;
  /** Sums over every series. */
  totals: {
    policies: Array<Pick<PolicyOutcome, 'policy' | 'shardHours' | 'throttledRecordSeconds' | 'updateShardCountCalls'>>;
    predictiveVsReactiveThrottling: number;
    predictiveVsStaticShardHours: number;
  };
  seconds: number;
}

/** Seeded per-second burst factors (lognormal, mean 1), reused cyclically. */
function burstFactors(seed: number, n = 3607, sd = 0.12): Float64Array {
  const rng = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.exp(sd * normal(rng) - (sd * sd) / 2);
  return out;
}

/**
 * A synthetic week (plus bootstrap days): the default services' summed seasonal rate (diurnal in
 * each region's local time, quieter weekends), AR(1) noise, and surges, scaled so the simulated
 * stretch's peak minute is `peak` records/s. The surges:
 * a sale that ramps in over 20 min and holds 2 h (×2.5), a retry storm that strikes at once (×2,
 * 40 min), a slow build over 3 h (×1.8) and an evening spike that decays (×3).
 */
export function syntheticTraffic(options: { days: number; bootstrapDays: number; peak: number; recordBytes: number; seed: number }): Traffic {
  const start = Date.UTC(2026, 10, 2) - options.bootstrapDays * DAY; // the simulated week starts on a Monday
  const minutes = (options.days + options.bootstrapDays) * 1440;
  const base = new Float64Array(minutes);
  for (let m = 0; m < minutes; m++) {
    const t = start + m * MINUTE;
    let s = 0;
    for (const spec of DEFAULT_SERVICES) for (const region of spec.regions) s += expectedEventsPerMin(spec, region, t);
    base[m] = s;
  }
  const rng = mulberry32(options.seed);
  const sim0 = options.bootstrapDays * 1440;
  // Surges, in simulated minutes: [start, ramp-in, hold, decay, factor]
  const surges: Array<[number, number, number, number, number]> = [
    [1 * 1440 + 15 * 60, 20, 120, 10, 2.5], // Tuesday 15:00 UTC sale
    [2 * 1440 + 9 * 60 + 30, 0, 40, 0, 2], // Wednesday 09:30 retry storm
    [3 * 1440 + 12 * 60, 180, 60, 30, 1.8], // Thursday noon slow build
    [4 * 1440 + 20 * 60, 2, 10, 60, 3], // Friday 20:00 spike that decays
  ];
  const records = new Float64Array(minutes);
  const bytes = new Float64Array(minutes);
  let ar = 0;
  for (let m = 0; m < minutes; m++) {
    ar = 0.9 * ar + 0.05 * Math.sqrt(1 - 0.81) * normal(rng);
    let surge = 1;
    for (const [s0, up, hold, down, f] of surges) {
      const x = m - sim0 - s0;
      if (x < 0 || x >= up + hold + down) continue;
      const env = x < up ? (up > 0 ? x / up : 1) : x < up + hold ? 1 : 1 - (x - up - hold) / Math.max(1, down);
      surge *= 1 + (f - 1) * env;
    }
    records[m] = base[m] * Math.exp(ar) * surge;
  }
  let max = 0;
  for (let m = sim0; m < minutes; m++) max = Math.max(max, records[m]);
  for (let m = 0; m < minutes; m++) {
    records[m] *= options.peak / max;
    bytes[m] = records[m] * options.recordBytes;
  }
  return { name: 'synthetic week (generator seasonality + surges)', start, records, bytes, bootstrapMinutes: sim0 };
}

/** NAB series used as traffic shapes, when present. */
const NAB_TRAFFIC = [
  'realTweets/Twitter_volume_AAPL.csv',
  'realTweets/Twitter_volume_AMZN.csv',
  'realTweets/Twitter_volume_FB.csv',
  'realTweets/Twitter_volume_GOOG.csv',
  'realTweets/Twitter_volume_IBM.csv',
  'realAWSCloudwatch/elb_request_count_8c0756.csv',
  'realAWSCloudwatch/ec2_network_in_257a54.csv',
];

/**
 * One NAB file as traffic: its first `bootstrapDays + days` days of 5-minute values, linearly
 * interpolated to minutes (the clock starts at the first value's UTC midnight; values before the
 * first one repeat it), scaled so the simulated stretch's peak minute is `peak` records/s. Null
 * when the file is shorter than that.
 */
export function nabTraffic(file: string, rel: string, options: { days: number; bootstrapDays: number; peak: number; recordBytes: number }): Traffic | null {
  const rows = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(','))
    .filter((f) => f.length >= 2)
    .map(([ts, v]) => ({ t: parseTimestamp(ts), v: Number(v) }))
    .filter((r) => Number.isFinite(r.t) && Number.isFinite(r.v))
    .sort((a, b) => a.t - b.t);
  if (rows.length < 2) return null;
  const start = Math.floor(rows[0].t / DAY) * DAY;
  const minutes = (options.days + options.bootstrapDays) * 1440;
  if (rows[rows.length - 1].t < start + minutes * MINUTE) return null;
  const raw = new Float64Array(minutes);
  let j = 0;
  for (let m = 0; m < minutes; m++) {
    const t = start + m * MINUTE;
    while (j + 1 < rows.length && rows[j + 1].t <= t) j++;
    const a = rows[j];
    const b = rows[Math.min(j + 1, rows.length - 1)];
    raw[m] = t <= a.t || b.t === a.t ? a.v : a.v + ((b.v - a.v) * (t - a.t)) / (b.t - a.t);
    if (!(raw[m] > 0)) raw[m] = 0;
  }
  const sim0 = options.bootstrapDays * 1440;
  let max = 0;
  for (let m = sim0; m < minutes; m++) max = Math.max(max, raw[m]);
  if (!(max > 0)) return null;
  const k = options.peak / max;
  const records = raw.map((x) => x * k);
  return { name: `NAB ${rel}`, start, records, bytes: records.map((x) => x * options.recordBytes), bootstrapMinutes: sim0 };
}

interface SimSettings {
  limits: CapacityLimits;
  minConfidence?: number;
  delay: number;
  horizon: number;
  settle: number;
  alarmHigh: number;
  alarmLow: number;
  alarmPoints: number;
  lowMinutes: number;
  reactiveLag: number;
  bursts: Float64Array;
  volume?: Partial<VolumeForecasterConfig>;
  onMinute?: (m: MinuteTrace) => void;
}

/** What a policy is asked every minute; it returns a forecast to hand to decideShards, or null to hold. */
type Policy = (t: number, m: number, shards: number) => CapacityForecast | null;

/** Runs one policy over the simulated stretch of a series. */
function simulate(tr: Traffic, name: PolicyOutcome['policy'], policy: Policy | null, initialShards: number, s: SimSettings): PolicyOutcome {
  const { limits } = s;
  let shards = initialShards;
  let pending: { target: number; at: number } | null = null;
  let history: CapacityHistory = { calls: [] };
  let calls = 0;
  let shardMinutes = 0;
  let throttled = 0;
  let throttledMinutes = 0;
  let total = 0;
  let minS = shards;
  let maxS = shards;
  const B = s.bursts.length;
  for (let m = tr.bootstrapMinutes; m < tr.records.length; m++) {
    const t = tr.start + m * MINUTE;
    if (pending && t >= pending.at) {
      shards = pending.target;
      pending = null;
    }
    // Decide at the start of the minute, from what the policy can see.
    if (policy && !pending) {
      const forecast = policy(t, m, shards);
      if (forecast) {
        const d = decideShards({ now: t, currentShards: shards, forecast, history, limits, minConfidence: s.minConfidence });
        if (d.action === 'scale' && d.targetShards !== shards) {
          history = recordDecision(history, d, t);
          calls++;
          pending = { target: d.targetShards, at: t + s.delay * MINUTE };
        }
      }
    }
    minS = Math.min(minS, shards);
    maxS = Math.max(maxS, shards);
    shardMinutes += shards;
    const capR = shards * limits.perShardRecordsPerSec;
    const capB = shards * limits.perShardBytesPerSec;
    const r = tr.records[m];
    const perRecord = r > 0 ? tr.bytes[m] / r : 0;
    let excess = 0;
    for (let sec = 0; sec < 60; sec++) {
      const f = s.bursts[(m * 60 + sec) % B];
      const dr = r * f;
      const over = Math.max(dr - capR, perRecord > 0 ? (dr * perRecord - capB) / perRecord : 0);
      if (over > 0) excess += over;
    }
    total += r * 60;
    throttled += excess;
    s.onMinute?.({ series: tr.name, policy: name, t, recordsPerSec: r, shards, throttledRecordSeconds: excess });
    if (excess > 0) throttledMinutes++;
  }
  return {
    policy: name,
    shardHours: shardMinutes / 60,
    throttledRecordSeconds: throttled,
    throttledShare: total > 0 ? throttled / total : 0,
    throttledMinutes,
    updateShardCountCalls: calls,
    minShards: minS,
    maxShards: maxS,
  };
}

/** Reactive policy: alarms on the last `reactiveLag`-old minutes, target from the observed peak. */
function reactivePolicy(tr: Traffic, s: SimSettings): Policy {
  let high = 0;
  let low = 0;
  let lastSeen = -1;
  return (t, m, shards) => {
    const seen = m - s.reactiveLag; // the newest minute whose metric has arrived
    if (seen <= lastSeen) return null;
    lastSeen = seen;
    const capR = shards * s.limits.perShardRecordsPerSec;
    const capB = shards * s.limits.perShardBytesPerSec;
    const util = Math.max(tr.records[seen] / capR, tr.bytes[seen] / capB);
    high = util >= s.alarmHigh ? high + 1 : 0;
    low = util < s.alarmLow ? low + 1 : 0;
    const window = high >= s.alarmPoints ? s.alarmPoints : low >= s.lowMinutes ? s.lowMinutes : 0;
    if (window === 0) return null;
    let r = 0;
    let b = 0;
    for (let k = seen - window + 1; k <= seen; k++) {
      r = Math.max(r, tr.records[k]);
      b = Math.max(b, tr.bytes[k]);
    }
    if (high >= s.alarmPoints) high = 0;
    if (low >= s.lowMinutes) low = 0;
    return { horizonStart: t, horizonEnd: t + 5 * MINUTE, recordsPerSecMean: r, recordsPerSecUpper: r, bytesPerSecMean: b, bytesPerSecUpper: b, confidence: 1 };
  };
}

/** A 5-minute step of the series, as the capacity function's volume forecaster reads windows. */
function stepAt(tr: Traffic, stepStart: number): VolumeStep {
  const m0 = Math.round((stepStart - tr.start) / MINUTE);
  let events = 0;
  let bytes = 0;
  for (let m = m0; m < m0 + STEP / MINUTE; m++) {
    events += tr.records[m] * 60;
    bytes += tr.bytes[m] * 60;
  }
  return { start: stepStart, events, bytes, partitions: {} };
}

/**
 * Predictive policy: the capacity function's forecaster, bootstrapped (grid fit) on the history,
 * fed every 5 minutes with the steps settled by then, its horizon's peak upper bound and peak mean
 * per second handed to decideShards (as the capacity function's shadow log does).
 */
function predictivePolicy(tr: Traffic, s: SimSettings): Policy {
  const boot: VolumeStep[] = [];
  for (let t = tr.start; t < tr.start + tr.bootstrapMinutes * MINUTE; t += STEP) boot.push(stepAt(tr, t));
  let state: VolumeForecasterState = observeSteps(null, boot, { fit: true, config: { ...s.volume, stepMs: STEP } });
  return (t) => {
    if ((t - tr.start) % STEP !== 0) return null; // runs every 5 minutes
    const settled = Math.floor((t - s.settle * MINUTE - tr.start) / STEP) * STEP + tr.start;
    const fresh: VolumeStep[] = [];
    for (let st = state.observedThrough ?? tr.start; st + STEP <= settled; st += STEP) fresh.push(stepAt(tr, st));
    if (fresh.length) state = observeSteps(state, fresh);
    const through = state.observedThrough ?? settled;
    const steps = Math.max(1, Math.ceil((t + s.horizon * MINUTE - through) / STEP));
    const ev = forecastSeries(state.events, state.config, through, steps);
    const by = forecastSeries(state.bytes, state.config, through, steps);
    const inH = (p: { t: number }) => p.t + STEP > t && p.t < t + s.horizon * MINUTE;
    const peak = (pts: typeof ev.points, k: 'upper' | 'mean') => pts.filter(inH).reduce((a, p) => Math.max(a, p[k] / (STEP / 1000)), 0);
    if (ev.points.length === 0) return null;
    return {
      horizonStart: t,
      horizonEnd: t + s.horizon * MINUTE,
      recordsPerSecUpper: peak(ev.points, 'upper'),
      recordsPerSecMean: peak(ev.points, 'mean'),
      bytesPerSecUpper: peak(by.points, 'upper'),
      bytesPerSecMean: peak(by.points, 'mean'),
      confidence: ev.confidence,
    };
  };
}

function compare(tr: Traffic, s: SimSettings): SeriesResult {
  const sim = tr.records.subarray(tr.bootstrapMinutes);
  let peakR = 0;
  let peakB = 0;
  for (let m = tr.bootstrapMinutes; m < tr.records.length; m++) {
    peakR = Math.max(peakR, tr.records[m]);
    peakB = Math.max(peakB, tr.bytes[m]);
  }
  const sorted = Array.from(sim).sort((a, b) => a - b);
  const staticShards = requiredShards({ horizonStart: 0, horizonEnd: 1, recordsPerSecUpper: peakR, bytesPerSecUpper: peakB, recordsPerSecMean: peakR, bytesPerSecMean: peakB, confidence: 1 }, s.limits);
  // Dynamic policies start where the stretch starts: sized for its first minute.
  const m0 = tr.bootstrapMinutes;
  const start = requiredShards({ horizonStart: 0, horizonEnd: 1, recordsPerSecUpper: tr.records[m0], bytesPerSecUpper: tr.bytes[m0], recordsPerSecMean: tr.records[m0], bytesPerSecMean: tr.bytes[m0], confidence: 1 }, s.limits);
  const policies = [
    simulate(tr, 'static', null, staticShards, s),
    simulate(tr, 'reactive', reactivePolicy(tr, s), start, s),
    simulate(tr, 'predictive', predictivePolicy(tr, s), start, s),
  ];
  const [st, re, pr] = policies;
  return {
    name: tr.name,
    minutes: sim.length,
    peakRecordsPerSec: peakR,
    medianRecordsPerSec: sorted[Math.floor(sorted.length / 2)],
    policies,
    predictiveVsReactiveThrottling: ratio(pr.throttledRecordSeconds, re.throttledRecordSeconds),
    predictiveVsStaticShardHours: ratio(pr.shardHours, st.shardHours),
  };
}

function ratio(a: number, b: number): number {
  if (b > 0) return a / b;
  return a > 0 ? Infinity : 0;
}

/** Runs the simulation on the synthetic week and, when present, the NAB traffic series. */
export async function runCapacitySim(options: CapacitySimOptions = {}): Promise<CapacitySimResult> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const limits = resolveCapacityLimits(options.limits);
  const days = options.days ?? 7;
  const recordBytes = options.recordBytes ?? 800;
  const s: SimSettings = {
    limits,
    minConfidence: options.minConfidence,
    delay: options.reshardDelayMinutes ?? 5,
    horizon: options.horizonMinutes ?? 60,
    settle: options.settleMinutes ?? 5,
    alarmHigh: options.alarmHigh ?? 0.8,
    alarmLow: options.alarmLow ?? 0.35,
    alarmPoints: options.alarmPoints ?? 2,
    lowMinutes: options.lowMinutes ?? 30,
    reactiveLag: options.reactiveLagMinutes ?? 1,
    bursts: burstFactors((options.seed ?? 5) + 1),
    onMinute: options.onMinute,
    volume: options.volume,
  };
  const series: SeriesResult[] = [];
  const peak = options.peakRecordsPerSec ?? 24_000;
  const synthetic = syntheticTraffic({ days, bootstrapDays: 3, peak, recordBytes, seed: options.seed ?? 5 });
  series.push(compare(synthetic, s));
  log(`  ${synthetic.name}: done (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  let nabSkipped: string | undefined;
  if (!options.syntheticOnly) {
    const dir = resolve(REPO_ROOT, options.nabDir ?? '../shared/data/nab', 'data');
    if (!existsSync(dir)) nabSkipped = `NAB data not found at ${dir}`;
    else {
      for (const rel of NAB_TRAFFIC) {
        const file = join(dir, rel);
        if (!existsSync(file)) continue;
        const tr = nabTraffic(file, rel, { days, bootstrapDays: 3, peak, recordBytes });
        if (!tr) continue;
        series.push(compare(tr, s));
        log(`  ${tr.name}: done (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
  }
  const sum = (p: PolicyOutcome['policy'], k: 'shardHours' | 'throttledRecordSeconds' | 'updateShardCountCalls') =>
    series.reduce((a, r) => a + (r.policies.find((x) => x.policy === p)?.[k] ?? 0), 0);
  const names: PolicyOutcome['policy'][] = ['static', 'reactive', 'predictive'];
  const totals = names.map((policy) => ({ policy, shardHours: sum(policy, 'shardHours'), throttledRecordSeconds: sum(policy, 'throttledRecordSeconds'), updateShardCountCalls: sum(policy, 'updateShardCountCalls') }));
  return {
    settings: {
      limits,
      minConfidence: options.minConfidence ?? null,
      reshardDelayMinutes: s.delay,
      horizonMinutes: s.horizon,
      settleMinutes: s.settle,
      alarmHigh: s.alarmHigh,
      alarmLow: s.alarmLow,
      alarmPoints: s.alarmPoints,
      lowMinutes: s.lowMinutes,
      reactiveLagMinutes: s.reactiveLag,
      recordBytes,
      days,
    },
    series,
    ...(nabSkipped ? { nabSkipped } : {}),
    totals: {
      policies: totals,
      predictiveVsReactiveThrottling: ratio(totals[2].throttledRecordSeconds, totals[1].throttledRecordSeconds),
      predictiveVsStaticShardHours: ratio(totals[2].shardHours, totals[0].shardHours),
    },
    seconds: (Date.now() - started) / 1000,
  };
}

const big = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0));
const r2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : 'inf');

/** Prints a result table. */
export function printCapacitySimResult(r: CapacitySimResult, print: (line: string) => void = (l) => console.log(l)): void {
  const st = r.settings;
  print(`  ${st.days} simulated days per series; reshard delay ${st.reshardDelayMinutes} min; predictive horizon ${st.horizonMinutes} min, data settled after ${st.settleMinutes} min; reactive alarm >= ${st.alarmHigh * 100}% for ${st.alarmPoints} min (metrics ${st.reactiveLagMinutes} min late), < ${st.alarmLow * 100}% for ${st.lowMinutes} min`);
  print(`  ${'series'.padEnd(52)} ${'policy'.padEnd(10)} ${'shard-h'.padStart(8)} ${'throttled'.padStart(10)} ${'share'.padStart(8)} ${'min'.padStart(5)} ${'calls'.padStart(5)} ${'shards'.padStart(7)}`);
  for (const s of r.series) {
    for (const p of s.policies) {
      print(`  ${(p.policy === 'static' ? s.name : '').padEnd(52)} ${p.policy.padEnd(10)} ${p.shardHours.toFixed(0).padStart(8)} ${big(p.throttledRecordSeconds).padStart(10)} ${(100 * p.throttledShare).toFixed(3).padStart(7)}% ${String(p.throttledMinutes).padStart(5)} ${String(p.updateShardCountCalls).padStart(5)} ${`${p.minShards}-${p.maxShards}`.padStart(7)}`);
    }
    print(`  ${''.padEnd(52)} predictive/reactive throttling ${r2(s.predictiveVsReactiveThrottling)}, predictive/static shard-hours ${r2(s.predictiveVsStaticShardHours)}`);
  }
  if (r.nabSkipped) print(`  NAB series skipped: ${r.nabSkipped}`);
  const t = r.totals;
  const line = t.policies.map((p) => `${p.policy} ${p.shardHours.toFixed(0)} shard-h, ${big(p.throttledRecordSeconds)} throttled, ${p.updateShardCountCalls} calls`).join('; ');
  print(`  all series: ${line}`);
  print(`  => predictive vs reactive throttling ${r2(t.predictiveVsReactiveThrottling)}; predictive vs static shard-hours ${r2(t.predictiveVsStaticShardHours)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runCapacitySim({ log: (l) => console.log(l) }).then(
    (r) => printCapacitySimResult(r),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}

