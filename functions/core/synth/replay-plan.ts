/**
 * How a minute of subscription payloads goes into Kinesis without breaking its limits: records are
 * grouped into 1-second ticks so that no shard receives more than its share of 1,000 records/s and
 * 1 MiB/s, and each tick's records into PutRecords requests of at most 500 records and 5 MiB.
 * Records keep their order, and none is put before its payload's last event happened (real time).
 *
 * Which shard a record lands on is computed as Kinesis does: the MD5 of the partition key as a
 * 128-bit number, in a hash-key space split evenly over the open shards (how CreateStream and
 * UpdateShardCount with UNIFORM_SCALING split it). Pure: no SDK, no clock.
 */
import { createHash } from 'node:crypto';

/** Kinesis write limits (per shard, per PutRecords request, per record). */
export const KINESIS_LIMITS = {
  shardRecordsPerSecond: 1000,
  shardBytesPerSecond: 1024 * 1024,
  requestRecords: 500,
  requestBytes: 5 * 1024 * 1024,
  /** Data plus partition key. */
  recordBytes: 1024 * 1024,
  partitionKeyChars: 256,
} as const;

/** Defaults of {@link planPuts}. */
export const REPLAY_DEFAULTS = {
  /**
   * Share of each shard's write capacity a replay may use: the stream also carries the real
   * subscriptions, and two ticks can fall in one second when a tick runs late, so half keeps even
   * that case within the hard limit.
   */
  shardShare: 0.5,
  tickMs: 1000,
} as const;

/** One record to plan: its partition key, its size (data + key) and when it may be put. */
export interface PlanRecord {
  partitionKey: string;
  /** Data bytes plus partition key bytes (what Kinesis counts). */
  bytes: number;
  /** Earliest offset from the plan's start, ms (e.g. its payload's last event, relative to the minute). */
  readyMs: number;
}

/** Options of {@link planPuts}. */
export interface PlanOptions {
  /** Open shards of the stream (at least 1). */
  shardCount: number;
  /** Share of each shard's 1,000 records/s and 1 MiB/s the plan may use, in (0, 1]. Default {@link REPLAY_DEFAULTS}.shardShare. */
  shardShare?: number;
  /** Cap on records per second over the whole stream. Default: none (shard budgets only). */
  recordsPerSecond?: number;
}

/** One second of the plan: when it starts and its PutRecords requests (record indices, in order). */
export interface PlanTick {
  atMs: number;
  requests: number[][];
}

/** What {@link planPuts} decided. */
export interface PutPlan {
  ticks: PlanTick[];
  /** Start of the last tick, ms after the plan's start (0 without records). */
  lastAtMs: number;
  records: number;
  bytes: number;
  /** Largest number of records one shard receives in one tick. */
  peakShardRecords: number;
  /** Largest number of bytes one shard receives in one tick. */
  peakShardBytes: number;
}

/** A plan request breaks a Kinesis rule no pacing can fix; the message says what to change. */
export class ReplayPlanError extends Error {
  override readonly name = 'ReplayPlanError';
}

const HASH_SPACE = 1n << 128n;

/**
 * The shard (0-based, in hash-key order) a partition key lands on when the hash-key space is split
 * evenly over `shardCount` shards.
 */
export function shardOfKey(partitionKey: string, shardCount: number): number {
  const h = BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
  return Number((h * BigInt(shardCount)) / HASH_SPACE);
}

/** Per-tick budgets of one shard and of the stream. */
export function tickBudgets(options: PlanOptions): { shardRecords: number; shardBytes: number; streamRecords: number } {
  const share = options.shardShare ?? REPLAY_DEFAULTS.shardShare;
  if (!Number.isInteger(options.shardCount) || options.shardCount < 1) throw new ReplayPlanError(`shardCount must be a whole number >= 1 (got ${options.shardCount}).`);
  if (!(share > 0 && share <= 1)) throw new ReplayPlanError(`shardShare must be in (0, 1] (got ${share}).`);
  const rps = options.recordsPerSecond;
  if (rps !== undefined && !(Number.isInteger(rps) && rps >= 1)) throw new ReplayPlanError(`recordsPerSecond must be a whole number >= 1 (got ${rps}).`);
  return {
    shardRecords: Math.max(1, Math.floor(KINESIS_LIMITS.shardRecordsPerSecond * share)),
    shardBytes: Math.max(1, Math.floor(KINESIS_LIMITS.shardBytesPerSecond * share)),
    streamRecords: rps ?? Number.POSITIVE_INFINITY,
  };
}

