/**
 * A scenario run as it is asked for from the console (Step Functions execution input) or by a direct
 * Lambda invoke: a library scenario or a custom spec whose times may be relative to the run's start,
 * plus how to run it. {@link planScenarioRun} validates it (errors say what to fix) and decides the
 * run: its id, incidents and ground truth, the stretch of time to generate, the partitions.
 *
 * ```json
 * { "scenario": "error-burst", "partitions": ["checkout#us-east-1"], "startInMinutes": 5,
 *   "durationMinutes": 10, "magnitude": 0.3, "replay": true, "seed": 7, "source": "auto" }
 * { "name": "my-test", "incidents": [{ "kind": "latency", "partition": "checkout#us-east-1",
 *   "startInMinutes": 5, "durationMinutes": 5, "magnitude": 4 }], "replay": true }
 * ```
 * Pure: no SDK, no clock (the caller passes `now`).
 */
import { z } from 'zod';
import { labelsFor, partitionOf, type IncidentLabel, type IncidentSpec } from './incidents';
import { resolveScenario, ScenarioSpecError, SCENARIO_NAMES } from './scenarios';
import { DEFAULT_SERVICES, withOverrides, type ServiceSpec } from './services';
import { SOURCE_OPTIONS, type SourceOption } from './generation-source';

const MINUTE = 60_000;

/** Limits and defaults of a run. */
export const SCENARIO_RUN_LIMITS = {
  /** Longest replayed stretch, minutes (a Standard workflow's 25,000 history events; ~9 per minute). */
  maxReplayMinutes: 720,
  /** Longest generated-only stretch, minutes (all events are held in memory, then stored: 12 h of the 8 synthetic partitions is ~1 GB). */
  maxGenerateMinutes: 720,
  /** A replay may start at most this long after the run (the execution waits until then). */
  maxStartDelayMinutes: 1440,
  /** Default minutes from the run's start to a library scenario's start. */
  startInMinutes: 5,
  /** Default quiet minutes generated before the first incident and after the last one. */
  leadMinutes: 5,
  quietMinutes: 10,
  seed: 7,
  scale: 1,
} as const;

/** Keys of the input that say how to run (every other key belongs to the scenario spec). */
export const RUN_OPTION_KEYS = ['replay', 'seed', 'scale', 'recordsPerSecond', 'shardCount', 'shardShare', 'leadMinutes', 'quietMinutes', 'allPartitions', 'runId', 'source', 'windows'] as const;

const runOptionsSchema = z
  .object({
    replay: z.boolean().optional(),
    seed: z.number().int().optional(),
    scale: z.number().positive().max(50).optional(),
    recordsPerSecond: z.number().int().min(1).optional(),
    shardCount: z.number().int().min(1).max(10_000).optional(),
    shardShare: z.number().gt(0).max(1).optional(),
    leadMinutes: z.number().int().min(0).max(60).optional(),
    quietMinutes: z.number().int().min(0).max(120).optional(),
    allPartitions: z.boolean().optional(),
    runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" and "-" (at most 128)').optional(),
    source: z.enum(SOURCE_OPTIONS).optional(),
    windows: z.enum(['stats', 'vae']).optional(),
  })
  .strict();

/** How to run, with defaults applied. */
export interface ScenarioRunOptions {
  /** Put the events into the stream, paced in real time, and report on what the pipeline found. Default false: generate and store only. */
  replay: boolean;
  seed: number;
  /** Traffic multiplier of the synthetic services (use the scale their baselines were learned at). */
  scale: number;
  /** Cap on records per second over the stream (default: the shards' share only). */
  recordsPerSecond?: number;
  /** Open shards, instead of asking DescribeStreamSummary. */
  shardCount?: number;
  /** Share of each shard's write limits the replay may use (default 0.5). */
  shardShare?: number;
  leadMinutes: number;
  quietMinutes: number;
  /** Generate every synthetic partition (clean ones give the false-alert rate), not only the scenario's. */
  allPartitions: boolean;
  /**
   * Where the events come from: `profile` (each partition's CURRENT profile, window features from
   * the VAE decoder when the profile names a model), `services` (the hand-written service
   * generator), `auto` (default: the profile when the partition has one, else the services).
   */
  source: SourceOption;
  /**
   * Window features of profile partitions: `stats` (default; the seasonal statistics) or `vae` (the
   * decoder through the model endpoint, when the profile names one).
   */
  windows: 'stats' | 'vae';
}

/** The input cannot run; the message lists what to fix. */
export class ScenarioRunInputError extends Error {
  override readonly name = 'ScenarioRunInputError';
}

/** A run, decided. */
export interface ScenarioRunPlan {
  runId: string;
  name: string;
  /** The run's start (next minute boundary after `now`), epoch ms. */
  anchor: number;
  /** Generated stretch `[start, end)`, minute-aligned, epoch ms. */
  start: number;
  end: number;
  minutes: number;
  incidents: IncidentSpec[];
  labels: IncidentLabel[];
  /** Partitions generated (and reported on). */
  partitions: string[];
  /** Services to generate (the default services, cut down to those partitions). */
  services: ServiceSpec[];
  options: ScenarioRunOptions;
  /** The run's incidents as a custom spec with absolute times (stored as spec.json; runnable again). */
  spec: CustomSpecJson;
}

