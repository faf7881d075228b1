/**
 * Drawing template parameter values from a learned {@link SlotStat}: categories by share, numbers
 * by inverse CDF through the learned quantiles, identifiers regenerated from an example (long digit
 * runs and hex runs redrawn, words kept), timestamps written from the event time. Pure, seeded.
 */
import { redact, REDACTED } from '../redact';
import { renderTime } from '../time-styles';
import { SLOT_QUANTILES, type Level, type SlotStat } from '../types';

/** Uniform [0,1) source (a seeded mulberry32). */
export type Rng = () => number;

/** A number written with `decimals` decimals (integers without a point). */
export function formatNumber(x: number, decimals: number): string {
  if (!Number.isFinite(x)) return '0';
  return decimals > 0 ? x.toFixed(decimals) : String(Math.round(x));
}

/**
 * Inverse CDF of a `num` stat at `u`: linear between the learned quantiles.
 * @returns the learned median when the stat has no quantiles
 */
export function numAt(stat: SlotStat, u: number): number {
  const q = stat.quantiles;
  if (!q || q.length === 0) return 0;
  const levels = SLOT_QUANTILES;
  for (let i = 1; i < levels.length && i < q.length; i++) {
    if (u <= levels[i]) {
      const w = (u - levels[i - 1]) / (levels[i] - levels[i - 1]);
      return q[i - 1] + (q[i] - q[i - 1]) * w;
    }
  }
  return q[q.length - 1];
}

function pickShare(values: readonly string[], shares: readonly number[] | undefined, rng: Rng): string {
  if (values.length === 1) return values[0];
  let total = 0;
  for (let i = 0; i < values.length; i++) total += shares?.[i] ?? 1;
  let x = rng() * total;
  for (let i = 0; i < values.length; i++) {
    x -= shares?.[i] ?? 1;
    if (x < 0) return values[i];
  }
  return values[values.length - 1];
}

const HEX = '0123456789abcdef';
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(:\d{1,5})?$/;
const CARD_LIKE = /\d(?:[ -]?\d){12,18}/;

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Redraws one alphanumeric run (see {@link regenerateId}). */
function redrawRun(run: string, rng: Rng): string {
  let digits = 0;
  let hex = true;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (!((c >= 97 && c <= 102) || (c >= 65 && c <= 70))) hex = false;
  }
  if (digits === run.length && digits >= 3) {
    let s = '';
    for (let i = 0; i < run.length; i++) s += i === 0 && run[0] !== '0' ? String(1 + Math.floor(rng() * 9)) : String(Math.floor(rng() * 10));
    return s;
  }
  if (hex && digits > 0 && run.length >= 6) {
    const upper = run === run.toUpperCase();
    let s = '';
    let digit = false;
    for (let i = 0; i < run.length; i++) {
      const c = HEX[Math.floor(rng() * 16)];
      digit ||= c <= '9';
      s += upper ? c.toUpperCase() : c;
    }
    return digit ? s : String(Math.floor(rng() * 10)) + s.slice(1);
  }
  return run;
}

/**
 * A fresh identifier shaped like `example`: IPv4 addresses keep their first octet; alphanumeric
 * runs that are all digits (3+) or hex with a digit (6+) are redrawn in the same class and length;
 * everything else (words, short numbers like `v1`, separators, redaction placeholders) is kept.
 */
export function regenerateId(example: string, rng: Rng): string {
  const ip = IPV4.exec(example);
  if (ip) return `${ip[1]}.${Math.floor(rng() * 256)}.${Math.floor(rng() * 256)}.${1 + Math.floor(rng() * 254)}${ip[5] ?? ''}`;
  let out = '';
  let i = 0;
  while (i < example.length) {
    if (!isAlnum(example.charCodeAt(i))) {
      out += example[i++];
      continue;
    }
    let j = i + 1;
    while (j < example.length && isAlnum(example.charCodeAt(j))) j++;
    out += redrawRun(example.slice(i, j), rng);
    i = j;
  }
  return out;
}

/**
 * A value drawn from a stat (roles aside, see the generator).
 * @param stat - learned stat
 * @param rng - seeded uniform source
 * @param t - event time, for `time` stats
 */
export function drawSlot(stat: SlotStat, rng: Rng, t: number): string {
  switch (stat.kind) {
    case 'time':
      return renderTime(stat.style ?? 'YYYY-MM-DDThh:mm:ss.f3Z', t);
    case 'num':
      return formatNumber(numAt(stat, rng()), stat.decimals ?? 0) + (stat.suffix ?? '');
    case 'id': {
      const values = stat.values ?? [];
      if (values.length === 0) return '0';
      const v = regenerateId(values[Math.floor(rng() * values.length)], rng);
      // Redrawn digits can only newly form a card-like number: such a value is not written.
      return v.length >= 13 && CARD_LIKE.test(v) && redact(v) !== v ? REDACTED : v;
    }
    default: {
      const values = stat.values ?? [];
      return values.length === 0 ? '0' : pickShare(values, stat.shares, rng);
    }
  }
}

/** Status class a level implies: ERROR/FATAL 5xx, WARN 4xx, others below 400. */
function statusFits(level: Level, v: string): boolean {
  const s = Number(v);
  if (!Number.isFinite(s)) return false;
  if (level === 'ERROR' || level === 'FATAL') return s >= 500;
  if (level === 'WARN') return s >= 400 && s < 500;
  return s < 400;
}

/**
 * A status drawn from a `status`-role stat, among the values that fit the line's level (5xx for
 * errors, 4xx for warnings, others below 400); any value when none fits.
 */
export function drawStatus(stat: SlotStat, level: Level, rng: Rng, t: number): string {
  const values = stat.values;
  if (stat.kind !== 'cat' || !values || values.length === 0) return drawSlot(stat, rng, t);
  const fit: string[] = [];
  const shares: number[] = [];
  values.forEach((v, i) => {
    if (statusFits(level, v)) {
      fit.push(v);
      shares.push(stat.shares?.[i] ?? 1);
    }
  });
  return fit.length > 0 ? pickShare(fit, shares, rng) : pickShare(values, stat.shares, rng);
}
