/**
 * The scenario-run request (console input / direct invoke): defaults, relative times, the stretch,
 * and errors that say what to fix.
 */
import { describe, expect, it } from 'vitest';
import { planScenarioRun, ScenarioRunInputError, SCENARIO_RUN_LIMITS, scenarioRunId, synthesisedPartitions } from '../../functions/core/synth/scenario-run';
import { resolveScenario } from '../../functions/core/synth/scenarios';

const MIN = 60_000;
/** 15:00:20Z: the run starts at the next minute, 15:01Z. */
const NOW = Date.UTC(2026, 10, 16, 15, 0, 20);
const ANCHOR = Date.UTC(2026, 10, 16, 15, 1);

const fails = (input: unknown, pattern: RegExp): void => {
  let error: unknown;
  try {
    planScenarioRun(input, { now: NOW, unique: 'exec-1' });
  } catch (e) {
    error = e;
  }
  expect(error, JSON.stringify(input)).toBeInstanceOf(ScenarioRunInputError);
  expect((error as Error).message).toMatch(pattern);
};

describe('planScenarioRun: a library scenario', () => {
  it('starts 5 minutes after the run by default, generates only its partitions, and does not replay unless asked', () => {
    const p = planScenarioRun({ scenario: 'error-burst', partitions: ['checkout#us-east-1'] }, { now: NOW, unique: 'exec-1' });
    expect(p.anchor).toBe(ANCHOR);
    expect(p.incidents).toEqual([{ kind: 'error_burst', service: 'checkout', region: 'us-east-1', start: ANCHOR + 5 * MIN, durationMs: 10 * MIN, shape: 'step', magnitude: 0.25 }]);
    expect(p.labels).toEqual([{ partition: 'checkout#us-east-1', start: ANCHOR + 5 * MIN, end: ANCHOR + 15 * MIN, kind: 'error_burst' }]);
    // Lead 5 minutes before, 10 quiet minutes after.
    expect([p.start, p.end, p.minutes]).toEqual([ANCHOR, ANCHOR + 25 * MIN, 25]);
    expect(p.partitions).toEqual(['checkout#us-east-1']);
    expect(p.services.map((s) => [s.name, s.regions])).toEqual([['checkout', ['us-east-1']]]);
    expect(p.options).toMatchObject({ replay: false, seed: SCENARIO_RUN_LIMITS.seed, scale: 1, allPartitions: false });
    expect(p.runId).toBe('error-burst-20261116T150100-exec-1');
  });

  it('takes startInMinutes, durationMinutes, magnitude and the run options; spec.json is a custom spec that resolves to the same incidents', () => {
    const p = planScenarioRun(
      { scenario: 'error-burst', partitions: ['checkout#us-east-1', 'payments#eu-west-1'], startInMinutes: 2, durationMinutes: 3, magnitude: 0.4, replay: true, seed: 11, recordsPerSecond: 200, shardCount: 4, quietMinutes: 2, allPartitions: true },
      { now: NOW },
    );
    expect(p.incidents.map((i) => [i.start, i.durationMs, i.magnitude])).toEqual([
      [ANCHOR + 2 * MIN, 3 * MIN, 0.4],
      [ANCHOR + 2 * MIN, 3 * MIN, 0.4],
    ]);
    // With replay the stretch never starts before the run.
    expect([p.start, p.end]).toEqual([ANCHOR, ANCHOR + 7 * MIN]);
    expect(p.partitions).toEqual(synthesisedPartitions());
    expect(p.options).toMatchObject({ replay: true, seed: 11, recordsPerSecond: 200, shardCount: 4 });
    expect(resolveScenario(p.spec).incidents).toEqual(p.incidents);
    expect(p.spec.incidents[0]).toEqual({ kind: 'error_burst', partition: 'checkout#us-east-1', start: new Date(ANCHOR + 2 * MIN).toISOString(), durationMinutes: 3, shape: 'step', magnitude: 0.4 });
  });

  it('takes an absolute start without replay (a historical stretch, generated and stored only)', () => {
    const p = planScenarioRun({ scenario: 'silent-service', partitions: ['gateway#eu-west-1'], start: '2026-11-10T08:00:00Z' }, { now: NOW });
    expect(p.start).toBe(Date.UTC(2026, 10, 10, 7, 55));
    expect(p.end).toBe(Date.UTC(2026, 10, 10, 8, 25));
  });
});