/**
 * Plans the puts of `records`, in order, into 1-second ticks: a record goes into the first tick at
 * or after both its `readyMs` and the previous record's tick in which its shard still has budget
 * (records and bytes) and the stream still has `recordsPerSecond`; a record alone on its shard in a
 * tick is always accepted (it is at most 1 MiB). Each tick is split into requests of at most 500
 * records and 5 MiB.
 * @throws ReplayPlanError for a record over 1 MiB, a partition key outside 1..256 characters, or bad options
 */
export function planPuts(records: readonly PlanRecord[], options: PlanOptions): PutPlan {
  const budget = tickBudgets(options);
  const tickMs = REPLAY_DEFAULTS.tickMs;
  const ticks: PlanTick[] = [];
  let tick = -1;
  let shardRecords = new Map<number, number>();
  let shardBytes = new Map<number, number>();
  let streamRecords = 0;
  let current: PlanTick | undefined;
  let request: number[] = [];
  let requestBytes = 0;
  let bytes = 0;
  let peakShardRecords = 0;
  let peakShardBytes = 0;
  const shards = new Map<string, number>();

  const openTick = (index: number): void => {
    tick = index;
    current = { atMs: index * tickMs, requests: [] };
    ticks.push(current);
    shardRecords = new Map();
    shardBytes = new Map();
    streamRecords = 0;
    request = [];
    requestBytes = 0;
  };

  records.forEach((r, i) => {
    if (r.partitionKey.length < 1 || r.partitionKey.length > KINESIS_LIMITS.partitionKeyChars) {
      throw new ReplayPlanError(`record ${i}: partition key must be 1..${KINESIS_LIMITS.partitionKeyChars} characters (got ${r.partitionKey.length}).`);
    }
    if (!(r.bytes > 0) || r.bytes > KINESIS_LIMITS.recordBytes) {
      throw new ReplayPlanError(`record ${i} is ${r.bytes} bytes (data + partition key); Kinesis accepts 1..${KINESIS_LIMITS.recordBytes} per record.`);
    }
    let shard = shards.get(r.partitionKey);
    if (shard === undefined) shards.set(r.partitionKey, (shard = shardOfKey(r.partitionKey, options.shardCount)));
    const ready = Math.max(0, Math.ceil(r.readyMs / tickMs));
    if (ready > tick) openTick(ready);
    const fits = (): boolean => {
      const n = shardRecords.get(shard) ?? 0;
      if (n === 0) return streamRecords < budget.streamRecords;
      return n + 1 <= budget.shardRecords && (shardBytes.get(shard) ?? 0) + r.bytes <= budget.shardBytes && streamRecords < budget.streamRecords;
    };
    if (!fits()) openTick(tick + 1);
    if (request.length >= KINESIS_LIMITS.requestRecords || requestBytes + r.bytes > KINESIS_LIMITS.requestBytes) {
      request = [];
      requestBytes = 0;
    }
    if (request.length === 0) current!.requests.push(request);
    request.push(i);
    requestBytes += r.bytes;
    const n = (shardRecords.get(shard) ?? 0) + 1;
    const b = (shardBytes.get(shard) ?? 0) + r.bytes;
    shardRecords.set(shard, n);
    shardBytes.set(shard, b);
    streamRecords++;
    bytes += r.bytes;
    peakShardRecords = Math.max(peakShardRecords, n);
    peakShardBytes = Math.max(peakShardBytes, b);
  });
  return { ticks, lastAtMs: ticks.length ? ticks[ticks.length - 1].atMs : 0, records: records.length, bytes, peakShardRecords, peakShardBytes };
}
