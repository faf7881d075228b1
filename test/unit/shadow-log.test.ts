import { describe, expect, it } from 'vitest';
import {
  accumulateMix,
  buildShadowLog,
  capacityForecastFromShadow,
  mixConfidence,
  partitionsWaking,
  shadowWindowFromFeatures,
  type ShadowPartitionInput,
  type ShadowWindow,
} from '../../functions/core/shadow-log';
import { forecastSeries, observeSteps, windowsToSteps, type SeriesForecast } from '../../functions/core/volume-forecast';
import { emptyWindowFeatures } from '../../functions/core/features';

const MIN = 60_000;
const STEP = 5 * MIN;
const T0 = Date.UTC(2026, 10, 16, 12, 0);

/** Minute windows with a fixed mix: `n` events split by the given shares, `size` bytes each. */
function mixWindows(partition: string, from: number, minutes: number, n: number, levels: Record<string, number>, templates: Record<string, number>, size = 200): ShadowWindow[] {
  const out: ShadowWindow[] = [];
  for (let i = 0; i < minutes; i++) {
    const split = (s: Record<string, number>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, n * v]));
    out.push({ partition, windowStart: from + i * MIN, count: n, bytes: n * size, levels: split(levels), templates: split(templates) });
  }
  return out;
}

function flat(points: number, mean: number, half: number, method: SeriesForecast['method'] = 'holt-winters', confidence = 0.9, from = T0): SeriesForecast {
  return {
    method,
    confidence,
    observed: 600,
    points: Array.from({ length: points }, (_, i) => ({ t: from + i * STEP, mean, lower: Math.max(0, mean - half), upper: mean + half })),
  };
}

