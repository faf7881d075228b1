/**
 * Scorer sizing policy of the capacity function: the scorer Lambda's memory
 * (UpdateFunctionConfiguration) and its Kinesis event source mapping's parallelization factor
 * (UpdateEventSourceMapping), from the forecast compute need.
 *
 * Pure: no SDK, no I/O, no clock.
 *
 * Compute model. One scorer invocation runs per shard and per parallelization slot, so the load of
 * one invocation is `eventsPerSec / (shards * parallelizationFactor)`. The CPU it needs is
 * `eventsPerSec/invocation * cpuMsPerEvent / 1000` vCPU, sized for `targetUtilisation` (so a
 * burst has room). Lambda gives CPU in proportion to memory, one vCPU at 1,769 MB; the scorer's
 * JavaScript runs on one thread, so memory above one vCPU buys nothing: past it the policy raises
 * the parallelization factor instead (1..10), and memory goes back to what one slot needs.
 * `cpuMsPerEvent` defaults to 0.05 ms: scoreBatch measured 0.03 ms of CPU per event warm
 * (decode, parse, template, aggregate; 11k demo events, Node 20, one core of the development
 * machine) plus a margin for the DynamoDB client's request signing and marshalling.
 *
 * Granularity, as for shards (functions/core/capacity.ts): a forecast with confidence >=
 * minConfidence moves straight to the target, both ways; a less confident one only scales up, one
 * step at a time (the next memory step, or the factor + 1), and never down. Scaling down needs the
 * mean forecast and the upper bound with hysteresis to fit the smaller setting, and waits for the
 * cooldown after that setting's last change. Memory changes only when the target differs from the
 * current size by at least one `memoryStepMb` (a function set by hand to 1000 MB is not "moved" to
 * 1024 MB).
 */

/** Limits and tuning of the scorer sizing. All fields have defaults ({@link DEFAULT_SCORER_LIMITS}). */
export interface ScorerLimits {
  /** Scorer CPU time per event, ms. Default 0.05. */
  cpuMsPerEvent: number;
  /** Share of the allotted CPU one invocation should use at the forecast load. Default 0.5. */
  targetUtilisation: number;
  /** Memory that buys one vCPU, MB. Default 1769 (Lambda). */
  mbPerVcpu: number;
  /** Smallest memory, MB (profiles and the template miner live in memory). Default 512. */
  memoryFloorMb: number;
  /** Largest memory, MB (one vCPU: the JavaScript runs on one thread). Default 1792. */
  memoryCeilingMb: number;
  /** Memory granularity, MB: targets are floor + k * step. Default 256. */
  memoryStepMb: number;
  /** Parallelization factor bounds (Lambda allows 1..10). Defaults 1 and 10. */
  minParallelization: number;
  maxParallelization: number;
  /**
   * No scale-down within this long of the setting's last change. Default 60 min: a shard change
   * moves the per-shard load, and memory would otherwise follow it down and up again.
   */
  scaleDownCooldownMs: number;
  /** Extra headroom on the upper bound before scaling down. Default 0.15. */
  scaleDownHysteresis: number;
}

/** Defaults of {@link ScorerLimits}. */
export const DEFAULT_SCORER_LIMITS: Readonly<ScorerLimits> = Object.freeze({
  cpuMsPerEvent: 0.05,
  targetUtilisation: 0.5,
  mbPerVcpu: 1769,
  memoryFloorMb: 512,
  memoryCeilingMb: 1792,
  memoryStepMb: 256,
  minParallelization: 1,
  maxParallelization: 10,
  scaleDownCooldownMs: 60 * 60_000,
  scaleDownHysteresis: 0.15,
});

/** The scorer's settings as deployed by the stack (ScorerFunction defaults). */
export const SCORER_DEPLOYED_DEFAULTS = Object.freeze({ memoryMb: 1024, parallelizationFactor: 1 });

/** The scorer's current settings. */
export interface ScorerSettings {
  memoryMb: number;
  parallelizationFactor: number;
}

/** Forecast load the scorer must absorb (whole stream, per second). */
export interface ScorerLoad {
  eventsPerSecUpper: number;
  eventsPerSecMean: number;
  /** Open shards the load is spread over. */
  shards: number;
  confidence: number;
}

/** Past changes of the scorer's settings. */
export interface ScorerHistory {
  lastMemoryChangeAt?: number;
  lastParallelizationChangeAt?: number;
}

/** Decision on one setting. On 'hold', `target === current`. */
export interface SettingDecision {
  action: 'scale' | 'hold';
  current: number;
  target: number;
  /** What the forecast needs (within the bounds). */
  required: number;
  reason: string;
  dryRun: boolean;
  confidence: number;
}

/** Decisions on both settings. */
export interface ScorerDecision {
  memory: SettingDecision;
  parallelization: SettingDecision;
  /** vCPU one invocation needs at the upper bound with the required factor. */
  vcpuPerInvocation: number;
}

