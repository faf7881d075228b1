/**
 * Kinesis shard-count policy for the capacity function (issue 5, "Capacity function").
 *
 * Pure: no AWS SDK, no I/O, no clock. The caller passes `now`, the current shard count, a forecast
 * and the history of past UpdateShardCount calls; the policy returns a decision with a plain-words
 * reason. The handler that calls UpdateShardCount (UNIFORM_SCALING), waits for the stream to be
 * ACTIVE again and emits "Capacity Adjusted" lives elsewhere.
 *
 * Rules enforced here:
 * - required shards come from the forecast's UPPER bound against the per-shard write limits
 *   (1 MiB/s and 1,000 records/s by default) plus headroom, clamped to [minShards, maxShards];
 * - one UpdateShardCount call may at most double and at least halve the current count
 *   (target in [ceil(current / 2), current * 2]); a farther target moves one step toward it;
 * - at most `maxCallsPer24h` calls in any rolling 24 h window, counting calls in (now - 24 h, now];
 * - when only `reserveCallsForScaleUp` (default 2) or fewer calls remain, they are kept for scale-up;
 * - no scale-down within `scaleDownCooldownMs` of the last change (scale-up is never delayed);
 * - scale-down needs hysteresis: the upper bound must still fit the smaller count with
 *   `scaleDownHysteresis` extra headroom, and the mean forecast must fit it with the normal headroom;
 * - adaptive granularity: a forecast with confidence >= minConfidence acts in full steps both ways;
 *   a less confident one only scales up (sized from the upper bound) and never scales down;
 * - a current count outside [minShards, maxShards] is moved toward the range regardless of
 *   confidence, cooldown and hysteresis (the call budget and the doubling/halving rule still apply).
 */

/** One day in milliseconds: the rolling window of the UpdateShardCount quota. */
export const DAY_MS = 86_400_000;

/** Limits and tuning of the shard policy. All fields have defaults ({@link DEFAULT_CAPACITY_LIMITS}). */
export interface CapacityLimits {
  /** Write limit of one shard in bytes per second. Default 1,048,576 (1 MiB/s). */
  perShardBytesPerSec: number;
  /** Write limit of one shard in records per second. Default 1,000. */
  perShardRecordsPerSec: number;
  /** Fraction added on top of the forecast upper bound. Default 0.25. */
  headroom: number;
  /** Floor; never below 2 (the cross-shard merge path is part of the design). Default 2. */
  minShards: number;
  /** Ceiling. Default 64. */
  maxShards: number;
  /** UpdateShardCount calls allowed in any rolling 24 h (the documented quota). Default 10. */
  maxCallsPer24h: number;
  /**
   * No scale-down within this long after the last scale-up or scale-down. Default 2 h (it was
   * 30 min: on a diurnal week the policy then spent its 10 daily calls on one-shard steps and had
   * none left for surges; see bench/capacity-sim.ts).
   */
  scaleDownCooldownMs: number;
  /** When this many calls or fewer remain in the window, they are kept for scale-up. Default 2. */
  reserveCallsForScaleUp: number;
  /**
   * Extra headroom (fraction) the upper bound must still have at the smaller count before scaling
   * down, so a forecast wobbling around a shard boundary does not flap. Default 0.5 (it was 0.15:
   * with 0.5 a day's decline takes fewer, larger steps and the call budget lasts; in the capacity
   * simulation predictive throttling fell from 0.79 to 0.43 of the reactive policy's, together with
   * the 2 h cooldown and a 60-minute forecast horizon).
   */
  scaleDownHysteresis: number;
}

/** Defaults of {@link CapacityLimits}. */
export const DEFAULT_CAPACITY_LIMITS: Readonly<CapacityLimits> = Object.freeze({
  perShardBytesPerSec: 1_048_576,
  perShardRecordsPerSec: 1000,
  headroom: 0.25,
  minShards: 2,
  maxShards: 64,
  maxCallsPer24h: 10,
  scaleDownCooldownMs: 2 * 60 * 60_000,
  reserveCallsForScaleUp: 2,
  scaleDownHysteresis: 0.5,
});

