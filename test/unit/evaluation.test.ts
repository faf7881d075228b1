import { describe, expect, it } from 'vitest';
import { averagePrecision, decidePromotion, holdoutMetrics, metricLines, parseMetricLog, type HoldoutMetrics } from '../../functions/core/evaluation';

const m = (averagePrecision: number, falsePositiveRate = 0, recall = 0.5): HoldoutMetrics => ({ averagePrecision, falsePositiveRate, recall, windows: 100 });

describe('averagePrecision', () => {
  it('is 1 for a perfect ranking and matches the step-wise definition otherwise', () => {
    expect(averagePrecision([0.9, 0.8, 0.1, 0.0], [1, 1, 0, 0])).toBe(1);
    // ranks: 1 (pos) p=1, 2 (neg), 3 (pos) p=2/3 -> (1 + 2/3) / 2
    expect(averagePrecision([0.9, 0.8, 0.7], [1, 0, 1])).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(averagePrecision([0.1, 0.2], [0, 0])).toBe(0);
  });

  it('takes tied scores together (no credit for an arbitrary order)', () => {
    expect(averagePrecision([0.5, 0.5], [1, 0])).toBe(0.5);
    expect(() => averagePrecision([1], [1, 0])).toThrow(/1 scores but 2 labels/);
  });
});

describe('holdout metrics and the training log', () => {
  it('counts raised windows at the sensitivity', () => {
    const r = holdoutMetrics([0.99, 0.2, 0.96, 0.97, 0.1], [1, 1, 0, 0, 0], 0.95);
    expect(r.recall).toBe(0.5);
    expect(r.falsePositiveRate).toBeCloseTo(2 / 3, 12);
    expect(r.windows).toBe(5);
  });

  it('reads metric lines as SageMaker MetricDefinitions do: the last match wins', () => {
    const log = ['epoch 1/2 train_loss=3.5', 'epoch 2/2 train_loss=-1.25e-1', ...metricLines(m(0.8, 0.002, 0.6)), 'noise holdout_recall=oops'].join('\n');
    const got = Object.fromEntries(parseMetricLog(log).map((x) => [x.MetricName, x.Value]));
    expect(got).toEqual({ 'holdout:average_precision': 0.8, 'holdout:false_positive_rate': 0.002, 'holdout:recall': 0.6, 'train:loss': -0.125 });
  });
});

describe('champion/challenger promotion', () => {
  it('promotes a first model that clears the bars, and refuses one that does not', () => {
    expect(decidePromotion(m(0.6), null).promote).toBe(true);
    expect(decidePromotion(m(0.26), null)).toEqual({ promote: false, reason: expect.stringMatching(/below the bar 0.35/) });
    expect(decidePromotion(m(0.9, 0.05), null).reason).toMatch(/raises 5.00% of normal holdout windows/);
  });

  it('refuses a challenger worse than the champion beyond the tolerance, accepts one within it', () => {
    expect(decidePromotion(m(0.7), m(0.8)).promote).toBe(false);
    expect(decidePromotion(m(0.7), m(0.8)).reason).toMatch(/worse than the champion's 0.800/);
    expect(decidePromotion(m(0.79), m(0.8)).promote).toBe(true);
    expect(decidePromotion(m(0.7), m(0.8), { tolerance: 0.2 }).promote).toBe(true);
  });
});
