import { randomBytes, randomUUID } from 'node:crypto';
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type _Record as KinesisRecord,
  type KinesisClient,
  type ListShardsCommandInput,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** Where a shard worker starts when the poller starts (shards that appear later always start at TRIM_HORIZON). */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST';

/** The handler the poller drives: the same signature as a Lambda Kinesis handler with ReportBatchItemFailures. */
export type KinesisBatchHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse | void>;

/** Reported after each handler invocation. */
export interface BatchInfo {
  shardId: string;
  /** Records in the batch. */
  records: number;
  /** Records reported failed (all of them when the handler threw or timed out). */
  failures: number;
  durationMs: number;
}

/** Counters since start. */
export interface PollerStats {
  /** Handler invocations. */
  batches: number;
  /** Records delivered, re-deliveries included. */
  records: number;
  /** Records reported failed (batch item failures; every record of a batch whose invocation threw). */
  failures: number;
  /** Re-deliveries after a failure. */
  retries: number;
  /** Records skipped after `maxRetries` (what Lambda would send to an on-failure destination). */
  dropped: number;
}

/** Options for {@link KinesisPoller}. */
export interface KinesisPollerOptions {
  kinesis: KinesisClient;
  streamName: string;
  handler: KinesisBatchHandler;
  /** Max records per GetRecords and per invocation (1..10000), 500 by default. */
  batchSize?: number;
  /** Pause after an empty GetRecords, 200 ms by default. */
  pollIntervalMs?: number;
  /** Re-deliveries of a failing batch before it is dropped (reported via `onError`), 3 by default. */
  maxRetries?: number;
  /** Pause before a re-delivery, 100 ms by default (doubled per attempt, at most 2 s). */
  retryDelayMs?: number;
  /** `TRIM_HORIZON` (default) or `LATEST` for the shards open at start. */
  startingPosition?: StartingPosition;
  /** How often the shard list is refreshed to follow resharding, 1000 ms by default. */
  shardSyncIntervalMs?: number;
  /** Invocation timeout (Context.getRemainingTimeInMillis; a slower invocation counts as failed), 60 s by default. */
  timeoutMs?: number;
  /** Consecutive GetRecords errors after which a shard worker gives up, 20 by default. */
  maxConsecutiveErrors?: number;
  /** How long stop() waits for in-flight invocations, 5 s by default. */
  stopTimeoutMs?: number;
  /** Honour `batchItemFailures` in the handler's response (the ESM's ReportBatchItemFailures), true by default. */
  reportBatchItemFailures?: boolean;
  onBatch?: (info: BatchInfo) => void;
  onError?: (err: Error, shardId: string) => void;
  /** Lambda function name for the Context and ARNs, `harbinger-scorer` by default. */
  functionName?: string;
  /** Region for awsRegion and ARNs; the stream ARN's region, else `us-east-1`. */
  region?: string;
  /** Context.memoryLimitInMB, 1024 by default. */
  memoryLimitInMB?: number;
}

/** A batch kept failing past `maxRetries` and was skipped (Lambda's on-failure destination case). */
export class BatchDroppedError extends Error {
  override readonly name = 'BatchDroppedError';
  constructor(
    readonly shardId: string,
    readonly firstSequenceNumber: string,
    readonly lastSequenceNumber: string,
    readonly records: number,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      `shard ${shardId}: dropped ${records} record(s) ${firstSequenceNumber}..${lastSequenceNumber} after ${attempts} failed attempt(s)`,
      options,
    );
  }
}

