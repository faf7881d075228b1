/**
 * One run of the capacity function, independent of middy/Lambda wiring: read the newly closed
 * windows, advance the volume forecaster and the recent mixes, write the shadow log, decide the
 * shard count and the scorer's memory and parallelization factor, record the decisions, apply them
 * (unless dry run), and publish "Capacity Adjusted".
 *
 * Every outside effect goes through a port, so the same code runs on AWS (SDK adapters), on the
 * emulators (the same adapters, other endpoints; no Lambda service there) and in unit tests.
 *
 * Order, and why:
 * 1. Load the state; a run whose time is not after the last run's is a duplicate (a retried
 *    scheduler delivery carries the same scheduled time) and does nothing.
 * 2. Decide, then save the state with the decided calls recorded (conditional on the revision read
 *    in 1, so two overlapping runs never both act), THEN call the AWS APIs. Recording first keeps
 *    the UpdateShardCount budget (10 calls per 24 h) conservative: a call that AWS refuses is
 *    removed again by a second conditional write; a crash between the two writes overcounts, never
 *    undercounts.
 * 3. A stream that is not ACTIVE (a shard change still in progress) is skipped with
 *    "skipped: stream updating"; a refused call (ResourceInUseException) likewise; the run never
 *    fails for it.
 *
 * Dry run: decisions are computed and reported (event, logs, metrics, shadow log); no capacity API
 * is called and no call is recorded. The forecaster still learns from the new windows (that is
 * not capacity, and a dry-run deployment would otherwise re-read days of history every run).
 */
import type { AlertPublisher } from '../adapters/alert-publisher';
import {
  decideShards,
  recordDecision,
  type CapacityDecision,
  type CapacityForecast,
  type CapacityHistory,
  type CapacityLimits,
} from '../core/capacity';
import {
  decideScorerSettings,
  recordScorerDecision,
  SCORER_DEPLOYED_DEFAULTS,
  type ScorerDecision,
  type ScorerHistory,
  type ScorerLimits,
  type ScorerSettings,
  type SettingDecision,
} from '../core/scorer-capacity';
import {
  accumulateMix,
  buildShadowLog,
  capacityForecastFromShadow,
  type LoadModel,
  type MixOptions,
  type MixState,
  type ShadowLog,
  type ShadowWindow,
} from '../core/shadow-log';
import {
  alignStep,
  forecastSeries,
  observeSteps,
  resolveVolumeConfig,
  windowsToSteps,
  type VolumeForecasterConfig,
  type VolumeForecasterState,
  type VolumeWindow,
} from '../core/volume-forecast';
import { EVENTS, shadowLogKey, type CapacityAdjustedDetail, type CapacitySettingReport } from '../core/resources';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A closed window as the capacity run needs it (volume for the forecaster, mix for the shadow log). */
export type CapacityWindow = VolumeWindow & ShadowWindow;

/** What the stream looks like now. */
export interface StreamState {
  /** DescribeStreamSummary StreamStatus. */
  status: 'CREATING' | 'DELETING' | 'ACTIVE' | 'UPDATING' | string;
  openShards: number;
  /** PROVISIONED streams can be resized; ON_DEMAND ones scale themselves. */
  mode: 'PROVISIONED' | 'ON_DEMAND' | string;
}

/** The stream's capacity API (functions/adapters/stream-capacity.ts). */
export interface StreamPort {
  describe(): Promise<StreamState>;
  /**
   * UpdateShardCount with UNIFORM_SCALING.
   * @throws an error named `StreamBusyError` when a change is already in progress
   */
  updateShardCount(target: number): Promise<void>;
  /** Polls until ACTIVE or the timeout; returns the last state seen (optional: local runs and tests). */
  waitForActive?(timeoutMs: number): Promise<StreamState>;
}

/** The scorer's current configuration. */
export interface ScorerConfigState extends ScorerSettings {
  /** A function update is in progress (LastUpdateStatus InProgress, or State Pending). */
  functionUpdating: boolean;
  /** The event source mapping is being created or updated. */
  mappingUpdating: boolean;
}

/** The scorer's configuration API (functions/adapters/function-config.ts). */
export interface ScorerConfigPort {
  read(): Promise<ScorerConfigState>;
  /** @throws an error named `FunctionBusyError` when an update is in progress */
  setMemory(memoryMb: number): Promise<void>;
  /** @throws an error named `FunctionBusyError` when the mapping is being updated */
  setParallelization(factor: number): Promise<void>;
}

