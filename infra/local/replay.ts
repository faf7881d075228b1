import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';

/** One record to put: the data bytes and the partition key (Kinesis hashes the key to pick a shard). */
export interface Payload {
  data: Uint8Array;
  partitionKey: string;
}

/** Options for {@link putPayloads}. */
export interface PutPayloadsOptions {
  /** Called after each PutRecords call with records settled so far (succeeded or given up) and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Attempts per record (first try included), 6 by default. */
  maxAttempts?: number;
  /** First backoff between attempts, doubled each time up to 2 s; 50 ms by default. */
  baseDelayMs?: number;
}

/** Outcome of {@link putPayloads}. */
export interface PutPayloadsResult {
  /** Records Kinesis accepted. */
  records: number;
  /** Records still rejected after `maxAttempts` (throttled or failed). */
  failed: number;
}

/** A payload breaks a hard Kinesis limit (it would never be accepted). */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    readonly index: number,
    readonly bytes: number,
  ) {
    super(`payload ${index} is ${bytes} bytes (data + partition key); Kinesis accepts at most ${MAX_RECORD_BYTES} per record`);
  }
}

/** PutRecords limits. */
export const PUT_RECORDS_LIMITS = { maxRecords: 500, maxRequestBytes: 5 * 1024 * 1024 } as const;
const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_PARTITION_KEY_CHARS = 256;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function recordBytes(p: Payload): number {
  return p.data.byteLength + Buffer.byteLength(p.partitionKey, 'utf8');
}

/** Splits indices into PutRecords-sized chunks: <= 500 records and <= 5 MiB (data + keys) each. */
function chunk(indices: number[], payloads: Payload[]): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const i of indices) {
    const size = recordBytes(payloads[i]);
    if (current.length > 0 && (current.length >= PUT_RECORDS_LIMITS.maxRecords || bytes + size > PUT_RECORDS_LIMITS.maxRequestBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Puts payloads into a stream with PutRecords, in chunks of at most 500 records and 5 MiB, in order.
 * Entries Kinesis rejects (`FailedRecordCount`, e.g. throttling) and whole calls that throw are
 * retried with exponential backoff, at most `maxAttempts` times per record; what still fails is
 * counted in `failed`, never thrown.
 * @throws PayloadTooLargeError when a single payload exceeds 1 MiB (before anything is put)
 */
export async function putPayloads(
  kinesis: KinesisClient,
  streamName: string,
  payloads: Payload[],
  options: PutPayloadsOptions = {},
): Promise<PutPayloadsResult> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const baseDelayMs = Math.max(0, options.baseDelayMs ?? 50);
  payloads.forEach((p, i) => {
    const bytes = recordBytes(p);
    if (bytes > MAX_RECORD_BYTES) throw new PayloadTooLargeError(i, bytes);
    if (p.partitionKey.length < 1 || p.partitionKey.length > MAX_PARTITION_KEY_CHARS) {
      throw new RangeError(`payload ${i}: partition key must be 1..${MAX_PARTITION_KEY_CHARS} characters, got ${p.partitionKey.length}`);
    }
  });
  const total = payloads.length;
  let succeeded = 0;
  let gaveUp = 0;
  const report = (): void => options.onProgress?.(succeeded + gaveUp, total);

  for (const first of chunk(
    payloads.map((_, i) => i),
    payloads,
  )) {
    let pending = first;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const entries: PutRecordsRequestEntry[] = pending.map((i) => ({ Data: payloads[i].data, PartitionKey: payloads[i].partitionKey }));
      let retry: number[];
      try {
        const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
        const results = out.Records ?? [];
        retry = pending.filter((_, j) => !results[j] || Boolean(results[j].ErrorCode) || !results[j].SequenceNumber);
        succeeded += pending.length - retry.length;
      } catch {
        // Throttled or unreachable: the whole call is retried, bounded like entry failures.
        if (attempt >= maxAttempts) {
          gaveUp += pending.length;
          report();
          break;
        }
        retry = pending;
      }
      if (retry.length > 0 && attempt >= maxAttempts) {
        gaveUp += retry.length;
        retry = [];
      }
      report();
      pending = retry;
      if (pending.length > 0) await sleep(Math.min(2_000, baseDelayMs * 2 ** (attempt - 1)));
    }
  }
  return { records: succeeded, failed: gaveUp };
}
