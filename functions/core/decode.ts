/**
 * Decoding of Kinesis record data into log events.
 *
 * Two payloads are accepted:
 * 1. CloudWatch Logs subscription payloads: gzip (magic `1f 8b`) of the JSON DATA_MESSAGE or
 *    CONTROL_MESSAGE (see subscription.ts), validated against the Powertools parser's
 *    `CloudWatchLogsDecodeSchema` shape.
 * 2. Plain JSON put directly by producers: one JSON object, or newline-delimited JSON objects.
 *
 * Anything else throws {@link DecodeError}.
 */
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import type { DecodedRecord, LogEvent } from './types';
import { toEpochMs } from './parse';

/** Why a record could not be decoded. */
export type DecodeFailure = 'base64' | 'gzip' | 'json' | 'schema' | 'empty';

/** A record that is neither a valid subscription payload nor plain JSON log lines. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  /**
   * @param reason - machine-readable failure class
   * @param message - what was wrong, for humans
   */
  constructor(
    readonly reason: DecodeFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Envelope fields of a CloudWatch Logs subscription message (events are checked in a tight loop). */
const SubscriptionEnvelopeSchema = z.object({
  messageType: z.enum(['DATA_MESSAGE', 'CONTROL_MESSAGE']),
  owner: z.string(),
  logGroup: z.string(),
  logStream: z.string(),
  subscriptionFilters: z.array(z.string()),
  logEvents: z.array(z.unknown()),
});

/** Arrival metadata of the Kinesis record, used when the payload lacks its own. */
export interface DecodeFallback {
  /** Kinesis approximate arrival time, epoch ms. */
  arrivalTimestamp: number;
  sequenceNumber: string;
  partitionKey?: string;
  /** Region used in derived `/harbinger/<region>/<service>` log groups (default `default`). */
  region?: string;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function toBytes(data: string | Uint8Array): Buffer {
  if (typeof data !== 'string') return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const len = data.length;
  const bytes = Buffer.from(data, 'base64');
  // Node skips invalid characters silently; a length mismatch reveals them in O(1).
  const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  if (len % 4 === 1 || bytes.length !== Math.floor((len * 3) / 4) - pad || !BASE64.test(data.slice(0, 64))) {
    if (!BASE64.test(data)) {
      const bad = /[^A-Za-z0-9+/_=-]/.exec(data);
      throw new DecodeError('base64', `record data is not valid base64 (unexpected ${JSON.stringify(bad?.[0] ?? '=')} at offset ${bad?.index ?? data.indexOf('=')})`);
    }
    throw new DecodeError('base64', `record data is not valid base64 (length ${len} cannot be decoded)`);
  }
  return bytes;
}

/**
 * Decodes one Kinesis record's data.
 * @param data - base64 string (as in a KinesisStreamEvent) or raw bytes
 * @param fallback - arrival metadata for plain JSON lines (ids, timestamps, log stream)
 * @returns `{kind:'control'}` for CONTROL_MESSAGE, otherwise the events
 * @throws DecodeError on bad base64, bad gzip, invalid JSON or a schema mismatch
 */
export function decodeRecord(data: string | Uint8Array, fallback: DecodeFallback): DecodedRecord {
  const bytes = toBytes(data);
  if (bytes.length === 0) throw new DecodeError('empty', 'record data is empty');
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return decodeSubscription(bytes);
  return decodePlainJson(bytes, fallback);
}

function decodeSubscription(gz: Buffer): DecodedRecord {
  let text: string;
  try {
    text = gunzipSync(gz).toString('utf8');
  } catch (err) {
    throw new DecodeError('gzip', `record has gzip magic bytes but does not gunzip: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DecodeError('json', `gunzipped subscription payload is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const env = SubscriptionEnvelopeSchema.safeParse(doc);
  if (!env.success) {
    const issue = env.error.issues[0];
    throw new DecodeError(
      'schema',
      `gunzipped payload is not a CloudWatch Logs subscription message: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const msg = env.data;
  if (msg.messageType === 'CONTROL_MESSAGE') return { kind: 'control' };
  const { logGroup, logStream } = msg;
  const raw = msg.logEvents;
  const events: LogEvent[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i] as { id?: unknown; timestamp?: unknown; message?: unknown } | null;
    if (
      e === null ||
      typeof e !== 'object' ||
      typeof e.id !== 'string' ||
      typeof e.timestamp !== 'number' ||
      typeof e.message !== 'string'
    ) {
      throw new DecodeError('schema', `logEvents[${i}] must be {id: string, timestamp: number, message: string}`);
    }
    events[i] = { id: e.id, timestamp: e.timestamp, message: e.message, logGroup, logStream };
  }
  return { kind: 'data', owner: msg.owner, logGroup, logStream, events };
}

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function decodePlainJson(bytes: Buffer, fallback: DecodeFallback): DecodedRecord {
  const text = bytes.toString('utf8').trim();
  if (text.length === 0) throw new DecodeError('empty', 'record data is blank');
  if (text[0] !== '{') {
    throw new DecodeError(
      'json',
      `record is neither gzip (no 1f 8b magic) nor a JSON object (starts with ${JSON.stringify(text.slice(0, 20))})`,
    );
  }
  const docs: Array<{ obj: JsonObject; line: string }> = [];
  let whole: unknown;
  let wholeOk = false;
  try {
    whole = JSON.parse(text);
    wholeOk = true;
  } catch {
    // fall through to NDJSON
  }
  if (wholeOk) {
    if (!isObject(whole)) throw new DecodeError('schema', 'plain JSON record must be an object');
    docs.push({ obj: whole, line: text });
  } else {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line.length === 0) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (err) {
        throw new DecodeError('json', `plain JSON record, line ${i + 1} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
      if (!isObject(v)) throw new DecodeError('schema', `plain JSON record, line ${i + 1} must be a JSON object`);
      docs.push({ obj: v, line });
    }
  }
  const events = docs.map(({ obj, line }, index) => plainEvent(obj, line, index, fallback));
  return { kind: 'data', logGroup: events[0].logGroup, logStream: events[0].logStream, events };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Maps one plain JSON object to a LogEvent:
 * - logGroup: `logGroup` | `log_group`; else `/harbinger/<region>/<service>` from `service`
 *   (region from `region` | `aws_region`, else fallback.region, else `default`); else `unknown`.
 * - logStream: `logStream` | `log_stream`; else the partition key; else `direct`.
 * - timestamp: `timestamp` | `time` | `@timestamp` | `ts` (epoch s/ms/µs/ns or ISO); else arrival time.
 * - id: `${sequenceNumber}:${index}`; message: the original JSON line.
 */
function plainEvent(obj: JsonObject, line: string, index: number, fallback: DecodeFallback): LogEvent {
  let logGroup = str(obj.logGroup) ?? str(obj.log_group);
  if (!logGroup) {
    const service = str(obj.service);
    const region = str(obj.region) ?? str(obj.aws_region) ?? fallback.region ?? 'default';
    logGroup = service ? `/harbinger/${region}/${service}` : 'unknown';
  }
  const logStream = str(obj.logStream) ?? str(obj.log_stream) ?? fallback.partitionKey ?? 'direct';
  const ts = toEpochMs(obj.timestamp ?? obj.time ?? obj['@timestamp'] ?? obj.ts);
  return {
    id: `${fallback.sequenceNumber}:${index}`,
    timestamp: ts ?? fallback.arrivalTimestamp,
    message: line,
    logGroup,
    logStream,
  };
}