/** A custom scenario spec as JSON (see functions/core/synth/scenarios.ts). */
export interface CustomSpecJson {
  name: string;
  incidents: Array<{ kind: string; partition: string; start: string; durationMinutes: number; shape?: string; magnitude?: number; latencyFactor?: number }>;
}

/** Fields of a library scenario run and of a custom one (besides the run options). */
const NAMED_KEYS = ['scenario', 'partitions', 'startInMinutes', 'start', 'durationMinutes', 'magnitude', 'shape'] as const;
const CUSTOM_KEYS = ['name', 'incidents'] as const;

const EXAMPLE = '{"scenario": "error-burst", "partitions": ["checkout#us-east-1"], "startInMinutes": 5, "replay": true}';

const floorMinute = (t: number): number => Math.floor(t / MINUTE) * MINUTE;
const ceilMinute = (t: number): number => Math.ceil(t / MINUTE) * MINUTE;
const iso = (t: number): string => new Date(t).toISOString();

function issues(error: z.ZodError, where = ''): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${where}${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
    .join('; ');
}

/** `<name>-<yyyymmddThhmmss>[-<unique>]`, safe as an S3 key segment. */
export function scenarioRunId(name: string, at: number, unique?: string): string {
  const stamp = iso(at).replace(/[-:.]/g, '').slice(0, 15);
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  const base = `${clean(name).slice(0, 60) || 'scenario'}-${stamp}`;
  const tail = unique ? clean(unique).slice(0, 48) : '';
  return tail ? `${base}-${tail}` : base;
}

/** Every partition the generator synthesises, `service#region`. */
export function synthesisedPartitions(services: readonly ServiceSpec[] = DEFAULT_SERVICES): string[] {
  return services.flatMap((s) => s.regions.map((r) => partitionOf(s.name, r)));
}

/** The incidents of a resolved scenario as a custom spec with absolute ISO times. */
export function customSpecOf(name: string, incidents: readonly IncidentSpec[]): CustomSpecJson {
  return {
    name,
    incidents: incidents.map((i) => ({
      kind: i.kind,
      partition: partitionOf(i.service, i.region),
      start: iso(i.start),
      durationMinutes: i.durationMs / MINUTE,
      ...(i.shape !== undefined ? { shape: i.shape } : {}),
      ...(i.magnitude !== undefined ? { magnitude: i.magnitude } : {}),
      ...(i.latencyFactor !== undefined ? { latencyFactor: i.latencyFactor } : {}),
    })),
  };
}

/** Turns `startInMinutes` (relative to the run's start) into `start` (absolute). */
function absolute(obj: Record<string, unknown>, anchor: number, where: string, defaultMinutes?: number): Record<string, unknown> {
  const { startInMinutes, ...rest } = obj;
  if (startInMinutes !== undefined && rest.start !== undefined) throw new ScenarioRunInputError(`${where}: give "start" (ISO time) or "startInMinutes" (minutes after the run starts), not both.`);
  if (startInMinutes !== undefined && !(typeof startInMinutes === 'number' && Number.isInteger(startInMinutes) && startInMinutes >= 0 && startInMinutes <= SCENARIO_RUN_LIMITS.maxStartDelayMinutes)) {
    throw new ScenarioRunInputError(`${where}.startInMinutes: a whole number of minutes, 0..${SCENARIO_RUN_LIMITS.maxStartDelayMinutes} (got ${JSON.stringify(startInMinutes)}).`);
  }
  const minutes = (startInMinutes as number | undefined) ?? (rest.start === undefined ? defaultMinutes : undefined);
  return minutes === undefined ? rest : { ...rest, start: anchor + minutes * MINUTE };
}

/**
 * Validates a run request and decides the run.
 * @param input - the execution input / invoke payload (see the module comment)
 * @param at - `now` (the execution's start time), and a unique suffix for the run id (the execution name or request id)
 * @throws ScenarioRunInputError naming each problem and how to fix it
 */
