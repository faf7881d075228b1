/**
 * Mergeable per-(partition, minute) partial aggregates, their flat DynamoDB attribute encoding,
 * and the scalar window features computed from them.
 */
import { addBuckets, bucketOf, quantileFromBuckets } from './histogram';
import { LEVELS, NUMERIC_FIELDS } from './types';
import type { FeatureName, Level, NumericField, ParsedEvent, TemplateMatch, WindowFeatures, WindowPartial } from './types';

/** One minute in milliseconds. */
export const MINUTE_MS = 60_000;

/** Floors an epoch-ms timestamp to the start of its minute. */
export function minuteOf(ts: number): number {
  return Math.floor(ts / MINUTE_MS) * MINUTE_MS;
}

/** A partial with nothing in it. */
export function emptyPartial(partition: string, windowStart: number): WindowPartial {
  return {
    partition,
    windowStart,
    count: 0,
    bytes: 0,
    levels: {},
    statusClasses: {},
    templates: {},
    newTemplates: {},
    histograms: {},
    sums: {},
    patternViolations: {},
    samples: {},
    templateText: {},
  };
}

const utf8 = new TextEncoder();

/** UTF-8 byte length of a string. */
export function utf8Length(s: string): number {
  // Fast path for ASCII.
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.length : utf8.encode(s).length;
}

/** Status class (`2xx`..`5xx`) of an HTTP status, or undefined when out of range. */
export function statusClassOf(status: number | undefined): string | undefined {
  if (status === undefined || !Number.isFinite(status)) return undefined;
  const c = Math.floor(status / 100);
  return c >= 1 && c <= 5 ? `${c}xx` : undefined;
}

/** Input of {@link addEvent}. */
export interface PartialEvent {
  parsed: ParsedEvent;
  match: TemplateMatch;
  /** The raw message (its UTF-8 length is added to `bytes`). */
  raw: string;
  /** Redacted raw line, kept as the template's sample when it is the first one. */
  sample?: string;
}

/**
 * Adds one event to a partial (mutates `p`).
 */
export function addEvent(p: WindowPartial, e: PartialEvent): void {
  const { parsed, match } = e;
  p.count += 1;
  p.bytes += utf8Length(e.raw);
  p.levels[parsed.level] = (p.levels[parsed.level] ?? 0) + 1;
  const sc = statusClassOf(parsed.status);
  if (sc) p.statusClasses[sc] = (p.statusClasses[sc] ?? 0) + 1;
  const id = match.templateId;
  p.templates[id] = (p.templates[id] ?? 0) + 1;
  if (match.isNew) {
    p.newTemplates[id] = (p.newTemplates[id] ?? 0) + 1;
    if (p.templateText[id] === undefined) p.templateText[id] = match.template;
  }
  for (const field of NUMERIC_FIELDS) {
    const v = parsed.numeric[field];
    if (v === undefined || !Number.isFinite(v)) continue;
    const h = (p.histograms[field] ??= {});
    const b = bucketOf(v);
    h[b] = (h[b] ?? 0) + 1;
    p.sums[field] = (p.sums[field] ?? 0) + v;
  }
  if (e.sample !== undefined && p.samples[id] === undefined) p.samples[id] = e.sample;
}

/** Adds ordered-pattern violations (one per id occurrence) to a partial (mutates `p`). */
export function addPatternViolations(p: WindowPartial, ids: string[]): void {
  for (const id of ids) p.patternViolations[id] = (p.patternViolations[id] ?? 0) + 1;
}

function addCounts<K extends string>(a: Partial<Record<K, number>>, b: Partial<Record<K, number>>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = { ...a };
  for (const [k, v] of Object.entries(b) as Array<[K, number]>) out[k] = (out[k] ?? 0) + v;
  return out;
}

function firstWins(a: Record<string, string>, b: Record<string, string>): Record<string, string> {
  return { ...b, ...a };
}

/**
 * Merges two partials of the same window (pure; counts and sums add, samples/template text:
 * `a` wins). Commutative and associative for all additive fields.
 */
