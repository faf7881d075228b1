import { describe, expect, it } from 'vitest';
import { anomalyId, buildAnomaly, combineScores, risingTemplates, severityOf, strongest } from '../../functions/core/anomaly';
import { stableHash } from '../../functions/core/hash';
import type { DetectorResult, Profile, WindowFeatures } from '../../functions/core/types';
import { emptyWindowFeatures } from '../../functions/core/features';
import { buildProfile } from '../../functions/core/profile';
import { T0 } from './core-fixtures';

const res = (detector: string, kind: DetectorResult['kind'], score: number, z = 0, feature = 'errorRate'): DetectorResult => ({
  detector,
  kind,
  score,
  deviations: z ? [{ feature, observed: 0.2, expected: 0.01, band: [0, 0.03], z }] : [],
  evidence: [],
});

describe('anomalyId', () => {
  it('is deterministic and distinguishes partition, window and kind', () => {
    const id = anomalyId('svc#eu', T0, 'error_spike');
    expect(id).toBe(anomalyId('svc#eu', T0, 'error_spike'));
    expect(id).toBe(stableHash(`svc#eu|${T0}|error_spike`));
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set([id, anomalyId('svc#us', T0, 'error_spike'), anomalyId('svc#eu', T0 + 60_000, 'error_spike'), anomalyId('svc#eu', T0, 'latency')]).size).toBe(4);
  });
});

describe('combineScores', () => {
  it('is the max, nudged by an agreeing second detector, capped below 1', () => {
    expect(combineScores([])).toBe(0);
    expect(combineScores([0.9, 0.5])).toBe(0.9);
    expect(combineScores([0.9, 0.9])).toBeCloseTo(1 - 0.1 * (1 - 0.3 * 0.9));
    expect(combineScores([0.9, 0.9])).toBeLessThan(0.95);
    expect(combineScores([0.9999, 0.9999, 0.9999])).toBe(0.9999);
  });
});

describe('severityOf', () => {
  it('uses the documented thresholds', () => {
    expect(severityOf(0.9999, 12)).toBe('critical');
    expect(severityOf(0.9999, 3)).toBe('high');
    expect(severityOf(0.995, 6)).toBe('high');
    expect(severityOf(0.995, 2)).toBe('medium');
    expect(severityOf(0.96, 20)).toBe('low');
  });
});

describe('strongest', () => {
  it('prefers the highest score and breaks ties by kind priority', () => {
    expect(strongest([res('a', 'latency', 0.5), res('b', 'seasonal_band', 0.9)])?.detector).toBe('b');
    expect(strongest([res('a', 'seasonal_band', 0.9999), res('b', 'error_spike', 0.9995)])?.kind).toBe('error_spike');
    expect(strongest([])).toBeNull();
  });
});

describe('buildAnomaly', () => {
  const NEW = 'feedfacefeedface';
  const UP = 'abababababababab';
  const profile: Profile = buildProfile({
    partition: 'svc#eu',
    windows: [],
    templates: [
      { id: '1111111111111111', template: 'ok <*>', count: 990, level: 'INFO' },
      { id: UP, template: 'db timeout <*>', count: 10, level: 'ERROR' },
    ],
    version: 7,
    builtAt: T0,
  });
  const w: WindowFeatures = emptyWindowFeatures('svc#eu', T0);
  w.features.count = 100;
  w.templates = { '1111111111111111': 60, [UP]: 30, [NEW]: 10 };
  w.newTemplates = { [NEW]: 'disk full on <*>' };
  w.samples = { '1111111111111111': 'INFO ok 1', [UP]: 'ERROR db timeout 3000', [NEW]: 'ERROR disk full on /var' };

  it('fills every field from the results', () => {
    const results = [res('errorSpike', 'error_spike', 0.9999, 15), res('seasonalBand', 'latency', 0.999, 7, 'latencyP95'), res('rollingStats', 'rolling_stats', 0.1, 2)];
    const a = buildAnomaly(w, profile, results, 0.9999, { detectedAt: 123 });
    expect(a.id).toBe(anomalyId('svc#eu', T0, 'error_spike'));
    expect(a.kind).toBe('error_spike');
    expect(a.windowEnd).toBe(T0 + 60_000);
    expect(a.severity).toBe('critical');
    expect(a.detectors.map((d) => d.name)).toEqual(['errorSpike', 'seasonalBand']);
    expect(a.deviations.map((d) => d.feature)).toEqual(['errorRate', 'latencyP95']);
    expect(a.sampleEvents).toEqual(['ERROR disk full on /var', 'ERROR db timeout 3000', 'INFO ok 1']);
    expect(a.rootCauseHints[0]).toBe('errorRate 0.2 vs expected 0.01 (band 0..0.03)');
    expect(a.rootCauseHints.some((h) => h.startsWith('new template (10 events): disk full on'))).toBe(true);
    expect(a.rootCauseHints.some((h) => /template rose to 30% of events \(usually 1%\): db timeout/.test(h))).toBe(true);
    expect(a.profileVersion).toBe(7);
    expect(a.modelVersion).toBe('statistical-v1');
    expect(a.detectedAt).toBe(123);
    expect(risingTemplates(w, profile).map((r) => r.id)).toEqual([UP]);
  });

  it('caps sample events at 5', () => {
    const many = { ...w, samples: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`${i}`.repeat(16), `line ${i}`])) };
    many.templates = Object.fromEntries(Object.keys(many.samples).map((k) => [k, 1]));
    expect(buildAnomaly(many, profile, [res('x', 'volume_spike', 0.99)], 0.99, { detectedAt: 0 }).sampleEvents).toHaveLength(5);
  });
});
