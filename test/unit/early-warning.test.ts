/**
 * Early warning (core/early-warning): ramps warned before they are detected, flat noisy days not
 * warned, one open prediction per feature, came-true and expired resolutions, state round trips.
 * Series come from the seasonal, Poisson-noisy fixture service (core-fixtures); the profile learns
 * a week of it.
 */
import { describe, expect, it } from 'vitest';
import {
  EarlyWarningOptionsError,
  alertZ,
  bandZ,
  emptyEarlyWarningState,
  featureForecast,
  observeWindow,
  restoreEarlyWarningState,
  type EarlyWarningState,
  type PredictionChange,
} from '../../functions/core/early-warning';
import { windowFeatures } from '../../functions/core/features';
import { scoreWindow } from '../../functions/core/scoring';
import { groupWindow, type Incident as AlertIncident } from '../../functions/core/incidents';
import { stableHash } from '../../functions/core/hash';
import { mulberry32 } from '../../functions/core/random';
import { THRESHOLD_QUANTILES, type PartitionThresholds } from '../../functions/core/model-contract';
import { FEATURE_NAMES, type Anomaly, type AnomalyKind, type WindowFeatures } from '../../functions/core/types';
import { DAY, HOUR, MINUTE, T0, genMinute, trainProfile, type Incident } from './core-fixtures';

const { profile } = trainProfile(5, {}, 7);
const START = T0 + 7 * DAY;
const PARTITION = 'checkout#eu-west-1';

/** Minute-by-minute windows of the fixture service, with an incident chosen per minute. */
function* series(seed: number, start: number, incident: (m: number) => Incident | undefined = () => undefined): Generator<WindowFeatures> {
  const rng = mulberry32(seed);
  for (let m = 0; ; m++) yield windowFeatures(genMinute(rng, start + m * MINUTE, {}, incident(m) ?? {}));
}

/** Latency climbs linearly from x1 to x4 over an hour from minute `from`. */
const latencyRamp = (from: number) => (m: number): Incident | undefined => (m >= from ? { latencyFactor: 1 + 3 * Math.min(1, (m - from) / 60) } : undefined);

interface Run {
  state: EarlyWarningState | undefined;
  changes: Array<{ m: number; c: PredictionChange }>;
  firstDetection: number;
}

/** Scores `minutes` windows with the detectors and the early warning, as the closer does. */
function runWithDetectors(windows: Iterator<WindowFeatures>, minutes: number, kind: AnomalyKind): Run {
  let rolling: Record<string, unknown> = {};
  let recent: WindowFeatures[] = [];
  let incidents: Partial<Record<AnomalyKind, AlertIncident>> = {};
  let state: EarlyWarningState | undefined;
  const changes: Run['changes'] = [];
  let firstDetection = -1;
  for (let m = 0; m < minutes; m++) {
    const w = windows.next().value as WindowFeatures;
    const r = scoreWindow(w, { profile, recent, rolling: rolling as never }, { now: w.windowStart });
    rolling = r.rolling as Record<string, unknown>;
    recent = [...recent, w].slice(-15);
    incidents = groupWindow(incidents, w.windowStart, r.anomaly).incidents;
    if (firstDetection < 0 && r.anomaly?.kind === kind) firstDetection = m;
    const o = observeWindow(state, w, { profile, anomaly: r.anomaly, openKinds: Object.keys(incidents) as AnomalyKind[] });
    state = o.state;
    for (const c of o.changes) changes.push({ m, c });
  }
  return { state, changes, firstDetection };
}

/** Feeds windows without detectors until a prediction opens; returns the state and the generator to continue with. */
function openOnRamp(seed: number): { state: EarlyWarningState; change: PredictionChange; m: number; windows: Generator<WindowFeatures> } {
  const windows = series(seed, START + 5 * HOUR, latencyRamp(60));
  let state: EarlyWarningState | undefined;
  for (let m = 0; m < 200; m++) {
    const o = observeWindow(state, windows.next().value as WindowFeatures, { profile });
    state = o.state;
    const opened = o.changes.find((c) => c.change === 'opened');
    if (opened) return { state, change: opened, m, windows };
  }
  throw new Error('no prediction opened on the ramp');
}

