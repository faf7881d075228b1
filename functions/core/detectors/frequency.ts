/**
 * Frequency detector: per-level event counts (ERROR incl. FATAL, WARN) against their expected
 * counts, with a quasi-Poisson tail probability.
 */
import type { Deviation, DetectorResult, WindowFeatures } from '../types';
import { baseRate, dispersion, errorDispersion, expected, fmt, meanEstimate, quasiPoissonUpper, tailToScore, zOf } from './context';
import type { DetectorContext } from './context';

/** Options of {@link frequency}. */
export interface FrequencyOptions {
  /** Penalty per level tested (default 1e4, see tailToScore). */
  penalty?: number;
  /** Minimum observed count before a level can score (default 5). */
  minCount?: number;
  /** Minimum ratio observed / expected (default 3). */
  minRatio?: number;
  /** Floor of the expected count (default 0.5 events). */
  minExpected?: number;
}

/**
 * Scores the ERROR and WARN counts of the window. Expected ERROR count: the slot's errorCount
 * (conservative mean estimate, see meanEstimate) with its MAD-implied dispersion; expected WARN
 * count: expected volume x expected warn rate. Kind `frequency`.
 */
export function frequency(w: WindowFeatures, ctx: DetectorContext, options: FrequencyOptions = {}): DetectorResult | null {
  const penalty = options.penalty ?? 1e4;
  const minCount = options.minCount ?? 5;
  const minRatio = options.minRatio ?? 3;
  const minExpected = options.minExpected ?? 0.5;
  const errStat = expected(ctx, 'errorCount', w.windowStart);
  const cntStat = expected(ctx, 'count', w.windowStart);
  if (errStat.n === 0 || cntStat.n === 0) return null;
  // Expected errors: the slot's count statistic, or expected volume x the dictionary's error share
  // when that is larger (sparse errors have a median of 0).
  const errFromShare = meanEstimate(cntStat, 0) * baseRate(ctx, 'errorRate', w.windowStart, 0);

  const levels: Array<{ name: string; observed: number; lambda: number; d: number }> = [];
  const lErr = Math.max(meanEstimate(errStat, minExpected), errFromShare);
  levels.push({ name: 'ERROR', observed: w.features.errorCount, lambda: lErr, d: Math.max(dispersion(errStat, lErr), errorDispersion(ctx.profile)) });
  const lWarn = Math.max(minExpected, meanEstimate(cntStat, 0) * baseRate(ctx, 'warnRate', w.windowStart, 0));
  levels.push({ name: 'WARN', observed: Math.round(w.features.warnRate * w.features.count), lambda: lWarn, d: 1 });

  let best = { score: 0, z: 0 };
  const deviations: Deviation[] = [];
  const evidence: string[] = [];
  for (const l of levels) {
    if (l.observed < minCount || l.observed < minRatio * l.lambda) continue;
    const p = quasiPoissonUpper(l.observed, l.lambda, l.d);
    const score = tailToScore(p, penalty * levels.length);
    const z = zOf(p, true);
    const sd = Math.sqrt(l.lambda * l.d);
    deviations.push({ feature: `${l.name.toLowerCase()}Count`, observed: l.observed, expected: l.lambda, band: [Math.max(0, l.lambda - 3 * sd), l.lambda + 3 * sd], z });
    evidence.push(`${l.name} lines ${l.observed} vs expected ${fmt(l.lambda)} per minute (P=${p.toExponential(1)})`);
    if (score > best.score) best = { score, z };
  }
  deviations.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
  return { detector: 'frequency', kind: 'frequency', score: best.score, deviations, evidence };
}
