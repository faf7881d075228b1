/**
 * Batches log events into Kinesis records exactly as a CloudWatch Logs subscription filter would:
 * one gzip DATA_MESSAGE per log stream per batch, never mixing streams, partition key = log stream
 * (the stack sets the filter's distribution to ByLogStream, so a stream stays on one shard and
 * ordered patterns can be checked per stream).
 */
import { encodeSubscriptionPayload, type EncodeOptions } from '../subscription';
import type { LogEvent } from '../types';

/** Options of {@link toSubscriptionPayloads}. */
export interface PayloadOptions extends EncodeOptions {
  /** Max events in one payload (default 100). */
  maxEventsPerPayload?: number;
  /**
   * Max uncompressed bytes in one payload, counted like PutLogEvents: UTF-8 message bytes plus 26
   * per event (default 1,048,576). A single larger event still goes out alone.
   */
  maxBytes?: number;
  /**
   * Time slice in ms (default 1000): all pending batches are flushed when the events' timestamps
   * enter a new slice, like the subscription's delivery cadence on the simulated clock.
   */
  sliceMs?: number;
}

/** One Kinesis record's worth of subscription data. */
export interface SubscriptionPayload {
  /** gzip of the JSON DATA_MESSAGE (what lands in the Kinesis record's Data). */
  data: Buffer;
  /** Kinesis partition key: the log stream. */
  partitionKey: string;
  logGroup: string;
  logStream: string;
  /** Events in the payload. */
  count: number;
  /** Timestamp of the first and last event, epoch ms. */
  firstTimestamp: number;
  lastTimestamp: number;
}

/** Per-event overhead PutLogEvents counts towards its batch size. */
const EVENT_OVERHEAD = 26;

interface Pending {
  events: LogEvent[];
  bytes: number;
}

/**
 * Groups consecutive events per log stream within a time slice and encodes each group with
 * {@link encodeSubscriptionPayload}. Payloads come out in the order of their first event; counts
 * add up to the number of input events; order within a stream is preserved.
 * @param events - events, normally sorted by timestamp (e.g. from {@link generateEvents})
 * @throws Error when maxEventsPerPayload < 1 or maxBytes < 1
 */
export function* toSubscriptionPayloads(events: Iterable<LogEvent>, options: PayloadOptions = {}): Generator<SubscriptionPayload> {
  const maxEvents = options.maxEventsPerPayload ?? 100;
  const maxBytes = options.maxBytes ?? 1_048_576;
  const sliceMs = options.sliceMs ?? 1000;
  if (!(maxEvents >= 1)) throw new Error(`toSubscriptionPayloads: maxEventsPerPayload must be >= 1 (got ${maxEvents})`);
  if (!(maxBytes >= 1)) throw new Error(`toSubscriptionPayloads: maxBytes must be >= 1 (got ${maxBytes})`);
  if (!(sliceMs > 0)) throw new Error(`toSubscriptionPayloads: sliceMs must be > 0 (got ${sliceMs})`);
  const encode: EncodeOptions = { owner: options.owner, filterName: options.filterName };
  const pending = new Map<string, Pending>();
  let slice = Number.NaN;

  const payload = (p: Pending): SubscriptionPayload => {
    const first = p.events[0];
    return {
      data: encodeSubscriptionPayload(p.events, encode),
      partitionKey: first.logStream,
      logGroup: first.logGroup,
      logStream: first.logStream,
      count: p.events.length,
      firstTimestamp: first.timestamp,
      lastTimestamp: p.events[p.events.length - 1].timestamp,
    };
  };

  for (const e of events) {
    const s = Math.floor(e.timestamp / sliceMs);
    if (s !== slice) {
      // Map iteration follows insertion, i.e. the order of each batch's first event.
      for (const p of pending.values()) yield payload(p);
      pending.clear();
      slice = s;
    }
    const key = `${e.logGroup}\u0000${e.logStream}`;
    const size = Buffer.byteLength(e.message, 'utf8') + EVENT_OVERHEAD;
    let p = pending.get(key);
    if (p && (p.events.length >= maxEvents || p.bytes + size > maxBytes)) {
      yield payload(p);
      pending.delete(key);
      p = undefined;
    }
    if (!p) {
      p = { events: [], bytes: 0 };
      pending.set(key, p);
    }
    p.events.push(e);
    p.bytes += size;
  }
  for (const p of pending.values()) yield payload(p);
}