describe('alert bands', () => {
  it('are as wide as the seasonal-band detector alone makes them at the sensitivity', () => {
    expect(alertZ('count', 0.95)).toBeCloseTo(4.96, 2);
    expect(alertZ('latencyP95', 0.95)).toBeCloseTo(11.12, 1);
    expect(alertZ('count', 0.99)).toBeGreaterThan(alertZ('count', 0.95));
    expect(bandZ('count', 0.95)).toBeCloseTo(1.96, 2);
  });
});

describe('early warning on a latency ramp', () => {
  for (const seed of [7, 8]) {
    it(`warns before the detectors fire, and the warning comes true (seed ${seed})`, () => {
      const run = runWithDetectors(series(seed, START, latencyRamp(300)), 420, 'latency');
      expect(run.firstDetection).toBeGreaterThan(300);
      const opened = run.changes.find((x) => x.c.change === 'opened' && x.c.prediction.feature.startsWith('latency'));
      expect(opened).toBeDefined();
      expect(opened!.m).toBeGreaterThan(300);
      expect(opened!.m).toBeLessThan(run.firstDetection);
      const p = opened!.c.prediction;
      expect(p.id).toBe(stableHash(`${PARTITION}|${p.feature}|up|${p.issuedAt}`));
      expect(p).toMatchObject({ partition: PARTITION, direction: 'up', kind: 'latency', horizonMinutes: 60, confidence: 0.9, status: 'open', thresholdSource: 'profile' });
      expect(p.probability).toBeGreaterThanOrEqual(0.9);
      expect(p.crossingAt).toBeGreaterThan(p.issuedAt);
      expect(p.crossingAt).toBeLessThanOrEqual(p.issuedAt + 60 * MINUTE);
      expect(p.threshold).toBeGreaterThan(p.expected);
      expect(p.message).toContain(`${p.feature} forecast to rise above`);
      const resolved = run.changes.find((x) => x.c.prediction.id === p.id && x.c.change !== 'opened');
      expect(resolved?.c.change).toBe('came_true');
      expect(resolved!.c.prediction.resolution!.leadMinutes).toBeGreaterThan(0);
      expect(resolved!.c.prediction.resolution!.leadMinutes).toBe(resolved!.m - opened!.m);
      // no latency prediction before the ramp
      expect(run.changes.filter((x) => x.m < 300)).toEqual([]);
    });
  }

  it('keeps one open prediction per feature, updated in state, not re-sent', () => {
    const { state, change, windows } = openOnRamp(7);
    const f = change.prediction.feature;
    let s = state;
    for (let k = 0; k < 3; k++) {
      const w = windows.next().value as WindowFeatures;
      const o = observeWindow(s, w, { profile });
      expect(o.changes.filter((c) => c.prediction.feature === f)).toEqual([]);
      s = o.state;
      expect(s.open[f]!.id).toBe(change.prediction.id);
      expect(s.open[f]!.updatedAt).toBe(w.windowStart);
    }
  });
});

describe('resolution', () => {
  it('came true when a detector raises the matching kind', () => {
    const { state, change, windows } = openOnRamp(8);
    const w = windows.next().value as WindowFeatures;
    const anomaly = { id: 'a-1', kind: 'latency', deviations: [] } as unknown as Anomaly;
    const o = observeWindow(state, w, { profile, anomaly });
    const done = o.changes.find((c) => c.prediction.id === change.prediction.id);
    expect(done?.change).toBe('came_true');
    expect(done!.prediction.resolution).toEqual({ outcome: 'came_true', at: w.windowStart, by: 'detector', anomalyId: 'a-1', leadMinutes: 1 });
    expect(done!.prediction.message).toMatch(/^came true: the detectors raised latency/);
    expect(o.state.open[change.prediction.feature]).toBeUndefined();
  });

  it('came true when the value stays beyond the threshold (3 of 5 minutes)', () => {
    const { state, change } = openOnRamp(8);
    const f = change.prediction.feature;
    const hot = series(9, change.prediction.issuedAt + MINUTE, () => ({ latencyFactor: 30 }));
    let s = state;
    const seen: string[] = [];
    for (let k = 1; k <= 3; k++) {
      const o = observeWindow(s, hot.next().value as WindowFeatures, { profile });
      s = o.state;
      for (const c of o.changes) if (c.prediction.feature === f) seen.push(`${k}:${c.change}:${c.prediction.resolution?.by}`);
    }
    expect(seen).toEqual(['3:came_true:crossing']);
  });

  it('expires when horizon + grace pass without a crossing', () => {
    const { state, change } = openOnRamp(8);
    const f = change.prediction.feature;
    // the ramp stops: back to normal from the next minute
    const calm = series(10, change.prediction.issuedAt + MINUTE);
    let s = state;
    let expired: { at: number; c: PredictionChange } | undefined;
    for (let k = 1; k <= 75 && !expired; k++) {
      const w = calm.next().value as WindowFeatures;
      const o = observeWindow(s, w, { profile });
      s = o.state;
      const c = o.changes.find((x) => x.prediction.feature === f);
      if (c) expired = { at: w.windowStart, c };
    }
    expect(expired?.c.change).toBe('expired');
    expect(expired!.at).toBe(change.prediction.issuedAt + 70 * MINUTE);
    expect(expired!.c.prediction.resolution).toEqual({ outcome: 'expired', at: expired!.at });
  });
});

