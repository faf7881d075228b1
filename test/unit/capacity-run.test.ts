/**
 * The capacity run's orchestration with injected in-memory ports (./capacity-fakes): dry run,
 * UpdateShardCount rules over random load, a stream mid-update, idempotency, conflicts, and the
 * scorer's memory and parallelization factor.
 */
import { describe, expect, it } from 'vitest';
import { runCapacity, type CapacityRunOptions } from '../../functions/capacity/capacity-run';
import { mulberry32 } from '../../functions/core/random';
import { EVENTS, shadowLogKey, type CapacityAdjustedDetail } from '../../functions/core/resources';
import { fakePorts, minuteWindows } from './capacity-fakes';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 9); // Monday 00:00 UTC

/** events/min with a daily shape between `low` and `high` (peak at 15:00 UTC). */
const dailyRate = (low: number, high: number) => (t: number): number => {
  const h = (t % DAY) / HOUR;
  return low + (high - low) * Math.max(0, Math.cos(((h - 15) / 24) * 2 * Math.PI));
};

/** Three days of history: a stream quiet at night that needs ~4 shards at its 15:00 peak. */
function history(days = 3, high = 600_000) {
  return [
    ...minuteWindows('checkout#us-east-1', T0, T0 + days * DAY, (t) => dailyRate(20_000, high)(t) * 0.6, { levels: { OTHER: 0.95, ERROR: 0.05 }, templates: { a: 0.8, b: 0.2 } }),
    ...minuteWindows('search#eu-west-1', T0, T0 + days * DAY, (t) => dailyRate(20_000, high)(t) * 0.4),
  ];
}

const opts: CapacityRunOptions = { stream: 'harbinger-logs' };