/** Forecast of one stream's write load over a horizon (all rates per second, for the whole stream). */
export interface CapacityForecast {
  /** Start of the forecast horizon, epoch ms. */
  horizonStart: number;
  /** End of the forecast horizon, epoch ms. A forecast whose horizon ended at or before `now` is stale. */
  horizonEnd: number;
  /** Upper bound of the prediction interval of bytes/s over the horizon. */
  bytesPerSecUpper: number;
  /** Upper bound of the prediction interval of records/s over the horizon. */
  recordsPerSecUpper: number;
  /** Mean (point) forecast of bytes/s. */
  bytesPerSecMean: number;
  /** Mean (point) forecast of records/s. */
  recordsPerSecMean: number;
  /** How sure the forecaster is, 0..1. */
  confidence: number;
}

/** Past UpdateShardCount calls of one stream. Keep it with {@link recordCall} / {@link recordDecision}. */
export interface CapacityHistory {
  /** Epoch ms of past UpdateShardCount calls. */
  calls: number[];
  /** Epoch ms of the last scale-up call. */
  lastScaleUpAt?: number;
  /** Epoch ms of the last scale-down call. */
  lastScaleDownAt?: number;
}

/**
 * Outcome of {@link decideShards}. On 'hold', `targetShards === currentShards`; `requiredShards` is
 * always what the forecast needs (clamped to the floor and ceiling). In dry run the decision is the
 * same as it would be otherwise, with `dryRun: true`: the caller reports it and changes nothing.
 */
export type CapacityDecision = {
  action: 'scale' | 'hold';
  currentShards: number;
  targetShards: number;
  requiredShards: number;
  reason: string;
  dryRun: boolean;
  confidence: number;
};

/** Input of {@link decideShards}. */
export interface DecideShardsInput {
  /** Current time, epoch ms (from the real or the simulated clock). */
  now: number;
  /** Open shard count of the stream now (a positive integer). */
  currentShards: number;
  forecast: CapacityForecast;
  history: CapacityHistory;
  limits?: Partial<CapacityLimits>;
  /** Report only. Default false. */
  dryRun?: boolean;
  /** Forecasts at or above this confidence act in full steps both ways. Default 0.6. */
  minConfidence?: number;
}

/** Default of {@link DecideShardsInput.minConfidence}. */
export const DEFAULT_MIN_CONFIDENCE = 0.6;

/**
 * Fill in defaults and check the limits.
 * @throws RangeError on a limit that is not a finite number in range (e.g. minShards < 2).
 */
export function resolveCapacityLimits(limits?: Partial<CapacityLimits>): CapacityLimits {
  const l: CapacityLimits = { ...DEFAULT_CAPACITY_LIMITS };
  for (const [k, v] of Object.entries(limits ?? {})) {
    if (v !== undefined && k in l) (l as unknown as Record<string, number>)[k] = v;
  }
  const positive = (k: keyof CapacityLimits) => {
    if (!(Number.isFinite(l[k]) && l[k] > 0)) throw new RangeError(`capacity: ${k} must be > 0, got ${l[k]}`);
  };
  const nonNegative = (k: keyof CapacityLimits) => {
    if (!(Number.isFinite(l[k]) && l[k] >= 0)) throw new RangeError(`capacity: ${k} must be >= 0, got ${l[k]}`);
  };
  const integer = (k: keyof CapacityLimits) => {
    if (!Number.isInteger(l[k])) throw new RangeError(`capacity: ${k} must be an integer, got ${l[k]}`);
  };
  positive('perShardBytesPerSec');
  positive('perShardRecordsPerSec');
  nonNegative('headroom');
  nonNegative('scaleDownCooldownMs');
  nonNegative('scaleDownHysteresis');
  for (const k of ['minShards', 'maxShards', 'maxCallsPer24h', 'reserveCallsForScaleUp'] as const) integer(k);
  if (l.minShards < 2) throw new RangeError(`capacity: minShards must be >= 2, got ${l.minShards}`);
  if (l.maxShards < l.minShards) {
    throw new RangeError(`capacity: maxShards (${l.maxShards}) must be >= minShards (${l.minShards})`);
  }
  positive('maxCallsPer24h');
  nonNegative('reserveCallsForScaleUp');
  return l;
}

