import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { stableHash } from '../../functions/core/hash';
import { parseLine } from '../../functions/core/parse';
import type { LogEvent } from '../../functions/core/types';

/** How a file was read. */
export type FileKind = 'cloudwatch-export' | 'subscription-payload' | 'lines';

/** One input file after reading. */
export interface ReadFile {
  path: string;
  kind: FileKind;
  events: LogEvent[];
  /** Lines/entries that could not be used (e.g. empty), counted, never silently dropped. */
  skipped: number;
  /** Lines without a timestamp of their own (they take their predecessor's). */
  undated?: number;
  /** True when no line had a timestamp Harbinger could read: every event got the reading time. */
  noTimestamps?: boolean;
}

/**
 * Every file under a path (a file or a folder, recursively), sorted. Hidden files are skipped.
 * @throws Error when the path does not exist
 */
export function listFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error(`No such file or folder: ${path}`);
  }
  if (st.isFile()) return [path];
  const out: string[] = [];
  for (const name of readdirSync(path).sort()) {
    if (name.startsWith('.')) continue;
    out.push(...listFiles(join(path, name)));
  }
  return out;
}

/**
 * Reads one log file into events, auto-detecting: a CloudWatch Logs export (`aws logs
 * filter-log-events` / `get-log-events` JSON with an `events` array), a gzip subscription payload,
 * or plain lines (JSON lines or text). Plain lines get their time from the line itself, and the
 * file name as the service (log group `/harbinger/<region>/<file name>`).
 */
export function readLogFile(path: string, defaultRegion = 'us-east-1', options: { now?: number } = {}): ReadFile {
  let bytes = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const text = bytes.toString('utf8');
  const service = basename(path, extname(path)).replace(/\.(log|jsonl?|txt)$/i, '').replace(/[^a-zA-Z0-9_.-]+/g, '-').toLowerCase() || 'file';
  const logGroup = `/harbinger/${defaultRegion}/${service}`;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const doc = JSON.parse(trimmed) as unknown;
      const fromDoc = fromJsonDocument(doc, logGroup);
      if (fromDoc) return { path, ...fromDoc };
    } catch {
      // not one JSON document: JSON lines or text
    }
  }
  const events: LogEvent[] = [];
  let skipped = 0;
  // The reference time only lends its year to year-less stamps (syslog); a line without any stamp
  // gets its predecessor's time, and lines before the first stamp get the first stamp's time.
  const reference = options.now ?? Date.now();
  let lastTs: number | undefined;
  let undated = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) {
      if (i < lines.length - 1) skipped++;
      continue;
    }
    const parsed = parseLine(line, reference);
    const stamped = parsed.timestamp !== reference;
    if (stamped) {
      if (lastTs === undefined) for (const e of events) e.timestamp = parsed.timestamp;
      lastTs = parsed.timestamp;
    } else undated++;
    events.push({ id: `${stableHash(path)}:${i}`, timestamp: lastTs ?? reference, message: line, logGroup, logStream: basename(path) });
  }
  return { path, kind: 'lines', events, skipped, undated, noTimestamps: lastTs === undefined && events.length > 0 };
}

function fromJsonDocument(doc: unknown, logGroup: string): Omit<ReadFile, 'path'> | null {
  const obj = doc as Record<string, unknown>;
  // Subscription payload (DATA_MESSAGE) saved to a file.
  if (obj && obj.messageType === 'DATA_MESSAGE' && Array.isArray(obj.logEvents)) {
    const events = (obj.logEvents as Array<Record<string, unknown>>).map((e, i) => ({
      id: String(e.id ?? i),
      timestamp: Number(e.timestamp),
      message: String(e.message),
      logGroup: String(obj.logGroup),
      logStream: String(obj.logStream),
    }));
    return { kind: 'subscription-payload', events, skipped: 0 };
  }
  const list = Array.isArray(doc) ? doc : Array.isArray(obj?.events) ? (obj.events as unknown[]) : null;
  if (!list || !list.every((e) => e && typeof e === 'object' && 'message' in (e as object) && 'timestamp' in (e as object))) return null;
  let skipped = 0;
  const events: LogEvent[] = [];
  for (const [i, raw] of (list as Array<Record<string, unknown>>).entries()) {
    const ts = Number(raw.timestamp);
    if (!Number.isFinite(ts)) {
      skipped++;
      continue;
    }
    events.push({
      id: String(raw.eventId ?? i),
      timestamp: ts,
      message: String(raw.message).replace(/\n$/, ''),
      logGroup: typeof raw.logGroupName === 'string' ? raw.logGroupName : logGroup,
      logStream: String(raw.logStreamName ?? 'export'),
    });
  }
  return { kind: 'cloudwatch-export', events, skipped };
}
