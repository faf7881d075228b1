/**
 * Parsing of one raw log message into a {@link ParsedEvent}: format auto-detection (JSON, HTTP
 * access, logfmt key=value, plain text with a header), level, timestamp, template body, HTTP status
 * and canonical numeric fields. On the hot path: cheap first-character checks, regexes compiled
 * once, never throws.
 */
import type { Level, NumericField, ParsedEvent } from './types';

type Scalar = string | number | boolean;

// ---------------------------------------------------------------------------------------------
// Timestamps
// ---------------------------------------------------------------------------------------------

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};
const ISO_TS =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s?(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?$/i;
const CLF_TS = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s+([+-]\d{4}))?$/;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z' || zone === 'z' || /^(UTC|GMT)$/i.test(zone)) return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}

function fractionMs(frac: string | undefined): number {
  return frac ? Number((frac + '00').slice(0, 3)) : 0;
}

/**
 * Converts a timestamp value to epoch milliseconds.
 * Numbers (or numeric strings) are read by magnitude: seconds (< 1e11), milliseconds (< 1e14),
 * microseconds (< 1e17), else nanoseconds. Strings: ISO 8601 / `YYYY-MM-DD HH:MM:SS[,.]fff` (UTC
 * when no zone), CLF `01/May/2024:12:00:00 +0000`, else whatever `Date.parse` accepts with a zone.
 * @returns epoch ms, or undefined when the value is not a recognisable timestamp
 */
export function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? byMagnitude(value) : undefined;
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const s = value.trim();
  if (NUMERIC.test(s)) return toEpochMs(Number(s));
  let m = ISO_TS.exec(s);
  if (m) {
    const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), fractionMs(m[7]));
    return Number.isNaN(t) ? undefined : t - zoneOffsetMs(m[8]);
  }
  m = CLF_TS.exec(s);
  if (m) {
    const mon = MONTHS[m[2].toLowerCase()];
    if (mon === undefined) return undefined;
    return Date.UTC(+m[3], mon, +m[1], +m[4], +m[5], +m[6]) - zoneOffsetMs(m[7]);
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function byMagnitude(n: number): number {
  if (n < 1e11) return Math.round(n * 1000);
  if (n < 1e14) return Math.round(n);
  if (n < 1e17) return Math.round(n / 1000);
  return Math.round(n / 1e6);
}

/** Syslog timestamps have no year: take the envelope's, or the previous one if that lands > 1 day ahead. */
function syslogTime(mon: string, day: string, hh: string, mm: string, ss: string, frac: string | undefined, envelope: number): number | undefined {
  const month = MONTHS[mon.toLowerCase()];
  if (month === undefined) return undefined;
  const year = new Date(envelope).getUTCFullYear();
  let t = Date.UTC(year, month, +day, +hh, +mm, +ss, fractionMs(frac));
  if (t - envelope > 86_400_000) t = Date.UTC(year - 1, month, +day, +hh, +mm, +ss, fractionMs(frac));
  return t;
}

// ---------------------------------------------------------------------------------------------
// Levels
// ---------------------------------------------------------------------------------------------

const LEVEL_WORDS: Record<string, Level> = {
  trace: 'TRACE', trc: 'TRACE', finest: 'TRACE', finer: 'TRACE',
  debug: 'DEBUG', dbg: 'DEBUG', fine: 'DEBUG', verbose: 'DEBUG', config: 'DEBUG',
  info: 'INFO', inf: 'INFO', information: 'INFO', informational: 'INFO', notice: 'INFO',
  warn: 'WARN', warning: 'WARN', wrn: 'WARN',
  error: 'ERROR', err: 'ERROR', eror: 'ERROR', severe: 'ERROR',
  fatal: 'FATAL', critical: 'FATAL', crit: 'FATAL', alert: 'FATAL', emerg: 'FATAL', emergency: 'FATAL', panic: 'FATAL',
};
/** Syslog severities 0..7. */
const SYSLOG_SEVERITY: Level[] = ['FATAL', 'FATAL', 'FATAL', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG'];

/**
 * Normalises a level value: words (`warning`, `err`, `crit`...), pino/bunyan numbers (10..60) and
 * syslog severities (0..7).
 */
export function normaliseLevel(value: unknown): Level {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) {
    const n = Number(value);
    if (n >= 0 && n <= 7) return SYSLOG_SEVERITY[n];
    if (n >= 10) return n < 20 ? 'TRACE' : n < 30 ? 'DEBUG' : n < 40 ? 'INFO' : n < 50 ? 'WARN' : n < 60 ? 'ERROR' : 'FATAL';
    return 'UNKNOWN';
  }
  if (typeof value !== 'string') return 'UNKNOWN';
  return LEVEL_WORDS[value.trim().toLowerCase()] ?? 'UNKNOWN';
}

function levelOfStatus(status: number): Level {
  return status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO';
}

// ---------------------------------------------------------------------------------------------
// Canonical fields
// ---------------------------------------------------------------------------------------------

const MSG_KEYS = new Set(['msg', 'message']);
const LEVEL_KEYS = new Set(['level', 'severity', 'lvl', 'loglevel', 'log_level', 'levelname']);
const TS_KEYS = new Set(['timestamp', 'time', '@timestamp', 'ts']);
const LATENCY_KEYS = new Set([
  'latency', 'latency_ms', 'latencyms', 'duration', 'duration_ms', 'durationms', 'elapsed', 'elapsed_ms', 'elapsedms',
  'response_time', 'responsetime', 'response_time_ms', 'request_time', 'took', 'took_ms', 'latency_s', 'duration_s',
  'duration_sec', 'duration_seconds', 'elapsed_s', 'latency_us', 'duration_us', 'duration_ns', 'rt',
]);
const STATUS_KEYS = new Set(['status', 'statuscode', 'status_code', 'http_status', 'response_code', 'responsecode']);
const BYTES_KEYS = new Set([
  'bytes', 'size', 'content_length', 'contentlength', 'bytes_sent', 'body_bytes_sent', 'response_size', 'resp_bytes',
]);
const CPU_KEYS = new Set(['cpu', 'cpu_pct', 'cpupct', 'cpu_percent', 'cpu_usage', 'cpuusage']);
const MEM_KEYS = new Set(['mem', 'mem_pct', 'mempct', 'mem_percent', 'memory', 'memory_pct', 'memory_percent', 'mem_usage', 'memusage']);

const DURATION_WITH_UNIT = /^(-?\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|sec|secs|seconds|m|min)?$/i;
const GO_DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

/** Latency in ms from a key (unit suffix) and value (number or string with unit). */
function latencyMs(key: string, value: Scalar): number | undefined {
  let unitFromKey = 'ms';
  if (/(?:_s|_sec|_secs|_seconds)$/.test(key) || key === 'request_time') unitFromKey = 's';
  else if (/_us$/.test(key)) unitFromKey = 'us';
  else if (/_ns$/.test(key)) unitFromKey = 'ns';
  if (typeof value === 'number') return scaleMs(value, unitFromKey);
  if (typeof value !== 'string') return undefined;
  const m = DURATION_WITH_UNIT.exec(value.trim());
  if (m) return scaleMs(Number(m[1]), m[2] ? m[2].toLowerCase() : unitFromKey);
  const g = GO_DURATION.exec(value.trim());
  if (g && g[0].length > 0) return (+(g[1] ?? 0) * 3600 + +(g[2] ?? 0) * 60 + +(g[3] ?? 0)) * 1000 + +(g[4] ?? 0);
  return undefined;
}

function scaleMs(n: number, unit: string): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  switch (unit) {
    case 'ns': return n / 1e6;
    case 'us': case 'µs': return n / 1000;
    case 's': case 'sec': case 'secs': case 'seconds': return n * 1000;
    case 'm': case 'min': return n * 60_000;
    default: return n;
  }
}

