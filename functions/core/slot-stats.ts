/**
 * Template parameter values: reading them out of a line body against its template, and summarising
 * many of them into a small {@link SlotStat} (top-k categories, numeric quantiles, identifier
 * examples or a timestamp style). Pure; used by the profile build to learn what to fill `<*>` with.
 */
import { WILDCARD, maskTokensWithRaw } from './templates';
import { detectTimeValue } from './time-styles';
import { SLOT_QUANTILES, type SlotStat } from './types';
import { quantile } from './stats';

/** At most this many values per categorical slot. */
export const SLOT_TOP_K = 8;
/** At most this many examples per identifier slot. */
export const SLOT_EXAMPLES = 8;
/** Values longer than this are cut (keeps the profile small). */
export const SLOT_VALUE_CHARS = 256;

const SPLIT = /\s+/;
/** A plain decimal number (no leading zeros, so zero-padded ids stay ids) and an optional short unit. */
const NUMBER_WITH_UNIT = /^(-?(?:0|[1-9]\d*)(?:\.\d+)?)([a-zA-Z%]{0,3})$/;

/** Template text split into tokens, with each token's literal pieces around its `<*>`s. */
export interface TemplateTokens {
  tokens: string[];
  /** Per token: undefined for a literal or a whole `<*>`; a capture regex for a token with inner `<*>`. */
  inner: Array<RegExp | undefined>;
  /** Number of `<*>` in the template (its slots). */
  slots: number;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Splits a template for {@link slotValues} and counts its slots. */
export function templateTokens(template: string): TemplateTokens {
  const tokens = template.trim().length === 0 ? [] : template.trim().split(SPLIT);
  let slots = 0;
  const inner = tokens.map((t) => {
    const n = t.split(WILDCARD).length - 1;
    slots += n;
    if (n === 0 || t === WILDCARD) return undefined;
    return new RegExp(`^${t.split(WILDCARD).map(escape).join('(.*?)')}$`, 's');
  });
  return { tokens, inner, slots };
}

/**
 * Values of a template's slots in one body, aligned the way the template dictionary matches (a
 * `<*>` token takes one masked token, a trailing `<*>` also takes the rest of the line, a token with
 * inner `<*>` is read by its literal pieces).
 * @returns one raw value per `<*>` in text order, or undefined when the body does not fit the template
 */
export function slotValues(t: TemplateTokens, body: string): string[] | undefined {
  const raw = maskTokensWithRaw(body);
  const n = t.tokens.length;
  const trailing = n > 0 && t.tokens[n - 1] === WILDCARD;
  if (raw.length !== n && !(trailing && raw.length > n)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const tok = t.tokens[i];
    const r = raw[i];
    if (tok === WILDCARD) {
      out.push(i === n - 1 && raw.length > n ? raw.slice(i).map((x) => x.raw).join(' ') : r.raw);
      continue;
    }
    const re = t.inner[i];
    if (!re) {
      if (r.masked !== tok) return undefined;
      continue;
    }
    const m = re.exec(r.raw);
    if (!m) return undefined;
    for (let j = 1; j < m.length; j++) out.push(m[j]);
  }
  return out;
}

function decimalsOf(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/**
 * Summarises the values seen for one slot:
 * - all (90%+) timestamps of one style: `time`;
 * - numbers (95%+, plain decimal notation, under 13 digits so nothing card-like, with one common
 *   unit suffix or none) with more distinct values than {@link SLOT_TOP_K}, or many distinct values
 *   for few samples: `num` with quantiles;
 * - at most {@link SLOT_TOP_K} distinct values, or a top-k covering 90% of the samples: `cat`;
 * - otherwise `id`: a few examples to regenerate (digits redrawn, letters kept).
 * Values are cut to {@link SLOT_VALUE_CHARS}. Redaction placeholders are kept verbatim.
 */
export function learnSlot(values: readonly string[]): SlotStat {
  const n = values.length;
  if (n === 0) return { kind: 'cat', n: 0, values: [], shares: [] };
  const counts = new Map<string, number>();
  for (const v of values) {
    const c = v.length > SLOT_VALUE_CHARS ? v.slice(0, SLOT_VALUE_CHARS) : v;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const distinct = counts.size;
  const styles = new Map<string, number>();
  for (const v of values) {
    const s = detectTimeValue(v);
    if (s) styles.set(s, (styles.get(s) ?? 0) + 1);
  }
  const topStyle = [...styles].sort((a, b) => b[1] - a[1])[0];
  if (topStyle && topStyle[1] >= 0.9 * n && distinct > 1 && !topStyle[0].startsWith('epoch')) {
    return { kind: 'time', n, style: topStyle[0] };
  }
  // Numbers, possibly all with the same short unit (`16ms`, `3.5s`, `42%`).
  const numbers: number[] = [];
  const decimals = new Map<number, number>();
  const suffixes = new Map<string, number>();
  let maxDigits = 0;
  for (const v of values) {
    const m = NUMBER_WITH_UNIT.exec(v);
    if (!m) continue;
    numbers.push(Number(m[1]));
    const d = decimalsOf(m[1]);
    decimals.set(d, (decimals.get(d) ?? 0) + 1);
    suffixes.set(m[2], (suffixes.get(m[2]) ?? 0) + 1);
    maxDigits = Math.max(maxDigits, m[1].replace(/\D/g, '').length);
  }
  const suffix = [...suffixes].sort((a, b) => b[1] - a[1])[0];
  const numeric = numbers.length >= 0.95 * n && maxDigits < 13 && suffix !== undefined && suffix[1] >= 0.95 * n;
  if (numeric && (distinct > SLOT_TOP_K || (distinct >= 4 && distinct >= 0.5 * n))) {
    numbers.sort((a, b) => a - b);
    const d = [...decimals].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
    const r = (x: number): number => Number(x.toFixed(Math.max(d, 0) + 2));
    const stat: SlotStat = { kind: 'num', n, quantiles: SLOT_QUANTILES.map((q) => r(quantile(numbers, q))), decimals: d };
    if (suffix[0]) stat.suffix = suffix[0];
    return stat;
  }
  // Most frequent first; ties keep the order first seen (samples come in time order: a spread).
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const top = ranked.slice(0, SLOT_TOP_K);
  const covered = top.reduce((s, [, c]) => s + c, 0);
  if (distinct <= SLOT_TOP_K || covered >= 0.9 * n) {
    return { kind: 'cat', n, values: top.map(([v]) => v), shares: top.map(([, c]) => Number((c / n).toPrecision(4))) };
  }
  // Identifiers: the most frequent values to regenerate from.
  return { kind: 'id', n, values: ranked.slice(0, SLOT_EXAMPLES).map(([v]) => v) };
}

/**
 * Writes a body from a template and one value per slot (the inverse of {@link slotValues}).
 * @param t - {@link templateTokens} of the template
 * @param values - one value per `<*>`, in text order (missing ones are written as `0`)
 * @param spacing - separators other than one space, as `[token index, separator before it]`
 */
export function fillTemplate(t: TemplateTokens, values: readonly string[], spacing?: ReadonlyArray<readonly [number, string]>): string {
  let s = '';
  let k = 0;
  let sp = 0;
  for (let i = 0; i < t.tokens.length; i++) {
    if (i > 0) {
      while (spacing && sp < spacing.length && spacing[sp][0] < i) sp++;
      s += spacing && sp < spacing.length && spacing[sp][0] === i ? spacing[sp][1] : ' ';
    }
    const tok = t.tokens[i];
    if (tok === WILDCARD) s += values[k++] ?? '0';
    else if (t.inner[i]) s += tok.split(WILDCARD).reduce((acc, lit, j) => (j === 0 ? lit : acc + (values[k++] ?? '0') + lit), '');
    else s += tok;
  }
  return s;
}

/**
 * Separators of a body that are not one space (line breaks and tabs of stack traces), when the
 * body has as many whitespace-separated tokens as the template.
 */
export function bodySpacing(t: TemplateTokens, body: string): Array<[number, string]> | undefined {
  const pieces = body.trim().split(/(\s+)/);
  if ((pieces.length + 1) / 2 !== t.tokens.length) return undefined;
  const out: Array<[number, string]> = [];
  for (let i = 1; i < pieces.length; i += 2) if (pieces[i] !== ' ') out.push([(i + 1) / 2, pieces[i]]);
  return out.length > 0 ? out.slice(0, 32) : undefined;
}
