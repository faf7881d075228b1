import { describe, expect, it } from 'vitest';
import {
  MalformedModelResponseError,
  VAE_DETECTOR,
  describeRarity,
  modelDetectorResult,
  parseScoreResponse,
  windowZ,
} from '../../functions/core/model-detector';
import { THRESHOLD_QUANTILES, type PartitionThresholds, type WindowModelScore } from '../../functions/core/model-contract';
import { scoreWindow } from '../../functions/core/scoring';
import { DAY, T0, genWindows, trainProfile } from './core-fixtures';

const HOUR = 3_600_000;
const WS = Date.UTC(2026, 10, 16, 15, 30);

function score(over: Partial<WindowModelScore> = {}): WindowModelScore {
  return {
    partition: 'checkout#us-east-1',
    windowStart: WS,
    logLikelihood: -42,
    pValue: 2.5e-5,
    anomalyProbability: 0.9975,
    contributions: [
      { feature: 'latencyP95', share: 0.64, observed: 410, expected: 90 },
      { feature: 'count', share: 0.2, observed: 300, expected: 420 },
      { feature: 'errorRate', share: 0.05, observed: 0.01, expected: 0.005 },
    ],
    knownPartition: true,
    ...over,
  };
}

function thresholds(): PartitionThresholds {
  const ramp = (lo: number, hi: number): number[] => THRESHOLD_QUANTILES.map((_, i) => lo + ((hi - lo) * i) / (THRESHOLD_QUANTILES.length - 1));
  return {
    partition: 'checkout#us-east-1',
    modelVersion: 'vae-1',
    computedAt: WS,
    quantileLevels: THRESHOLD_QUANTILES,
    hours: [{ hourStart: Math.floor(WS / HOUR) * HOUR, quantiles: { latencyP95: ramp(20, 200) } as PartitionThresholds['hours'][number]['quantiles'] }],
  };
}

describe('modelDetectorResult', () => {
  it('scores with anomalyProbability and takes the kind from the top contribution', () => {
    const r = modelDetectorResult(score());
    expect(r.detector).toBe(VAE_DETECTOR);
    expect(r.score).toBe(0.9975);
    expect(r.kind).toBe('latency');
    expect(modelDetectorResult(score({ contributions: [{ feature: 'count', share: 0.9, observed: 10, expected: 400 }] })).kind).toBe('volume_drop');
    expect(modelDetectorResult(score({ contributions: [{ feature: 'errorRate', share: 0.9, observed: 0.3, expected: 0.01 }] })).kind).toBe('error_spike');
    expect(modelDetectorResult(score({ contributions: [] })).kind).toBe('seasonal_band');
  });

  it('lists the top contributions as deviations with a signed z from the p-value', () => {
    const r = modelDetectorResult(score());
    expect(r.deviations.map((d) => d.feature)).toEqual(['latencyP95', 'count']); // errorRate below minShare
    const [lat, count] = r.deviations;
    expect(lat.observed).toBe(410);
    expect(lat.expected).toBe(90);
    expect(lat.band).toEqual([90, 90]); // no thresholds: [expected, expected]
    expect(lat.z).toBeGreaterThan(0);
    expect(count.z).toBeLessThan(0);
    expect(lat.z).toBeCloseTo(windowZ(2.5e-5) * Math.sqrt(0.64), 6);
    expect(windowZ(2.5e-5)).toBeCloseTo(4.06, 1);
    expect(windowZ(0.7)).toBe(0); // common windows are not negative anomalies
    expect(Number.isFinite(windowZ(0))).toBe(true);
  });

  it('reads bands from the partition thresholds at the window hour and sensitivity', () => {
    const r = modelDetectorResult(score(), { thresholds: thresholds(), sensitivity: 0.95 });
    const lat = r.deviations[0];
    expect(lat.band[0]).toBeGreaterThan(20);
    expect(lat.band[1]).toBeLessThan(200);
    expect(lat.band[0]).toBeLessThan(lat.band[1]);
    // count has no quantiles in the thresholds: falls back to [expected, expected]
    expect(r.deviations[1].band).toEqual([420, 420]);
    const wide = modelDetectorResult(score(), { thresholds: thresholds(), sensitivity: 0.999 }).deviations[0].band;
    expect(wide[1] - wide[0]).toBeGreaterThan(lat.band[1] - lat.band[0]);
    // another hour: not covered
    const other = modelDetectorResult(score({ windowStart: WS + 2 * HOUR }), { thresholds: thresholds() });
    expect(other.deviations[0].band).toEqual([90, 90]);
  });

  it('explains itself in plain language', () => {
    const r = modelDetectorResult(score(), { modelVersion: 'vae-7' });
    expect(r.evidence[0]).toBe('VAE: a window this unlikely happens in 1 of 40,000 normal minutes (p=2.5e-5); latencyP95 explains 64%, count 20%');
    expect(r.evidence.some((e) => e.includes('latencyP95 410 where the model expected 90'))).toBe(true);
    expect(r.evidence.at(-1)).toBe('VAE: model vae-7');
    expect(modelDetectorResult(score({ knownPartition: false })).evidence.some((e) => e.includes('global calibration'))).toBe(true);
    expect(describeRarity(0)).toContain('no held-out normal minute');
    expect(describeRarity(0.6)).toContain('common');
  });
});

