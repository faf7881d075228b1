/**
 * Pattern break detector: ordered-pattern violations (A without B, B without A) above expected.
 */
import type { DetectorResult, WindowFeatures } from '../types';
import { countDispersion, dispersion, expected, fmt, meanEstimate, quasiPoissonUpper, tailToScore, zOf } from './context';
import type { DetectorContext } from './context';

/** Options of {@link patternBreak}. */
export interface PatternBreakOptions {
  /** Minimum violations in the window (default 3). */
  minViolations?: number;
  /** Minimum ratio observed / expected (default 3). */
  minRatio?: number;
  /** Floor of the expected violations (default 0.5). */
  minExpected?: number;
  /** Penalty (default 1e4, see tailToScore). */
  penalty?: number;
}

/**
 * Quasi-Poisson test of the window's pattern violations against the slot's expectation.
 * Skipped when the profile has no patterns. Kind `pattern_break`.
 */
export function patternBreak(w: WindowFeatures, ctx: DetectorContext, options: PatternBreakOptions = {}): DetectorResult | null {
  if (ctx.profile.patterns.length === 0) return null;
  const minV = options.minViolations ?? 3;
  const minRatio = options.minRatio ?? 3;
  const penalty = options.penalty ?? 1e4;
  const stat = expected(ctx, 'patternViolations', w.windowStart);
  const lambda = meanEstimate(stat, options.minExpected ?? 0.5);
  const v = w.features.patternViolations;
  if (v < minV || v < minRatio * lambda) {
    return { detector: 'patternBreak', kind: 'pattern_break', score: 0, deviations: [], evidence: [] };
  }
  const d = Math.max(dispersion(stat, lambda), countDispersion(ctx.profile, 'patternViolations'));
  const p = quasiPoissonUpper(v, lambda, d);
  const sd = Math.sqrt(lambda * d);
  return {
    detector: 'patternBreak',
    kind: 'pattern_break',
    score: tailToScore(p, penalty),
    deviations: [{ feature: 'patternViolations', observed: v, expected: lambda, band: [Math.max(0, lambda - 3 * sd), lambda + 3 * sd], z: zOf(p, true) }],
    evidence: [`${v} ordered-pattern violations vs expected ${fmt(lambda)} (P=${p.toExponential(1)})`],
  };
}
