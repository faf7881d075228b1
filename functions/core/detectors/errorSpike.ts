/**
 * Error spike detector: the error rate of the current window and of a sliding time window
 * (current + previous k minutes) against the expected error rate, volume-adjusted.
 */
import { MINUTE_MS } from '../features';
import type { DetectorResult, WindowFeatures } from '../types';
import { expected, fmt, meanEstimate, quasiPoissonUpper, tailToScore, zOf } from './context';
import type { DetectorContext } from './context';

/** Options of {@link errorSpike}. */
export interface ErrorSpikeOptions {
  /** Previous minutes included in the sliding window (default 4, i.e. 5 minutes in all). */
  lookbackMinutes?: number;
  /** Penalty (default 1e4, doubled for the two tests; see tailToScore). */
  penalty?: number;
  /** Minimum errors (ERROR + FATAL) in the tested span (default 5). */
  minErrors?: number;
  /** Minimum ratio observed rate / expected rate (default 3). */
  minRatio?: number;
  /** Minimum absolute rate increase (default 0.02 = 2 percentage points). */
  minIncrease?: number;
  /** Floor of the expected error rate (default 0.001). */
  minRate?: number;
  /** The current window's own rate must be at least this multiple of expected (default 2). */
  currentMinRatio?: number;
}

interface Span {
  errors: number;
  count: number;
  expectedErrors: number;
}

/**
 * Errors are tested as a Poisson count against `sum(count_i * baseRate_i)`, where baseRate is the
 * slot's conservative error-rate estimate (see meanEstimate), so volume swings alone never fire.
 * Fires only if the current window itself is elevated (no alerts dragging on after recovery).
 * Kind `error_spike`.
 */
export function errorSpike(w: WindowFeatures, ctx: DetectorContext, options: ErrorSpikeOptions = {}): DetectorResult | null {
  const k = options.lookbackMinutes ?? 4;
  const penalty = (options.penalty ?? 1e4) * 2;
  const minErrors = options.minErrors ?? 5;
  const minRatio = options.minRatio ?? 3;
  const minIncrease = options.minIncrease ?? 0.02;
  const minRate = options.minRate ?? 0.001;
  const curRatio = options.currentMinRatio ?? 2;
  const rateStat0 = expected(ctx, 'errorRate', w.windowStart);
  if (rateStat0.n === 0) return null;

  const baseRate = (ws: number): number => meanEstimate(expected(ctx, 'errorRate', ws), minRate);
  const span = (ws: WindowFeatures[]): Span =>
    ws.reduce<Span>(
      (s, x) => ({
        errors: s.errors + x.features.errorCount,
        count: s.count + x.features.count,
        expectedErrors: s.expectedErrors + x.features.count * baseRate(x.windowStart),
      }),
      { errors: 0, count: 0, expectedErrors: 0 },
    );
  const from = w.windowStart - k * MINUTE_MS;
  const prev = ctx.recent.filter((r) => r.windowStart >= from && r.windowStart < w.windowStart);
  const cur = span([w]);
  const slide = span([...prev, w]);
  if (cur.count === 0) return null;
  const curBase = cur.expectedErrors / cur.count;
  const curRate = cur.errors / cur.count;
  if (curRate < curRatio * curBase || cur.errors < 2) {
    return { detector: 'errorSpike', kind: 'error_spike', score: 0, deviations: [], evidence: [] };
  }

  const test = (s: Span): { p: number; rate: number; base: number } | null => {
    if (s.count === 0) return null;
    const rate = s.errors / s.count;
    const base = s.expectedErrors / s.count;
    if (s.errors < minErrors || rate < minRatio * base || rate - base < minIncrease) return null;
    return { p: quasiPoissonUpper(s.errors, Math.max(s.expectedErrors, 0.5)), rate, base };
  };
  const tests = [
    { label: 'this minute', r: test(cur) },
    { label: `last ${prev.length + 1} minutes`, r: test(slide) },
  ].filter((t): t is { label: string; r: { p: number; rate: number; base: number } } => t.r !== null);
  if (tests.length === 0) return { detector: 'errorSpike', kind: 'error_spike', score: 0, deviations: [], evidence: [] };
  tests.sort((a, b) => a.r.p - b.r.p);
  const top = tests[0];
  const z = zOf(top.r.p, true);
  const n = top.label === 'this minute' ? cur.count : slide.count;
  const sd = Math.sqrt(Math.max(top.r.base * (1 - top.r.base), 1e-9) / Math.max(1, n));
  return {
    detector: 'errorSpike',
    kind: 'error_spike',
    score: tailToScore(top.r.p, penalty),
    deviations: [{ feature: 'errorRate', observed: top.r.rate, expected: top.r.base, band: [Math.max(0, top.r.base - 3 * sd), top.r.base + 3 * sd], z }],
    evidence: tests.map((t) => `error rate ${fmt(t.r.rate)} over ${t.label} vs expected ${fmt(t.r.base)} (P=${t.r.p.toExponential(1)})`),
  };
}