/** Input of {@link decideScorerSettings}. */
export interface DecideScorerInput {
  now: number;
  current: ScorerSettings;
  load: ScorerLoad;
  history: ScorerHistory;
  limits?: Partial<ScorerLimits>;
  dryRun?: boolean;
  /** Default 0.6 (as for shards). */
  minConfidence?: number;
}

/**
 * Fills in defaults and checks the limits.
 * @throws RangeError naming the bad limit
 */
export function resolveScorerLimits(limits?: Partial<ScorerLimits>): ScorerLimits {
  const l: ScorerLimits = { ...DEFAULT_SCORER_LIMITS };
  for (const [k, v] of Object.entries(limits ?? {})) if (v !== undefined && k in l) (l as unknown as Record<string, number>)[k] = v;
  for (const k of ['cpuMsPerEvent', 'mbPerVcpu', 'memoryFloorMb', 'memoryStepMb'] as const) {
    if (!(Number.isFinite(l[k]) && l[k] > 0)) throw new RangeError(`scorer capacity: ${k} must be > 0, got ${l[k]}`);
  }
  if (!(l.targetUtilisation > 0 && l.targetUtilisation <= 1)) {
    throw new RangeError(`scorer capacity: targetUtilisation must be in (0, 1], got ${l.targetUtilisation}`);
  }
  if (!(l.memoryFloorMb >= 128 && l.memoryCeilingMb <= 10240 && l.memoryCeilingMb >= l.memoryFloorMb)) {
    throw new RangeError(`scorer capacity: need 128 <= memoryFloorMb <= memoryCeilingMb <= 10240, got ${l.memoryFloorMb}..${l.memoryCeilingMb}`);
  }
  if (!(Number.isInteger(l.minParallelization) && Number.isInteger(l.maxParallelization) && l.minParallelization >= 1 && l.maxParallelization <= 10 && l.minParallelization <= l.maxParallelization)) {
    throw new RangeError(`scorer capacity: need integers 1 <= minParallelization <= maxParallelization <= 10, got ${l.minParallelization}..${l.maxParallelization}`);
  }
  if (!(l.scaleDownCooldownMs >= 0 && l.scaleDownHysteresis >= 0)) throw new RangeError('scorer capacity: cooldown and hysteresis must be >= 0');
  return l;
}

/** Memory steps: floor, floor + step, ..., capped at (and always including) the ceiling. */
export function memoryLadder(limits?: Partial<ScorerLimits>): number[] {
  const l = resolveScorerLimits(limits);
  const out: number[] = [];
  for (let m = l.memoryFloorMb; m < l.memoryCeilingMb; m += l.memoryStepMb) out.push(m);
  out.push(l.memoryCeilingMb);
  return out;
}

