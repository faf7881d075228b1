import { describe, expect, it } from 'vitest';
import { RollingStats } from '../../functions/core/rolling';
import { mulberry32, normal } from '../../functions/core/random';

describe('RollingStats', () => {
  it('tracks mean and std of a stationary series', () => {
    const rng = mulberry32(1);
    const r = new RollingStats({ halfLife: 200 });
    for (let i = 0; i < 5000; i++) r.update(50 + 5 * normal(rng));
    expect(r.n).toBe(5000);
    expect(r.mean).toBeGreaterThan(48);
    expect(r.mean).toBeLessThan(52);
    expect(r.std).toBeGreaterThan(4);
    expect(r.std).toBeLessThan(6);
    expect(r.zScore(80)).toBeGreaterThan(4);
  });

  it('adapts to a level shift with the configured half-life', () => {
    const r = new RollingStats({ halfLife: 10 });
    for (let i = 0; i < 100; i++) r.update(0);
    for (let i = 0; i < 10; i++) r.update(100);
    expect(r.mean).toBeCloseTo(50, 5);
  });

  it('serialises and restores exactly', () => {
    const r = new RollingStats({ alpha: 0.1, minStd: 0.5 });
    [1, 2, 3, 10].forEach((x, i) => r.update(x, 1000 * i));
    const json = JSON.parse(JSON.stringify(r.toJSON()));
    const s = RollingStats.from(json);
    expect(s.mean).toBe(r.mean);
    expect(s.std).toBe(r.std);
    expect(s.n).toBe(4);
    expect(s.lastTs).toBe(3000);
    s.update(5);
    r.update(5);
    expect(s.toJSON()).toEqual(r.toJSON());
  });

  it('floors the std and ignores non-finite values', () => {
    const r = new RollingStats({ minStd: 2 });
    expect(r.zScore(5)).toBe(0);
    r.update(10);
    r.update(Number.NaN);
    expect(r.n).toBe(1);
    expect(r.zScore(14)).toBe(2);
    expect(() => new RollingStats({ alpha: 0 })).toThrow(/alpha/);
  });
});