function toNumber(value: Scalar): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const m = /^(-?\d+(?:\.\d+)?)\s*%?$/.exec(value.trim());
    return m ? Number(m[1]) : undefined;
  }
  return undefined;
}

function percent(key: string, value: Scalar): number | undefined {
  const n = toNumber(value);
  if (n === undefined) return undefined;
  // Fractions (0 < n < 1) without an explicit percent key are read as ratios.
  return n > 0 && n < 1 && !/p(?:ct|ercent)$/.test(key) ? n * 100 : n;
}

/**
 * Routes one flattened field to a canonical slot. Returns true when consumed.
 * Keys are matched on their last dotted segment, lower-cased (`http.status_code` -> `status_code`).
 */
function canonical(key: string, value: Scalar, out: ParsedEvent): boolean {
  const dot = key.lastIndexOf('.');
  const k = (dot >= 0 ? key.slice(dot + 1) : key).toLowerCase();
  if (STATUS_KEYS.has(k)) {
    const n = toNumber(value);
    if (n !== undefined && Number.isInteger(n) && n >= 100 && n <= 599 && out.status === undefined) {
      out.status = n;
      return true;
    }
    return false;
  }
  const slot: NumericField | undefined = LATENCY_KEYS.has(k)
    ? 'latencyMs'
    : BYTES_KEYS.has(k)
      ? 'bytes'
      : CPU_KEYS.has(k)
        ? 'cpuPct'
        : MEM_KEYS.has(k)
          ? 'memPct'
          : undefined;
  if (!slot || out.numeric[slot] !== undefined) return false;
  const n = slot === 'latencyMs' ? latencyMs(k, value) : slot === 'bytes' ? toNumber(value) : percent(k, value);
  if (n === undefined) return false;
  out.numeric[slot] = n;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

function base(envelopeTimestamp: number, body: string): ParsedEvent {
  return { timestamp: envelopeTimestamp, level: 'UNKNOWN', format: 'text', body, numeric: {}, fields: {} };
}

/** Flattens one level: nested objects become `parent.child`; deeper values become JSON strings. */
function flatten(obj: Record<string, unknown>): Array<[string, Scalar]> {
  const out: Array<[string, Scalar]> = [];
  for (const key in obj) {
    const v = obj[key];
    if (v === null || v === undefined) continue;
    if (typeof v === 'object' && !Array.isArray(v)) {
      for (const k2 in v as Record<string, unknown>) {
        const v2 = (v as Record<string, unknown>)[k2];
        if (v2 === null || v2 === undefined) continue;
        out.push([`${key}.${k2}`, scalar(v2)]);
      }
    } else out.push([key, scalar(v)]);
  }
  return out;
}

function scalar(v: unknown): Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
}

