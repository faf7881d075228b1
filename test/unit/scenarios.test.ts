import { describe, expect, it } from 'vitest';
import { resolveScenario, SCENARIO_NAMES, SCENARIOS, ScenarioSpecError } from '../../functions/core/synth/scenarios';
import { envelope, labelsFor } from '../../functions/core/synth/incidents';
import { generateEvents } from '../../functions/core/synth/generator';
import { parseLine } from '../../functions/core/parse';

const START = Date.UTC(2026, 10, 16, 15, 0);
const MIN = 60_000;

describe('incident shapes', () => {
  it('step, ramp, spike and drop move the strength as documented, and are 0 outside the incident', () => {
    const at = (shape: Parameters<typeof envelope>[0], minute: number) => envelope(shape, START + minute * MIN, START, 10 * MIN);
    expect([0, 5, 9.9].map((m) => at('step', m))).toEqual([1, 1, 1]);
    expect(at('ramp', 0)).toBe(0);
    expect(at('ramp', 5)).toBeCloseTo(0.5, 12);
    expect(at('spike', 0.5)).toBeCloseTo(0.5, 12);
    expect(at('spike', 1)).toBeCloseTo(1, 12);
    expect(at('spike', 3.5)).toBeCloseTo(Math.exp(-1), 12);
    expect(at('drop', 0)).toBe(1);
    expect(at('drop', 7.5)).toBeCloseTo(0.25, 12);
    for (const s of ['step', 'ramp', 'spike', 'drop'] as const) {
      expect(at(s, -1)).toBe(0);
      expect(at(s, 10)).toBe(0);
    }
    expect(envelope('step', START + 30_000, START, 10 * MIN, 60_000)).toBeCloseTo(0.5, 12);
  });
});

describe('scenario library', () => {
  it('every named scenario resolves into incidents whose labels are exactly what it injects', () => {
    for (const name of SCENARIO_NAMES) {
      const r = resolveScenario({ scenario: name, start: '2026-11-16T15:00:00Z', partitions: ['checkout#us-east-1', 'payments#eu-west-1'] });
      expect(r.name).toBe(name);
      expect(r.incidents).toHaveLength(2);
      const t = SCENARIOS[name];
      for (const i of r.incidents) {
        expect(i.kind).toBe(t.kind);
        expect(i.shape).toBe(t.shape);
        expect(i.durationMs).toBe(t.durationMinutes * MIN);
      }
      const labels = labelsFor(r.incidents);
      expect(labels.map((l) => l.partition).sort()).toEqual(['checkout#us-east-1', 'payments#eu-west-1']);
      expect(Math.min(...labels.map((l) => l.start))).toBe(r.start);
      expect(Math.max(...labels.map((l) => l.end))).toBe(r.end);
    }
  });

  it('a dependency outage reaches each listed partition a minute after the previous one', () => {
    const r = resolveScenario({ scenario: 'dependency-outage', start: START, partitions: ['checkout#us-east-1', 'payments#us-east-1', 'gateway#us-east-1'] });
    expect(r.incidents.map((i) => i.start - START)).toEqual([0, MIN, 2 * MIN]);
  });

  it('overrides duration, magnitude and shape; accepts custom specs', () => {
    const r = resolveScenario({ scenario: 'error-burst', start: START, partitions: ['auth#eu-west-1'], durationMinutes: 3, magnitude: 0.5, shape: 'ramp' });
    expect(r.incidents[0]).toMatchObject({ service: 'auth', region: 'eu-west-1', durationMs: 3 * MIN, magnitude: 0.5, shape: 'ramp' });
    const c = resolveScenario({ name: 'my-test', incidents: [{ kind: 'latency', partition: 'checkout#us-east-1', start: '2026-11-16T15:10:00Z', durationMinutes: 5, magnitude: 4, shape: 'spike' }] });
    expect(c).toMatchObject({ name: 'my-test', start: START + 10 * MIN, end: START + 15 * MIN });
  });

  it('refuses bad specs with errors that say what to fix', () => {
    expect(() => resolveScenario({ scenario: 'meteor-strike', start: START, partitions: ['a#b'] })).toThrow(/Library: high-load, error-burst/);
    expect(() => resolveScenario({ scenario: 'error-burst', start: START, partitions: ['checkout'] })).toThrow(/partitions.0: a partition is "service#region"/);
    expect(() => resolveScenario({ scenario: 'error-burst', start: 'yesterday', partitions: ['a#b'] })).toThrow(ScenarioSpecError);
    expect(() => resolveScenario({ scenario: 'error-burst', start: START, partitions: ['a#b'], magnitude: 2 })).toThrow(/magnitude is a share, give 0..1/);
    expect(() => resolveScenario({ name: 'x', incidents: [{ kind: 'earthquake', partition: 'a#b', start: START, durationMinutes: 1 }] })).toThrow(/Invalid custom scenario: incidents.0.kind/);
    expect(() => resolveScenario({ scenario: 'error-burst', start: START, partitions: ['a#b'], typo: 1 })).toThrow(/Unrecognized key/i);
  });
});

describe('scenarios drive the generator', () => {
  const window = { start: START, end: START + 20 * MIN, scale: 0.3 };
  const inPartition = (logGroup: string) => logGroup === '/harbinger/us-east-1/checkout';

  it('silent-service: the partition writes nothing while silenced, and the same seed gives the same events', () => {
    const r = resolveScenario({ scenario: 'silent-service', start: START + 5 * MIN, durationMinutes: 10, partitions: ['checkout#us-east-1'] });
    const events = [...generateEvents({ ...window, seed: 3, incidents: r.incidents })];
    const during = events.filter((e) => inPartition(e.logGroup) && e.timestamp >= r.start && e.timestamp < r.end);
    const before = events.filter((e) => inPartition(e.logGroup) && e.timestamp < r.start);
    expect(before.length).toBeGreaterThan(20);
    expect(during).toHaveLength(0);
    const again = [...generateEvents({ ...window, seed: 3, incidents: r.incidents })];
    expect(again.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('latency-degradation ramps: late minutes are slower than early ones', () => {
    const r = resolveScenario({ scenario: 'latency-degradation', start: START, durationMinutes: 20, partitions: ['checkout#us-east-1'], magnitude: 8 });
    const ms = (from: number, to: number): number[] =>
      [...generateEvents({ ...window, seed: 4, incidents: r.incidents })]
        .filter((e) => inPartition(e.logGroup) && e.timestamp >= START + from * MIN && e.timestamp < START + to * MIN)
        .map((e) => parseLine(e.message, e.timestamp).numeric.latencyMs)
        .filter((x): x is number => x !== undefined);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const early = ms(0, 4);
    const late = ms(16, 20);
    expect(early.length).toBeGreaterThan(5);
    expect(late.length).toBeGreaterThan(5);
    expect(median(late)).toBeGreaterThan(2.5 * median(early));
  });
});
