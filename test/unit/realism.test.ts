import { describe, expect, it } from 'vitest';
import { emptyWindowFeatures } from '../../functions/core/features';
import { mulberry32, normal } from '../../functions/core/random';
import {
  compareWindows,
  formatRealismTable,
  jsDivergence,
  kolmogorovQ,
  ksCriticalValue,
  ksPValue,
  ksStatistic,
} from '../../functions/core/synth/realism';
import type { WindowFeatures } from '../../functions/core/types';

describe('ksStatistic', () => {
  it('matches hand-computed cases', () => {
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatistic([1, 2, 3], [4, 5, 6])).toBe(1);
    // F1 at 2 is 2/4, F2 at 2 is 0; at 4: 1 vs 2/4 -> D = 0.5.
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    // Ties across samples: at 1, F1 = 2/3, F2 = 1/3.
    expect(ksStatistic([1, 1, 2], [1, 2, 2])).toBeCloseTo(1 / 3, 12);
    // Unequal sizes: a = {0}, b = {0, 1}: at 0, 1 vs 1/2.
    expect(ksStatistic([0], [0, 1])).toBe(0.5);
    expect(ksStatistic([], [1])).toBe(0);
    // Symmetric, order-free.
    expect(ksStatistic([5, 1, 3], [2, 4])).toBe(ksStatistic([4, 2], [3, 5, 1]));
  });
});

describe('KS p-value', () => {
  it('the Kolmogorov tail has its textbook values', () => {
    expect(kolmogorovQ(0)).toBe(1);
    expect(kolmogorovQ(1.36)).toBeCloseTo(0.0494, 3);
    expect(kolmogorovQ(1.63)).toBeCloseTo(0.0098, 3);
    expect(kolmogorovQ(1)).toBeCloseTo(0.27, 2);
  });

  it('uses the effective sample size with Stephens correction', () => {
    const n = 100;
    const m = 100;
    const ne = Math.sqrt((n * m) / (n + m));
    expect(ksPValue(0.2, n, m)).toBeCloseTo(kolmogorovQ((ne + 0.12 + 0.11 / ne) * 0.2), 12);
    expect(ksPValue(0, n, m)).toBe(1);
    expect(ksPValue(0.5, 0, m)).toBe(1);
    // Critical value at alpha 0.05 for n = m = 100: 1.358 * sqrt(2/100).
    expect(ksCriticalValue(100, 100, 0.05)).toBeCloseTo(1.358 * Math.sqrt(0.02), 3);
  });

  it('is calibrated: same-distribution samples exceed the 5% critical value about 5% of the time', () => {
    const rng = mulberry32(5);
    let rejections = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const a = Array.from({ length: 80 }, () => normal(rng));
      const b = Array.from({ length: 120 }, () => normal(rng));
      if (ksPValue(ksStatistic(a, b), 80, 120) < 0.05) rejections++;
    }
    expect(rejections / trials).toBeGreaterThan(0.01);
    expect(rejections / trials).toBeLessThan(0.1);
  });
});

describe('jsDivergence (base 2)', () => {
  it('matches hand-computed cases', () => {
    expect(jsDivergence({ a: 1, b: 1 }, { a: 5, b: 5 })).toBe(0);
    expect(jsDivergence({ a: 1 }, { b: 1 })).toBe(1);
    // P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4):
    // KL(P||M) = 1/2 log2(2/3) + 1/2 log2(2), KL(Q||M) = log2(4/3).
    const expected = 0.5 * (0.5 * Math.log2(2 / 3) + 0.5 * 1) + 0.5 * Math.log2(4 / 3);
    expect(jsDivergence({ a: 1, b: 1 }, { a: 1 })).toBeCloseTo(expected, 12);
    expect(jsDivergence({ a: 1, b: 1 }, { a: 1 })).toBeCloseTo(0.31128, 5);
    expect(jsDivergence({}, {})).toBe(0);
    expect(jsDivergence({ a: 1 }, {})).toBe(1);
    expect(jsDivergence({ a: 3, b: 1 }, { a: 1, b: 3 })).toBe(jsDivergence({ a: 1, b: 3 }, { a: 3, b: 1 }));
  });
});

function windows(n: number, count: (i: number) => number, templates: (i: number) => Record<string, number>): WindowFeatures[] {
  return Array.from({ length: n }, (_, i) => {
    const w = emptyWindowFeatures('svc#eu-west-1', i * 60_000);
    w.features.count = count(i);
    w.features.latencyP50 = 0; // unobserved in every window
    w.templates = templates(i);
    return w;
  });
}

describe('compareWindows', () => {
  it('reports per feature KS, p-value and medians, the template JS divergence and verdicts', () => {
    const real = windows(50, (i) => 10 + (i % 10), () => ({ a: 3, b: 1 }));
    const same = windows(50, (i) => 10 + ((i + 3) % 10), () => ({ a: 6, b: 2 }));
    const shifted = windows(50, (i) => 30 + (i % 10), () => ({ c: 1 }));
    const close = compareWindows(real, same, { features: ['count', 'latencyP50'] });
    const count = close.features.find((f) => f.feature === 'count')!;
    expect(count).toMatchObject({ nReal: 50, nSynthetic: 50, ks: 0, pValue: 1, realMedian: 14.5, syntheticMedian: 14.5, verdict: 'close' });
    expect(close.features.find((f) => f.feature === 'latencyP50')).toMatchObject({ nReal: 0, verdict: 'insufficient' });
    expect(close.templates).toMatchObject({ js: 0, realTemplates: 2, syntheticTemplates: 2, verdict: 'close' });
    expect(close.verdict).toBe('close');

    const far = compareWindows(real, shifted, { features: ['count'] });
    expect(far.features[0]).toMatchObject({ ks: 1, verdict: 'far' });
    expect(far.features[0].pValue).toBeLessThan(1e-6);
    expect(far.templates).toMatchObject({ js: 1, verdict: 'far' });
    expect(far.verdict).toBe('far');
  });

  it('formats a readable table', () => {
    const real = windows(30, (i) => 10 + (i % 5), () => ({ a: 1 }));
    const table = formatRealismTable(compareWindows(real, real, { features: ['count', 'errorRate'] }));
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^feature\s+n real\s+n synth\s+KS\s+p-value\s+median real\s+median synth\s+verdict$/);
    expect(lines.find((l) => l.startsWith('count'))).toMatch(/^count\s+30\s+30\s+0\.000\s+1\.0000\s+12\.00\s+12\.00\s+close$/);
    expect(lines.find((l) => l.startsWith('template mix (JS)'))).toMatch(/0\.000\s+close$/);
    expect(lines.at(-1)).toBe('overall: close');
  });
});