/** Stable rendering of a record without a message: `key=value` in the producer's key order. */
function renderKeys(pairs: Array<[string, Scalar]>): string {
  return pairs.map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`).join(' ');
}

/** Shared handling of JSON and logfmt records. */
function structured(pairs: Array<[string, Scalar]>, out: ParsedEvent): ParsedEvent {
  let body: string | undefined;
  const rest: Array<[string, Scalar]> = [];
  for (const [key, value] of pairs) {
    const k = key.toLowerCase();
    if (body === undefined && MSG_KEYS.has(k) && typeof value === 'string') body = value;
    else if (out.level === 'UNKNOWN' && LEVEL_KEYS.has(k)) out.level = normaliseLevel(value);
    else if (TS_KEYS.has(k)) {
      const t = toEpochMs(value);
      if (t !== undefined) out.timestamp = t;
    } else {
      if (!canonical(key, value, out)) out.fields[key] = value;
      rest.push([key, value]);
    }
  }
  out.body = body ?? renderKeys(rest);
  if (out.level === 'UNKNOWN' && out.status !== undefined) out.level = levelOfStatus(out.status);
  return out;
}

function parseJson(message: string, out: ParsedEvent): ParsedEvent | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  out.format = 'json';
  return structured(flatten(doc as Record<string, unknown>), out);
}

const ACCESS =
  /^(\S+) (\S+) (\S+) \[([^\]]+)\] "([A-Z]+) ([^ "]*)(?: ([^"]*))?" (\d{3}) (\d+|-)(?: "([^"]*)" "([^"]*)")?(?: (?:rt=)?(\d+(?:\.\d+)?)(ms|s|us)?)?/;

/**
 * Combined/common log format, optionally followed by a request time: a decimal number is seconds
 * (nginx `$request_time`), an integer is milliseconds unless suffixed (`ms`, `s`, `us`).
 */
function parseAccess(message: string, out: ParsedEvent): ParsedEvent | undefined {
  const m = ACCESS.exec(message);
  if (!m) return undefined;
  out.format = 'access';
  const t = toEpochMs(m[4]);
  if (t !== undefined) out.timestamp = t;
  const status = Number(m[8]);
  out.status = status;
  out.level = levelOfStatus(status);
  const q = m[6].indexOf('?');
  const path = q >= 0 ? m[6].slice(0, q) : m[6];
  out.body = `${m[5]} ${path} ${status}`;
  if (m[9] !== '-') out.numeric.bytes = Number(m[9]);
  if (m[12] !== undefined) {
    const unit = m[13] ?? (m[12].includes('.') ? 's' : 'ms');
    const ms = scaleMs(Number(m[12]), unit);
    if (ms !== undefined) out.numeric.latencyMs = ms;
  }
  const f = out.fields;
  f.remote = m[1];
  if (m[3] !== '-') f.user = m[3];
  f.method = m[5];
  f.path = path;
  if (m[7]) f.protocol = m[7];
  if (m[10] !== undefined && m[10] !== '-') f.referer = m[10];
  if (m[11] !== undefined && m[11] !== '-') f.userAgent = m[11];
  return out;
}

const KV_PAIR = /([A-Za-z_@][\w.@-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
const KV_START = /^[A-Za-z_@][\w.@-]*=/;

function kvPairs(text: string): Array<[string, Scalar]> {
  const pairs: Array<[string, Scalar]> = [];
  KV_PAIR.lastIndex = 0;
  for (let m = KV_PAIR.exec(text); m; m = KV_PAIR.exec(text)) {
    let v: string = m[2];
    if (v.length >= 2 && v[0] === '"') {
      try {
        v = JSON.parse(v) as string;
      } catch {
        v = v.slice(1, -1);
      }
    }
    pairs.push([m[1], kvValue(v)]);
  }
  return pairs;
}

function kvValue(v: string): Scalar {
  if (NUMERIC.test(v) && v.length < 16) return Number(v);
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

function parseKv(message: string, out: ParsedEvent): ParsedEvent | undefined {
  if (!KV_START.test(message)) return undefined;
  const pairs = kvPairs(message);
  if (pairs.length < 2) return undefined;
  out.format = 'kv';
  return structured(pairs, out);
}

const TEXT_ISO =
  /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:\s?(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT))?)\]?[\s|:-]*/;
const TEXT_SYSLOG =
  /^(?:<(\d{1,3})>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? (\S+) ([^\s:[]+)(?:\[(\d+)\])?: ?/;
const TEXT_LEVEL =
  /^((?:\[[^\]]*\]\s*){0,2})\[?(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|FATAL|CRITICAL|CRIT|ALERT|EMERG|PANIC|trace|debug|info|notice|warn|warning|error|fatal|critical)\]?(?::\s*|\s+|$)/;
const TEXT_THREAD = /^\[([^\]]{1,64})\]\s+/;
const TEXT_LOGGER = /^([A-Za-z_$][\w$]*(?:\.[\w$]+)+|[A-Za-z_$][\w$]*)\s+-\s+/;

/** ctime-style stamps, e.g. Apache's error log: `[Sun Dec 04 04:47:44 2005]` (optionally with fraction). */
const TEXT_CTIME = /^\[?(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? (\d{4})\]?\s*/;

function parseText(message: string, out: ParsedEvent, envelopeTimestamp: number): ParsedEvent {
  let rest = message;
  let m = TEXT_ISO.exec(rest);
  if (m) {
    const t = toEpochMs(m[1]);
    if (t !== undefined) out.timestamp = t;
    rest = rest.slice(m[0].length);
  } else if ((m = TEXT_CTIME.exec(rest))) {
    const month = MONTHS[m[1].toLowerCase()];
    if (month !== undefined) out.timestamp = Date.UTC(+m[7], month, +m[2], +m[3], +m[4], +m[5], fractionMs(m[6]));
    rest = rest.slice(m[0].length);
  } else if ((m = TEXT_SYSLOG.exec(rest))) {
    const t = syslogTime(m[2], m[3], m[4], m[5], m[6], m[7], envelopeTimestamp);
    if (t !== undefined) out.timestamp = t;
    if (m[1] !== undefined) out.level = SYSLOG_SEVERITY[Number(m[1]) % 8];
    out.fields.host = m[8];
    out.fields.process = m[9];
    if (m[10] !== undefined) out.fields.pid = Number(m[10]);
    rest = rest.slice(m[0].length);
  }
  const l = TEXT_LEVEL.exec(rest);
  if (l) {
    out.level = normaliseLevel(l[2]);
    const before = l[1].trim();
    rest = (before ? before + ' ' : '') + rest.slice(l[0].length);
    if (!before) {
      const th = TEXT_THREAD.exec(rest);
      if (th) {
        out.fields.thread = th[1];
        rest = rest.slice(th[0].length);
      }
    } else if (/^\[[^\]]*\]$/.test(before)) {
      out.fields.thread = before.slice(1, -1);
      rest = rest.slice(before.length + 1);
    }
    const lg = TEXT_LOGGER.exec(rest);
    if (lg) {
      out.fields.logger = lg[1];
      rest = rest.slice(lg[0].length);
    }
  }
  out.body = rest.trim();
  if (out.body.includes('=')) {
    for (const [k, v] of kvPairs(out.body)) if (!canonical(k, v, out) && !(k in out.fields)) out.fields[k] = v;
  }
  return out;
}

/**
 * Parses one raw log message. Formats are tried cheapest-first: JSON (first char `{`), HTTP access
 * (combined/common log format), logfmt (`key=value ...` from the first char), else text with an
 * optional leading timestamp (ISO/SQL or syslog) and level. Never throws: unrecognised input is
 * `format: 'text'`, `level: 'UNKNOWN'`, with the whole trimmed message as body.
 * @param message - the raw message
 * @param envelopeTimestamp - epoch ms used when the line carries no (parseable) timestamp
 */
export function parseLine(message: string, envelopeTimestamp: number): ParsedEvent {
  const msg = typeof message === 'string' ? message.trim() : String(message ?? '');
  const out = base(envelopeTimestamp, msg);
  try {
    const c = msg.charCodeAt(0);
    if (c === 123 /* { */) {
      const r = parseJson(msg, out);
      if (r) return r;
    }
    if (msg.includes('] "')) {
      const r = parseAccess(msg, out);
      if (r) return r;
    }
    if (msg.includes('=')) {
      const r = parseKv(msg, out);
      if (r) return r;
    }
    return parseText(msg, out, envelopeTimestamp);
  } catch {
    return base(envelopeTimestamp, msg);
  }
}