/** Unclamped shard count for a load with a given headroom factor (>= 0; tolerant of float noise). */
function shardsFor(bytesPerSec: number, recordsPerSec: number, factor: number, l: CapacityLimits): number {
  const raw = Math.max(bytesPerSec / l.perShardBytesPerSec, recordsPerSec / l.perShardRecordsPerSec) * factor;
  // 10 MB/s * 1.1 is 11.000000000000002 shards in floating point; that is 11, not 12.
  return Math.max(0, Math.ceil(raw - 1e-9 * Math.max(1, raw)));
}

function clamp(n: number, l: CapacityLimits): number {
  return Math.min(l.maxShards, Math.max(l.minShards, n));
}

function finiteNonNegative(x: number): boolean {
  return Number.isFinite(x) && x >= 0;
}

/** Why a forecast cannot be used, or undefined when it can. */
function forecastProblem(f: CapacityForecast): string | undefined {
  for (const k of ['bytesPerSecUpper', 'recordsPerSecUpper', 'bytesPerSecMean', 'recordsPerSecMean'] as const) {
    if (!finiteNonNegative(f[k])) return `${k} is ${f[k]}`;
  }
  if (!(Number.isFinite(f.confidence) && f.confidence >= 0 && f.confidence <= 1)) {
    return `confidence is ${f.confidence}`;
  }
  if (!(Number.isFinite(f.horizonStart) && Number.isFinite(f.horizonEnd) && f.horizonStart <= f.horizonEnd)) {
    return `horizon [${f.horizonStart}, ${f.horizonEnd}] is not a valid interval`;
  }
  return undefined;
}

/**
 * Shards needed for the forecast's upper bound:
 * ceil(max(bytesUpper / perShardBytes, recordsUpper / perShardRecords) * (1 + headroom)),
 * clamped to [minShards, maxShards].
 * @param forecast - only the upper bounds are used
 * @param limits - defaults from {@link DEFAULT_CAPACITY_LIMITS}
 * @throws RangeError when an upper bound is negative or not finite, or a limit is invalid
 */
export function requiredShards(forecast: CapacityForecast, limits?: Partial<CapacityLimits>): number {
  const l = resolveCapacityLimits(limits);
  if (!finiteNonNegative(forecast.bytesPerSecUpper) || !finiteNonNegative(forecast.recordsPerSecUpper)) {
    throw new RangeError(
      `capacity: forecast upper bounds must be finite and >= 0, got ${forecast.bytesPerSecUpper} B/s, ` +
        `${forecast.recordsPerSecUpper} records/s`,
    );
  }
  return clamp(shardsFor(forecast.bytesPerSecUpper, forecast.recordsPerSecUpper, 1 + l.headroom, l), l);
}

/** Number of calls in the rolling window (now - 24 h, now]. */
export function callsInWindow(history: CapacityHistory, now: number): number {
  let n = 0;
  for (const t of history.calls) if (t > now - DAY_MS && t <= now) n++;
  return n;
}

/**
 * Add an UpdateShardCount call at `now` and prune calls older than 24 h. Pure: returns a new history.
 * @param direction - when given, also sets lastScaleUpAt or lastScaleDownAt (used by the cooldown)
 */
export function recordCall(history: CapacityHistory, now: number, direction?: 'up' | 'down'): CapacityHistory {
  const calls = history.calls.filter((t) => t > now - DAY_MS);
  calls.push(now);
  calls.sort((a, b) => a - b);
  const next: CapacityHistory = { ...history, calls };
  if (direction === 'up') next.lastScaleUpAt = now;
  if (direction === 'down') next.lastScaleDownAt = now;
  return next;
}