describe('runCapacity', () => {
  it('scales ahead of a forecast surge, records the call and reports it', async () => {
    const clock = { now: T0 + 3 * DAY + 13 * HOUR };
    const f = fakePorts({ windows: history(4), clock });
    const r = await runCapacity({ now: clock.now }, f.ports, opts);
    expect(r.status).toBe('ran');
    expect(r.observed.bootstrapped).toBe(true);
    const [shards] = r.decisions;
    expect(shards).toMatchObject({ setting: 'shards', action: 'scale', current: 2, outcome: 'applied' });
    expect(shards.target).toBeGreaterThan(2);
    expect(shards.reason).toMatch(/forecast upper .* records\/s needs \d+ shards \(25% headroom\)/);
    expect(f.calls.filter((c) => c.api === 'UpdateShardCount')).toEqual([{ api: 'UpdateShardCount', at: clock.now, from: 2, to: shards.target }]);
    expect(f.state.current?.shards.calls).toEqual([clock.now]);
    expect(f.state.current?.lastDecisions).toEqual(r.decisions);
    expect(f.events).toHaveLength(1);
    expect(f.events[0].detailType).toBe(EVENTS.capacityAdjusted);
    const detail = f.events[0].detail as CapacityAdjustedDetail;
    expect(detail).toMatchObject({ stream: 'harbinger-logs', dryRun: false, shadowLogKey: shadowLogKey(clock.now) });
    expect(detail.forecast?.recordsPerSecUpper).toBeGreaterThan(2000);
    expect(f.shadows.map((s) => s.key)).toEqual([shadowLogKey(clock.now)]);
    const log = f.shadows[0].log;
    expect(log.partitions.map((p) => p.partition)).toEqual(['checkout#us-east-1', 'search#eu-west-1']);
    expect(log.partitions[0].levels.ERROR).toBeCloseTo(0.05, 2);
    expect(log.totals?.method).toBe('holt-winters');
  });

  it('dry run reports the same decision and changes nothing', async () => {
    const clock = { now: T0 + 3 * DAY + 13 * HOUR };
    const f = fakePorts({ windows: history(4), clock, scorer: { memoryMb: 3008 } });
    const r = await runCapacity({ now: clock.now, dryRun: true }, f.ports, opts);
    expect(r.decisions[0]).toMatchObject({ action: 'scale', outcome: 'dry-run' });
    expect(r.decisions[0].reason).toMatch(/dry run: not applied/);
    expect(r.decisions[1]).toMatchObject({ setting: 'scorerMemoryMb', action: 'scale', current: 3008, outcome: 'dry-run' });
    expect(f.calls).toEqual([]);
    expect(f.stream.openShards).toBe(2);
    expect(f.scorer?.memoryMb).toBe(3008);
    expect(f.state.current?.shards).toEqual({ calls: [] });
    expect(f.state.current?.scorer).toEqual({});
    expect((f.events[0].detail as CapacityAdjustedDetail).dryRun).toBe(true);
  });

  it('a stream mid-update is skipped with "skipped: stream updating", without error or recorded call', async () => {
    const clock = { now: T0 + 3 * DAY + 13 * HOUR };
    const f = fakePorts({ windows: history(4), clock, status: 'UPDATING' });
    const r = await runCapacity({ now: clock.now }, f.ports, opts);
    expect(r.decisions[0]).toMatchObject({ action: 'hold', outcome: 'skipped: stream updating' });
    expect(r.decisions[0].reason).toMatch(/UPDATING/);
    expect(f.calls.filter((c) => c.api === 'UpdateShardCount')).toEqual([]);
    expect(f.state.current?.shards.calls).toEqual([]);
    expect(r.eventPublished).toBe(true);
  });

  it('a refused UpdateShardCount (change already in progress) is skipped and un-recorded', async () => {
    const clock = { now: T0 + 3 * DAY + 13 * HOUR };
    const f = fakePorts({ windows: history(4), clock });
    const describe = f.ports.stream.describe;
    f.ports.stream.describe = async () => {
      const s = await describe();
      f.stream.status = 'UPDATING'; // someone else started a change right after we looked
      return { ...s, status: 'ACTIVE' };
    };
    const r = await runCapacity({ now: clock.now }, f.ports, opts);
    expect(r.decisions[0]).toMatchObject({ action: 'scale', outcome: 'skipped: stream updating' });
    expect(f.calls.filter((c) => c.api === 'UpdateShardCount')).toEqual([]);
    expect(f.state.current?.shards.calls).toEqual([]);
    expect(f.state.current?.revision).toBe(2);
  });

  it('a repeated run time is a duplicate, and a lost conditional save applies nothing', async () => {
    const clock = { now: T0 + 3 * DAY + 13 * HOUR };
    const f = fakePorts({ windows: history(4), clock });
    await runCapacity({ now: clock.now }, f.ports, opts);
    const calls = f.calls.length;
    expect((await runCapacity({ now: clock.now }, f.ports, opts)).status).toBe('duplicate');
    f.state.failNextSave = true;
    clock.now += 5 * MIN;
    const r = await runCapacity({ now: clock.now }, f.ports, opts);
    expect(r.status).toBe('conflict');
    expect(f.calls.length).toBe(calls);
  });

  it('holds with a plain reason when there is no history yet', async () => {
    const f = fakePorts({ windows: [] });
    const r = await runCapacity({ now: T0 }, f.ports, opts);
    expect(r.forecast).toBeNull();
    expect(r.decisions.map((d) => d.action)).toEqual(['hold', 'hold', 'hold']);
    expect(r.decisions[0].reason).toMatch(/no forecast yet/);
    expect(r.eventPublished).toBe(false);
    expect(f.shadows[0].log.totals).toBeNull();
  });

  it('sets the scorer memory and parallelization factor from the compute need, once per step', async () => {
    // Peak ~100k events/s over 2 shards at 0.05 ms/event -> ~5 vCPU per shard: factor > 1, max memory.
    const clock = { now: T0 + 3 * DAY + 14 * HOUR };
    const f = fakePorts({ windows: history(4, 6_000_000), clock, scorer: { memoryMb: 1024, parallelizationFactor: 1 } });
    const r = await runCapacity({ now: clock.now }, f.ports, { ...opts, limits: { maxShards: 2 } });
    const [, memory, factor] = r.decisions;
    expect(factor).toMatchObject({ setting: 'parallelizationFactor', action: 'scale', current: 1, outcome: 'applied' });
    expect(factor.target).toBeGreaterThan(1);
    expect(memory).toMatchObject({ setting: 'scorerMemoryMb', action: 'scale', current: 1024, outcome: 'applied' });
    expect(f.calls.map((c) => c.api).sort()).toEqual(['UpdateEventSourceMapping', 'UpdateFunctionConfiguration']);
    expect(f.scorer).toMatchObject({ memoryMb: memory.target, parallelizationFactor: factor.target });
    // The next run finds the settings in place: no call.
    clock.now += 5 * MIN;
    const again = await runCapacity({ now: clock.now }, f.ports, { ...opts, limits: { maxShards: 2 } });
    expect(again.decisions[1].action).toBe('hold');
    expect(f.calls).toHaveLength(2);
    // A function update in progress is skipped, not an error.
    f.scorer!.functionUpdating = true;
    f.scorer!.memoryMb = 512;
    clock.now += 5 * MIN;
    const busy = await runCapacity({ now: clock.now }, f.ports, { ...opts, limits: { maxShards: 2 } });
    expect(busy.decisions[1]).toMatchObject({ action: 'scale', outcome: 'skipped: function update in progress' });
  });

  it('without a scorer port, Lambda-side decisions are computed and reported as not applied', async () => {
    const clock = { now: T0 + 3 * DAY + 14 * HOUR };
    const f = fakePorts({ windows: history(4, 6_000_000), clock, scorer: null });
    const r = await runCapacity({ now: clock.now }, f.ports, { ...opts, notAppliedReason: 'not applied locally: no Lambda service' });
    expect(r.decisions[2]).toMatchObject({ action: 'scale', current: 1, outcome: 'not applied locally: no Lambda service' });
    expect(f.calls.every((c) => c.api === 'UpdateShardCount')).toBe(true);
  });
});

