import { describe, expect, it } from 'vitest';
import {
  FEEDBACK_DEFAULTS,
  LabelRequestError,
  nextSensitivity,
  parseLabelRequest,
  sensitivityAfterFalsePositive,
  summariseLabels,
  windowsToExclude,
} from '../../functions/core/feedback';
import { parseAnomalyKey } from '../../functions/adapters/label-store';
import { anomalyKey, labelKey } from '../../functions/core/resources';

describe('label requests', () => {
  it('accepts a well-formed request', () => {
    const r = parseLabelRequest({ partition: 'checkout#us-east-1', anomalyId: 'b8e9a5f73e85aed4', verdict: 'false_positive', note: 'load test' });
    expect(r.verdict).toBe('false_positive');
  });

  it('names every field to fix', () => {
    expect(() => parseLabelRequest({ partition: '', anomalyId: 'nope', verdict: 'maybe' })).toThrow(LabelRequestError);
    try {
      parseLabelRequest({ partition: '', anomalyId: 'nope', verdict: 'maybe', extra: 1 });
    } catch (err) {
      const m = (err as Error).message;
      expect(m).toContain('partition');
      expect(m).toContain('anomalyId');
      expect(m).toContain('verdict must be "true_positive" or "false_positive"');
      expect(m).toContain('extra');
    }
  });
});

describe('the false-positive step', () => {
  it('shrinks the alert tail by the tail factor', () => {
    expect(sensitivityAfterFalsePositive(0.95)).toBeCloseTo(0.965, 9);
    expect(sensitivityAfterFalsePositive(0.965)).toBeCloseTo(0.9755, 9);
  });

  it('is bounded: repeated false positives stop at the cap, and a level above it is left alone', () => {
    let level = 0.9;
    for (let i = 0; i < 100; i++) level = sensitivityAfterFalsePositive(level);
    expect(level).toBe(FEEDBACK_DEFAULTS.maxLevel);
    expect(sensitivityAfterFalsePositive(0.999)).toBe(0.999);
  });

  it('moves only on a new false positive', () => {
    expect(nextSensitivity(0.95, 'false_positive')).toBeCloseTo(0.965, 9);
    expect(nextSensitivity(0.95, 'false_positive', 'false_positive')).toBe(0.95);
    expect(nextSensitivity(0.95, 'true_positive')).toBe(0.95);
    expect(nextSensitivity(0.95, 'false_positive', 'true_positive')).toBeCloseTo(0.965, 9);
  });
});

describe('training exclusion', () => {
  it('leaves out every anomalous window except those whose anomalies were all false positives', () => {
    const anomalies = [
      { windowStart: 1, id: 'a' },
      { windowStart: 2, id: 'b' },
      { windowStart: 2, id: 'c' },
      { windowStart: 3, id: 'd' },
    ];
    const labels = [
      { anomalyId: 'a', verdict: 'false_positive' as const },
      { anomalyId: 'b', verdict: 'false_positive' as const },
      { anomalyId: 'd', verdict: 'true_positive' as const },
    ];
    expect([...windowsToExclude(anomalies, labels)].sort()).toEqual([2, 3]);
  });

  it('summarises verdicts', () => {
    expect(summariseLabels([{ verdict: 'true_positive' }, { verdict: 'false_positive' }, { verdict: 'false_positive' }])).toEqual({
      truePositives: 1,
      falsePositives: 2,
      falsePositiveShare: 2 / 3,
    });
    expect(summariseLabels([]).falsePositiveShare).toBeNull();
  });
});

describe('label keys', () => {
  it('mirror the anomaly key under labels/ and parse back', () => {
    const t = Date.UTC(2026, 10, 16, 15, 32);
    const k = labelKey('checkout#us-east-1', t, 'b8e9a5f73e85aed4');
    expect(k).toBe(anomalyKey('checkout#us-east-1', t, 'b8e9a5f73e85aed4').replace('anomalies/', 'labels/'));
    expect(k.startsWith('labels/partition=checkout%23us-east-1/')).toBe(true);
    expect(parseAnomalyKey(k)).toEqual({ windowStart: t, id: 'b8e9a5f73e85aed4' });
    expect(parseAnomalyKey('labels/other.json')).toBeNull();
  });
});