/**
 * History after acting on a decision: records a call (with its direction) when the decision is a
 * non-dry-run 'scale'; otherwise returns the history unchanged.
 */
export function recordDecision(history: CapacityHistory, decision: CapacityDecision, now: number): CapacityHistory {
  if (decision.action !== 'scale' || decision.dryRun) return history;
  return recordCall(history, now, decision.targetShards > decision.currentShards ? 'up' : 'down');
}

function fmtBytes(b: number): string {
  if (b >= 1_048_576) return `${(b / 1_048_576).toFixed(1)} MB/s`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KB/s`;
  return `${Math.round(b)} B/s`;
}

function fmtRecords(r: number): string {
  return `${String(Math.round(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} records/s`;
}

function plural(n: number): string {
  return `${n} shard${n === 1 ? '' : 's'}`;
}

function fmtMinutes(ms: number): string {
  return `${Math.round(ms / 60_000)} min`;
}

/** "forecast upper 3.4 MB/s needs 5 shards (25% headroom)" naming the binding dimension. */
function needText(f: CapacityForecast, l: CapacityLimits, required: number): string {
  const bytesBind = f.bytesPerSecUpper / l.perShardBytesPerSec >= f.recordsPerSecUpper / l.perShardRecordsPerSec;
  const load = bytesBind ? fmtBytes(f.bytesPerSecUpper) : fmtRecords(f.recordsPerSecUpper);
  const raw = shardsFor(f.bytesPerSecUpper, f.recordsPerSecUpper, 1 + l.headroom, l);
  const pct = `${Math.round(l.headroom * 100)}% headroom`;
  if (raw < required) return `forecast upper ${load} needs ${plural(raw)} (${pct}), raised to the floor of ${required}`;
  if (raw > required) return `forecast upper ${load} needs ${plural(raw)} (${pct}), capped at the ceiling of ${required}`;
  return `forecast upper ${load} needs ${plural(required)} (${pct})`;
}

/**
 * Decide the shard count for the next UpdateShardCount call, or to hold. See the module comment for
 * the rules. Pure and deterministic.
 * @throws RangeError on an invalid `now`, `currentShards`, `minConfidence` or limit. An unusable
 *   forecast (NaN, negative, confidence outside 0..1) or a stale one (horizon ended) gives 'hold'.
 */
export function decideShards(input: DecideShardsInput): CapacityDecision {
  const l = resolveCapacityLimits(input.limits);
  const { now, currentShards: current, forecast: f, history } = input;
  const dryRun = input.dryRun ?? false;
  const minConfidence = input.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  if (!Number.isFinite(now)) throw new RangeError(`capacity: now must be finite, got ${now}`);
  if (!(Number.isInteger(current) && current >= 1)) {
    throw new RangeError(`capacity: currentShards must be a positive integer, got ${current}`);
  }
  if (!(Number.isFinite(minConfidence) && minConfidence >= 0 && minConfidence <= 1)) {
    throw new RangeError(`capacity: minConfidence must be in [0, 1], got ${minConfidence}`);
  }

  const hold = (required: number, reason: string, confidence = f.confidence): CapacityDecision => ({
    action: 'hold',
    currentShards: current,
    targetShards: current,
    requiredShards: required,
    reason,
    dryRun,
    confidence,
  });
  const scale = (required: number, target: number, reason: string): CapacityDecision => ({
    action: 'scale',
    currentShards: current,
    targetShards: target,
    requiredShards: required,
    reason: dryRun ? `${reason} (dry run: not applied)` : reason,
    dryRun,
    confidence: f.confidence,
  });

  const problem = forecastProblem(f);
  if (problem !== undefined) {
    const confidence = Number.isFinite(f.confidence) ? f.confidence : 0;
    return hold(clamp(current, l), `forecast unusable (${problem}); holding ${plural(current)}`, confidence);
  }
  const required = clamp(shardsFor(f.bytesPerSecUpper, f.recordsPerSecUpper, 1 + l.headroom, l), l);
  if (f.horizonEnd <= now) {
    return hold(required, `forecast is stale (horizon ended ${fmtMinutes(now - f.horizonEnd)} ago); holding ${plural(current)}`);
  }

  const need = needText(f, l, required);
  const used = callsInWindow(history, now);
  const remaining = l.maxCallsPer24h - used;
  const confident = f.confidence >= minConfidence;
  const confText = `confidence ${f.confidence.toFixed(2)}`;

  if (required === current) return hold(required, `${need}; ${plural(current)} already match`);

  if (required > current) {
    if (remaining <= 0) {
      return hold(
        required,
        `${need}; no UpdateShardCount calls left (${used} of ${l.maxCallsPer24h} used in the last 24 h), holding ${plural(current)}`,
      );
    }
    const target = Math.min(required, current * 2);
    const step = target < required ? `; doubling limit allows ${target} now` : `; scaling up ${current} -> ${target}`;
    const low = confident ? '' : ` (${confText} below ${minConfidence}: scaling up only, from the upper bound)`;
    return scale(required, target, `${need}${step}${low}`);
  }

  // required < current: a scale-down candidate.
  const aboveCeiling = current > l.maxShards;
  if (!confident && !aboveCeiling) {
    return hold(
      required,
      `${need}; ${confText} below ${minConfidence}: low-confidence forecasts never scale down, holding ${plural(current)}`,
    );
  }
  const halfFloor = Math.ceil(current / 2);
  let wanted = required;
  if (!aboveCeiling) {
    const withMargin = clamp(
      shardsFor(f.bytesPerSecUpper, f.recordsPerSecUpper, 1 + l.headroom + l.scaleDownHysteresis, l),
      l,
    );
    const forMean = clamp(shardsFor(f.bytesPerSecMean, f.recordsPerSecMean, 1 + l.headroom, l), l);
    wanted = Math.max(required, withMargin, forMean);
    if (wanted >= current) {
      const why =
        forMean >= current
          ? `mean forecast still needs ${plural(forMean)}`
          : `with ${Math.round(l.scaleDownHysteresis * 100)}% hysteresis the upper bound still needs ${plural(withMargin)}`;
      return hold(required, `${need}; ${why}, holding ${plural(current)}`);
    }
  }
  if (remaining <= 0) {
    return hold(
      required,
      `${need}; no UpdateShardCount calls left (${used} of ${l.maxCallsPer24h} used in the last 24 h), holding ${plural(current)}`,
    );
  }
  if (remaining <= l.reserveCallsForScaleUp) {
    return hold(
      required,
      `${need}; only ${remaining} UpdateShardCount call${remaining === 1 ? '' : 's'} left in 24 h, kept for scale-up; holding ${plural(current)}`,
    );
  }
  if (!aboveCeiling) {
    let last = Math.max(history.lastScaleUpAt ?? -Infinity, history.lastScaleDownAt ?? -Infinity);
    for (const t of history.calls) if (t <= now && t > last) last = t;
    const since = now - last;
    if (since < l.scaleDownCooldownMs) {
      return hold(
        required,
        `${need}; scale-down cooldown: last change ${fmtMinutes(since)} ago, cooldown ${fmtMinutes(l.scaleDownCooldownMs)}; holding ${plural(current)}`,
      );
    }
  }
  const target = Math.max(wanted, halfFloor);
  const step =
    target > wanted
      ? `; halving limit allows ${target} now`
      : wanted > required
        ? `; scaling down ${current} -> ${target} (kept above ${required} by hysteresis)`
        : `; scaling down ${current} -> ${target}`;
  const ceil = aboveCeiling ? ` (above the ceiling of ${l.maxShards})` : '';
  return scale(required, target, `${need}${step}${ceil}`);
}
