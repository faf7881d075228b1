import { describe, expect, it } from 'vitest';
import {
  erfc,
  gammaP,
  mad,
  median,
  normalCdf,
  normalQuantile,
  poissonLowerTail,
  poissonUpperTail,
  quantile,
  robustScale,
  robustZ,
} from '../../functions/core/stats';

describe('robust stats', () => {
  it('median, mad and interpolated quantiles', () => {
    expect(median([])).toBe(0);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8);
  });

  it('robust z floors the scale so a flat baseline does not explode', () => {
    expect(robustScale(0, 0, { absolute: 0.01 })).toBe(0.01);
    expect(robustScale(0, 100)).toBe(10); // 10% of the median
    expect(robustScale(10, 100)).toBeCloseTo(14.826);
    expect(robustZ(130, 100, 0)).toBeCloseTo(3);
  });
});

describe('tail probabilities', () => {
  it('normal tails are accurate far out', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(erfc(5 / Math.SQRT2) / 2).toBeCloseTo(2.8665e-7, 9);
    for (const p of [1e-10, 1e-4, 0.05, 0.5, 0.9]) expect(normalCdf(normalQuantile(p)) / p).toBeCloseTo(1, 5);
  });

  it('poisson tails match direct sums', () => {
    const pmf = (k: number, l: number): number => {
      let p = Math.exp(-l);
      for (let i = 1; i <= k; i++) p *= l / i;
      return p;
    };
    for (const [k, l] of [
      [0, 3],
      [3, 1.5],
      [10, 4],
      [40, 20],
    ]) {
      let below = 0;
      for (let i = 0; i < k; i++) below += pmf(i, l);
      expect(poissonUpperTail(k, l)).toBeCloseTo(1 - below, 9);
      expect(poissonLowerTail(k, l)).toBeCloseTo(below + pmf(k, l), 9);
    }
    expect(gammaP(1, 2)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(poissonLowerTail(0, 100)).toBeCloseTo(Math.exp(-100), 50);
  });
});