describe('flat noisy series', () => {
  it('raises no warning on normal days (8 seeds x 12 h, all hours of a weekday)', () => {
    let opened = 0;
    let minutes = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const start = START + ((seed - 1) % 2) * 12 * HOUR;
      const windows = series(100 + seed, start);
      let state: EarlyWarningState | undefined;
      for (let m = 0; m < 720; m++) {
        const o = observeWindow(state, windows.next().value as WindowFeatures, { profile });
        state = o.state;
        opened += o.changes.filter((c) => c.change === 'opened').length;
        minutes++;
      }
    }
    expect(minutes).toBe(8 * 720);
    // bounded false-warning rate: at most one per 4 partition-days (none on these seeds)
    expect(opened).toBeLessThanOrEqual(1);
  });
});

describe('volume going down', () => {
  it('predicts a volume drop before it crosses the lower band', () => {
    const windows = series(1, START + 10 * HOUR, (m) => ({ volumeFactor: m < 60 ? 1 : Math.max(0.05, 1 - (m - 60) / 60) }));
    let state: EarlyWarningState | undefined;
    const changes: Array<{ m: number; c: PredictionChange }> = [];
    for (let m = 0; m < 160; m++) {
      const o = observeWindow(state, windows.next().value as WindowFeatures, { profile });
      state = o.state;
      for (const c of o.changes) changes.push({ m, c });
    }
    const opened = changes.find((x) => x.c.change === 'opened' && x.c.prediction.feature === 'count');
    expect(opened?.c.prediction).toMatchObject({ direction: 'down', kind: 'volume_drop' });
    const done = changes.find((x) => x.c.change === 'came_true' && x.c.prediction.id === opened!.c.prediction.id);
    expect(done!.c.prediction.resolution).toMatchObject({ by: 'crossing' });
    expect(done!.c.prediction.resolution!.leadMinutes).toBeGreaterThan(0);
  });
});

describe('state', () => {
  it('round-trips through JSON between windows with identical results, and stays small', () => {
    const a = series(7, START, latencyRamp(100));
    const b = series(7, START, latencyRamp(100));
    let direct: EarlyWarningState | undefined;
    let stored: string | undefined;
    const out: string[][] = [[], []];
    for (let m = 0; m < 220; m++) {
      const d = observeWindow(direct, a.next().value as WindowFeatures, { profile });
      direct = d.state;
      out[0].push(...d.changes.map((c) => `${m}:${c.change}:${c.prediction.id}`));
      const r = observeWindow(stored ? restoreEarlyWarningState(JSON.parse(stored)) : undefined, b.next().value as WindowFeatures, { profile });
      stored = JSON.stringify(r.state);
      out[1].push(...r.changes.map((c) => `${m}:${c.change}:${c.prediction.id}`));
      expect(stored.length).toBeLessThan(4000);
    }
    expect(out[0].length).toBeGreaterThan(0);
    expect(out[1]).toEqual(out[0]);
    expect(JSON.parse(stored!)).toEqual(JSON.parse(JSON.stringify(direct)));
  });

  it('restores anything unusable as an empty state', () => {
    expect(restoreEarlyWarningState(undefined)).toEqual(emptyEarlyWarningState());
    expect(restoreEarlyWarningState({ version: 2 })).toEqual(emptyEarlyWarningState());
    const s = restoreEarlyWarningState({ version: 1, lastWindowStart: 5, tracks: { count: { model: { level: 'x' } } }, open: {} });
    expect(s.tracks).toEqual({});
  });

  it('ignores a window it has already seen, and restarts after a long gap', () => {
    const windows = series(3, START);
    let state: EarlyWarningState | undefined;
    const all: WindowFeatures[] = [];
    for (let m = 0; m < 40; m++) {
      const w = windows.next().value as WindowFeatures;
      all.push(w);
      state = observeWindow(state, w, { profile }).state;
    }
    const again = observeWindow(state, all[39], { profile });
    expect(again.state).toBe(state);
    expect(again.changes).toEqual([]);
    expect(state!.tracks.count!.model.n).toBe(40);
    const later = windowFeatures(genMinute(mulberry32(4), START + 3 * HOUR, {}));
    expect(observeWindow(state, later, { profile }).state.tracks.count!.model.n).toBe(1);
  });
});