describe('runCapacity property: applied calls never break the UpdateShardCount rules', () => {
  it('over random surges and random stream states, 2 days of 5-minute runs per seed', async () => {
    let applied = 0;
    let lowConfidenceScaleUps = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const rng = mulberry32(seed);
      // Random surges (x1.5..x12, 10 min..4 h) on top of the daily shape; sometimes a flat, noisy stream.
      const surges = Array.from({ length: 6 }, () => ({ at: T0 + 3 * DAY + rng() * 2 * DAY, len: (10 + rng() * 230) * MIN, k: 1.5 + rng() * 10.5 }));
      const base = dailyRate(5_000 + rng() * 50_000, 100_000 + rng() * 900_000);
      const noise = mulberry32(seed * 7);
      const rate = (t: number): number => {
        let k = 1;
        for (const s of surges) if (t >= s.at && t < s.at + s.len) k *= s.k;
        return base(t) * k * (0.8 + 0.4 * noise());
      };
      const windows = minuteWindows('p#r', T0, T0 + 5 * DAY, rate);
      const clock = { now: T0 + 3 * DAY };
      const f = fakePorts({ windows, clock, shards: 2 + Math.floor(rng() * 6) });
      const limits = { maxShards: 40 };
      for (let now = T0 + 3 * DAY; now < T0 + 5 * DAY; now += 5 * MIN) {
        clock.now = now;
        // The stream is sometimes still updating from the previous change.
        f.stream.status = rng() < 0.1 ? 'UPDATING' : 'ACTIVE';
        const r = await runCapacity({ now }, f.ports, { ...opts, limits });
        const s = r.decisions[0];
        if (s.outcome === 'applied') {
          applied++;
          expect(s.target).toBeLessThanOrEqual(s.current * 2);
          expect(s.target).toBeGreaterThanOrEqual(Math.ceil(s.current / 2));
          expect(s.target).toBeGreaterThanOrEqual(2);
          expect(s.target).toBeLessThanOrEqual(40);
          if (s.confidence < 0.6) {
            expect(s.target).toBeGreaterThan(s.current); // low confidence never scales down
            lowConfidenceScaleUps++;
          }
        }
        if (f.stream.status === 'UPDATING') expect(s.outcome === 'skipped: stream updating' || s.outcome === 'hold').toBe(true);
      }
      expect(f.breaks, `seed ${seed}`).toEqual([]);
      const shardCalls = f.calls.filter((c) => c.api === 'UpdateShardCount').map((c) => c.at);
      for (const t of shardCalls) expect(shardCalls.filter((u) => u > t - DAY && u <= t).length).toBeLessThanOrEqual(10);
    }
    expect(applied).toBeGreaterThan(10);
    expect(lowConfidenceScaleUps).toBeGreaterThan(0); // the random surges also exercise the low-confidence path
  }, 120_000);
});
