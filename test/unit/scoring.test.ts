import { describe, expect, it } from 'vitest';
import { updateRollingState } from '../../functions/core/detectors/index';
import type { DetectorContext } from '../../functions/core/detectors/index';
import { emptyWindowFeatures } from '../../functions/core/features';
import { scoreWindow } from '../../functions/core/scoring';
import type { Anomaly, Profile, Severity, WindowFeatures } from '../../functions/core/types';
import { DAY, HOUR, T0, genWindows, trainProfile } from './core-fixtures';
import type { GenOptions, Incident } from './core-fixtures';

interface Run {
  anomalies: Array<Anomaly & { offset: number }>;
  maxProbability: number;
}

/** Scores windows in order like the window closer: recent = last 15 windows, rolling carried over. */
function run(profile: Profile, training: WindowFeatures[], windows: WindowFeatures[], firstOffset = 0): Run {
  let rolling: DetectorContext['rolling'] = {};
  const recent: WindowFeatures[] = [];
  const last = training[training.length - 1];
  if (last && windows[0].windowStart - last.windowStart <= 60_000) {
    for (const w of training.slice(-180)) rolling = updateRollingState(rolling, w);
    recent.push(...training.slice(-15));
  }
  const anomalies: Run['anomalies'] = [];
  let maxProbability = 0;
  windows.forEach((w, i) => {
    const r = scoreWindow(w, { profile, recent: [...recent], rolling }, { now: 42 });
    rolling = r.rolling;
    recent.push(w);
    if (recent.length > 15) recent.shift();
    if (r.anomaly) anomalies.push({ ...r.anomaly, offset: i + firstOffset });
    maxProbability = Math.max(maxProbability, ...r.results.map((x) => x.score));
  });
  return { anomalies, maxProbability };
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

describe.each([
  ['busy', { base: 60 }],
  ['quiet', { base: 3 }],
] as Array<[string, GenOptions]>)('a normal day (%s partition)', (_name, gen) => {
  it('raises no anomaly in any of its 1,440 windows', () => {
    const { profile, training } = trainProfile(101, gen);
    const day = genWindows(202, T0 + 7 * DAY, 1440, gen);
    const r = run(profile, training, day);
    expect(r.anomalies.map((a) => `${new Date(a.windowStart).toISOString()} ${a.kind} ${a.probability}`)).toEqual([]);
    expect(r.maxProbability).toBeLessThan(0.95);
  });
});

describe('incidents', () => {
  const gen: GenOptions = { base: 60 };
  const { profile, training } = trainProfile(7, gen);
  const START = T0 + 7 * DAY + 14 * HOUR; // Monday 14:00, two hours of data, incident at offset 60
  const scenario = (incident: (m: number) => Incident | undefined): Run =>
    run(profile, training, genWindows(303, START - 60 * 60_000, 120, gen, (m) => incident(m - 60)), -60);

  it('an error burst with a latency rise is alerted in every window as error_spike, severity >= high', () => {
    const r = scenario((m) => (m >= 0 && m < 10 ? { errorRate: 0.15, latencyFactor: 3 } : undefined));
    const during = r.anomalies.filter((a) => a.offset >= 0 && a.offset < 10);
    expect(during).toHaveLength(10);
    for (const a of during) {
      expect(a.kind).toBe('error_spike');
      expect(RANK[a.severity]).toBeGreaterThanOrEqual(RANK.high);
      expect(a.probability).toBeGreaterThanOrEqual(0.95);
      expect(a.rootCauseHints.join(' ')).toMatch(/errorRate/);
      expect(a.detectors.map((d) => d.name)).toContain('errorSpike');
      expect(a.sampleEvents.length).toBeGreaterThan(0);
    }
    expect(r.anomalies.filter((a) => a.offset < 0)).toEqual([]);
    expect(r.anomalies.filter((a) => a.offset >= 12).length).toBeLessThanOrEqual(1);
  });

  it('a latency ramp is detected as latency before it triples', () => {
    const r = scenario((m) => (m >= 0 && m < 20 ? { latencyFactor: 1 + m / 10 } : undefined));
    const lat = r.anomalies.filter((a) => a.kind === 'latency' || a.kind === 'rolling_stats');
    expect(lat.length).toBeGreaterThan(5);
    expect(Math.min(...lat.map((a) => a.offset))).toBeLessThan(12);
    expect(r.anomalies.filter((a) => a.offset < 0)).toEqual([]);
  });

  it('a new ERROR template is detected as new_template with its text', () => {
    const newTemplate = { id: 'feedfacefeedface', template: 'db pool exhausted <*>', level: 'ERROR' as const, count: 4 };
    const r = scenario((m) => (m === 0 ? { newTemplate } : undefined));
    const a = r.anomalies.find((x) => x.offset === 0);
    expect(a?.kind).toBe('new_template');
    expect(a?.rootCauseHints.join(' ')).toMatch(/db pool exhausted/);
    expect(a?.sampleEvents[0]).toMatch(/db pool exhausted/);
  });

  it('a silent partition is detected as volume_drop', () => {
    const r = scenario((m) => (m >= 0 && m < 5 ? { volumeFactor: 0 } : undefined));
    const during = r.anomalies.filter((a) => a.offset >= 0 && a.offset < 5);
    expect(during).toHaveLength(5);
    for (const a of during) {
      expect(a.kind).toBe('volume_drop');
      expect(RANK[a.severity]).toBeGreaterThanOrEqual(RANK.high);
    }
  });

  it('is deterministic: same input, same anomaly and id; sensitivity can be overridden', () => {
    const w = emptyWindowFeatures(profile.partition, START);
    const ctx = { profile, recent: [], rolling: {} };
    const a = scoreWindow(w, ctx, { now: 1 });
    const b = scoreWindow(w, ctx, { now: 1 });
    expect(a).toEqual(b);
    expect(a.anomaly?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(scoreWindow(w, ctx, { now: 1, sensitivity: 1 }).anomaly).toBeNull();
    expect(scoreWindow(w, ctx, { now: 1, enabled: ['frequency'] }).anomaly).toBeNull();
  });
});
