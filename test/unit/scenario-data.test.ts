/**
 * The `scenarioData` flag (functions/core/scenario-data.ts): which windows of replayed scenario
 * runs' stretches training and profiles leave out (`exclude`) or keep (`include`: clean stretches
 * in, labelled incident windows out and into the holdout), from the runs' manifest.json and
 * labels.json.
 */
import { describe, expect, it } from 'vitest';
import type { ModelWindow } from '../../functions/core/model-contract';
import { buildProfile } from '../../functions/core/profile';
import {
  DEFAULT_SCENARIO_DATA,
  leftOutSpans,
  scenarioDataMode,
  ScenarioDataModeError,
  scenarioHoldoutRows,
  scenarioStretchOf,
  splitScenarioWindows,
  type ScenarioStretch,
} from '../../functions/core/scenario-data';
import { FEATURE_NAMES, type FeatureName } from '../../functions/core/types';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 16, 15);
const P = 'checkout#us-east-1';
const Q = 'payments#eu-west-1';

const features = (count: number): Record<FeatureName, number> => Object.fromEntries(FEATURE_NAMES.map((f) => [f, f === 'count' ? count : 0])) as Record<FeatureName, number>;
const window = (partition: string, minute: number): ModelWindow => ({ partition, windowStart: T0 + minute * MIN, features: features(10 + minute) });

/** A run over minutes 10..40 of P and Q, with an error burst in P at minutes 20..25. */
const RUN: ScenarioStretch = {
  runId: 'error-burst-1',
  partitions: [P, Q],
  start: T0 + 10 * MIN,
  end: T0 + 40 * MIN,
  labels: [{ partition: P, start: T0 + 20 * MIN, end: T0 + 25 * MIN, kind: 'error_burst' }],
};
const windows = [P, Q, 'auth#us-east-1'].flatMap((p) => Array.from({ length: 60 }, (_, m) => window(p, m)));

describe('scenarioStretchOf', () => {
  const manifest = { runId: 'r1', name: 'x', replay: true, start: new Date(T0).toISOString(), end: new Date(T0 + 30 * MIN).toISOString(), partitions: [P], generation: [] };
  it('reads the stretch and labels of a replayed run; labels that are not labels count as none', () => {
    expect(scenarioStretchOf(manifest, RUN.labels)).toEqual({ runId: 'r1', partitions: [P], start: T0, end: T0 + 30 * MIN, labels: RUN.labels });
    expect(scenarioStretchOf(manifest, null)?.labels).toEqual([]);
  });
  it('a run without replay never reached the pipeline; something that is not a manifest is ignored', () => {
    expect(scenarioStretchOf({ ...manifest, replay: false }, RUN.labels)).toBeNull();
    expect(scenarioStretchOf({ runId: 'r1' }, [])).toBeNull();
    expect(scenarioStretchOf({ ...manifest, start: 'yesterday' }, [])).toBeNull();
  });
});

describe('scenarioDataMode', () => {
  it('defaults to exclude; refuses anything else than exclude or include', () => {
    expect(scenarioDataMode(undefined)).toBe(DEFAULT_SCENARIO_DATA);
    expect(DEFAULT_SCENARIO_DATA).toBe('exclude');
    expect(scenarioDataMode('include')).toBe('include');
    expect(() => scenarioDataMode('yes')).toThrow(ScenarioDataModeError);
    expect(() => scenarioDataMode('yes')).toThrow('"scenarioData" must be one of "exclude", "include", got "yes"');
  });
});

describe('splitScenarioWindows', () => {
  it('exclude: every window of the run partitions inside the stretch is left out; other partitions and times are untouched', () => {
    const s = splitScenarioWindows(windows, [RUN], 'exclude');
    expect(s.counts).toEqual({ excluded: 60, included: 0, incidents: 0 });
    expect(s.incidents).toEqual([]);
    expect(s.train).toHaveLength(3 * 60 - 60);
    expect(s.train.some((w) => w.partition !== 'auth#us-east-1' && w.windowStart >= RUN.start && w.windowStart < RUN.end)).toBe(false);
    expect(s.train.filter((w) => w.partition === 'auth#us-east-1')).toHaveLength(60);
  });

  it('include: clean stretch windows kept, incident windows set aside with their run and kind, the grace period after an incident left out', () => {
    const s = splitScenarioWindows(windows, [RUN], 'include');
    // P: 30 stretch minutes = 5 incident + 6 grace (25..30, the end + 5 min included, as the report counts) + 19 clean; Q: 30 clean.
    expect(s.counts).toEqual({ excluded: 6, included: 49, incidents: 5 });
    expect(s.incidents.map((w) => [w.partition, (w.windowStart - T0) / MIN, w.scenario])).toEqual(
      [20, 21, 22, 23, 24].map((m) => [P, m, { runId: 'error-burst-1', kind: 'error_burst' }]),
    );
    expect(s.train).toHaveLength(3 * 60 - 11);
    expect(s.train.some((w) => w.partition === P && w.windowStart >= T0 + 20 * MIN && w.windowStart <= T0 + 30 * MIN)).toBe(false);
  });

  it('no runs: everything is training', () => {
    expect(splitScenarioWindows(windows, [], 'exclude')).toEqual({ train: windows, incidents: [], counts: { excluded: 0, included: 0, incidents: 0 } });
  });
});

describe('leftOutSpans: a profile does not fill left-out minutes as silence', () => {
  it('exclude: the whole stretch of the run partitions; include: each incident and its grace period', () => {
    expect(leftOutSpans(P, [RUN], 'exclude')).toEqual([{ start: RUN.start, end: RUN.end }]);
    expect(leftOutSpans('auth#us-east-1', [RUN], 'exclude')).toEqual([]);
    expect(leftOutSpans(P, [RUN], 'include')).toEqual([{ start: T0 + 20 * MIN, end: T0 + 30 * MIN + 1 }]);
    expect(leftOutSpans(Q, [RUN], 'include')).toEqual([]);
  });

  it('buildProfile fills the gaps of a history as silent minutes, except in the left-out spans', () => {
    const { train } = splitScenarioWindows(windows.filter((w) => w.partition === P), [RUN], 'exclude');
    const input = { partition: P, windows: train.map((w) => ({ ...w, templates: {}, newTemplates: {}, samples: {} })), templates: [], patterns: [], version: 1, builtAt: T0 };
    expect(buildProfile(input).trainingWindows).toBe(60);
    expect(buildProfile({ ...input, leftOut: leftOutSpans(P, [RUN], 'exclude') }).trainingWindows).toBe(30);
  });
});

describe('scenarioHoldoutRows', () => {
  it('incident windows in the holdout period become label-1 rows naming their run and kind; earlier ones stay out', () => {
    const { incidents } = splitScenarioWindows(windows, [RUN], 'include');
    const rows = scenarioHoldoutRows(incidents, T0 + 22 * MIN);
    expect(rows.map((r) => [(r.windowStart - T0) / MIN, r.label, r.scenario])).toEqual(
      [22, 23, 24].map((m) => [m, 1, { runId: 'error-burst-1', kind: 'error_burst' }]),
    );
    expect(rows[0].features.count).toBe(10 + 22);
    expect(rows[0]).not.toHaveProperty('injected');
  });
});
