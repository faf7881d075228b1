import { describe, expect, it } from 'vitest';
import { HoltWinters } from '../../functions/core/forecast';
import { mulberry32 } from '../../functions/core/random';
import {
  DEFAULT_VOLUME_CONFIG,
  StepSequenceError,
  forecastConfidence,
  forecastSeries,
  observeSteps,
  windowsToSteps,
  type VolumeWindow,
} from '../../functions/core/volume-forecast';

const MIN = 60_000;
const STEP = 5 * MIN;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 9); // a Monday, 00:00 UTC

/** One window per minute, `rate(t)` events, 100 bytes each. */
function windows(partition: string, from: number, to: number, rate: (t: number) => number): VolumeWindow[] {
  const out: VolumeWindow[] = [];
  for (let t = from; t < to; t += MIN) out.push({ partition, windowStart: t, count: rate(t), bytes: rate(t) * 100 });
  return out;
}

const daily = (t: number): number => 1000 + 800 * Math.sin((((t % DAY) / DAY) * 2 - 0.5) * Math.PI);

describe('windowsToSteps', () => {
  it('sums windows per step, keeps empty steps, ignores windows outside the range', () => {
    const w = [
      { partition: 'a', windowStart: T0, count: 3, bytes: 30 },
      { partition: 'b', windowStart: T0 + 4 * MIN, count: 2, bytes: 10 },
      { partition: 'a', windowStart: T0 + 10 * MIN, count: 1, bytes: 5 },
      { partition: 'a', windowStart: T0 + 15 * MIN, count: 99, bytes: 99 },
    ];
    expect(windowsToSteps(w, T0, T0 + 15 * MIN, STEP)).toEqual([
      { start: T0, events: 5, bytes: 40, partitions: { a: 3, b: 2 } },
      { start: T0 + STEP, events: 0, bytes: 0, partitions: {} },
      { start: T0 + 2 * STEP, events: 1, bytes: 5, partitions: { a: 1 } },
    ]);
    expect(() => windowsToSteps(w, T0 + MIN, T0 + STEP, STEP)).toThrow(RangeError);
  });
});

describe('observeSteps', () => {
  it('starts each series at its first non-empty step, padded back to midnight (phase 0)', () => {
    const from = T0 + 10 * 3_600_000; // 10:00
    const steps = windowsToSteps(windows('a', from + 30 * MIN, from + 60 * MIN, () => 5), from, from + 60 * MIN, STEP);
    const s = observeSteps(null, steps);
    expect(s.observedThrough).toBe(from + 60 * MIN);
    const a = s.partitions.a;
    expect(a.origin).toBe(T0);
    // 10:30 is step 126 of the day: 126 missing values, then 6 observed ones.
    expect(a.hw.n).toBe(126 + 6);
    expect(a.hw.buffer.slice(0, 126).every((v) => v === null)).toBe(true);
    expect(a.recent).toEqual([25, 25, 25, 25, 25, 25]);
    expect(s.events?.origin).toBe(T0);
  });

  it('refuses steps that do not continue the sequence', () => {
    const s = observeSteps(null, windowsToSteps(windows('a', T0, T0 + STEP, () => 1), T0, T0 + STEP, STEP));
    const gap = windowsToSteps([], T0 + 2 * STEP, T0 + 3 * STEP, STEP);
    expect(() => observeSteps(s, gap)).toThrow(StepSequenceError);
  });

  it('feeding in chunks equals feeding at once (no fitting)', () => {
    const w = windows('a', T0, T0 + 3 * DAY, daily);
    const all = observeSteps(null, windowsToSteps(w, T0, T0 + 3 * DAY, STEP));
    let chunked = observeSteps(null, windowsToSteps(w, T0, T0 + DAY, STEP));
    for (let d = 1; d < 3; d++) chunked = observeSteps(chunked, windowsToSteps(w, T0 + d * DAY, T0 + (d + 1) * DAY, STEP));
    expect(chunked).toEqual(all);
  });

  it('drops a partition silent for longer than dropAfterMs', () => {
    const w = windows('a', T0, T0 + STEP, () => 1);
    const s = observeSteps(null, windowsToSteps(w, T0, T0 + 2 * 3_600_000, STEP), { config: { dropAfterMs: 3_600_000 } });
    expect(Object.keys(s.partitions)).toEqual([]);
    expect(s.events).not.toBeNull();
  });
});

describe('forecastSeries', () => {
  it('follows a daily pattern after two days, with a tight interval and high confidence', () => {
    const rng = mulberry32(3);
    const w = windows('a', T0, T0 + 3 * DAY, (t) => daily(t) * (0.97 + 0.06 * rng()));
    const s = observeSteps(null, windowsToSteps(w, T0, T0 + 3 * DAY, STEP), { fit: true });
    const f = forecastSeries(s.events, s.config, s.observedThrough!, 24);
    expect(f.method).toBe('holt-winters');
    expect(f.points).toHaveLength(24);
    for (const p of f.points) {
      const truth = daily(p.t) * 5;
      expect(Math.abs(p.mean - truth) / truth).toBeLessThan(0.1);
      expect(p.lower).toBeLessThanOrEqual(p.mean);
      expect(p.upper).toBeGreaterThanOrEqual(p.mean);
    }
    expect(f.confidence).toBeGreaterThan(0.85);
  });

  it('falls back to recent steps before two seasons, at no more than half confidence', () => {
    const w = windows('a', T0, T0 + 2 * 3_600_000, () => 100);
    const s = observeSteps(null, windowsToSteps(w, T0, T0 + 2 * 3_600_000, STEP));
    const f = forecastSeries(s.partitions.a, s.config, s.observedThrough!, 3);
    expect(f.method).toBe('recent');
    expect(f.points.map((p) => p.mean)).toEqual([500, 500, 500]);
    expect(f.confidence).toBeLessThanOrEqual(0.5);
    expect(f.confidence).toBeGreaterThan(0.4);
    expect(forecastSeries(null, s.config, s.observedThrough!, 3)).toMatchObject({ method: 'none', confidence: 0 });
  });

  it('matches the Holt-Winters model it wraps', () => {
    const w = windows('a', T0, T0 + 2 * DAY + STEP, daily);
    const s = observeSteps(null, windowsToSteps(w, T0, T0 + 2 * DAY + STEP, STEP));
    const hw = HoltWinters.from(s.events!.hw);
    const direct = hw.forecast(2, STEP, s.observedThrough! - STEP);
    expect(forecastSeries(s.events, DEFAULT_VOLUME_CONFIG, s.observedThrough!, 2).points).toEqual(direct);
  });
});

describe('forecastConfidence', () => {
  it('falls as the interval widens, and is 0 without a forecast', () => {
    const pt = (half: number) => [{ t: 0, mean: 100, lower: 100 - half, upper: 100 + half }];
    expect(forecastConfidence(pt(0), 'holt-winters', 600)).toBe(1);
    expect(forecastConfidence(pt(50), 'holt-winters', 600)).toBeCloseTo(1 / 1.5);
    expect(forecastConfidence(pt(50), 'holt-winters', 600)).toBeGreaterThan(forecastConfidence(pt(100), 'holt-winters', 600));
    expect(forecastConfidence(pt(0), 'recent', 6)).toBe(0.25);
    expect(forecastConfidence([], 'none', 0)).toBe(0);
  });
});