export function mergePartials(a: WindowPartial, b: WindowPartial): WindowPartial {
  const histograms: WindowPartial['histograms'] = {};
  for (const f of NUMERIC_FIELDS) {
    const ha = a.histograms[f];
    const hb = b.histograms[f];
    if (!ha && !hb) continue;
    histograms[f] = addBuckets(addBuckets({}, ha ?? {}), hb ?? {});
  }
  return {
    partition: a.partition,
    windowStart: a.windowStart,
    count: a.count + b.count,
    bytes: a.bytes + b.bytes,
    levels: addCounts(a.levels, b.levels),
    statusClasses: addCounts(a.statusClasses, b.statusClasses) as Record<string, number>,
    templates: addCounts(a.templates, b.templates) as Record<string, number>,
    newTemplates: addCounts(a.newTemplates, b.newTemplates) as Record<string, number>,
    histograms,
    sums: addCounts(a.sums, b.sums),
    patternViolations: addCounts(a.patternViolations, b.patternViolations) as Record<string, number>,
    samples: firstWins(a.samples, b.samples),
    templateText: firstWins(a.templateText, b.templateText),
  };
}

/**
 * Attribute-name prefixes of the flat encoding (everything else on the item is ignored):
 * `n` count, `b` bytes, `l_<LEVEL>`, `sc_<class>`, `t_<templateId>`, `nt_<templateId>`,
 * `h_<field>_<bucket>` (negative bucket `-3` written `m3`), `s_<field>`, `pv_<patternId>`;
 * set-if-absent strings `smp_<templateId>`, `tt_<templateId>`.
 */
export const ATTR = {
  count: 'n',
  bytes: 'b',
  level: 'l_',
  statusClass: 'sc_',
  template: 't_',
  newTemplate: 'nt_',
  histogram: 'h_',
  sum: 's_',
  patternViolation: 'pv_',
  sample: 'smp_',
  templateText: 'tt_',
} as const;

function encodeBucket(i: number): string {
  return i < 0 ? `m${-i}` : String(i);
}

function decodeBucket(s: string): number | undefined {
  const m = /^(m?)(\d+)$/.exec(s);
  if (!m) return undefined;
  const v = Number(m[2]);
  return m[1] ? -v : v;
}

/**
 * Flat encoding of a partial for ONE DynamoDB UpdateItem: every number is a top-level attribute
 * (so `ADD` works without pre-existing maps), every non-additive string a set-if-absent attribute
 * (`if_not_exists`). Zero counts are omitted. Names use only `[A-Za-z0-9_]` and are unambiguous:
 * the prefix is everything up to the first `_`, and numeric field names contain no `_`.
 */
export function partialToAttributes(p: WindowPartial): { adds: Record<string, number>; firsts: Record<string, string> } {
  const adds: Record<string, number> = {};
  const firsts: Record<string, string> = {};
  const put = (k: string, v: number | undefined): void => {
    if (v !== undefined && v !== 0 && Number.isFinite(v)) adds[k] = v;
  };
  put(ATTR.count, p.count);
  put(ATTR.bytes, p.bytes);
  for (const [k, v] of Object.entries(p.levels)) put(ATTR.level + k, v);
  for (const [k, v] of Object.entries(p.statusClasses)) put(ATTR.statusClass + k, v);
  for (const [k, v] of Object.entries(p.templates)) put(ATTR.template + k, v);
  for (const [k, v] of Object.entries(p.newTemplates)) put(ATTR.newTemplate + k, v);
  for (const f of NUMERIC_FIELDS) {
    const h = p.histograms[f];
    if (h) for (const [b, v] of Object.entries(h)) put(`${ATTR.histogram}${f}_${encodeBucket(Number(b))}`, v);
    put(ATTR.sum + f, p.sums[f]);
  }
  for (const [k, v] of Object.entries(p.patternViolations)) put(ATTR.patternViolation + k, v);
  for (const [k, v] of Object.entries(p.samples)) firsts[ATTR.sample + k] = v;
  for (const [k, v] of Object.entries(p.templateText)) firsts[ATTR.templateText + k] = v;
  return { adds, firsts };
}

const LEVEL_SET = new Set<string>(LEVELS);
const FIELD_SET = new Set<string>(NUMERIC_FIELDS);

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * Inverse of {@link partialToAttributes}: rebuilds a partial from a stored window item.
 * Ignores attributes it does not own (pk, sk, openShard, guards, ...) and malformed values.
 */
