/**
 * Dashboard view arithmetic (functions/core/views): bands read at a sensitivity, from the profile
 * or from the model's proactive thresholds, replayed probabilities and their histogram.
 */
import { describe, expect, it } from 'vitest';
import { bandZForSensitivity, featureBand, replayProbabilities, scoreHistogram, surprise } from '../../functions/core/views';
import { buildProfile } from '../../functions/core/profile';
import { synthWindows } from '../../functions/core/synth/windows';
import { THRESHOLD_QUANTILES, type PartitionThresholds } from '../../functions/core/model-contract';
import { FEATURE_NAMES, type FeatureName, type WindowFeatures } from '../../functions/core/types';

const P = 'orders#us-east-1';
const START = Date.UTC(2026, 10, 2);
const asWindow = (w: { partition: string; windowStart: number; features: WindowFeatures['features'] }): WindowFeatures => ({ ...w, templates: {}, newTemplates: {}, samples: {} });
const history = synthWindows({ partitions: [P], start: START, days: 7, seed: 5 }).map(asWindow);
const profile = buildProfile({ partition: P, windows: history, templates: [], version: 1, builtAt: START + 7 * 86_400_000 });
const live = synthWindows({ partitions: [P], start: START + 7 * 86_400_000, days: 1, seed: 6 })
  .slice(0, 40)
  .map(asWindow);

describe('bandZForSensitivity', () => {
  it('is the two-sided normal quantile for Gaussian features, and grows with the level', () => {
    expect(bandZForSensitivity('count', 0.95)).toBeCloseTo(1.96, 2);
    expect(bandZForSensitivity('count', 0.999)).toBeCloseTo(3.29, 2);
    expect(bandZForSensitivity('latencyP95', 0.999)).toBeGreaterThan(bandZForSensitivity('latencyP95', 0.95));
  });
});

describe('featureBand', () => {
  it('reads the seasonal band around the slot median, wider at a higher sensitivity', () => {
    const w = live[10];
    const lo = featureBand('count', w, profile, 0.9)!;
    const hi = featureBand('count', w, profile, 0.999)!;
    expect(lo.source).toBe('seasonal');
    expect(lo.lower).toBeLessThanOrEqual(lo.expected);
    expect(lo.upper).toBeGreaterThan(lo.expected);
    expect(hi.upper).toBeGreaterThan(lo.upper);
    expect(hi.lower).toBeLessThanOrEqual(lo.lower);
  });

  it('is null where the feature says nothing (latency of an empty minute)', () => {
    const empty = { ...live[0], features: { ...live[0].features, count: 0, latencyP95: 0 } };
    expect(featureBand('latencyP95', empty, profile, 0.95)).toBeNull();
  });

  it("prefers the model's thresholds when they cover the hour, read with bandAt", () => {
    const w = live[5];
    const hourStart = Math.floor(w.windowStart / 3_600_000) * 3_600_000;
    const ramp = THRESHOLD_QUANTILES.map((q) => 100 * q);
    const quantiles = Object.fromEntries(FEATURE_NAMES.map((f) => [f, ramp])) as Record<FeatureName, number[]>;
    const thresholds: PartitionThresholds = { partition: P, modelVersion: 'm1', computedAt: hourStart, quantileLevels: THRESHOLD_QUANTILES, hours: [{ hourStart, quantiles }] };
    const b = featureBand('count', w, profile, 0.95, thresholds)!;
    expect(b.source).toBe('model-thresholds');
    expect(b.lower).toBeCloseTo(2.5, 6);
    expect(b.upper).toBeCloseTo(97.5, 6);
    expect(b.expected).toBeCloseTo(50, 6);
    // An hour the thresholds do not cover falls back to the seasonal band.
    expect(featureBand('count', { ...w, windowStart: hourStart + 3_600_000 }, profile, 0.95, thresholds)!.source).toBe('seasonal');
  });
});

describe('replayProbabilities and scoreHistogram', () => {
  it('scores normal windows low and a broken one high, returning only windows from `from`', () => {
    const broken = live.map((w, i) => (i === 30 ? { ...w, features: { ...w.features, errorCount: 60, errorRate: 0.5 } } : w));
    const from = live[15].windowStart;
    const r = replayProbabilities(broken, profile, { from });
    expect(r).toHaveLength(25);
    expect(r[0].windowStart).toBe(from);
    const spike = r.find((x) => x.windowStart === live[30].windowStart)!;
    expect(spike.probability).toBeGreaterThan(0.99);
    const quiet = r.filter((x) => x !== spike);
    expect(quiet.filter((x) => x.probability >= 0.95).length).toBeLessThanOrEqual(1);
  });

  it('bins on the surprise scale and counts windows at or above the sensitivity', () => {
    expect(surprise(0)).toBe(0);
    expect(surprise(0.99)).toBeCloseTo(2, 10);
    expect(surprise(1)).toBeCloseTo(4, 10);
    const h = scoreHistogram([0, 0.5, 0.96, 0.999, 1], 0.95);
    expect(h.bins).toHaveLength(16);
    expect(h.bins.reduce((n, b) => n + b.count, 0)).toBe(5);
    expect(h.above).toBe(3);
    expect(h.threshold).toBeCloseTo(surprise(0.95), 10);
    expect(h.bins[15].count).toBe(1); // 1 is capped at 0.9999: the last bin
  });
});