/** Closed windows of every partition (functions/adapters/volume-history.ts). */
export interface VolumeHistoryPort {
  /** Windows with `from <= windowStart < to`. */
  windows(from: number, to: number): Promise<CapacityWindow[]>;
}

/** The capacity function's persistent state (one item per stream in the state table). */
export interface CapacityState {
  /** Incremented by every save; saves are conditional on it. */
  revision: number;
  /** Time of the last run that saved, epoch ms. */
  lastRunAt: number;
  forecaster: VolumeForecasterState;
  mixes: Record<string, MixState>;
  shards: CapacityHistory;
  scorer: ScorerHistory;
  /** The last run's decisions, with their reasons. */
  lastDecisions: CapacitySettingReport[];
}

/** Where the state lives (functions/adapters/capacity-state-store.ts). */
export interface CapacityStatePort {
  load(): Promise<CapacityState | null>;
  /** Saves when the stored revision is `expectedRevision` (null: no state yet); false when another run won. */
  save(state: CapacityState, expectedRevision: number | null): Promise<boolean>;
}

/** Where shadow logs go (dataset bucket: the run's key, and the latest). */
export interface ShadowLogPort {
  put(key: string, log: ShadowLog): Promise<void>;
}

/** Everything a run talks to. */
export interface CapacityPorts {
  stream: StreamPort;
  /** Null: the Lambda-side decisions are computed and reported, never applied (`notAppliedReason`). */
  scorer: ScorerConfigPort | null;
  volume: VolumeHistoryPort;
  state: CapacityStatePort;
  shadow: ShadowLogPort;
  events: AlertPublisher;
}

/** Options of {@link runCapacity}. */
export interface CapacityRunOptions {
  /** Stream name (reported in events). */
  stream: string;
  limits?: Partial<CapacityLimits>;
  scorerLimits?: Partial<ScorerLimits>;
  /** Confidence at which forecasts act in full steps both ways. Default 0.6. */
  minConfidence?: number;
  /** How events become Kinesis load. */
  load?: LoadModel;
  /** How far ahead decisions look, minutes. Default 60 (the capacity simulation bench: a 15-minute horizon spent the 10 calls a day on one-shard steps up the daily curve and had none left for surges). */
  horizonMinutes?: number;
  /** How often runs happen (the shadow log's refresh), minutes. Default 5. */
  refreshMinutes?: number;
  /**
   * How long after a minute ends its window is surely closed and stored. Default 5 min (the
   * closer's default allowed lateness, 2 min, plus its 1-minute cadence and margin).
   */
  settleMs?: number;
  /** Days of history read when there is no state (or it is too far behind). Default 3. */
  bootstrapDays?: number;
  /** A state further behind than this is rebuilt from history instead of caught up. Default 6 h. */
  maxCatchUpMs?: number;
  volume?: Partial<VolumeForecasterConfig>;
  mix?: MixOptions;
  /** After an applied UpdateShardCount, wait this long for ACTIVE (0: do not wait). Default 0. */
  waitForActiveMs?: number;
  /** Scorer settings assumed when there is no scorer port. Default: the stack's (1024 MB, factor 1). */
  assumedScorer?: ScorerSettings;
  /** Outcome of Lambda-side decisions without a scorer port. Default 'not applied: no scorer function configured'. */
  notAppliedReason?: string;
}

/** What one run did. */
export interface CapacityRunReport {
  /** `ran`; `duplicate`: not after the last run (nothing done); `conflict`: another run saved first (nothing applied). */
  status: 'ran' | 'duplicate' | 'conflict';
  time: string;
  dryRun: boolean;
  stream: StreamState | null;
  /** Open shards after the run (after waiting, when `waitForActiveMs` > 0). */
  openShardsAfter: number | null;
  forecast: CapacityForecast | null;
  decisions: CapacitySettingReport[];
  shadow: { key: string; partitions: number; waking: string[]; totals: ShadowLog['totals'] } | null;
  observed: { bootstrapped: boolean; windows: number; through: string | null };
  eventPublished: boolean;
  /** One line for humans. */
  message: string;
}

const NOT_APPLIED_DEFAULT = 'not applied: no scorer function configured';

