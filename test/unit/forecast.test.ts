import { describe, expect, it } from 'vitest';
import { HoltWinters, fitHoltWinters, mape, seasonalNaive } from '../../functions/core/forecast';
import { mulberry32, normal } from '../../functions/core/random';

const M = 24; // hourly steps, daily season
const STEP = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

/** Noise-free truth: level 100, linear trend, sine season. */
function truth(t: number, slope: number): number {
  return 100 + slope * t + 20 * Math.sin((2 * Math.PI * t) / M);
}

function series(n: number, slope: number, noise: number, seed: number): { y: number[]; clean: number[] } {
  const rng = mulberry32(seed);
  const clean = Array.from({ length: n }, (_, t) => truth(t, slope));
  return { clean, y: clean.map((v) => v + noise * normal(rng)) };
}

describe('HoltWinters (ETS(A,Ad,A))', () => {
  it('tracks a sine season + linear trend within tolerance', () => {
    const { y } = series(20 * M, 0.1, 1, 7);
    const hw = fitHoltWinters(y, { seasonLength: M });
    const fc = hw.forecast(M, STEP, T0);
    expect(fc).toHaveLength(M);
    expect(fc[0].t).toBe(T0 + STEP);
    expect(fc[M - 1].t).toBe(T0 + M * STEP);
    let maxErr = 0;
    for (let h = 1; h <= M; h++) {
      const err = Math.abs(fc[h - 1].mean - truth(20 * M - 1 + h, 0.1));
      maxErr = Math.max(maxErr, err);
    }
    // noise sigma 1, season amplitude 20, trend ~2.4 per season: a day ahead stays within 4
    expect(maxErr).toBeLessThan(4);
  });

  it('95% one-step intervals cover about 95% of 500 held-out points', () => {
    const train = 15 * M;
    const { y } = series(train + 500, 0.1, 2, 11);
    const hw = fitHoltWinters(y.slice(0, train), { seasonLength: M });
    let covered = 0;
    let absErr = 0;
    for (let i = train; i < train + 500; i++) {
      const [p] = hw.forecast(1, STEP, T0 + i * STEP);
      if (y[i] >= p.lower && y[i] <= p.upper) covered++;
      absErr += Math.abs(y[i] - p.mean);
      hw.update(y[i]);
    }
    const coverage = covered / 500;
    expect(coverage).toBeGreaterThanOrEqual(0.85);
    expect(coverage).toBeLessThanOrEqual(1);
    // mean absolute one-step error close to the noise's (2 * sqrt(2/pi) ~ 1.6)
    expect(absErr / 500).toBeLessThan(2.5);
  });

  it('multi-step (1..12) intervals keep roughly nominal coverage over held-out origins', () => {
    const train = 15 * M;
    const { y } = series(train + 500 + 12, 0.1, 2, 12);
    const hw = fitHoltWinters(y.slice(0, train), { seasonLength: M });
    let covered = 0;
    let total = 0;
    for (let i = train; i < train + 500; i++) {
      const fc = hw.forecast(12, STEP, 0);
      for (let h = 1; h <= 12; h += 11) {
        const v = y[i + h - 1];
        if (v >= fc[h - 1].lower && v <= fc[h - 1].upper) covered++;
        total++;
      }
      hw.update(y[i]);
    }
    expect(covered / total).toBeGreaterThanOrEqual(0.85);
  });

  it('beats seasonal-naive MAPE on a trended series', () => {
    const n = 12 * M;
    const { y } = series(n + 500, 0.5, 2, 21);
    const hw = fitHoltWinters(y.slice(0, n), { seasonLength: M, grid: true });
    const hwPred: number[] = [];
    const naivePred: number[] = [];
    const actual: number[] = [];
    // rolling origin, 6 steps ahead, over 500 held-out steps
    for (let i = n; i < n + 500; i++) {
      if (i + 6 <= n + 500) {
        hwPred.push(hw.forecast(6, STEP, 0)[5].mean);
        naivePred.push(seasonalNaive(y.slice(0, i), M, 6)[5]);
        actual.push(y[i + 5]);
      }
      hw.update(y[i]);
    }
    const hwMape = mape(actual, hwPred);
    const naiveMape = mape(actual, naivePred);
    expect(hwMape).toBeLessThan(naiveMape * 0.8);
  });

  it('intervals widen with the horizon', () => {
    const { y } = series(10 * M, 0.1, 2, 3);
    const hw = fitHoltWinters(y, { seasonLength: M });
    const fc = hw.forecast(3 * M, STEP, T0);
    for (let h = 1; h < fc.length; h++) {
      const prev = fc[h - 1].upper - fc[h - 1].lower;
      const cur = fc[h].upper - fc[h].lower;
      expect(cur).toBeGreaterThan(prev);
    }
    // one-step half-width = z * sigma
    expect((fc[0].upper - fc[0].lower) / 2).toBeCloseTo(1.959964 * hw.sigma, 4);
  });

  it('round-trips through JSON and keeps forecasting identically', () => {
    const { y } = series(6 * M, 0.2, 1, 5);
    const a = fitHoltWinters(y.slice(0, 4 * M), { seasonLength: M, alpha: 0.3, damped: 0.95, nonNegative: true });
    const b = HoltWinters.from(JSON.parse(JSON.stringify(a)));
    expect(b.options).toEqual(a.options);
    expect(b.forecast(30, STEP, T0)).toEqual(a.forecast(30, STEP, T0));
    for (let i = 4 * M; i < 6 * M; i++) {
      a.update(y[i]);
      b.update(y[i]);
    }
    expect(b.forecast(30, STEP, T0)).toEqual(a.forecast(30, STEP, T0));
    // also mid-initialisation
    const c = new HoltWinters({ seasonLength: M });
    for (let i = 0; i < M + 3; i++) c.update(y[i]);
    const d = HoltWinters.from(JSON.parse(JSON.stringify(c)));
    for (let i = M + 3; i < 3 * M; i++) {
      c.update(y[i]);
      d.update(y[i]);
    }
    expect(d.isReady).toBe(true);
    expect(d.forecast(5, STEP, 0)).toEqual(c.forecast(5, STEP, 0));
  });

  it('nonNegative clamps mean and bounds at 0 for counts', () => {
    // counts near zero with a big season: the raw model dips below zero at the trough
    const rng = mulberry32(9);
    const y = Array.from({ length: 8 * M }, (_, t) => Math.max(0, Math.round(3 + 5 * Math.sin((2 * Math.PI * t) / M) + normal(rng))));
    const raw = fitHoltWinters(y, { seasonLength: M });
    const clamped = fitHoltWinters(y, { seasonLength: M, nonNegative: true });
    const fr = raw.forecast(M, STEP, 0);
    const fcl = clamped.forecast(M, STEP, 0);
    expect(fr.some((p) => p.lower < 0)).toBe(true);
    for (let i = 0; i < M; i++) {
      expect(fcl[i].lower).toBeGreaterThanOrEqual(0);
      expect(fcl[i].mean).toBeGreaterThanOrEqual(0);
      expect(fcl[i].upper).toBeGreaterThanOrEqual(fcl[i].mean);
      expect(fcl[i].mean).toBe(Math.max(0, fr[i].mean));
    }
  });

  it('rejects bad options with clear errors', () => {
    expect(() => new HoltWinters({ seasonLength: 1 })).toThrow(/seasonLength must be an integer >= 2/);
    expect(() => new HoltWinters({ seasonLength: 2.5 })).toThrow(/seasonLength/);
    expect(() => new HoltWinters({ seasonLength: 24, alpha: 0 })).toThrow(/alpha must be in the open interval \(0, 1\)/);
    expect(() => new HoltWinters({ seasonLength: 24, alpha: 1.2 })).toThrow(/alpha/);
    expect(() => new HoltWinters({ seasonLength: 24, beta: 1 })).toThrow(/beta/);
    expect(() => new HoltWinters({ seasonLength: 24, gamma: -0.1 })).toThrow(/gamma/);
    expect(() => new HoltWinters({ seasonLength: 24, damped: 1.5 })).toThrow(/damped/);
    expect(() => new HoltWinters({ seasonLength: 24, level: 1 })).toThrow(/level/);
    expect(() => fitHoltWinters([1, 2, 3], { seasonLength: 24, alpha: Number.NaN })).toThrow(/alpha/);
  });

  it('series shorter than 2 seasons throws naming the minimum length', () => {
    const y = Array.from({ length: 2 * M - 1 }, (_, t) => truth(t, 0));
    expect(() => fitHoltWinters(y, { seasonLength: M })).toThrow(/at least 2 full seasons.*48 observations.*got 47/);
    const hw = new HoltWinters({ seasonLength: M });
    y.forEach((v) => hw.update(v));
    expect(hw.isReady).toBe(false);
    expect(() => hw.forecast(1, STEP, 0)).toThrow(/48 observations/);
    hw.update(truth(2 * M - 1, 0));
    expect(hw.isReady).toBe(true);
    expect(() => hw.forecast(0, STEP, 0)).toThrow(/steps/);
  });

  it('grid search picks parameters no worse than the defaults in one-step SSE', () => {
    const { y } = series(10 * M, 0.3, 2, 17);
    const def = fitHoltWinters(y, { seasonLength: M });
    const fit = fitHoltWinters(y, { seasonLength: M, grid: true });
    expect(fit.fitError.count).toBe(8 * M);
    expect(fit.fitError.sse).toBeLessThanOrEqual(def.fitError.sse);
    // explicitly given parameters are kept fixed
    const fixed = fitHoltWinters(y, { seasonLength: M, grid: true, alpha: 0.42 });
    expect(fixed.options.alpha).toBe(0.42);
  });

  it('treats non-finite values as missing without losing the seasonal phase', () => {
    const { y, clean } = series(10 * M, 0, 0.5, 4);
    const hw = new HoltWinters({ seasonLength: M });
    y.forEach((v, t) => hw.update(t === 5 || (t > 6 * M && t < 6 * M + 10) ? Number.NaN : v));
    expect(hw.count).toBe(10 * M);
    const fc = hw.forecast(M, STEP, 0);
    for (let h = 1; h <= M; h++) expect(Math.abs(fc[h - 1].mean - truth(10 * M - 1 + h, 0))).toBeLessThan(3);
    expect(clean).toHaveLength(10 * M);
  });

  it('seasonalNaive repeats the last season and validates input', () => {
    expect(seasonalNaive([1, 2, 3, 4, 5, 6], 3, 5)).toEqual([4, 5, 6, 4, 5]);
    expect(() => seasonalNaive([1, 2], 3, 1)).toThrow(/at least one season/);
    expect(mape([100, 200, 0], [110, 180, 5])).toBeCloseTo(10, 10);
  });
});
