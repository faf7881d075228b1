/**
 * ReplayMinute step of a scenario run: puts one minute's subscription payloads into the stream,
 * tick by tick as Generate planned them (within the shards' share of 1,000 records/s and 1 MiB/s,
 * no record before its events happened). Rejected entries are retried with backoff; what still
 * fails is counted, never dropped silently. Idempotent: each settled PutRecords request leaves a
 * marker in S3 and a retried step skips those requests, so a retry does not put them twice.
 */
import type { RecordStream, StreamRecord } from '../adapters/record-stream';
import { REPLAY_DEFAULTS } from '../core/synth/replay-plan';
import { ScenarioRunStore, type RequestOutcome, type RunObjects } from './store';
import type { ReplayCursor, ScenarioRun } from './types';

const MINUTE = 60_000;

/** Dependencies of {@link replayMinute}. */
export interface ReplayDeps {
  /** The synthetic bucket. */
  runs: RunObjects;
  stream: RecordStream;
  /** Wall clock, epoch ms. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Attempts per entry, first included (default 6). */
  maxAttempts?: number;
  /** First backoff, doubled per attempt up to 5 s (default 100 ms). */
  baseDelayMs?: number;
}

/** Errors of a whole PutRecords call that no retry fixes: the step fails with them. */
const FATAL_ERRORS = new Set([
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ValidationException',
  'InvalidArgumentException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'UnrecognizedClientException',
]);

/** Outcome of {@link putWithRetry}. */
export interface PutOutcome {
  put: number;
  failed: number;
  /** Entries sent again after a rejection or a failed call. */
  retries: number;
  /** Events in the accepted records. */
  events: number;
}

/**
 * One PutRecords request with retries: entries Kinesis rejects (FailedRecordCount: throttling,
 * internal failures) and failed calls are retried with exponential backoff, at most `maxAttempts`
 * times per entry; what still fails is counted in `failed`.
 * @throws the call's error when it cannot succeed on retry (access denied, no such stream, invalid request)
 */
export async function putWithRetry(
  stream: RecordStream,
  records: ReadonlyArray<StreamRecord & { events?: number }>,
  options: { maxAttempts?: number; baseDelayMs?: number; sleep: (ms: number) => Promise<void> },
): Promise<PutOutcome> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const base = Math.max(0, options.baseDelayMs ?? 100);
  let pending = records.map((_, i) => i);
  const out: PutOutcome = { put: 0, failed: 0, retries: 0, events: 0 };
  for (let attempt = 1; pending.length > 0; attempt++) {
    let rejected: number[];
    try {
      const results = await stream.putRecords(pending.map((i) => records[i]));
      rejected = pending.filter((_, j) => !results[j]?.ok);
      for (const i of pending) if (!rejected.includes(i)) {
        out.put++;
        out.events += records[i].events ?? 0;
      }
    } catch (err) {
      if (FATAL_ERRORS.has((err as Error)?.name)) throw err;
      rejected = pending;
    }
    if (rejected.length === 0) break;
    if (attempt >= maxAttempts) {
      out.failed += rejected.length;
      break;
    }
    out.retries += rejected.length;
    pending = rejected;
    await options.sleep(Math.min(5_000, base * 2 ** (attempt - 1)));
  }
  return out;
}

/** Adds a request's outcome to a cursor's totals. */
function add(c: ReplayCursor, o: RequestOutcome): void {
  c.recordsPut += o.records;
  c.recordsFailed += o.failed;
  c.eventsPut += o.events;
  c.retries += o.retries;
}

/**
 * Replays minute `run.cursor.index` and returns the advanced cursor (totals included). A cursor
 * already done is returned as it is.
 */
export async function replayMinute(run: ScenarioRun, deps: ReplayDeps): Promise<ReplayCursor> {
  const c = run.cursor;
  if (c.done || c.index >= run.minutes) return { ...c, done: true };
  const store = new ScenarioRunStore(deps.runs, run.runId);
  const chunk = await store.readChunk(c.index);
  const settled = await store.settledRequests(c.index);
  const next: ReplayCursor = { ...c };
  next.maxLagSeconds = Math.max(c.maxLagSeconds, Math.max(0, Math.round((deps.now() - chunk.start) / 1000)));

  // A stream resized below the planned shard count gets the same requests, spread out in proportion.
  let spread = 1;
  try {
    const shards = await deps.stream.openShardCount();
    if (shards < chunk.shardCount) spread = chunk.shardCount / shards;
  } catch {
    // Unknown right now: keep the plan.
  }
  const tickMs = REPLAY_DEFAULTS.tickMs * spread;
  let request = 0;
  let lastTick = Number.NEGATIVE_INFINITY;
  for (const tick of chunk.ticks) {
    const first = request;
    request += tick.requests.length;
    const todo = tick.requests.map((r, j) => ({ r, n: first + j })).filter(({ n }) => !settled.has(n));
    for (let n = first; n < request; n++) {
      const o = settled.get(n);
      if (o) {
        add(next, o);
        next.requestsSkipped++;
      }
    }
    if (todo.length === 0) continue;
    // Not before the tick's time, and at least a tick after the previous tick started.
    const at = Math.max(chunk.start + tick.atMs * spread, lastTick + tickMs);
    const wait = at - deps.now();
    if (wait > 0) await deps.sleep(wait);
    lastTick = Math.max(at, deps.now());
    for (const { r, n } of todo) {
      const records = r.map((i) => ({ data: Buffer.from(chunk.records[i].d, 'base64'), partitionKey: chunk.records[i].k, events: chunk.records[i].n }));
      const o = await putWithRetry(deps.stream, records, { maxAttempts: deps.maxAttempts, baseDelayMs: deps.baseDelayMs, sleep: deps.sleep });
      const outcome: RequestOutcome = { records: o.put, failed: o.failed, events: o.events, retries: o.retries };
      await store.markSettled(c.index, n, outcome);
      add(next, outcome);
    }
  }
  next.index = c.index + 1;
  next.done = next.index >= run.minutes;
  next.waitUntil = new Date(Date.parse(run.start) + next.index * MINUTE).toISOString();
  return next;
}