export function planScenarioRun(input: unknown, at: { now: number; unique?: string }): ScenarioRunPlan {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ScenarioRunInputError(`The input must be a JSON object, e.g. ${EXAMPLE}; or {"name": ..., "incidents": [...]} for a custom scenario.`);
  }
  const raw = input as Record<string, unknown>;
  const optionPart: Record<string, unknown> = {};
  const specPart: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) ((RUN_OPTION_KEYS as readonly string[]).includes(k) ? optionPart : specPart)[k] = v;
  const parsed = runOptionsSchema.safeParse(optionPart);
  if (!parsed.success) throw new ScenarioRunInputError(`Invalid run options: ${issues(parsed.error)}.`);
  const o = parsed.data;
  const options: ScenarioRunOptions = {
    replay: o.replay ?? false,
    seed: o.seed ?? SCENARIO_RUN_LIMITS.seed,
    scale: o.scale ?? SCENARIO_RUN_LIMITS.scale,
    recordsPerSecond: o.recordsPerSecond,
    shardCount: o.shardCount,
    shardShare: o.shardShare,
    leadMinutes: o.leadMinutes ?? SCENARIO_RUN_LIMITS.leadMinutes,
    quietMinutes: o.quietMinutes ?? SCENARIO_RUN_LIMITS.quietMinutes,
    allPartitions: o.allPartitions ?? false,
    source: o.source ?? 'auto',
    windows: o.windows ?? 'stats',
  };
  const anchor = floorMinute(at.now) + MINUTE;

  // Relative times -> absolute, then the scenario library validates the spec itself.
  const custom = 'incidents' in specPart;
  const accepted = custom ? CUSTOM_KEYS : NAMED_KEYS;
  const unknownKeys = Object.keys(specPart).filter((k) => !(accepted as readonly string[]).includes(k));
  if (unknownKeys.length) {
    throw new ScenarioRunInputError(
      `Unknown field${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map((k) => `"${k}"`).join(', ')}: a ${custom ? 'custom' : 'library'} scenario run takes ${accepted.join(', ')} and the run options ${RUN_OPTION_KEYS.join(', ')}.`,
    );
  }
  let spec: Record<string, unknown>;
  if (custom) {
    if (!Array.isArray(specPart.incidents)) throw new ScenarioRunInputError('incidents: a list of incidents ({"kind", "partition", "startInMinutes" or "start", "durationMinutes", ...}).');
    spec = {
      ...specPart,
      incidents: specPart.incidents.map((i, k) => {
        if (typeof i !== 'object' || i === null || Array.isArray(i)) return i;
        const o = i as Record<string, unknown>;
        if (o.start === undefined && o.startInMinutes === undefined) throw new ScenarioRunInputError(`incidents.${k}: give "startInMinutes" (minutes after the run starts) or "start" (ISO time).`);
        return absolute(o, anchor, `incidents.${k}`);
      }),
    };
  } else {
    spec = absolute(specPart, anchor, '(input)', SCENARIO_RUN_LIMITS.startInMinutes);
  }
  let resolved;
  try {
    resolved = resolveScenario(spec);
  } catch (err) {
    if (err instanceof ScenarioSpecError) throw new ScenarioRunInputError(`${err.message} Example: ${EXAMPLE}.`);
    throw err;
  }

  const known = synthesisedPartitions();
  const wanted = [...new Set(resolved.incidents.map((i) => partitionOf(i.service, i.region)))];
  const unknown = wanted.filter((p) => !known.includes(p));
  if (unknown.length) {
    throw new ScenarioRunInputError(`Partition${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: the generator synthesises only ${known.join(', ')}; use one of these.`);
  }
  const partitions = options.allPartitions ? known : known.filter((p) => wanted.includes(p));
  const services = DEFAULT_SERVICES.map((s) => withOverrides(s, { regions: s.regions.filter((r) => partitions.includes(partitionOf(s.name, r))) })).filter((s) => s.regions.length > 0);

  let start = floorMinute(resolved.start) - options.leadMinutes * MINUTE;
  const end = ceilMinute(resolved.end) + options.quietMinutes * MINUTE;
  if (options.replay) {
    if (resolved.start < anchor) {
      throw new ScenarioRunInputError(
        `With replay the events go into the stream in real time, so the scenario cannot start before the run does (${iso(anchor)}); its first incident starts at ${iso(resolved.start)}. Use "startInMinutes" (minutes after the run starts) instead of "start", or set "replay": false to generate and store only.`,
      );
    }
    start = Math.max(start, anchor);
    if (start > anchor + SCENARIO_RUN_LIMITS.maxStartDelayMinutes * MINUTE) {
      throw new ScenarioRunInputError(`The scenario starts ${Math.round((start - anchor) / MINUTE)} minutes after the run; with replay it may start at most ${SCENARIO_RUN_LIMITS.maxStartDelayMinutes} minutes later. Start it sooner.`);
    }
  }
  const minutes = (end - start) / MINUTE;
  const max = options.replay ? SCENARIO_RUN_LIMITS.maxReplayMinutes : SCENARIO_RUN_LIMITS.maxGenerateMinutes;
  if (minutes > max) {
    throw new ScenarioRunInputError(
      `The run covers ${minutes} minutes (${iso(start)}..${iso(end)}, lead and quiet minutes included); ${options.replay ? 'a replayed' : 'a generated'} run may cover at most ${max}. Shorten the incidents or split the scenario into several runs.`,
    );
  }
  return {
    runId: o.runId ?? scenarioRunId(resolved.name, anchor, at.unique),
    name: resolved.name,
    anchor,
    start,
    end,
    minutes,
    incidents: resolved.incidents,
    labels: labelsFor(resolved.incidents),
    partitions,
    services,
    options,
    spec: customSpecOf(resolved.name, resolved.incidents),
  };
}

/** The library's names, for help texts. */
export const SCENARIO_RUN_EXAMPLE = { input: EXAMPLE, library: SCENARIO_NAMES } as const;
