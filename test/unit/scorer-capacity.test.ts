import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCORER_LIMITS,
  decideScorerSettings,
  memoryLadder,
  recordScorerDecision,
  requiredScorerSettings,
  resolveScorerLimits,
  type DecideScorerInput,
} from '../../functions/core/scorer-capacity';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 16, 12);

/** events/s per shard that needs `vcpu` vCPU at the default 0.05 ms/event and 50% target. */
const perShardFor = (vcpu: number): number => (vcpu * 1000 * DEFAULT_SCORER_LIMITS.targetUtilisation) / DEFAULT_SCORER_LIMITS.cpuMsPerEvent;

function input(over: Partial<DecideScorerInput> & { upper: number; mean?: number; shards?: number; confidence?: number }): DecideScorerInput {
  return {
    now: T0,
    current: { memoryMb: 1024, parallelizationFactor: 1 },
    history: {},
    ...over,
    load: { eventsPerSecUpper: over.upper, eventsPerSecMean: over.mean ?? over.upper * 0.8, shards: over.shards ?? 2, confidence: over.confidence ?? 0.9 },
  };
}

describe('requiredScorerSettings (the compute model)', () => {
  it('memory from events/s x CPU per event, on a 256 MB ladder from 512 to 1792 MB', () => {
    expect(memoryLadder()).toEqual([512, 768, 1024, 1280, 1536, 1792]);
    expect(requiredScorerSettings(0, 2)).toMatchObject({ memoryMb: 512, parallelizationFactor: 1 });
    // 0.5 vCPU per shard = 884.5 MB -> the 1024 MB step.
    expect(requiredScorerSettings(perShardFor(0.5) * 4, 4)).toMatchObject({ memoryMb: 1024, parallelizationFactor: 1 });
    expect(requiredScorerSettings(perShardFor(0.5) * 4, 4).vcpuPerShard).toBeCloseTo(0.5);
  });

  it('past one vCPU per shard raises the parallelization factor (1..10) instead of memory', () => {
    const two = requiredScorerSettings(perShardFor(1.6) * 3, 3);
    expect(two.parallelizationFactor).toBe(2);
    expect(two.memoryMb).toBe(1536); // 0.8 vCPU per invocation = 1415 MB
    expect(requiredScorerSettings(perShardFor(50), 1)).toMatchObject({ parallelizationFactor: 10, memoryMb: 1792 });
  });

  it('rejects bad limits with the limit named', () => {
    expect(() => resolveScorerLimits({ memoryFloorMb: 64 })).toThrow(/memoryFloorMb/);
    expect(() => resolveScorerLimits({ maxParallelization: 11 })).toThrow(/Parallelization/);
    expect(() => requiredScorerSettings(1, 0)).toThrow(/shards/);
  });
});

describe('decideScorerSettings (granularity)', () => {
  it('a confident forecast moves straight to the target', () => {
    const d = decideScorerSettings(input({ upper: perShardFor(0.75) * 2, current: { memoryMb: 512, parallelizationFactor: 1 } }));
    expect(d.memory).toMatchObject({ action: 'scale', current: 512, target: 1536 });
    expect(d.parallelization).toMatchObject({ action: 'hold', target: 1 });
    expect(d.memory.reason).toMatch(/forecast upper .* events\/s over 2 shards .* needs memory 1536 MB; scaling up 512 -> 1536 MB/);
  });

  it('a low-confidence forecast goes up one step at a time and never down', () => {
    const up = decideScorerSettings(input({ upper: perShardFor(0.75) * 2, confidence: 0.3, current: { memoryMb: 512, parallelizationFactor: 1 } }));
    expect(up.memory).toMatchObject({ action: 'scale', target: 768 });
    expect(up.memory.reason).toMatch(/confidence 0.30 below 0.6: one step up/);
    const pf = decideScorerSettings(input({ upper: perShardFor(3) * 2, confidence: 0.3, current: { memoryMb: 1792, parallelizationFactor: 1 } }));
    expect(pf.parallelization).toMatchObject({ action: 'scale', current: 1, target: 2, required: 3 });
    const down = decideScorerSettings(input({ upper: 10, confidence: 0.3, current: { memoryMb: 1792, parallelizationFactor: 4 } }));
    expect(down.memory.action).toBe('hold');
    expect(down.parallelization.action).toBe('hold');
    expect(down.memory.reason).toMatch(/never scale down/);
  });

  it('changes memory only by at least one step', () => {
    const d = decideScorerSettings(input({ upper: perShardFor(0.5) * 2, current: { memoryMb: 1000, parallelizationFactor: 1 } }));
    expect(d.memory).toMatchObject({ action: 'hold', required: 1024 });
    expect(d.memory.reason).toMatch(/within one step/);
  });

  it('scales down only when the mean and the hysteresis margin fit, and after the cooldown', () => {
    const low = { upper: perShardFor(0.2) * 2, current: { memoryMb: 1536, parallelizationFactor: 3 } };
    const fresh = decideScorerSettings(input({ ...low, history: { lastMemoryChangeAt: T0 - 10 * MIN, lastParallelizationChangeAt: T0 - 10 * MIN } }));
    expect(fresh.memory.action).toBe('hold');
    expect(fresh.memory.reason).toMatch(/cooldown/);
    const later = decideScorerSettings(input({ ...low, history: { lastMemoryChangeAt: T0 - 2 * 60 * MIN } }));
    expect(later.parallelization).toMatchObject({ action: 'scale', target: 1 });
    expect(later.memory).toMatchObject({ action: 'scale', target: 512 });
    const meanHigh = decideScorerSettings(input({ ...low, mean: perShardFor(0.8) * 2 }));
    expect(meanHigh.memory).toMatchObject({ action: 'hold', current: 1536 });
    expect(meanHigh.memory.reason).toMatch(/the mean forecast or the upper bound with 15% hysteresis still needs 1536 MB/);
  });

  it('moves a setting outside the bounds back inside, and flags dry runs', () => {
    const d = decideScorerSettings(input({ upper: 10, current: { memoryMb: 4096, parallelizationFactor: 1 }, dryRun: true }));
    expect(d.memory).toMatchObject({ action: 'scale', target: 1792, dryRun: true });
    expect(d.memory.reason).toMatch(/outside 512..1792 MB.*\(dry run: not applied\)/);
    expect(recordScorerDecision({}, d, T0, { memory: true, parallelization: true })).toEqual({});
  });

  it('records the time of applied changes only', () => {
    const d = decideScorerSettings(input({ upper: perShardFor(3) * 2, current: { memoryMb: 512, parallelizationFactor: 1 } }));
    expect(recordScorerDecision({}, d, T0, { memory: true, parallelization: false })).toEqual({ lastMemoryChangeAt: T0 });
  });
});