function isNamed(err: unknown, ...names: string[]): boolean {
  return typeof err === 'object' && err !== null && names.includes((err as { name?: string }).name ?? '');
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function holdDecision(current: number, reason: string, dryRun: boolean): CapacityDecision {
  return { action: 'hold', currentShards: current, targetShards: current, requiredShards: current, reason, dryRun, confidence: 0 };
}

function settingHold(current: number, reason: string, dryRun: boolean): SettingDecision {
  return { action: 'hold', current, target: current, required: current, reason, dryRun, confidence: 0 };
}

function groupByPartition(windows: readonly CapacityWindow[]): Map<string, CapacityWindow[]> {
  const by = new Map<string, CapacityWindow[]>();
  for (const w of windows) {
    const list = by.get(w.partition);
    if (list) list.push(w);
    else by.set(w.partition, [w]);
  }
  return by;
}

/**
 * Runs the capacity function once at `now`. See the module comment for the order of effects.
 * @throws whatever a port throws while reading (state, stream, scorer configuration, windows);
 *   errors of the capacity APIs are reported as `failed: ...` outcomes, never thrown
 */
export async function runCapacity(
  input: { now: number; dryRun?: boolean },
  ports: CapacityPorts,
  options: CapacityRunOptions,
): Promise<CapacityRunReport> {
  const { now } = input;
  const dryRun = input.dryRun ?? false;
  const time = new Date(now).toISOString();
  const state = await ports.state.load();
  const empty = (status: CapacityRunReport['status'], message: string): CapacityRunReport => ({
    status,
    time,
    dryRun,
    stream: null,
    openShardsAfter: null,
    forecast: null,
    decisions: [],
    shadow: null,
    observed: { bootstrapped: false, windows: 0, through: null },
    eventPublished: false,
    message,
  });
  if (state && now <= state.lastRunAt) {
    return empty('duplicate', `run at ${time} skipped: the last run was at ${new Date(state.lastRunAt).toISOString()}`);
  }

  // ---- 1. new closed windows -> forecaster and mixes ----
  const cfg = resolveVolumeConfig(state?.forecaster.config ?? options.volume);
  const settleMs = options.settleMs ?? 5 * MINUTE;
  const settled = alignStep(now - settleMs, cfg.stepMs);
  const maxCatchUp = options.maxCatchUpMs ?? 6 * 3_600_000;
  let forecaster = state?.forecaster ?? null;
  let mixes: Record<string, MixState> = state ? { ...state.mixes } : {};
  let bootstrapped = false;
  let windowsRead = 0;
  const through = forecaster?.observedThrough ?? null;
  if (forecaster === null || through === null || settled - through > maxCatchUp) {
    const days = options.bootstrapDays ?? 3;
    const from = alignStep(settled, DAY) - days * DAY;
    const windows = await ports.volume.windows(from, settled);
    windowsRead = windows.length;
    forecaster = observeSteps(null, windowsToSteps(windows, from, settled, cfg.stepMs), { fit: true, config: cfg });
    mixes = {};
    // The mix only remembers a few half-lives: the last 3 hours are plenty.
    const recent = windows.filter((w) => w.windowStart >= settled - 3 * 3_600_000);
    for (const [p, list] of groupByPartition(recent)) mixes[p] = accumulateMix(undefined, list, options.mix);
    bootstrapped = true;
  } else if (settled > through) {
    const windows = await ports.volume.windows(through, settled);
    windowsRead = windows.length;
    forecaster = observeSteps(forecaster, windowsToSteps(windows, through, settled, cfg.stepMs));
    for (const [p, list] of groupByPartition(windows)) mixes[p] = accumulateMix(mixes[p], list, options.mix);
  }
  for (const p of Object.keys(mixes)) if (!forecaster.partitions[p]) delete mixes[p];

  // ---- 2. forecasts -> shadow log -> the stream's load over the horizon ----
  const horizonMinutes = options.horizonMinutes ?? 60;
  const observedThrough = forecaster.observedThrough ?? settled;
  const steps = Math.max(1, Math.ceil((now + horizonMinutes * MINUTE - observedThrough) / cfg.stepMs));
  const shadow = buildShadowLog({
    now,
    horizonMinutes,
    refreshMinutes: options.refreshMinutes ?? 5,
    stepMs: cfg.stepMs,
    observedThrough: forecaster.observedThrough,
    totals: {
      events: forecastSeries(forecaster.events, cfg, observedThrough, steps),
      bytes: forecastSeries(forecaster.bytes, cfg, observedThrough, steps),
    },
    partitions: Object.entries(forecaster.partitions).map(([partition, s]) => ({
      partition,
      forecast: forecastSeries(s, cfg, observedThrough, steps),
      mix: mixes[partition],
      recent: s.recent,
    })),
  });
  const forecast = capacityForecastFromShadow(shadow, options.load);

  // ---- 3. decisions ----
  const stream = await ports.stream.describe();
  const shardHistory: CapacityHistory = state?.shards ?? { calls: [] };
  let shards: CapacityDecision;
  let shardOutcome: string;
  if (stream.mode === 'ON_DEMAND') {
    shards = holdDecision(stream.openShards, 'the stream is in ON_DEMAND mode: Kinesis sizes it, UpdateShardCount does not apply', dryRun);
    shardOutcome = 'skipped: on-demand stream';
  } else if (stream.status !== 'ACTIVE') {
    shards = holdDecision(stream.openShards, `stream is ${stream.status} (a shard change is still in progress); waiting for the next run`, dryRun);
    shardOutcome = stream.status === 'UPDATING' ? 'skipped: stream updating' : `skipped: stream ${stream.status.toLowerCase()}`;
  } else if (!forecast) {
    shards = holdDecision(stream.openShards, `no forecast yet (${windowsRead} windows read, too little history); holding ${stream.openShards} shards`, dryRun);
    shardOutcome = 'hold';
  } else {
    shards = decideShards({ now, currentShards: stream.openShards, forecast, history: shardHistory, limits: options.limits, dryRun, minConfidence: options.minConfidence });
    shardOutcome = shards.action === 'hold' ? 'hold' : dryRun ? 'dry-run' : 'pending';
  }

  const notApplied = options.notAppliedReason ?? NOT_APPLIED_DEFAULT;
  const scorerConfig = ports.scorer ? await ports.scorer.read() : null;
  const currentScorer: ScorerSettings = scorerConfig ?? options.assumedScorer ?? { ...SCORER_DEPLOYED_DEFAULTS };
  const scorerHistory: ScorerHistory = state?.scorer ?? {};
  let scorer: ScorerDecision;
  if (!forecast || !shadow.totals) {
    scorer = {
      memory: settingHold(currentScorer.memoryMb, 'no forecast yet; holding the memory', dryRun),
      parallelization: settingHold(currentScorer.parallelizationFactor, 'no forecast yet; holding the parallelization factor', dryRun),
      vcpuPerInvocation: 0,
    };
  } else {
    const k = options.load?.loadMultiplier ?? 1;
    scorer = decideScorerSettings({
      now,
      current: currentScorer,
      load: {
        eventsPerSecUpper: shadow.totals.eventsPerSec.upper * k,
        eventsPerSecMean: shadow.totals.eventsPerSec.mean * k,
        // While a scale-up is pending, the load is still on the current shards (conservative).
        shards: Math.max(1, Math.min(stream.openShards, shards.targetShards)),
        confidence: shadow.totals.confidence,
      },
      history: scorerHistory,
      limits: options.scorerLimits,
      dryRun,
      minConfidence: options.minConfidence,
    });
  }
  const lambdaOutcome = (d: SettingDecision, busy: boolean, busyText: string): string => {
    if (d.action === 'hold') return 'hold';
    if (dryRun) return 'dry-run';
    if (!ports.scorer) return notApplied;
    if (busy) return busyText;
    return 'pending';
  };
  let memoryOutcome = lambdaOutcome(scorer.memory, scorerConfig?.functionUpdating ?? false, 'skipped: function update in progress');
  let factorOutcome = lambdaOutcome(scorer.parallelization, scorerConfig?.mappingUpdating ?? false, 'skipped: event source mapping updating');

  // ---- 4. record, then apply ----
  const planned = (shardsDone: boolean, memDone: boolean, factorDone: boolean): Pick<CapacityState, 'shards' | 'scorer'> => ({
    shards: shardsDone ? recordDecision(shardHistory, shards, now) : shardHistory,
    scorer: recordScorerDecision(scorerHistory, scorer, now, { memory: memDone, parallelization: factorDone }),
  });
  const reports = (): CapacitySettingReport[] => [
    { setting: 'shards', action: shards.action, current: shards.currentShards, target: shards.targetShards, required: shards.requiredShards, outcome: shardOutcome, reason: shards.reason, confidence: shards.confidence },
    { setting: 'scorerMemoryMb', action: scorer.memory.action, current: scorer.memory.current, target: scorer.memory.target, required: scorer.memory.required, outcome: memoryOutcome, reason: scorer.memory.reason, confidence: scorer.memory.confidence },
    { setting: 'parallelizationFactor', action: scorer.parallelization.action, current: scorer.parallelization.current, target: scorer.parallelization.target, required: scorer.parallelization.required, outcome: factorOutcome, reason: scorer.parallelization.reason, confidence: scorer.parallelization.confidence },
  ];
  const next: CapacityState = {
    revision: (state?.revision ?? 0) + 1,
    lastRunAt: now,
    forecaster,
    mixes,
    ...planned(shardOutcome === 'pending', memoryOutcome === 'pending', factorOutcome === 'pending'),
    lastDecisions: reports(),
  };
  if (!(await ports.state.save(next, state ? state.revision : null))) {
    return empty('conflict', `run at ${time}: another capacity run saved first; nothing applied`);
  }

  let openShardsAfter: number | null = stream.openShards;
  if (shardOutcome === 'pending') {
    try {
      await ports.stream.updateShardCount(shards.targetShards);
      shardOutcome = 'applied';
      if ((options.waitForActiveMs ?? 0) > 0 && ports.stream.waitForActive) {
        openShardsAfter = (await ports.stream.waitForActive(options.waitForActiveMs ?? 0)).openShards;
      }
    } catch (err) {
      shardOutcome = isNamed(err, 'StreamBusyError') ? 'skipped: stream updating' : `failed: ${errText(err)}`;
    }
  }
  if (memoryOutcome === 'pending' && ports.scorer) {
    try {
      await ports.scorer.setMemory(scorer.memory.target);
      memoryOutcome = 'applied';
    } catch (err) {
      memoryOutcome = isNamed(err, 'FunctionBusyError') ? 'skipped: function update in progress' : `failed: ${errText(err)}`;
    }
  }
  if (factorOutcome === 'pending' && ports.scorer) {
    try {
      await ports.scorer.setParallelization(scorer.parallelization.target);
      factorOutcome = 'applied';
    } catch (err) {
      factorOutcome = isNamed(err, 'FunctionBusyError') ? 'skipped: event source mapping updating' : `failed: ${errText(err)}`;
    }
  }
  const decisions = reports();
  if (next.lastDecisions.some((d) => d.outcome === 'pending')) {
    // Final outcomes, and un-record what did not happen; best effort (if this write is lost, the
    // budget stays overcounted, which is the safe side).
    const fixed: CapacityState = {
      ...next,
      revision: next.revision + 1,
      ...planned(shardOutcome === 'applied', memoryOutcome === 'applied', factorOutcome === 'applied'),
      lastDecisions: decisions,
    };
    await ports.state.save(fixed, next.revision).catch(() => false);
  }

  // ---- 5. report ----
  const key = shadowLogKey(now);
  await ports.shadow.put(key, shadow);
  const detail: CapacityAdjustedDetail = {
    stream: options.stream,
    time,
    dryRun,
    decisions,
    forecast: forecast
      ? {
          horizonStart: new Date(forecast.horizonStart).toISOString(),
          horizonEnd: new Date(forecast.horizonEnd).toISOString(),
          recordsPerSecMean: forecast.recordsPerSecMean,
          recordsPerSecUpper: forecast.recordsPerSecUpper,
          bytesPerSecMean: forecast.bytesPerSecMean,
          bytesPerSecUpper: forecast.bytesPerSecUpper,
          eventsPerSecUpper: (shadow.totals?.eventsPerSec.upper ?? 0) * (options.load?.loadMultiplier ?? 1),
          confidence: forecast.confidence,
        }
      : null,
    waking: shadow.waking.map((w) => w.partition),
    shadowLogKey: key,
  };
  const publish = decisions.some((d) => d.action === 'scale' || d.outcome.startsWith('skipped') || d.outcome.startsWith('failed'));
  if (publish) await ports.events.publish(EVENTS.capacityAdjusted, detail);

  const s = decisions[0];
  const message =
    `${time.slice(0, 16)}Z shards ${s.current}${s.action === 'scale' ? ` -> ${s.target}` : ''} (${s.outcome})` +
    (forecast ? `, forecast upper ${Math.round(forecast.recordsPerSecUpper).toLocaleString('en-US')} records/s, confidence ${forecast.confidence.toFixed(2)}` : ', no forecast yet') +
    `; scorer ${decisions[1].current} MB${decisions[1].action === 'scale' ? ` -> ${decisions[1].target} MB (${decisions[1].outcome})` : ''}` +
    `, factor ${decisions[2].current}${decisions[2].action === 'scale' ? ` -> ${decisions[2].target} (${decisions[2].outcome})` : ''}` +
    (shadow.waking.length ? `; waking: ${shadow.waking.map((w) => w.partition).join(', ')}` : '');
  return {
    status: 'ran',
    time,
    dryRun,
    stream,
    openShardsAfter,
    forecast,
    decisions,
    shadow: { key, partitions: shadow.partitions.length, waking: shadow.waking.map((w) => w.partition), totals: shadow.totals },
    observed: { bootstrapped, windows: windowsRead, through: forecaster.observedThrough === null ? null : new Date(forecaster.observedThrough).toISOString() },
    eventPublished: publish,
    message,
  };
}
