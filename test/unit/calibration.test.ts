import { describe, expect, it } from 'vitest';
import { fitCalibration, pValueOf, scoreAtPValue } from '../../models/calibration';
import { mulberry32, normal } from '../../functions/core/random';
import { anomalyProbabilityOf, bandAt, quantileAt, THRESHOLD_QUANTILES, type PartitionThresholds } from '../../functions/core/model-contract';

describe('score calibration', () => {
  const rng = mulberry32(3);
  const normals = Array.from({ length: 5000 }, () => normal(rng));
  const c = fitCalibration(normals);

  it('p-values of fresh normal scores are uniform in the body and the tail', () => {
    const r2 = mulberry32(4);
    const fresh = Array.from({ length: 20000 }, () => normal(r2));
    const p = fresh.map((s) => pValueOf(c, s));
    const share = (limit: number) => p.filter((x) => x < limit).length / p.length;
    expect(share(0.5)).toBeGreaterThan(0.47);
    expect(share(0.5)).toBeLessThan(0.53);
    expect(share(0.05)).toBeGreaterThan(0.04);
    expect(share(0.05)).toBeLessThan(0.06);
    expect(share(0.01)).toBeGreaterThan(0.006);
    expect(share(0.01)).toBeLessThan(0.015);
  });

  it('is monotone and extrapolates the tail beyond the held-out sample', () => {
    let prev = 1;
    for (let s = -4; s < 12; s += 0.25) {
      const p = pValueOf(c, s);
      expect(p).toBeLessThanOrEqual(prev + 1e-12);
      prev = p;
    }
    expect(pValueOf(c, 10)).toBeGreaterThan(0);
    expect(pValueOf(c, 10)).toBeLessThan(1 / 5000);
  });

  it('scoreAtPValue inverts pValueOf', () => {
    for (const p of [0.5, 0.2, 0.05, 0.01, 1e-4]) expect(pValueOf(c, scoreAtPValue(c, p))).toBeCloseTo(p, 3);
  });

  it('refuses too few windows with a message saying what to do', () => {
    expect(() => fitCalibration([1, 2, 3])).toThrow(/at least 50 held-out normal windows/);
  });
});

describe('model contract helpers', () => {
  it('anomaly probability is 0 at p >= 0.01 and 0.95 at p = 0.0005', () => {
    expect(anomalyProbabilityOf(0.02)).toBe(0);
    expect(anomalyProbabilityOf(0.01)).toBe(0);
    expect(anomalyProbabilityOf(0.0005)).toBeCloseTo(0.95, 10);
    expect(anomalyProbabilityOf(0)).toBe(0.9999);
    expect(anomalyProbabilityOf(Number.NaN)).toBe(0);
  });

  it('bandAt reads a wider band for a higher sensitivity, without the model', () => {
    const values = THRESHOLD_QUANTILES.map((q) => 100 + 10 * q);
    const hour = Date.UTC(2026, 10, 23, 5);
    const t: PartitionThresholds = {
      partition: 'p',
      modelVersion: 'v',
      computedAt: hour,
      quantileLevels: THRESHOLD_QUANTILES,
      hours: [{ hourStart: hour, quantiles: { count: values } as PartitionThresholds['hours'][0]['quantiles'] }],
    };
    const b90 = bandAt(t, 'count', hour + 20 * 60_000, 0.9)!;
    const b99 = bandAt(t, 'count', hour + 20 * 60_000, 0.99)!;
    expect(b90[0]).toBeCloseTo(100.5, 6);
    expect(b90[1]).toBeCloseTo(109.5, 6);
    expect(b99[0]).toBeLessThan(b90[0]);
    expect(b99[1]).toBeGreaterThan(b90[1]);
    expect(bandAt(t, 'count', hour + 3_600_000, 0.9)).toBeNull();
    expect(bandAt(t, 'latencyP95', hour, 0.9)).toBeNull();
    expect(quantileAt([0.1, 0.9], [1, 9], 0.5)).toBe(5);
  });
});