describe('thresholds', () => {
  it("use the VAE's proactive band for the hours it covers, widened to the alert level", () => {
    const windows = series(3, START);
    let state: EarlyWarningState | undefined;
    for (let m = 0; m < 40; m++) state = observeWindow(state, windows.next().value as WindowFeatures, { profile }).state;
    const hourStart = Math.floor((state!.lastWindowStart + MINUTE) / HOUR) * HOUR;
    // latencyP50: median 100 ms, 97.5% quantile 130 ms in that hour
    const values = THRESHOLD_QUANTILES.map((q) => 100 * Math.exp(Math.log(1.3) * ((q - 0.5) / 0.475)));
    const quantiles = Object.fromEntries(FEATURE_NAMES.map((f) => [f, values])) as PartitionThresholds['hours'][number]['quantiles'];
    const thresholds: PartitionThresholds = { partition: PARTITION, modelVersion: 'vae-1', computedAt: START, quantileLevels: THRESHOLD_QUANTILES, hours: [{ hourStart, quantiles }] };
    const fc = featureForecast(state!, 'latencyP50', { profile, thresholds })!;
    const inHour = fc.filter((p) => p.t >= hourStart && p.t < hourStart + HOUR);
    const outside = fc.filter((p) => p.t >= hourStart + HOUR);
    expect(inHour.length).toBeGreaterThan(0);
    for (const p of inHour) expect(p.source).toBe('model');
    for (const p of outside) expect(p.source).toBe('profile');
    const sigma = Math.log(130 / 100) / bandZ('latencyP50', 0.95);
    expect(inHour[0].upperThreshold).toBeCloseTo(100 * Math.exp(alertZ('latencyP50', 0.95) * sigma), 6);
  });

  it('are reported with the forecast, probabilities in [0, 1] and the crossing chance non-decreasing', () => {
    const windows = series(3, START + 14 * HOUR); // mid-afternoon: busy enough for a lower band
    let state: EarlyWarningState | undefined;
    for (let m = 0; m < 40; m++) state = observeWindow(state, windows.next().value as WindowFeatures, { profile }).state;
    const fc = featureForecast(state!, 'count', { profile })!;
    expect(fc).toHaveLength(60);
    for (let i = 0; i < fc.length; i++) {
      const p = fc[i];
      expect(p.lower).toBeLessThanOrEqual(p.mean);
      expect(p.upper).toBeGreaterThanOrEqual(p.mean);
      expect(p.upperThreshold).toBeGreaterThan(p.mean);
      expect(p.lowerThreshold).not.toBeNull();
      for (const q of [p.pAbove, p.pBelow, p.pAboveBy, p.pBelowBy]) expect(q >= 0 && q <= 1).toBe(true);
      if (i > 0) expect(p.pAboveBy).toBeGreaterThanOrEqual(fc[i - 1].pAboveBy);
    }
    expect(featureForecast(emptyEarlyWarningState(), 'count', { profile })).toBeNull();
  });
});

describe('options', () => {
  it('are validated with a typed error that names the option', () => {
    const w = windowFeatures(genMinute(mulberry32(1), START, {}));
    expect(() => observeWindow(undefined, w, { profile }, { confidence: 1.2 })).toThrow(EarlyWarningOptionsError);
    expect(() => observeWindow(undefined, w, { profile }, { horizonMinutes: 0 })).toThrow(/horizonMinutes/);
    expect(() => observeWindow(undefined, w, { profile }, { model: { alpha: 2 } })).toThrow(/model: damped trend: alpha/);
    expect(() => observeWindow(undefined, w, { profile }, { features: ['nope' as never] })).toThrow(/features/);
  });
});
