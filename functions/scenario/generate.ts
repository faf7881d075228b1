/**
 * Generate step of a scenario run: validates the request, generates the run's events (each
 * partition from its CURRENT profile or the service generator, see ./sources.ts), stores what
 * the run is (spec, ground truth, events) and, with replay, one chunk per minute holding that
 * minute's CloudWatch Logs subscription payloads and the plan that puts them within the stream's
 * shard limits. Returns the run manifest the later steps carry (with each partition's source).
 */
import { GenerationSourceError, type PartitionGeneration } from '../core/synth/generation-source';
import { toSubscriptionPayloads } from '../core/synth/payloads';
import { planPuts, REPLAY_DEFAULTS } from '../core/synth/replay-plan';
import { planScenarioRun, ScenarioRunInputError, type ScenarioRunPlan } from '../core/synth/scenario-run';
import type { LogEvent } from '../core/types';
import type { RecordStream } from '../adapters/record-stream';
import { ScenarioRunStore, type ChunkRecord, type RunObjects } from './store';
import { generateSourcedRun, type SourceDeps } from './sources';
import type { ReplayCursor, ScenarioRun } from './types';

const MINUTE = 60_000;

/** A minute's plan may run this far past the minute's start (later records then wait for the next minute). */
export const MAX_MINUTE_PLAN_MS = 75_000;

/** How long after the stretch the report waits beyond the allowed lateness: a closer tick plus slack. */
export const REPORT_SLACK_MS = 2 * MINUTE;

/** Dependencies of {@link generateScenarioRun} (profiles and the model endpoint: see {@link SourceDeps}). */
export interface GenerateDeps extends SourceDeps {
  /** The synthetic bucket. */
  runs: RunObjects;
  /** The stream a replay goes to (its shard count plans the chunks); needed only with replay. */
  stream?: RecordStream;
  /** The pipeline's allowed lateness, ms (the report waits for it). */
  latenessMs: number;
}

/** The Generate step's input. */
export interface GenerateRequest {
  /** The run request (execution input / invoke payload). */
  request: unknown;
  /** The run's start time (the execution's start), epoch ms. */
  now: number;
  /** Makes the run id unique (execution name or request id). */
  unique?: string;
  /** Account id written as the payloads' `owner` (as CloudWatch Logs does). */
  owner?: string;
}

/** The first cursor of a run. */
export function initialCursor(start: number, replay: boolean): ReplayCursor {
  return { index: 0, waitUntil: new Date(start).toISOString(), done: !replay, recordsPut: 0, recordsFailed: 0, eventsPut: 0, requestsSkipped: 0, retries: 0, maxLagSeconds: 0 };
}

/**
 * Events of a plan, each partition from its source (deterministic for the seed, the profiles and
 * the model), and how each partition was generated.
 * @throws ScenarioRunInputError when `source` is `profile` and a partition has no usable profile
 */
export async function generateRunEvents(plan: ScenarioRunPlan, deps: SourceDeps = {}): Promise<{ events: LogEvent[]; generation: PartitionGeneration[] }> {
  try {
    return await generateSourcedRun(
      { start: plan.start, end: plan.end, seed: plan.options.seed, scale: plan.options.scale, incidents: plan.incidents, services: plan.services, partitions: plan.partitions, source: plan.options.source, windows: plan.options.windows },
      deps,
    );
  } catch (err) {
    if (err instanceof GenerationSourceError) throw new ScenarioRunInputError(err.message);
    throw err;
  }
}

/**
 * Validates, generates and stores a run; with replay also its per-minute chunks.
 * @throws ScenarioRunInputError when the request is invalid or a minute cannot fit the stream's limits
 */
export async function generateScenarioRun(req: GenerateRequest, deps: GenerateDeps): Promise<ScenarioRun> {
  const plan = planScenarioRun(req.request, { now: req.now, unique: req.unique });
  const { events, generation } = await generateRunEvents(plan, deps);
  const store = new ScenarioRunStore(deps.runs, plan.runId);
  await store.writeGenerated({ spec: plan.spec, labels: plan.labels, events });

  let stream: ScenarioRun['stream'] = null;
  let records = 0;
  if (plan.options.replay) {
    if (!deps.stream) throw new Error('Replay needs a stream: set HARBINGER_STREAM on the scenario function (the ScenarioRunner construct does).');
    const shardCount = plan.options.shardCount ?? (await deps.stream.openShardCount());
    const shardShare = plan.options.shardShare ?? REPLAY_DEFAULTS.shardShare;
    stream = { name: deps.stream.name, shardCount, shardShare, recordsPerSecond: plan.options.recordsPerSecond ?? null };
    const byMinute: LogEvent[][] = Array.from({ length: plan.minutes }, () => []);
    for (const e of events) byMinute[Math.floor((e.timestamp - plan.start) / MINUTE)].push(e);
    for (let index = 0; index < plan.minutes; index++) {
      const start = plan.start + index * MINUTE;
      const chunkRecords: ChunkRecord[] = [];
      const planned = [];
      for (const p of toSubscriptionPayloads(byMinute[index], { owner: req.owner })) {
        chunkRecords.push({ k: p.partitionKey, d: p.data.toString('base64'), n: p.count, t: p.lastTimestamp });
        planned.push({ partitionKey: p.partitionKey, bytes: p.data.byteLength + Buffer.byteLength(p.partitionKey, 'utf8'), readyMs: p.lastTimestamp - start + 1 });
      }
      const put = planPuts(planned, { shardCount, shardShare, recordsPerSecond: plan.options.recordsPerSecond });
      if (put.lastAtMs > MAX_MINUTE_PLAN_MS) {
        throw new ScenarioRunInputError(
          `Minute ${new Date(start).toISOString()} has ${put.records} records (${(put.bytes / 1048576).toFixed(1)} MiB): within ${shardShare} of ${shardCount} shard(s)' write limits${plan.options.recordsPerSecond ? ` and ${plan.options.recordsPerSecond} records/s` : ''} it needs ${Math.ceil(put.lastAtMs / 1000)} s, more than real time allows. Add shards (or give "shardCount" if the stream has more), raise "shardShare" or "recordsPerSecond", or lower "scale".`,
        );
      }
      records += put.records;
      await store.writeChunk({ index, start, records: chunkRecords, shardCount, ticks: put.ticks });
    }
  }

  const run: ScenarioRun = {
    runId: plan.runId,
    name: plan.name,
    bucket: deps.runs.bucket,
    prefix: store.keys.prefix,
    replay: plan.options.replay,
    start: new Date(plan.start).toISOString(),
    end: new Date(plan.end).toISOString(),
    minutes: plan.minutes,
    partitions: plan.partitions,
    incidents: plan.incidents.length,
    events: events.length,
    records,
    stream,
    reportAt: new Date(plan.end + deps.latenessMs + REPORT_SLACK_MS).toISOString(),
    cursor: initialCursor(plan.start, plan.options.replay),
    generation,
  };
  await store.writeManifest({ ...run, request: req.request, options: plan.options, labels: plan.labels });
  return run;
}