describe('planScenarioRun: a custom scenario', () => {
  it('turns each incident startInMinutes into an absolute start; start and startInMinutes may be mixed across incidents', () => {
    const p = planScenarioRun(
      {
        name: 'two-things',
        incidents: [
          { kind: 'latency', partition: 'checkout#us-east-1', startInMinutes: 5, durationMinutes: 5, magnitude: 4 },
          { kind: 'silent', partition: 'auth#eu-west-1', start: new Date(ANCHOR + 20 * MIN).toISOString(), durationMinutes: 4 },
        ],
        replay: true,
      },
      { now: NOW, unique: 'abc' },
    );
    expect(p.name).toBe('two-things');
    expect(p.incidents.map((i) => i.start)).toEqual([ANCHOR + 5 * MIN, ANCHOR + 20 * MIN]);
    expect(p.partitions).toEqual(synthesisedPartitions().filter((x) => x === 'checkout#us-east-1' || x === 'auth#eu-west-1'));
    expect(p.partitions).toHaveLength(2);
    expect([p.start, p.end]).toEqual([ANCHOR, ANCHOR + 34 * MIN]);
  });
});

describe('planScenarioRun: errors say what to fix', () => {
  it('names the field, lists the library or the partitions, and suggests the way out', () => {
    fails('error-burst', /must be a JSON object, e\.g\. \{"scenario"/);
    fails([], /must be a JSON object/);
    fails({ scenario: 'error-bursts', partitions: ['checkout#us-east-1'] }, /scenario: .*Library: high-load, error-burst/);
    fails({ scenario: 'error-burst' }, /partitions/);
    fails({ scenario: 'error-burst', partitions: ['checkout'] }, /partitions\.0: a partition is "service#region"/);
    fails({ scenario: 'error-burst', partitions: ['orders#us-east-1'] }, /orders#us-east-1: the generator synthesises only checkout#us-east-1, .*use one of these/);
    fails({ scenario: 'error-burst', partitions: ['checkout#us-east-1'], start: '2026-11-16T15:30:00Z', startInMinutes: 3 }, /give "start" \(ISO time\) or "startInMinutes".*not both/);
    fails({ scenario: 'error-burst', partitions: ['checkout#us-east-1'], startInMinutes: -1 }, /startInMinutes: a whole number of minutes/);
    fails({ scenario: 'error-burst', partitions: ['checkout#us-east-1'], magnitude: 3 }, /magnitude is a share, give 0\.\.1 \(got 3\)/);
    fails({ scenario: 'error-burst', partitions: ['checkout#us-east-1'], replayy: true }, /Unknown field "replayy": a library scenario run takes scenario, partitions, startInMinutes, start, durationMinutes, magnitude, shape and the run options replay, seed/);
    fails({ scenario: 'error-burst', partitions: ['checkout#us-east-1'], replay: 'yes' }, /Invalid run options: replay:/);
    fails({ scenario: 'error-burst', partitions: ['checkout#us-east-1'], shardShare: 2 }, /shardShare/);
    fails({ scenario: 'error-burst', partitions: ['checkout#us-east-1'], runId: 'a/b' }, /runId: letters, digits/);
    fails({ name: 'x', incidents: 'none' }, /incidents: a list of incidents/);
    fails({ name: 'x', incidents: [{ kind: 'latency', partition: 'checkout#us-east-1', durationMinutes: 5 }] }, /incidents\.0: give "startInMinutes" \(minutes after the run starts\) or "start"/);
  });

  it('refuses a replay that would start in the past, start too late, or run too long', () => {
    fails({ scenario: 'error-burst', partitions: ['checkout#us-east-1'], start: '2026-11-16T14:00:00Z', replay: true }, /cannot start before the run does.*Use "startInMinutes"/);
    fails({ scenario: 'error-burst', partitions: ['checkout#us-east-1'], startInMinutes: 1440 + 10, replay: true }, /startInMinutes: a whole number of minutes, 0\.\.1440/);
    fails({ scenario: 'slow-burn', partitions: ['checkout#us-east-1'], durationMinutes: 800, replay: true }, /covers 815 minutes.*at most 720.*split the scenario/);
    fails({ scenario: 'slow-burn', partitions: ['checkout#us-east-1'], durationMinutes: 2000 }, /a generated run may cover at most 720/);
  });
});

describe('scenarioRunId', () => {
  it('is <name>-<yyyymmddThhmmss>[-<unique>], safe as an S3 key segment', () => {
    expect(scenarioRunId('error-burst', ANCHOR)).toBe('error-burst-20261116T150100');
    expect(scenarioRunId('my test/1', ANCHOR, 'a b:c')).toBe('my-test-1-20261116T150100-a-b-c');
  });
});
