/**
 * Error spike detector: the error rate over sliding time windows ending with the current window
 * (by default 1, 5 and 15 minutes) against the expected error rate, volume-adjusted.
 */
import { MINUTE_MS } from '../features';
import type { DetectorResult, WindowFeatures } from '../types';
import { baseRate, errorDispersion, expected, fmt, quasiPoissonUpper, tailToScore, zOf } from './context';
import type { DetectorContext } from './context';

/** Options of {@link errorSpike}. */
export interface ErrorSpikeOptions {
  /**
   * Span lengths in minutes, each ending with the current window (default [1, 5, 15]). Short
   * spans catch sharp bursts in busy partitions; long ones catch a sustained rise in quiet ones.
   */
  spansMinutes?: readonly number[];
  /**
   * Penalty per span tested (default 3e4; see tailToScore). Higher than the other detectors'
   * because the overlapping spans are re-tested every minute.
   */
  penalty?: number;
  /** Minimum errors (ERROR + FATAL) in a span (default 5). */
  minErrors?: number;
  /** Minimum ratio observed rate / expected rate (default 3). */
  minRatio?: number;
  /** Minimum absolute rate increase (default 0.02 = 2 percentage points). */
  minIncrease?: number;
  /** Floor of the expected error rate (default 0.001). */
  minRate?: number;
  /** The current window must have errors at >= this multiple of its expected rate (default 2). */
  currentMinRatio?: number;
  /**
   * ... and its own error count must be unusual: quasi-Poisson tail P <= this (default 0.2: two errors where half of one is usual pass, one does not). Stops a
   * long span from echoing a finished burst whenever an ordinary error shows up.
   */
  currentMaxP?: number;
}

interface Span {
  minutes: number;
  errors: number;
  count: number;
  expectedErrors: number;
}

const EMPTY = (): DetectorResult => ({ detector: 'errorSpike', kind: 'error_spike', score: 0, deviations: [], evidence: [] });

/**
 * Errors in each span are tested as a Poisson count against `sum(count_i * baseRate_i)` (baseRate:
 * the slot's median error rate, or the dictionary's error share when the median is 0), so volume
 * swings alone never fire. Fires only while the current window itself has elevated errors, so
 * alerts stop soon after recovery. Missing minutes in `ctx.recent` are silent minutes.
 * Kind `error_spike`.
 */
export function errorSpike(w: WindowFeatures, ctx: DetectorContext, options: ErrorSpikeOptions = {}): DetectorResult | null {
  const spans = options.spansMinutes ?? [1, 5, 15];
  const penalty = (options.penalty ?? 3e4) * Math.max(1, spans.length);
  const minErrors = options.minErrors ?? 5;
  const minRatio = options.minRatio ?? 3;
  const minIncrease = options.minIncrease ?? 0.02;
  const minRate = options.minRate ?? 0.001;
  const curRatio = options.currentMinRatio ?? 2;
  if (expected(ctx, 'errorRate', w.windowStart).n === 0) return null;
  if (w.features.count === 0) return null;

  const rateOf = (x: WindowFeatures): number => baseRate(ctx, 'errorRate', x.windowStart, minRate);
  const curBase = rateOf(w);
  if (w.features.errorCount < 1 || w.features.errorRate < curRatio * curBase) return EMPTY();
  const d = errorDispersion(ctx.profile);
  if (quasiPoissonUpper(w.features.errorCount, w.features.count * curBase, d) > (options.currentMaxP ?? 0.2)) return EMPTY();

  const results: Array<Span & { p: number; rate: number; base: number }> = [];
  for (const minutes of spans) {
    const from = w.windowStart - (minutes - 1) * MINUTE_MS;
    const ws = [...ctx.recent.filter((r) => r.windowStart >= from && r.windowStart < w.windowStart), w];
    const s: Span = { minutes, errors: 0, count: 0, expectedErrors: 0 };
    for (const x of ws) {
      s.errors += x.features.errorCount;
      s.count += x.features.count;
      s.expectedErrors += x.features.count * rateOf(x);
    }
    if (s.count === 0) continue;
    const rate = s.errors / s.count;
    const base = s.expectedErrors / s.count;
    if (s.errors < minErrors || rate < minRatio * base || rate - base < minIncrease) continue;
    results.push({ ...s, p: quasiPoissonUpper(s.errors, Math.max(s.expectedErrors, 1e-3), d), rate, base });
  }
  if (results.length === 0) return EMPTY();
  results.sort((a, b) => a.p - b.p);
  const top = results[0];
  const sd = Math.sqrt(Math.max(top.base * (1 - top.base), 1e-9) / Math.max(1, top.count));
  return {
    detector: 'errorSpike',
    kind: 'error_spike',
    score: tailToScore(top.p, penalty),
    deviations: [
      { feature: 'errorRate', observed: top.rate, expected: top.base, band: [Math.max(0, top.base - 3 * sd), top.base + 3 * sd], z: zOf(top.p, true) },
    ],
    evidence: results.map(
      (r) =>
        `error rate ${fmt(r.rate)} (${r.errors} errors in ${r.count} lines) over the last ${r.minutes} min vs expected ${fmt(r.base)} (P=${r.p.toExponential(1)})`,
    ),
  };
}
