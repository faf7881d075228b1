/**
 * Line layouts: how a service writes its lines (JSON keys and their order, logfmt keys, a text
 * header with timestamp, level, thread and logger, an access line), read from one sample line,
 * and the inverse: writing a new line in that layout from a body, a level, a time and values.
 *
 * The key sets and the access-line pattern mirror parse.ts; the round trip (write, then parse with
 * parse.ts) is what the tests and the profile build's role probing check.
 */
import { maskTokensWithRaw, WILDCARD } from './templates';
import { normaliseLevel } from './parse';
import { detectTimeAt, detectTimeValue, renderTime } from './time-styles';
import type { FieldsLayout, Level, LevelCase, LineField, LineLayout, LinePart, ParsedEvent, PartsLayout, SlotStat } from './types';

/** Message, level and timestamp keys as parse.ts reads them (lower-cased). */
const MSG_KEYS = new Set(['msg', 'message']);
const LEVEL_KEYS = new Set(['level', 'severity', 'lvl', 'loglevel', 'log_level', 'levelname']);
const TS_KEYS = new Set(['timestamp', 'time', '@timestamp', 'ts']);
/** The access-line pattern of parse.ts, with match indices. */
const ACCESS =
  /^(\S+) (\S+) (\S+) \[([^\]]+)\] "([A-Z]+) ([^ "]*)(?: ([^"]*))?" (\d{3}) (\d+|-)(?: "([^"]*)" "([^"]*)")?(?: (?:rt=)?(\d+(?:\.\d+)?)(ms|s|us)?)?/d;
const KV_PAIR = /([A-Za-z_@][\w.@-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;
/** Level words the text parser recognises (TEXT_LEVEL in parse.ts). */
const TEXT_LEVEL_WORD =
  /(?<![A-Za-z])(TRACE|DEBUG|INFO|NOTICE|WARNING|WARN|ERROR|ERR|SEVERE|FATAL|CRITICAL|CRIT|ALERT|EMERG|PANIC|trace|debug|info|notice|warning|warn|error|fatal|critical)(?![A-Za-z])/g;

/** Whether a layout is a sequence of parts (text, access) rather than keys (JSON, logfmt). */
export function isPartsLayout(layout: LineLayout): layout is PartsLayout {
  return layout.format === 'text' || layout.format === 'access';
}

/** Placeholder stat of a hole whose values are not summarised yet. */
const EMPTY: SlotStat = { kind: 'cat', n: 0, values: [], shares: [] };

/** One sample line taken apart. */
export interface LineSkeleton {
  /** The layout, with placeholder slot stats for its holes. */
  layout: LineLayout;
  /** Equal for lines written the same way (same keys, header, styles). */
  key: string;
  /** Raw value of each hole (slot part or value field), in layout order. */
  holes: string[];
}

/** What a new line is made of. */
export interface LineValues {
  /** Event time, epoch ms. */
  t: number;
  level: Level;
  /** The message body (template with its slots filled). */
  body: string;
  /** One value per hole of the layout, in layout order. */
  holes: string[];
}

function caseOf(word: unknown): LevelCase {
  if (typeof word === 'number' || (typeof word === 'string' && /^\d+$/.test(word))) return 'number';
  const s = String(word);
  if (s === s.toUpperCase()) return 'upper';
  if (s === s.toLowerCase()) return 'lower';
  return 'title';
}

const PINO: Record<Level, number> = { TRACE: 10, DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50, FATAL: 60, UNKNOWN: 30 };

/** A level written in a case style (`UNKNOWN` is written as INFO). */
export function levelWord(level: Level, c: LevelCase): string | number {
  const w = level === 'UNKNOWN' ? 'INFO' : level;
  switch (c) {
    case 'number':
      return PINO[level];
    case 'lower':
      return w.toLowerCase();
    case 'title':
      return w[0] + w.slice(1).toLowerCase();
    default:
      return w;
  }
}

/** Literal text and value holes of a header fragment: digit-bearing parts become holes. */
function headerPieces(text: string, parts: LinePart[], holes: string[]): void {
  for (const piece of text.split(/(\s+)/)) {
    if (piece === '') continue;
    if (!/\d/.test(piece) || /^\s+$/.test(piece)) {
      parts.push(piece);
      continue;
    }
    const masked = maskTokensWithRaw(piece);
    const m = masked.length === 1 ? masked[0].masked : '';
    if (!m.includes(WILDCARD)) {
      parts.push(piece);
      continue;
    }
    const lits = m.split(WILDCARD);
    const re = new RegExp(`^${lits.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('(.*?)')}$`, 's');
    const got = re.exec(piece);
    if (!got) {
      parts.push(piece);
      continue;
    }
    lits.forEach((lit, i) => {
      if (lit) parts.push(lit);
      if (i < lits.length - 1) {
        parts.push({ slot: EMPTY });
        holes.push(got[i + 1]);
      }
    });
  }
}

function mergeLiterals(parts: LinePart[]): LinePart[] {
  const out: LinePart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p;
    else out.push(p);
  }
  return out;
}

function partsKey(format: string, parts: LinePart[]): string {
  return format + JSON.stringify(parts.map((p) => (typeof p === 'object' && 'slot' in p ? 0 : p)));
}

function textSkeleton(msg: string, parsed: ParsedEvent): LineSkeleton | undefined {
  const body = parsed.body;
  if (!msg.endsWith(body)) return undefined;
  const prefix = msg.slice(0, msg.length - body.length);
  const parts: LinePart[] = [];
  const holes: string[] = [];
  let pos = 0;
  const pri = /^<\d{1,3}>/.exec(prefix);
  if (pri) {
    parts.push(pri[0]);
    pos = pri[0].length;
  }
  const bracket = prefix[pos] === '[' ? 1 : 0;
  const ts = detectTimeAt(prefix.slice(pos + bracket));
  if (ts) {
    if (bracket) parts.push('[');
    parts.push({ ts: ts.style });
    pos += bracket + ts.length;
  }
  const rest = prefix.slice(pos);
  let levelAt = -1;
  let levelLen = 0;
  if (parsed.level !== 'UNKNOWN') {
    TEXT_LEVEL_WORD.lastIndex = 0;
    for (let m = TEXT_LEVEL_WORD.exec(rest); m; m = TEXT_LEVEL_WORD.exec(rest)) {
      if (normaliseLevel(m[1]) === parsed.level) {
        levelAt = m.index;
        levelLen = m[1].length;
        break;
      }
    }
  }
  if (levelAt >= 0) {
    headerPieces(rest.slice(0, levelAt), parts, holes);
    parts.push({ level: caseOf(rest.slice(levelAt, levelAt + levelLen)) });
    headerPieces(rest.slice(levelAt + levelLen), parts, holes);
  } else {
    headerPieces(rest, parts, holes);
  }
  parts.push({ body: -1 });
  const merged = mergeLiterals(parts);
  return { layout: { format: 'text', parts: merged }, key: partsKey('text', merged), holes };
}

function accessSkeleton(msg: string): LineSkeleton | undefined {
  const m = ACCESS.exec(msg);
  if (!m || !m.indices) return undefined;
  const idx = m.indices;
  const parts: LinePart[] = [];
  const holes: string[] = [];
  let last = 0;
  const hole = (v: string): void => {
    parts.push({ slot: EMPTY });
    holes.push(v);
  };
  for (let g = 1; g <= 13; g++) {
    const span = idx[g];
    if (!span) continue;
    if (span[0] > last) parts.push(msg.slice(last, span[0]));
    const v = m[g];
    switch (g) {
      case 4: {
        const style = detectTimeValue(v);
        if (style) parts.push({ ts: style });
        else hole(v);
        break;
      }
      case 6: {
        // The body keeps the path without its query; both are learned as values.
        const q = v.indexOf('?');
        hole(q >= 0 ? v.slice(0, q) : v);
        hole(q >= 0 ? v.slice(q) : '');
        break;
      }
      case 13:
        parts.push(v);
        break;
      default:
        hole(v);
    }
    last = span[1];
  }
  if (last < msg.length) parts.push(msg.slice(last));
  const merged = mergeLiterals(parts);
  return { layout: { format: 'access', parts: merged }, key: partsKey('access', merged), holes };
}

function fieldsKey(format: string, fields: LineField[], extra = ''): string {
  return format + extra + fields.map((f) => `${f.key}|${f.nested ? 1 : 0}|${f.role}|${f.type ?? ''}|${f.style ?? f.level ?? ''}`).join(',');
}

/** Classifies one key/value the way parse.ts's `structured` consumes it. */
function classify(
  key: string,
  value: unknown,
  state: { msg: boolean; level: boolean },
): Pick<LineField, 'role' | 'style' | 'level'> {
  const k = key.toLowerCase();
  if (!state.msg && MSG_KEYS.has(k) && typeof value === 'string') {
    state.msg = true;
    return { role: 'msg' };
  }
  if (!state.level && LEVEL_KEYS.has(k) && (typeof value === 'string' || typeof value === 'number')) {
    if (normaliseLevel(value) !== 'UNKNOWN') {
      state.level = true;
      return { role: 'level', level: caseOf(value) };
    }
    return { role: 'value' };
  }
  if (TS_KEYS.has(k) && (typeof value === 'string' || typeof value === 'number')) {
    const style = detectTimeValue(value);
    if (style) return { role: 'ts', style };
  }
  return { role: 'value' };
}

function jsonType(v: unknown): LineField['type'] {
  if (v === null) return 'null';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'object') return 'json';
  return 'string';
}

function jsonSkeleton(msg: string): LineSkeleton | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(msg);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const fields: LineField[] = [];
  const holes: string[] = [];
  const state = { msg: false, level: false };
  const visit = (key: string, v: unknown, nested: boolean): void => {
    const c = v === null ? { role: 'value' as const } : classify(key, v, state);
    const type = jsonType(v);
    const f: LineField = { key, role: c.role };
    if (nested) f.nested = true;
    if (type !== 'string') f.type = type;
    if (c.role === 'ts') f.style = c.style;
    else if (c.role === 'level') f.level = c.level;
    else if (c.role === 'value') {
      f.slot = EMPTY;
      holes.push(type === 'json' ? JSON.stringify(v) : String(v));
    }
    fields.push(f);
  };
  for (const [key, v] of Object.entries(doc as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) visit(`${key}.${k2}`, v2, true);
    } else visit(key, v, false);
  }
  const colon = /"\s*:\s+/.test(msg) ? ': ' : ':';
  const comma = /,\s+"/.test(msg) ? ', ' : ',';
  const layout: LineLayout = { format: 'json', fields };
  if (colon !== ':') layout.colon = colon;
  if (comma !== ',') layout.comma = comma;
  return { layout, key: fieldsKey('json', fields, colon + comma), holes };
}

function kvValue(v: string): string | number | boolean {
  if (NUMERIC.test(v) && v.length < 16) return Number(v);
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

function kvSkeleton(msg: string): LineSkeleton | undefined {
  const fields: LineField[] = [];
  const holes: string[] = [];
  const state = { msg: false, level: false };
  KV_PAIR.lastIndex = 0;
  for (let m = KV_PAIR.exec(msg); m; m = KV_PAIR.exec(msg)) {
    let raw = m[2];
    if (raw.length >= 2 && raw[0] === '"') {
      try {
        raw = JSON.parse(raw) as string;
      } catch {
        raw = raw.slice(1, -1);
      }
    }
    const c = classify(m[1], kvValue(raw), state);
    const f: LineField = { key: m[1], role: c.role };
    if (c.role === 'ts') f.style = c.style;
    else if (c.role === 'level') f.level = c.level;
    else if (c.role === 'value') {
      f.slot = EMPTY;
      holes.push(raw);
    }
    fields.push(f);
  }
  if (fields.length < 2) return undefined;
  return { layout: { format: 'kv', fields }, key: fieldsKey('kv', fields), holes };
}

/**
 * Takes one raw line apart into a layout and the raw values of its holes.
 * @param line - the raw (redacted) line
 * @param parsed - `parseLine(line, ...)`
 * @returns undefined when the line's structure is not one this module can write back
 */
export function lineSkeleton(line: string, parsed: ParsedEvent): LineSkeleton | undefined {
  const msg = line.trim();
  switch (parsed.format) {
    case 'json':
      return jsonSkeleton(msg);
    case 'access':
      return accessSkeleton(msg);
    case 'kv':
      return kvSkeleton(msg);
    default:
      return textSkeleton(msg, parsed);
  }
}

/** The layout's hole stats, in the order of {@link LineValues.holes}. */
export function layoutHoles(layout: LineLayout): SlotStat[] {
  const out: SlotStat[] = [];
  if (isPartsLayout(layout)) {
    for (const p of layout.parts) if (typeof p === 'object' && 'slot' in p) out.push(p.slot);
  } else {
    for (const f of layout.fields) if (f.role === 'value') out.push(f.slot ?? EMPTY);
  }
  return out;
}

/** A copy of `layout` with its holes' stats replaced, in hole order. */
export function withHoleStats(layout: LineLayout, stats: readonly SlotStat[]): LineLayout {
  let i = 0;
  if (isPartsLayout(layout)) {
    return { ...layout, parts: layout.parts.map((p) => (typeof p === 'object' && 'slot' in p ? { slot: stats[i++] ?? EMPTY } : p)) };
  }
  const fields: FieldsLayout = { ...layout, fields: layout.fields.map((f) => (f.role === 'value' ? { ...f, slot: stats[i++] ?? EMPTY } : f)) };
  return fields;
}

const NEEDS_QUOTES = /[\s"=\\]/;

function kvText(v: string): string {
  return v === '' || NEEDS_QUOTES.test(v) ? JSON.stringify(v) : v;
}

function jsonScalar(v: string, type: LineField['type']): string {
  switch (type) {
    case 'number':
      return NUMERIC.test(v) ? String(Number(v)) : JSON.stringify(v);
    case 'boolean':
      return v === 'true' || v === 'false' ? v : JSON.stringify(v);
    case 'null':
      return 'null';
    case 'json':
      try {
        return JSON.stringify(JSON.parse(v));
      } catch {
        return JSON.stringify(v);
      }
    default:
      return JSON.stringify(v);
  }
}

/**
 * Writes one line in a layout.
 * @param layout - a learned layout
 * @param v - time, level, body and hole values
 */
export function renderLine(layout: LineLayout, v: LineValues): string {
  let h = 0;
  if (isPartsLayout(layout)) {
    let s = '';
    let tokens: string[] | undefined;
    for (const p of layout.parts) {
      if (typeof p === 'string') s += p;
      else if ('ts' in p) s += renderTime(p.ts, v.t);
      else if ('level' in p) s += String(levelWord(v.level, p.level));
      else if ('slot' in p) s += v.holes[h++] ?? '';
      else if (p.body < 0) s += v.body;
      else s += (tokens ??= v.body.split(' '))[p.body] ?? '';
    }
    return s;
  }
  if (layout.format === 'kv') {
    const out: string[] = [];
    for (const f of layout.fields) {
      let value: string;
      if (f.role === 'ts') value = renderTime(f.style ?? 'YYYY-MM-DDThh:mm:ss.f3Z', v.t);
      else if (f.role === 'level') value = String(levelWord(v.level, f.level ?? 'lower'));
      else if (f.role === 'msg') value = v.body;
      else value = v.holes[h++] ?? '';
      out.push(`${f.key}=${kvText(value)}`);
    }
    return out.join(' ');
  }
  return renderJson(layout, v);
}

/** Quoted key and separator of each JSON field, cached per layout (the hot path writes many lines). */
const jsonKeys = new WeakMap<FieldsLayout, string[]>();

function renderJson(layout: FieldsLayout, v: LineValues): string {
  const colon = layout.colon ?? ':';
  const comma = layout.comma ?? ',';
  let keys = jsonKeys.get(layout);
  if (!keys) {
    keys = layout.fields.map((f) => {
      const dot = f.nested ? f.key.indexOf('.') : -1;
      return JSON.stringify(dot > 0 ? f.key.slice(dot + 1) : f.key) + colon;
    });
    jsonKeys.set(layout, keys);
  }
  let h = 0;
  let s = '{';
  let first = true;
  let open: string | undefined;
  let firstInner = true;
  for (let k = 0; k < layout.fields.length; k++) {
    const f = layout.fields[k];
    const dot = f.nested ? f.key.indexOf('.') : -1;
    const parent = dot > 0 ? f.key.slice(0, dot) : undefined;
    if (open !== undefined && parent !== open) {
      s += '}';
      open = undefined;
    }
    if (parent !== undefined && open === undefined) {
      s += (first ? '' : comma) + JSON.stringify(parent) + colon + '{';
      first = false;
      open = parent;
      firstInner = true;
    }
    let value: string;
    if (f.role === 'ts') {
      const t = renderTime(f.style ?? 'YYYY-MM-DDThh:mm:ss.f3Z', v.t);
      value = f.type === 'number' ? t : JSON.stringify(t);
    } else if (f.role === 'level') {
      value = JSON.stringify(levelWord(v.level, f.level ?? 'upper'));
    } else if (f.role === 'msg') value = JSON.stringify(v.body);
    else value = jsonScalar(v.holes[h++] ?? '', f.type);
    if (open !== undefined) {
      s += (firstInner ? '' : comma) + keys[k] + value;
      firstInner = false;
    } else {
      s += (first ? '' : comma) + keys[k] + value;
      first = false;
    }
  }
  if (open !== undefined) s += '}';
  return s + '}';
}