/** Settings an events/s load over `shards` shards needs: the smallest factor, then the smallest memory step. */
export function requiredScorerSettings(
  eventsPerSec: number,
  shards: number,
  limits?: Partial<ScorerLimits>,
): ScorerSettings & { vcpuPerShard: number; vcpuPerInvocation: number } {
  const l = resolveScorerLimits(limits);
  if (!(Number.isFinite(eventsPerSec) && eventsPerSec >= 0)) throw new RangeError(`scorer capacity: eventsPerSec must be finite and >= 0, got ${eventsPerSec}`);
  if (!(Number.isInteger(shards) && shards >= 1)) throw new RangeError(`scorer capacity: shards must be a positive integer, got ${shards}`);
  const vcpuPerShard = ((eventsPerSec / shards) * l.cpuMsPerEvent) / 1000 / l.targetUtilisation;
  const vcpuAtCeiling = Math.min(1, l.memoryCeilingMb / l.mbPerVcpu);
  const factor = Math.min(l.maxParallelization, Math.max(l.minParallelization, Math.ceil(vcpuPerShard / vcpuAtCeiling - 1e-9)));
  const vcpuPerInvocation = vcpuPerShard / factor;
  const wantMb = vcpuPerInvocation * l.mbPerVcpu;
  const ladder = memoryLadder(l);
  const memoryMb = ladder.find((m) => m >= wantMb - 1e-9) ?? l.memoryCeilingMb;
  return { memoryMb, parallelizationFactor: factor, vcpuPerShard, vcpuPerInvocation };
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

/**
 * Decides the scorer's memory and parallelization factor. See the module comment for the model and
 * the rules. Pure and deterministic.
 * @throws RangeError on an invalid input or limit
 */
export function decideScorerSettings(input: DecideScorerInput): ScorerDecision {
  const l = resolveScorerLimits(input.limits);
  const { now, current, load, history } = input;
  const dryRun = input.dryRun ?? false;
  const minConfidence = input.minConfidence ?? 0.6;
  if (!(Number.isInteger(current.parallelizationFactor) && current.parallelizationFactor >= 1)) {
    throw new RangeError(`scorer capacity: current parallelizationFactor must be a positive integer, got ${current.parallelizationFactor}`);
  }
  if (!(Number.isFinite(current.memoryMb) && current.memoryMb > 0)) throw new RangeError(`scorer capacity: current memoryMb must be > 0, got ${current.memoryMb}`);
  const confident = load.confidence >= minConfidence;
  const need = requiredScorerSettings(load.eventsPerSecUpper, load.shards, l);
  const withMargin = requiredScorerSettings(load.eventsPerSecUpper * (1 + l.scaleDownHysteresis), load.shards, l);
  const forMean = requiredScorerSettings(load.eventsPerSecMean, load.shards, l);
  const ladder = memoryLadder(l);
  const perShard = load.eventsPerSecUpper / load.shards;
  const basis =
    `forecast upper ${Math.round(load.eventsPerSecUpper).toLocaleString('en-US')} events/s over ${load.shards} shard${load.shards === 1 ? '' : 's'} ` +
    `(${Math.round(perShard).toLocaleString('en-US')}/shard x ${l.cpuMsPerEvent} ms CPU = ${fmt(need.vcpuPerShard)} vCPU at ${Math.round(l.targetUtilisation * 100)}% target)`;
  const confText = `confidence ${fmt(load.confidence)} below ${minConfidence}`;

  const decide = (
    name: string,
    unit: string,
    cur: number,
    required: number,
    keep: number,
    nextUp: (c: number) => number,
    lastChange: number | undefined,
    min: number,
    max: number,
    step: number,
  ): SettingDecision => {
    const hold = (reason: string): SettingDecision => ({ action: 'hold', current: cur, target: cur, required, reason, dryRun, confidence: load.confidence });
    const scale = (target: number, reason: string): SettingDecision => ({
      action: 'scale',
      current: cur,
      target,
      required,
      reason: dryRun ? `${reason} (dry run: not applied)` : reason,
      dryRun,
      confidence: load.confidence,
    });
    const needs = `${basis} needs ${name} ${required}${unit}`;
    if (cur < min || cur > max) {
      const target = Math.min(max, Math.max(min, cur));
      return scale(target, `${needs}; ${cur}${unit} is outside ${min}..${max}${unit}, moving to ${target}${unit}`);
    }
    if (Math.abs(required - cur) < step - 1e-9) return hold(`${needs}; ${cur}${unit} is within one step`);
    if (required > cur) {
      if (confident) return scale(required, `${needs}; scaling up ${cur} -> ${required}${unit}`);
      const target = Math.min(required, nextUp(cur));
      return scale(target, `${needs}; ${confText}: one step up, ${cur} -> ${target}${unit}`);
    }
    if (!confident) return hold(`${needs}; ${confText}: low-confidence forecasts never scale down, holding ${cur}${unit}`);
    if (keep >= cur - step + 1e-9) {
      return hold(`${needs}; the mean forecast or the upper bound with ${Math.round(l.scaleDownHysteresis * 100)}% hysteresis still needs ${keep}${unit}, holding ${cur}${unit}`);
    }
    if (lastChange !== undefined && now - lastChange < l.scaleDownCooldownMs) {
      return hold(`${needs}; scale-down cooldown: last change ${Math.round((now - lastChange) / 60_000)} min ago, cooldown ${Math.round(l.scaleDownCooldownMs / 60_000)} min; holding ${cur}${unit}`);
    }
    return scale(keep, `${needs}; scaling down ${cur} -> ${keep}${unit}`);
  };

  const parallelization = decide(
    'parallelization factor',
    '',
    current.parallelizationFactor,
    need.parallelizationFactor,
    Math.max(need.parallelizationFactor, withMargin.parallelizationFactor, forMean.parallelizationFactor),
    (c) => c + 1,
    history.lastParallelizationChangeAt,
    l.minParallelization,
    l.maxParallelization,
    1,
  );
  // Memory for the factor the scorer will run with (the new one when it changes now).
  const factor = parallelization.target;
  const memFor = (eventsPerSec: number): number =>
    ladder.find((m) => m >= ((eventsPerSec / load.shards / factor) * l.cpuMsPerEvent * l.mbPerVcpu) / 1000 / l.targetUtilisation - 1e-9) ??
    l.memoryCeilingMb;
  const memRequired = memFor(load.eventsPerSecUpper);
  const memory = decide(
    'memory',
    ' MB',
    current.memoryMb,
    memRequired,
    Math.max(memRequired, memFor(load.eventsPerSecUpper * (1 + l.scaleDownHysteresis)), memFor(load.eventsPerSecMean)),
    (c) => ladder.find((m) => m > c + 1e-9) ?? l.memoryCeilingMb,
    history.lastMemoryChangeAt,
    l.memoryFloorMb,
    l.memoryCeilingMb,
    l.memoryStepMb,
  );
  return { memory, parallelization, vcpuPerInvocation: need.vcpuPerInvocation };
}

/** History after acting on a decision (non-dry-run 'scale' records the change time). Pure. */
export function recordScorerDecision(history: ScorerHistory, decision: ScorerDecision, now: number, applied: { memory: boolean; parallelization: boolean }): ScorerHistory {
  const next = { ...history };
  if (applied.memory && decision.memory.action === 'scale' && !decision.memory.dryRun) next.lastMemoryChangeAt = now;
  if (applied.parallelization && decision.parallelization.action === 'scale' && !decision.parallelization.dryRun) next.lastParallelizationChangeAt = now;
  return next;
}
