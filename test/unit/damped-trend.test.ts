import { describe, expect, it } from 'vitest';
import {
  DAMPED_TREND_DEFAULTS,
  dampedTrendForecast,
  dampedTrendStart,
  dampedTrendUpdate,
  estimatorVariance,
  resolveDampedTrendOptions,
  type DampedTrendState,
} from '../../functions/core/damped-trend';
import { mulberry32, normal } from '../../functions/core/random';

const o = resolveDampedTrendOptions();

function run(values: readonly number[], opts = o): DampedTrendState {
  let s = dampedTrendStart(values[0], opts);
  for (const v of values) s = dampedTrendUpdate(s, v, opts);
  return s;
}

describe('damped trend (ETS(A,Ad,N))', () => {
  it('learns a linear ramp and extrapolates it, damped', () => {
    const rng = mulberry32(1);
    const values = Array.from({ length: 400 }, (_, i) => 0.05 * i + 0.3 * normal(rng));
    const s = run(values);
    expect(s.trend).toBeGreaterThan(0.03);
    expect(s.trend).toBeLessThan(0.07);
    const f = dampedTrendForecast(s, 60, o);
    expect(f[0].mean).toBeCloseTo(s.level + o.phi * s.trend, 10);
    // damped: 60 steps ahead the slope adds less than 60 undamped steps
    expect(f[59].mean - s.level).toBeLessThan(60 * s.trend);
    expect(f[59].mean - s.level).toBeGreaterThan(30 * s.trend);
  });

  it('widens its intervals with the horizon; the level is surer than a single observation', () => {
    const rng = mulberry32(2);
    const s = run(Array.from({ length: 500 }, () => normal(rng)));
    const f = dampedTrendForecast(s, 60, o);
    for (let h = 1; h < 60; h++) expect(f[h].sd).toBeGreaterThanOrEqual(f[h - 1].sd);
    for (const p of f) expect(p.sdLevel).toBeLessThan(p.sd);
    for (const p of f) expect(p.sd * p.sd).toBeCloseTo(s.mse + p.sdLevel * p.sdLevel, 10);
    expect(f[0].sd).toBeGreaterThan(Math.sqrt(s.mse));
    expect(f[0].sd).toBeLessThan(1.1 * Math.sqrt(s.mse));
  });

  it('estimatorVariance is the variance of level + c·trend on white noise (Monte Carlo)', () => {
    const rng = mulberry32(3);
    let s = dampedTrendStart(0, { ...o, clipZ: 100 });
    const levels: number[] = [];
    const projected: number[] = [];
    for (let i = 0; i < 60_000; i++) {
      s = dampedTrendUpdate(s, normal(rng), { ...o, clipZ: 100 });
      if (i > 2000) {
        levels.push(s.level);
        projected.push(s.level + 20 * s.trend);
      }
    }
    const variance = (xs: number[]): number => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return xs.reduce((a, b) => a + (b - m) * (b - m), 0) / xs.length;
    };
    const ev = estimatorVariance(o);
    expect(variance(levels)).toBeGreaterThan(0.8 * ev.ll);
    expect(variance(levels)).toBeLessThan(1.25 * ev.ll);
    const expected = ev.ll + 2 * 20 * ev.lb + 400 * ev.bb;
    expect(variance(projected)).toBeGreaterThan(0.75 * expected);
    expect(variance(projected)).toBeLessThan(1.3 * expected);
  });

  it('clips wild observations and skips missing ones without learning', () => {
    const s = run(Array.from({ length: 100 }, () => 0));
    const spiked = dampedTrendUpdate(s, 1e6, o);
    expect(spiked.level).toBeLessThan(o.alpha * o.clipZ * Math.sqrt(s.mse) + 1e-9);
    const missing = dampedTrendUpdate({ ...s, trend: 0.5 }, Number.NaN, o);
    expect(missing).toEqual({ level: s.level + o.phi * 0.5, trend: o.phi * 0.5, mse: s.mse, n: s.n });
  });

  it('validates options with messages that name them', () => {
    expect(resolveDampedTrendOptions({})).toEqual(DAMPED_TREND_DEFAULTS);
    expect(() => resolveDampedTrendOptions({ alpha: 1 })).toThrow(/alpha must be in \(0, 1\)/);
    expect(() => resolveDampedTrendOptions({ phi: 0 })).toThrow(/phi/);
    expect(() => resolveDampedTrendOptions({ driftWeight: 2 })).toThrow(/driftWeight/);
    expect(() => dampedTrendForecast(dampedTrendStart(0, o), 0, o)).toThrow(RangeError);
  });
});