export function attributesToPartial(partition: string, windowStart: number, attrs: Record<string, unknown>): WindowPartial {
  const p = emptyPartial(partition, windowStart);
  for (const [name, raw] of Object.entries(attrs)) {
    if (name === ATTR.count || name === ATTR.bytes) {
      const v = toNumber(raw);
      if (v !== undefined) p[name === ATTR.count ? 'count' : 'bytes'] = v;
      continue;
    }
    const us = name.indexOf('_');
    if (us <= 0) continue;
    const prefix = name.slice(0, us + 1);
    const rest = name.slice(us + 1);
    if (rest === '') continue;
    if (prefix === ATTR.sample || prefix === ATTR.templateText) {
      if (typeof raw !== 'string') continue;
      if (prefix === ATTR.sample) p.samples[rest] = raw;
      else p.templateText[rest] = raw;
      continue;
    }
    const v = toNumber(raw);
    if (v === undefined) continue;
    switch (prefix) {
      case ATTR.level:
        if (LEVEL_SET.has(rest)) p.levels[rest as Level] = v;
        break;
      case ATTR.statusClass:
        p.statusClasses[rest] = v;
        break;
      case ATTR.template:
        p.templates[rest] = v;
        break;
      case ATTR.newTemplate:
        p.newTemplates[rest] = v;
        break;
      case ATTR.sum:
        if (FIELD_SET.has(rest)) p.sums[rest as NumericField] = v;
        break;
      case ATTR.patternViolation:
        p.patternViolations[rest] = v;
        break;
      case ATTR.histogram: {
        const j = rest.lastIndexOf('_');
        if (j <= 0) break;
        const field = rest.slice(0, j);
        const bucket = decodeBucket(rest.slice(j + 1));
        if (!FIELD_SET.has(field) || bucket === undefined) break;
        const h = (p.histograms[field as NumericField] ??= {});
        h[bucket] = v;
        break;
      }
      default:
        break;
    }
  }
  return p;
}

function sumValues(r: Record<string, number | undefined>): number {
  let s = 0;
  for (const v of Object.values(r)) s += v ?? 0;
  return s;
}

/**
 * Scalar features of a window (every {@link FEATURE_NAMES} entry):
 * - `count`, `bytes` (UTF-8 bytes of raw messages), `errorCount` (ERROR + FATAL);
 * - `errorRate`, `warnRate` over all events (0 when the window is empty);
 * - `status5xxRate`, `status4xxRate` over events that carry a status (0 when none);
 * - `latencyP50/P95/P99` from the `latencyMs` histogram, `bytesP95` from the numeric `bytes`
 *   field's histogram (response size); 0 when the window has no such values;
 * - `newTemplateCount` (events whose template was new), `distinctTemplates`, `patternViolations`.
 */
export function windowFeatures(p: WindowPartial): WindowFeatures {
  const count = p.count;
  const errorCount = (p.levels.ERROR ?? 0) + (p.levels.FATAL ?? 0);
  const warn = p.levels.WARN ?? 0;
  const withStatus = sumValues(p.statusClasses);
  const lat = p.histograms.latencyMs ?? {};
  const byt = p.histograms.bytes ?? {};
  const features: Record<FeatureName, number> = {
    count,
    bytes: p.bytes,
    errorCount,
    errorRate: count > 0 ? errorCount / count : 0,
    warnRate: count > 0 ? warn / count : 0,
    status5xxRate: withStatus > 0 ? (p.statusClasses['5xx'] ?? 0) / withStatus : 0,
    status4xxRate: withStatus > 0 ? (p.statusClasses['4xx'] ?? 0) / withStatus : 0,
    latencyP50: quantileFromBuckets(lat, 0.5),
    latencyP95: quantileFromBuckets(lat, 0.95),
    latencyP99: quantileFromBuckets(lat, 0.99),
    bytesP95: quantileFromBuckets(byt, 0.95),
    newTemplateCount: sumValues(p.newTemplates),
    distinctTemplates: Object.values(p.templates).filter((v) => v > 0).length,
    patternViolations: sumValues(p.patternViolations),
  };
  const newTemplates: Record<string, string> = {};
  for (const [id, n] of Object.entries(p.newTemplates)) {
    if (n > 0) newTemplates[id] = p.templateText[id] ?? '';
  }
  return {
    partition: p.partition,
    windowStart: p.windowStart,
    features,
    templates: { ...p.templates },
    newTemplates,
    samples: { ...p.samples },
  };
}

/** Features of a window in which nothing was logged (used to represent silent minutes). */
export function emptyWindowFeatures(partition: string, windowStart: number): WindowFeatures {
  return windowFeatures(emptyPartial(partition, windowStart));
}