describe('parseScoreResponse', () => {
  it('accepts a contract response and drops contributions of unknown features', () => {
    const body = JSON.parse(
      JSON.stringify({
        modelVersion: 'vae-1',
        scores: [{ ...score(), logLikelihood: Number.NEGATIVE_INFINITY, contributions: [...score().contributions, { feature: 'gpuTemp', share: 0.1, observed: 1, expected: 1 }] }],
        extra: true,
      }),
    );
    const res = parseScoreResponse(body);
    expect(res.modelVersion).toBe('vae-1');
    expect(res.scores[0].logLikelihood).toBe(Number.NEGATIVE_INFINITY);
    expect(res.scores[0].contributions.map((c) => c.feature)).toEqual(['latencyP95', 'count', 'errorRate']);
  });

  it('rejects bodies that are not a ScoreResponse, naming the field', () => {
    expect(() => parseScoreResponse({ scores: [] })).toThrow(MalformedModelResponseError);
    expect(() => parseScoreResponse({ modelVersion: 'v', scores: [{ ...score(), pValue: 3 }] })).toThrow(/scores\.0\.pValue/);
    expect(() => parseScoreResponse('nope')).toThrow(MalformedModelResponseError);
    expect(() => parseScoreResponse({ modelVersion: 'v', scores: [{ ...score(), anomalyProbability: 'high' }] })).toThrow(/anomalyProbability/);
  });
});

describe('scoreWindow with the model result', () => {
  const { profile, training } = trainProfile(5, {}, 2);
  const w = genWindows(6, T0 + 2 * DAY, 1)[0];
  const ctx = { profile, recent: training.slice(-15), rolling: {} };

  it('stays pure and unchanged without extra results', () => {
    const a = scoreWindow(w, ctx, { now: 1 });
    expect(a.anomaly).toBeNull();
    expect(a.results.some((r) => r.detector === VAE_DETECTOR)).toBe(false);
  });

  it('raises an anomaly from a confident model result, with the model version and scoring mode', () => {
    const vae = modelDetectorResult(score({ partition: w.partition, windowStart: w.windowStart }), { modelVersion: 'vae-9' });
    const r = scoreWindow(w, ctx, { now: 1, extraResults: [vae], modelVersion: 'vae-9', scoring: { mode: 'model' } });
    expect(r.results.at(-1)).toBe(vae);
    expect(r.anomaly).not.toBeNull();
    expect(r.anomaly!.kind).toBe('latency');
    expect(r.anomaly!.modelVersion).toBe('vae-9');
    expect(r.anomaly!.scoring).toEqual({ mode: 'model' });
    expect(r.anomaly!.detectors[0]).toEqual({ name: 'vae', score: 0.9975 });
    expect(r.anomaly!.deviations.some((d) => d.feature === 'latencyP95')).toBe(true);
  });

  it('a quiet model result does not raise anything', () => {
    const vae = modelDetectorResult(score({ partition: w.partition, windowStart: w.windowStart, pValue: 0.4, anomalyProbability: 0 }));
    expect(scoreWindow(w, ctx, { now: 1, extraResults: [vae] }).anomaly).toBeNull();
  });
});