describe('accumulateMix + buildShadowLog: mixes', () => {
  it('known level, template and size mixes in -> the same mixes out', () => {
    const levels = { OTHER: 0.7, WARN: 0.2, ERROR: 0.1 };
    const templates = { a: 0.5, b: 0.25, c: 0.15, d: 0.06, e: 0.03, f: 0.01 };
    const mix = accumulateMix(undefined, mixWindows('p', T0 - 60 * MIN, 60, 100, levels, templates, 250));
    const log = buildShadowLog({
      now: T0,
      horizonMinutes: 15,
      refreshMinutes: 5,
      stepMs: STEP,
      observedThrough: T0,
      totals: { events: flat(3, 500, 50), bytes: flat(3, 125_000, 10_000) },
      partitions: [{ partition: 'p', forecast: flat(3, 500, 50), mix, recent: [500, 500, 500] }],
      topTemplates: 5,
    });
    const p = log.partitions[0];
    for (const [k, v] of Object.entries(levels)) expect(p.levels[k]).toBeCloseTo(v, 10);
    expect(p.templates.top.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const t of p.templates.top) expect(t.share).toBeCloseTo(templates[t.id as keyof typeof templates], 10);
    expect(p.templates.otherShare).toBeCloseTo(0.01, 10);
    expect(p.payload.meanBytes).toBeCloseTo(250, 10);
    expect(p.payload.p95Bytes).toBeCloseTo(250, 10);
    expect(p.expected.mean).toBeCloseTo(1500); // 3 steps of 500 events over 15 minutes
    expect(p.expected.eventsPerMinute).toBeCloseTo(100);
    expect(log.totals?.eventsPerSec.mean).toBeCloseTo(500 / 300);
    expect(log.totals?.bytesPerSec.upper).toBeCloseTo(135_000 / 300);
  });

  it('recent windows weigh more (half-life), and re-fed windows change nothing', () => {
    const old = mixWindows('p', T0 - 120 * MIN, 60, 100, { ERROR: 1 }, { x: 1 });
    const recent = mixWindows('p', T0 - 60 * MIN, 60, 100, { OTHER: 1 }, { y: 1 });
    const mix = accumulateMix(undefined, [...old, ...recent], { halfLifeMinutes: 30 });
    const share = mix.levels.OTHER / (mix.levels.OTHER + mix.levels.ERROR);
    expect(share).toBeGreaterThan(0.75);
    expect(accumulateMix(mix, recent, { halfLifeMinutes: 30 })).toEqual(mix);
  });

  it('prunes templates past maxTemplates into the other share', () => {
    const templates = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`, 0.1]));
    const mix = accumulateMix(undefined, mixWindows('p', T0, 5, 100, { OTHER: 1 }, templates), { maxTemplates: 4 });
    expect(Object.keys(mix.templates)).toHaveLength(4);
    expect(mix.otherTemplates).toBeGreaterThan(0);
  });

  it('reads a level mix ERROR / WARN / OTHER from stored window features', () => {
    const w = emptyWindowFeatures('p', T0);
    w.features.count = 100;
    w.features.bytes = 20_000;
    w.features.errorCount = 5;
    w.features.warnRate = 0.1;
    w.templates = { a: 100 };
    expect(shadowWindowFromFeatures(w)).toEqual({ partition: 'p', windowStart: T0, count: 100, bytes: 20_000, levels: { ERROR: 5, WARN: 10, OTHER: 85 }, templates: { a: 100 } });
  });
});

describe('confidence narrows with more data', () => {
  it('volume: more recent steps give a narrower interval and a higher confidence', () => {
    const series = (steps: number) => {
      const w: ShadowWindow[] = [];
      for (let i = 0; i < steps * 5; i++) w.push({ partition: 'p', windowStart: T0 + i * MIN, count: i % 2 ? 90 : 110, bytes: 0, levels: {}, templates: {} });
      const s = observeSteps(null, windowsToSteps(w, T0, T0 + steps * STEP, STEP));
      return forecastSeries(s.partitions.p, s.config, s.observedThrough!, 1);
    };
    const few = series(4);
    const many = series(20);
    const width = (f: SeriesForecast) => f.points[0].upper - f.points[0].lower;
    expect(width(many)).toBeLessThan(width(few));
    expect(many.confidence).toBeGreaterThan(few.confidence);
  });

  it('mix: more events give a higher mix confidence', () => {
    const one = accumulateMix(undefined, mixWindows('p', T0, 1, 20, { OTHER: 1 }, { a: 1 }));
    const many = accumulateMix(undefined, mixWindows('p', T0, 30, 20, { OTHER: 1 }, { a: 1 }));
    expect(mixConfidence(one)).toBeLessThan(mixConfidence(many));
    expect(mixConfidence(undefined)).toBe(0);
  });
});

describe('partitionsWaking', () => {
  const input = (partition: string, recent: number[], mean: number): ShadowPartitionInput => ({
    partition,
    recent,
    forecast: flat(3, mean, 1, 'holt-winters', 0.8, T0),
  });

  it('lists quiet partitions whose forecast crosses the activity threshold, soonest first', () => {
    const parts = [
      input('batch#eu', [0, 0, 0], 50), // quiet, about to wake
      input('web#us', [400, 420, 410], 400), // already active
      input('cron#us', [0, 0, 0], 2), // stays quiet (0.4/min < 1/min)
    ];
    const later: ShadowPartitionInput = { partition: 'etl#us', recent: [0, 0, 0], forecast: { ...flat(3, 0, 0), points: [{ t: T0, mean: 0, lower: 0, upper: 0 }, { t: T0 + STEP, mean: 0, lower: 0, upper: 0 }, { t: T0 + 2 * STEP, mean: 30, lower: 20, upper: 40 }] } };
    const waking = partitionsWaking([...parts, later], { now: T0, horizonMinutes: 15, stepMs: STEP });
    expect(waking.map((w) => w.partition)).toEqual(['batch#eu', 'etl#us']);
    expect(waking[0]).toMatchObject({ at: T0, expectedPerMinute: 10, recentEventsPerMinute: 0, confidence: 0.8 });
    expect(waking[1].at).toBe(T0 + 2 * STEP);
  });

  it('is part of the shadow log', () => {
    const log = buildShadowLog({
      now: T0,
      horizonMinutes: 15,
      refreshMinutes: 5,
      stepMs: STEP,
      observedThrough: T0,
      totals: { events: flat(3, 50, 5), bytes: flat(3, 5000, 500) },
      partitions: [input('batch#eu', [0, 0, 0], 50)],
    });
    expect(log.waking.map((w) => w.partition)).toEqual(['batch#eu']);
    expect(log.validUntil).toBe(new Date(T0 + 5 * MIN).toISOString());
  });
});

describe('capacityForecastFromShadow', () => {
  it('turns events into records with the ratio, bytes with the wire ratio, times the multiplier', () => {
    const log = buildShadowLog({
      now: T0,
      horizonMinutes: 15,
      refreshMinutes: 5,
      stepMs: STEP,
      observedThrough: T0,
      totals: { events: flat(3, 3000, 600, 'holt-winters', 0.7), bytes: flat(3, 600_000, 60_000) },
      partitions: [],
    });
    const f = capacityForecastFromShadow(log, { eventsPerRecord: 4, wireBytesRatio: 0.5, loadMultiplier: 10 })!;
    expect(f.recordsPerSecMean).toBeCloseTo((3000 / 300) * 10 / 4);
    expect(f.recordsPerSecUpper).toBeCloseTo((3600 / 300) * 10 / 4);
    expect(f.bytesPerSecUpper).toBeCloseTo((660_000 / 300) * 0.5 * 10);
    expect(f.confidence).toBe(0.7);
    expect(f.horizonEnd - f.horizonStart).toBe(15 * MIN);
    const none = buildShadowLog({ now: T0, horizonMinutes: 15, refreshMinutes: 5, stepMs: STEP, observedThrough: null, totals: { events: flat(0, 0, 0, 'none', 0), bytes: flat(0, 0, 0, 'none', 0) }, partitions: [] });
    expect(capacityForecastFromShadow(none)).toBeNull();
  });
});