/** The handler threw or timed out; the whole batch is retried. */
export class HandlerInvocationError extends Error {
  override readonly name = 'HandlerInvocationError';
  constructor(
    readonly shardId: string,
    readonly records: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A Kinesis call failed while polling a shard (reported via onError; retried with backoff). */
export class ShardReadError extends Error {
  override readonly name = 'ShardReadError';
  constructor(
    readonly shardId: string,
    readonly consecutive: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The poller was used in the wrong state (start twice, wait before start, ...). */
export class PollerStateError extends Error {
  override readonly name = 'PollerStateError';
}

/** waitUntilIdle gave up; `busy` lists the shards that were not caught up. */
export class PollerTimeoutError extends Error {
  override readonly name = 'PollerTimeoutError';
  constructor(
    readonly busy: string[],
    timeoutMs: number,
  ) {
    super(`poller not idle after ${timeoutMs} ms; shards still busy: ${busy.join(', ') || '(shard list pending)'}`);
  }
}

type Position =
  | { type: 'TRIM_HORIZON' | 'LATEST' }
  | { type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

interface ShardState {
  id: string;
  parents: string[];
  status: 'waiting' | 'running' | 'finished' | 'failed';
  position: Position;
  worker?: Promise<void>;
  /** Start of the current caught-up period (last GetRecords empty and MillisBehindLatest 0). */
  idleSince?: number;
  /** When the last empty GetRecords was sent. */
  lastEmptyPollAt?: number;
  /** The first failed sequence number of the batch being retried, and how often it failed. */
  failing?: { sequenceNumber: string; attempts: number };
  error?: Error;
  /** Resolves once the worker holds its first shard iterator (or ended). */
  positioned: Promise<void>;
  markPositioned: () => void;
}

interface DeliveryOutcome {
  /** Index of the first record to re-deliver; undefined when the batch succeeded. */
  retryFrom?: number;
  failures: number;
  error?: Error;
}

function isNamed(err: unknown, ...names: string[]): boolean {
  return err instanceof Error && names.includes(err.name);
}

/**
 * The local stand-in for a Lambda Kinesis event source mapping: polls every shard of a stream with
 * GetShardIterator/GetRecords (one worker per shard, concurrently), builds real `KinesisStreamEvent`s
 * and a Lambda `Context`, and calls the handler, with ReportBatchItemFailures semantics:
 * - a response with `batchItemFailures` checkpoints the records before the lowest failed sequence
 *   number and re-delivers from it (an unknown or empty itemIdentifier fails the whole batch);
 * - a handler that throws (or exceeds `timeoutMs`) gets the whole batch again;
 * - after `maxRetries` re-deliveries at the same position the rest of the batch is skipped and a
 *   {@link BatchDroppedError} goes to `onError`.
 * Follows resharding: the shard list is refreshed periodically and when a shard ends; a child shard
 * starts only after its parents were read to their end. Checkpoints are kept in memory.
 */
export class KinesisPoller {
  private readonly opts: Required<
    Omit<KinesisPollerOptions, 'onBatch' | 'onError' | 'region' | 'kinesis' | 'streamName' | 'handler'>
  > &
    Pick<KinesisPollerOptions, 'onBatch' | 'onError' | 'region' | 'kinesis' | 'streamName' | 'handler'>;
  private readonly shards = new Map<string, ShardState>();
  private readonly counters: PollerStats = { batches: 0, records: 0, failures: 0, retries: 0, dropped: 0 };
  private readonly abort = new AbortController();
  private state: 'new' | 'running' | 'stopped' = 'new';
  private streamArn = '';
  private region = 'us-east-1';
  private account = '000000000000';
  private syncChain: Promise<void> = Promise.resolve();
  private syncLoop?: Promise<void>;
  private firstSync = true;
  private lastSyncError?: Error;
  private inFlight = 0;

  constructor(options: KinesisPollerOptions) {
    const batchSize = options.batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new RangeError(`KinesisPoller: batchSize must be an integer in 1..10000, got ${batchSize}`);
    }
    const maxRetries = options.maxRetries ?? 3;
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10_000) {
      throw new RangeError(`KinesisPoller: maxRetries must be an integer in 0..10000, got ${maxRetries}`);
    }
    this.opts = {
      ...options,
      batchSize,
      maxRetries,
      pollIntervalMs: Math.max(1, options.pollIntervalMs ?? 200),
      retryDelayMs: Math.max(0, options.retryDelayMs ?? 100),
      startingPosition: options.startingPosition ?? 'TRIM_HORIZON',
      shardSyncIntervalMs: Math.max(50, options.shardSyncIntervalMs ?? 1_000),
      timeoutMs: Math.max(1, options.timeoutMs ?? 60_000),
      maxConsecutiveErrors: Math.max(1, options.maxConsecutiveErrors ?? 20),
      stopTimeoutMs: Math.max(0, options.stopTimeoutMs ?? 5_000),
      reportBatchItemFailures: options.reportBatchItemFailures ?? true,
      functionName: options.functionName ?? 'harbinger-scorer',
      memoryLimitInMB: options.memoryLimitInMB ?? 1024,
    };
  }

  /**
   * Resolves the stream ARN, lists the shards and starts the workers; resolves once each worker holds
   * its first shard iterator (at most 10 s).
   * @throws PollerStateError when already started; the SDK error when the stream does not exist
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new PollerStateError(`KinesisPoller.start: poller is ${this.state}; create a new poller`);
    this.state = 'running';
    try {
      const out = await this.opts.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: this.opts.streamName }), {
        abortSignal: this.abort.signal,
      });
      this.streamArn = out.StreamDescriptionSummary?.StreamARN ?? '';
      // arn:aws:kinesis:<region>:<account>:stream/<name>
      const parts = this.streamArn.split(':');
      this.region = this.opts.region ?? (parts[3] || 'us-east-1');
      this.account = parts[4] || this.account;
      await this.syncNow();
      if (this.lastSyncError) throw this.lastSyncError;
      // Records put after start() resolves are seen even with LATEST: every worker holds an iterator.
      await Promise.race([
        Promise.all([...this.shards.values()].filter((s) => s.status === 'running').map((s) => s.positioned)),
        new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
      ]);
    } catch (err) {
      this.state = 'stopped';
      this.abort.abort();
      throw err;
    }
    this.syncLoop = this.runSyncLoop();
  }

  /**
   * Stops polling: aborts in-flight GetRecords and pauses at once, waits at most `stopTimeoutMs` for
   * in-flight handler invocations. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.abort.abort();
    const all = [this.syncLoop, ...[...this.shards.values()].map((s) => s.worker)].filter((p): p is Promise<void> => p !== undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(all),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.opts.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Resolves once every shard is caught up: each running shard's GetRecords returned no records with
   * MillisBehindLatest 0, on a poll sent after this call, continuously for `idleMs` (500 ms by
   * default), no invocation is in flight, and no child shard is waiting for its parents. Refreshes
   * the shard list first, so a reshard just made is seen.
   * @throws PollerTimeoutError after `timeoutMs` (30 s by default)
   * @throws ShardReadError when a shard worker gave up
   */
  async waitUntilIdle(options: { timeoutMs?: number; idleMs?: number } = {}): Promise<void> {
    if (this.state !== 'running') throw new PollerStateError(`KinesisPoller.waitUntilIdle: poller is ${this.state}`);
    const timeoutMs = options.timeoutMs ?? 30_000;
    const idleMs = options.idleMs ?? 500;
    const since = Date.now();
    const deadline = since + timeoutMs;
    await this.syncNow();
    let busy: string[] = [];
    // Bounded by the deadline; ~50 checks a second.
    for (let i = 0; i < 1_000_000; i++) {
      if (this.state !== 'running') throw new PollerStateError('KinesisPoller.waitUntilIdle: poller stopped while waiting');
      const now = Date.now();
      busy = [];
      for (const s of this.shards.values()) {
        if (s.status === 'failed') throw s.error ?? new ShardReadError(s.id, 0, `shard ${s.id} failed`);
        if (s.status === 'finished') continue;
        const idle =
          s.status === 'running' &&
          s.idleSince !== undefined &&
          s.lastEmptyPollAt !== undefined &&
          s.lastEmptyPollAt >= since &&
          now - Math.max(s.idleSince, since) >= idleMs;
        if (!idle) busy.push(`${s.id} (${s.status})`);
      }
      if (busy.length === 0 && this.inFlight === 0 && this.shards.size > 0) return;
      if (now >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new PollerTimeoutError(busy, timeoutMs);
  }

  /** Counters since start (a copy). */
  stats(): PollerStats {
    return { ...this.counters };
  }

  /** Shard ids and their worker status, for dashboards and tests. */
  shardStatus(): Array<{ shardId: string; status: ShardState['status']; parents: string[] }> {
    return [...this.shards.values()].map((s) => ({ shardId: s.id, status: s.status, parents: [...s.parents] }));
  }

  // ---------------------------------------------------------------------------------------------

  private get running(): boolean {
    return this.state === 'running';
  }

  /** Sleeps, cut short by stop(). */
  private pause(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  private report(err: Error, shardId: string): void {
    try {
      this.opts.onError?.(err, shardId);
    } catch {
      /* a failing observer must not stop the poller */
    }
  }

  private async runSyncLoop(): Promise<void> {
    while (this.running) {
      await this.pause(this.opts.shardSyncIntervalMs);
      if (!this.running) break;
      await this.syncNow();
    }
  }

  /** Lists shards (serialised with other syncs), registers new ones, starts those whose parents are done. */
  private syncNow(): Promise<void> {
    this.syncChain = this.syncChain.then(() => this.sync()).catch((err: unknown) => {
      this.lastSyncError = err instanceof Error ? err : new Error(String(err));
      if (this.running) this.report(this.lastSyncError, '*');
    });
    return this.syncChain;
  }

  private async sync(): Promise<void> {
    if (!this.running) return;
    const listed: Shard[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 100; page++) {
      const input: ListShardsCommandInput = nextToken ? { NextToken: nextToken } : { StreamName: this.opts.streamName };
      const out = await this.opts.kinesis.send(new ListShardsCommand(input), { abortSignal: this.abort.signal });
      listed.push(...(out.Shards ?? []));
      nextToken = out.NextToken;
      if (!nextToken) break;
    }
    this.lastSyncError = undefined;
    const initial = this.firstSync;
    this.firstSync = false;
    for (const shard of listed) {
      const id = shard.ShardId;
      if (!id || this.shards.has(id)) continue;
      const closed = Boolean(shard.SequenceNumberRange?.EndingSequenceNumber);
      const latest = initial && this.opts.startingPosition === 'LATEST';
      let markPositioned = (): void => undefined;
      const positioned = new Promise<void>((resolve) => {
        markPositioned = resolve;
      });
      this.shards.set(id, {
        positioned,
        markPositioned,
        id,
        parents: [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => Boolean(p)),
        // Starting at LATEST, a shard already closed has nothing new to give.
        status: latest && closed ? 'finished' : 'waiting',
        position: { type: latest ? 'LATEST' : 'TRIM_HORIZON' },
      });
    }
    this.startReady();
  }

  /** Starts waiting shards whose parents are finished (or unknown: trimmed past retention). */
  private startReady(): void {
    if (!this.running) return;
    for (const s of this.shards.values()) {
      if (s.status !== 'waiting') continue;
      const parentsDone = s.parents.every((p) => {
        const parent = this.shards.get(p);
        return !parent || parent.status === 'finished';
      });
      if (!parentsDone) continue;
      s.status = 'running';
      s.worker = this.runShard(s)
        .catch((err: unknown) => {
          s.status = 'failed';
          s.error = err instanceof Error ? err : new Error(String(err));
          this.report(s.error, s.id);
        })
        .finally(() => s.markPositioned());
    }
  }

  private async getIterator(s: ShardState): Promise<string | undefined> {
    const p = s.position;
    const out = await this.opts.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.opts.streamName,
        ShardId: s.id,
        ShardIteratorType: p.type as ShardIteratorType,
        StartingSequenceNumber: 'sequenceNumber' in p ? p.sequenceNumber : undefined,
      }),
      { abortSignal: this.abort.signal },
    );
    return out.ShardIterator;
  }

  private finish(s: ShardState): void {
    s.status = 'finished';
    s.idleSince = undefined;
    this.startReady();
    void this.syncNow();
  }

  /** One shard's loop: read, deliver, checkpoint; ends when the shard is closed and drained, or on stop. */
  private async runShard(s: ShardState): Promise<void> {
    let iterator: string | undefined;
    let consecutiveErrors = 0;
    while (this.running) {
      let records: KinesisRecord[];
      let next: string | undefined;
      let behind: number | undefined;
      const sentAt = Date.now();
      try {
        iterator ??= await this.getIterator(s);
        s.markPositioned();
        if (!iterator) {
          // No iterator for a closed shard at its end: nothing more to read.
          this.finish(s);
          return;
        }
        const out = await this.opts.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.opts.batchSize }), {
          abortSignal: this.abort.signal,
        });
        records = out.Records ?? [];
        next = out.NextShardIterator;
        behind = out.MillisBehindLatest;
        consecutiveErrors = 0;
      } catch (err) {
        if (!this.running) return;
        consecutiveErrors++;
        // An expired/invalid iterator is re-created from the checkpoint; anything else keeps it.
        if (isNamed(err, 'ExpiredIteratorException', 'InvalidArgumentException')) iterator = undefined;
        const error = new ShardReadError(s.id, consecutiveErrors, `shard ${s.id}: ${(err as Error).name}: ${(err as Error).message}`, {
          cause: err,
        });
        if (consecutiveErrors >= this.opts.maxConsecutiveErrors) throw error;
        if (!isNamed(err, 'ExpiredIteratorException')) this.report(error, s.id);
        await this.pause(Math.min(5_000, 100 * 2 ** Math.min(consecutiveErrors, 6)));
        continue;
      }

      if (records.length === 0) {
        if (!behind) {
          s.idleSince ??= sentAt;
          s.lastEmptyPollAt = sentAt;
        } else {
          s.idleSince = undefined;
        }
        if (!next) {
          this.finish(s);
          return;
        }
        iterator = next;
        await this.pause(this.opts.pollIntervalMs);
        continue;
      }

      s.idleSince = undefined;
      const outcome = await this.deliver(s, records);
      if (!this.running && outcome.retryFrom !== undefined) return;
      if (outcome.retryFrom === undefined) {
        s.failing = undefined;
        s.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: records[records.length - 1].SequenceNumber ?? '0' };
        if (!next) {
          this.finish(s);
          return;
        }
        iterator = next;
        continue;
      }

      const failedSeq = records[outcome.retryFrom].SequenceNumber ?? '0';
      const attempts = s.failing?.sequenceNumber === failedSeq ? s.failing.attempts + 1 : 1;
      if (attempts > this.opts.maxRetries) {
        const dropped = records.length - outcome.retryFrom;
        this.counters.dropped += dropped;
        this.report(
          new BatchDroppedError(s.id, failedSeq, records[records.length - 1].SequenceNumber ?? '0', dropped, attempts, {
            cause: outcome.error,
          }),
          s.id,
        );
        s.failing = undefined;
        s.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: records[records.length - 1].SequenceNumber ?? '0' };
        if (!next) {
          this.finish(s);
          return;
        }
        iterator = next;
        continue;
      }
      s.failing = { sequenceNumber: failedSeq, attempts };
      // Checkpoint just before the first failed record; the next read starts at it.
      s.position = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: failedSeq };
      iterator = undefined;
      this.counters.retries++;
      await this.pause(Math.min(2_000, this.opts.retryDelayMs * 2 ** (attempts - 1)));
    }
  }

  private buildEvent(shardId: string, records: KinesisRecord[]): KinesisStreamEvent {
    const fn = this.opts.functionName;
    const base = {
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${this.account}:role/${fn}-role`,
      awsRegion: this.region,
      eventSourceARN: this.streamArn,
    };
    return {
      Records: records.map(
        (r): KinesisStreamRecord => ({
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: r.PartitionKey ?? '',
            sequenceNumber: r.SequenceNumber ?? '',
            data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
            approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
          },
          ...base,
          eventID: `${shardId}:${r.SequenceNumber ?? ''}`,
        }),
      ),
    };
  }

  private buildContext(deadline: number): Context {
    const fn = this.opts.functionName;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const unsupported = (): void => {
      throw new Error('context.done/fail/succeed are not supported: return a promise from the handler');
    };
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: fn,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.region}:${this.account}:function:${fn}`,
      memoryLimitInMB: String(this.opts.memoryLimitInMB),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${fn}`,
      logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported,
      fail: unsupported,
      succeed: unsupported,
    };
  }

  /** Invokes the handler once and interprets the response (ReportBatchItemFailures). */
  private async deliver(s: ShardState, records: KinesisRecord[]): Promise<DeliveryOutcome> {
    const event = this.buildEvent(s.id, records);
    const started = performance.now();
    const deadline = Date.now() + this.opts.timeoutMs;
    this.inFlight++;
    this.counters.batches++;
    this.counters.records += records.length;
    let outcome: DeliveryOutcome;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new HandlerInvocationError(s.id, records.length, `handler timed out after ${this.opts.timeoutMs} ms`)),
          this.opts.timeoutMs,
        );
      });
      const response = await Promise.race([this.opts.handler(event, this.buildContext(deadline)), timeout]);
      outcome = this.interpret(records, response);
    } catch (err) {
      const error =
        err instanceof HandlerInvocationError
          ? err
          : new HandlerInvocationError(s.id, records.length, `handler threw: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      this.report(error, s.id);
      outcome = { retryFrom: 0, failures: records.length, error };
    } finally {
      clearTimeout(timer);
      this.inFlight--;
    }
    this.counters.failures += outcome.failures;
    try {
      this.opts.onBatch?.({
        shardId: s.id,
        records: records.length,
        failures: outcome.failures,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      });
    } catch {
      /* observers must not break delivery */
    }
    return outcome;
  }

  private interpret(records: KinesisRecord[], response: KinesisStreamBatchResponse | void): DeliveryOutcome {
    if (!this.opts.reportBatchItemFailures || !response || typeof response !== 'object') return { failures: 0 };
    const failures = (response as Partial<KinesisStreamBatchResponse>).batchItemFailures;
    if (!Array.isArray(failures) || failures.length === 0) return { failures: 0 };
    const index = new Map<string, number>();
    records.forEach((r, i) => index.set(r.SequenceNumber ?? '', i));
    let retryFrom = Number.POSITIVE_INFINITY;
    for (const f of failures) {
      const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      const i = typeof id === 'string' && id !== '' ? index.get(id) : undefined;
      // Like Lambda: a null, empty or unknown identifier fails the whole batch.
      if (i === undefined) return { retryFrom: 0, failures: records.length };
      retryFrom = Math.min(retryFrom, i);
    }
    return { retryFrom, failures: failures.length };
  }
}

/** Compares Kinesis sequence numbers numerically (they exceed Number precision); for `Array.sort`. */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
