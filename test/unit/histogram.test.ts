import { describe, expect, it } from 'vitest';
import { MAX_BUCKET, MIN_BUCKET, ZERO_BUCKET, addBuckets, bucketOf, bucketValue, quantileFromBuckets } from '../../functions/core/histogram';
import { mulberry32, normal } from '../../functions/core/random';

describe('histogram buckets', () => {
  it('maps values to buckets whose representative is within 5%', () => {
    const rng = mulberry32(1);
    for (let i = 0; i < 5000; i++) {
      const v = Math.exp(-6 + rng() * 26); // ~2.5e-3 .. 4.8e8
      const rep = bucketValue(bucketOf(v));
      expect(Math.abs(rep - v) / v).toBeLessThan(0.05);
    }
  });

  it('is monotone and covers 1e-3 .. 1e9, with a zero bucket for <= 0', () => {
    expect(bucketOf(0)).toBe(ZERO_BUCKET);
    expect(bucketOf(-5)).toBe(ZERO_BUCKET);
    expect(bucketOf(Number.NaN)).toBe(ZERO_BUCKET);
    expect(bucketValue(ZERO_BUCKET)).toBe(0);
    expect(bucketOf(1e-3)).toBe(MIN_BUCKET);
    expect(bucketOf(1e-9)).toBe(MIN_BUCKET);
    expect(bucketOf(1e9)).toBe(MAX_BUCKET);
    expect(bucketOf(1e15)).toBe(MAX_BUCKET);
    let prev = -Infinity;
    for (let v = 1e-3; v < 1e9; v *= 1.03) {
      const b = bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(prev);
      prev = b;
    }
    expect(bucketOf(1)).toBe(0);
  });

  it('estimates quantiles within 5% of the exact nearest-rank quantile', () => {
    const rng = mulberry32(7);
    const values = Array.from({ length: 20000 }, () => 80 * Math.exp(0.6 * normal(rng)));
    const h: Record<number, number> = {};
    for (const v of values) h[bucketOf(v)] = (h[bucketOf(v)] ?? 0) + 1;
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1];
      expect(Math.abs(quantileFromBuckets(h, q) - exact) / exact).toBeLessThan(0.05);
    }
  });

  it('returns 0 for an empty histogram and handles zero buckets and string keys', () => {
    expect(quantileFromBuckets({}, 0.5)).toBe(0);
    const h = JSON.parse(JSON.stringify({ [ZERO_BUCKET]: 3, [bucketOf(100)]: 1 })) as Record<number, number>;
    expect(quantileFromBuckets(h, 0.5)).toBe(0);
    expect(quantileFromBuckets(h, 1)).toBeCloseTo(bucketValue(bucketOf(100)));
  });

  it('partials from different shards add to the same histogram', () => {
    const rng = mulberry32(3);
    const all: Record<number, number> = {};
    const a: Record<number, number> = {};
    const b: Record<number, number> = {};
    for (let i = 0; i < 1000; i++) {
      const v = 10 * Math.exp(normal(rng));
      const k = bucketOf(v);
      all[k] = (all[k] ?? 0) + 1;
      const part = i % 2 ? a : b;
      part[k] = (part[k] ?? 0) + 1;
    }
    expect(addBuckets(addBuckets({}, a), b)).toEqual(all);
  });
});
