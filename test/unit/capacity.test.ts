import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../functions/core/random';
import {
  type CapacityDecision,
  type CapacityForecast,
  type CapacityHistory,
  type CapacityLimits,
  DAY_MS,
  DEFAULT_CAPACITY_LIMITS,
  callsInWindow,
  decideShards,
  recordCall,
  recordDecision,
  requiredShards,
  resolveCapacityLimits,
} from '../../functions/core/capacity';

const MiB = 1_048_576;
const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2025, 0, 6); // a fixed Monday; no wall clock anywhere in these tests

/** Seeded PRNG: the project's mulberry32. */
const prng = mulberry32;

/** A forecast for [T0, T0 + 90 min] with the given upper bytes/s (records negligible unless given). */
function fc(bytesUpper: number, opts: Partial<CapacityForecast> = {}): CapacityForecast {
  return {
    horizonStart: T0,
    horizonEnd: T0 + 90 * MIN,
    bytesPerSecUpper: bytesUpper,
    recordsPerSecUpper: 0,
    bytesPerSecMean: bytesUpper * 0.7,
    recordsPerSecMean: 0,
    confidence: 0.9,
    ...opts,
  };
}

const empty: CapacityHistory = { calls: [] };

/** The limits the policy was first written with: 30-minute scale-down cooldown, 15% hysteresis. */
const CLASSIC: Partial<CapacityLimits> = { scaleDownCooldownMs: 30 * MIN, scaleDownHysteresis: 0.15 };

describe('requiredShards', () => {
  it('sizes from the binding dimension at exact per-shard boundaries', () => {
    const h0 = { headroom: 0 };
    expect(requiredShards(fc(4 * MiB), h0)).toBe(4);
    expect(requiredShards(fc(4 * MiB + 1), h0)).toBe(5);
    expect(requiredShards(fc(0, { recordsPerSecUpper: 4000 }), h0)).toBe(4);
    expect(requiredShards(fc(0, { recordsPerSecUpper: 4001 }), h0)).toBe(5);
    // records bind when they need more shards than bytes
    expect(requiredShards(fc(3 * MiB, { recordsPerSecUpper: 6500 }), h0)).toBe(7);
    expect(requiredShards(fc(7.5 * MiB, { recordsPerSecUpper: 6500 }), h0)).toBe(8);
  });

  it('applies headroom, without floating-point off-by-one', () => {
    expect(requiredShards(fc(4 * MiB))).toBe(5); // 4 * 1.25 = 5 exactly
    expect(requiredShards(fc(4 * MiB + 1))).toBe(6);
    expect(requiredShards(fc(10 * MiB), { headroom: 0.1 })).toBe(11); // 10 * 1.1 = 11.000000000000002
    expect(requiredShards(fc(0, { recordsPerSecUpper: 7000 }), { headroom: 0.1 })).toBe(8); // 7.7
    expect(requiredShards(fc(3.4 * MiB))).toBe(5); // 4.25
  });

  it('clamps to the floor and the ceiling', () => {
    expect(requiredShards(fc(0))).toBe(2);
    expect(requiredShards(fc(1))).toBe(2);
    expect(requiredShards(fc(1000 * MiB))).toBe(64);
    expect(requiredShards(fc(1000 * MiB), { maxShards: 16 })).toBe(16);
    expect(requiredShards(fc(0), { minShards: 4 })).toBe(4);
    expect(requiredShards(fc(51.2 * MiB))).toBe(64); // exactly 64
    expect(requiredShards(fc(51.2 * MiB + 1024))).toBe(64);
  });

  it('rejects invalid limits and forecasts', () => {
    expect(() => requiredShards(fc(MiB), { minShards: 1 })).toThrow(RangeError);
    expect(() => requiredShards(fc(MiB), { minShards: 8, maxShards: 4 })).toThrow(RangeError);
    expect(() => requiredShards(fc(MiB), { perShardBytesPerSec: 0 })).toThrow(RangeError);
    expect(() => requiredShards(fc(MiB), { maxCallsPer24h: 2.5 })).toThrow(RangeError);
    expect(() => requiredShards(fc(Number.NaN))).toThrow(RangeError);
    expect(() => requiredShards(fc(-1))).toThrow(RangeError);
    expect(resolveCapacityLimits({ headroom: undefined })).toEqual(DEFAULT_CAPACITY_LIMITS);
  });
});

describe('decideShards', () => {
  // The mechanism tests pin the original 30-minute cooldown and 15% hysteresis; the defaults are
  // checked on their own below.
  const base = { now: T0, history: empty, limits: CLASSIC };

  it('explains a doubling-limited scale-up in plain words', () => {
    const d = decideShards({ ...base, currentShards: 2, forecast: fc(3.4 * MiB) });
    expect(d).toEqual({
      action: 'scale',
      currentShards: 2,
      targetShards: 4,
      requiredShards: 5,
      reason: 'forecast upper 3.4 MB/s needs 5 shards (25% headroom); doubling limit allows 4 now',
      dryRun: false,
      confidence: 0.9,
    });
    const next = decideShards({ ...base, now: T0 + MIN, currentShards: 4, forecast: fc(3.4 * MiB), history: recordCall(empty, T0, 'up') });
    expect(next).toMatchObject({ action: 'scale', targetShards: 5 });
    expect(next.reason).toContain('scaling up 4 -> 5');
    const same = decideShards({ ...base, currentShards: 5, forecast: fc(3.4 * MiB) });
    expect(same).toMatchObject({ action: 'hold', targetShards: 5, requiredShards: 5 });
  });

  it('never more than doubles or less than halves in one decision', () => {
    for (let current = 2; current <= 64; current++) {
      for (const mib of [0, 0.5, 1, 3, 7, 20, 40, 100]) {
        const d = decideShards({ ...base, currentShards: current, forecast: fc(mib * MiB), limits: { ...CLASSIC, scaleDownHysteresis: 0 } });
        expect(d.targetShards).toBeLessThanOrEqual(current * 2);
        expect(d.targetShards).toBeGreaterThanOrEqual(current / 2);
        if (d.action === 'scale') {
          // one step toward the required count: exactly the limit, or the required count itself
          const expected = d.requiredShards > current ? Math.min(d.requiredShards, 2 * current) : Math.max(d.requiredShards, Math.ceil(current / 2));
          expect(d.targetShards).toBe(expected);
        }
      }
    }
    const down = decideShards({ ...base, currentShards: 40, forecast: fc(0) });
    expect(down).toMatchObject({ action: 'scale', targetShards: 20, requiredShards: 2 });
    expect(down.reason).toContain('halving limit allows 20 now');
    expect(decideShards({ ...base, currentShards: 5, forecast: fc(0) }).targetShards).toBe(3); // 2 < 5/2
  });

  it('respects the floor of 2 and the ceiling', () => {
    const up = decideShards({ ...base, currentShards: 1, forecast: fc(0, { confidence: 0.1 }) });
    expect(up).toMatchObject({ action: 'scale', targetShards: 2, requiredShards: 2 });
    expect(up.reason).toContain('raised to the floor of 2');
    const atFloor = decideShards({ ...base, currentShards: 2, forecast: fc(0) });
    expect(atFloor).toMatchObject({ action: 'hold', targetShards: 2 });
    const capped = decideShards({ ...base, currentShards: 64, forecast: fc(500 * MiB) });
    expect(capped).toMatchObject({ action: 'hold', targetShards: 64, requiredShards: 64 });
    expect(capped.reason).toContain('capped at the ceiling of 64');
    const small = decideShards({ ...base, currentShards: 6, forecast: fc(500 * MiB), limits: { ...CLASSIC, maxShards: 8 } });
    expect(small).toMatchObject({ action: 'scale', targetShards: 8 });
    // above the ceiling (e.g. the limit was lowered): move toward it even at low confidence and in cooldown
    const over = decideShards({
      ...base,
      currentShards: 100,
      forecast: fc(500 * MiB, { confidence: 0.1 }),
      history: recordCall(empty, T0 - MIN, 'up'),
    });
    expect(over).toMatchObject({ action: 'scale', targetShards: 64 });
    expect(decideShards({ ...base, currentShards: 200, forecast: fc(0) }).targetShards).toBe(100);
    expect(() => decideShards({ ...base, currentShards: 0, forecast: fc(0) })).toThrow(RangeError);
    expect(() => decideShards({ ...base, currentShards: 2.5, forecast: fc(0) })).toThrow(RangeError);
  });

  it('cooldown blocks scale-down but not scale-up', () => {
    const history = recordCall(empty, T0 - 10 * MIN, 'up');
    const down = decideShards({ ...base, history, currentShards: 8, forecast: fc(MiB) });
    expect(down).toMatchObject({ action: 'hold', targetShards: 8, requiredShards: 2 });
    expect(down.reason).toContain('cooldown: last change 10 min ago, cooldown 30 min');
    const up = decideShards({ ...base, history, currentShards: 8, forecast: fc(9 * MiB) });
    expect(up).toMatchObject({ action: 'scale', targetShards: 12 });
    // the cooldown also follows a scale-down, and a call of unknown direction
    const afterDown = recordCall(empty, T0 - 29 * MIN, 'down');
    expect(decideShards({ ...base, history: afterDown, currentShards: 8, forecast: fc(MiB) }).action).toBe('hold');
    const unknown = recordCall(empty, T0 - 29 * MIN);
    expect(decideShards({ ...base, history: unknown, currentShards: 8, forecast: fc(MiB) }).action).toBe('hold');
    // exactly at the end of the cooldown, and with a custom cooldown
    const at = decideShards({ ...base, now: T0 + 20 * MIN, history, currentShards: 8, forecast: fc(MiB) });
    expect(at).toMatchObject({ action: 'scale', targetShards: 4 });
    const longer = decideShards({ ...base, now: T0 + 20 * MIN, history, currentShards: 8, forecast: fc(MiB), limits: { ...CLASSIC, scaleDownCooldownMs: 2 * HOUR } });
    expect(longer.action).toBe('hold');
  });

  it('low confidence never scales down, but scales up from the upper bound', () => {
    for (const confidence of [0, 0.3, 0.59]) {
      const d = decideShards({ ...base, currentShards: 16, forecast: fc(0, { confidence }) });
      expect(d).toMatchObject({ action: 'hold', targetShards: 16, requiredShards: 2, confidence });
      expect(d.reason).toContain('low-confidence forecasts never scale down');
      const up = decideShards({ ...base, currentShards: 4, forecast: fc(5 * MiB, { confidence }) });
      expect(up).toMatchObject({ action: 'scale', targetShards: 7 });
    }
    expect(decideShards({ ...base, currentShards: 16, forecast: fc(0, { confidence: 0.6 }) }).action).toBe('scale');
    expect(decideShards({ ...base, currentShards: 16, forecast: fc(0, { confidence: 0.6 }), minConfidence: 0.8 }).action).toBe('hold');
  });

  it('dry run gives the same decision, flagged, and records nothing', () => {
    const rng = prng(7);
    for (let i = 0; i < 500; i++) {
      const input = {
        now: T0,
        currentShards: 1 + Math.floor(rng() * 70),
        forecast: fc(rng() * 60 * MiB, { confidence: rng(), bytesPerSecMean: rng() * 30 * MiB }),
        history: { calls: Array.from({ length: Math.floor(rng() * 12) }, () => T0 - Math.floor(rng() * DAY_MS)) },
      };
      const live = decideShards(input);
      const dry = decideShards({ ...input, dryRun: true });
      expect(dry.dryRun).toBe(true);
      expect(live.dryRun).toBe(false);
      expect({ ...dry, dryRun: false, reason: '' }).toEqual({ ...live, reason: '' });
      expect(recordDecision(input.history, dry, T0)).toBe(input.history);
    }
    const dry = decideShards({ ...base, currentShards: 2, forecast: fc(3.4 * MiB), dryRun: true });
    expect(dry).toMatchObject({ action: 'scale', targetShards: 4, dryRun: true });
    expect(dry.reason).toContain('dry run');
  });

  it('counts calls in the rolling 24 h window and keeps the last ones for scale-up', () => {
    const calls = (n: number, from = T0 - 23 * HOUR) => ({ calls: Array.from({ length: n }, (_, i) => from + i * HOUR) });
    const full = calls(10);
    expect(callsInWindow(full, T0)).toBe(10);
    const blocked = decideShards({ ...base, history: full, currentShards: 4, forecast: fc(20 * MiB) });
    expect(blocked).toMatchObject({ action: 'hold', targetShards: 4 });
    expect(blocked.reason).toContain('no UpdateShardCount calls left (10 of 10 used in the last 24 h)');
    // the oldest call leaves the window (now - 24 h, now] an hour later: exactly 24 h old no longer counts
    const later = T0 + HOUR;
    expect(callsInWindow(full, later)).toBe(9);
    expect(decideShards({ ...base, now: later, history: full, currentShards: 4, forecast: fc(20 * MiB) }).action).toBe('scale');
    expect(callsInWindow({ calls: [T0 - DAY_MS, T0 - DAY_MS + 1, T0, T0 + 1] }, T0)).toBe(2);
    // with 8 used, 2 remain: kept for scale-up
    const eight = calls(8, T0 - 10 * HOUR);
    const down8 = decideShards({ ...base, history: eight, currentShards: 16, forecast: fc(MiB) });
    expect(down8.action).toBe('hold');
    expect(down8.reason).toContain('only 2 UpdateShardCount calls left in 24 h, kept for scale-up');
    expect(decideShards({ ...base, history: calls(9, T0 - 10 * HOUR), currentShards: 16, forecast: fc(MiB) }).reason).toContain('only 1 UpdateShardCount call left');
    expect(decideShards({ ...base, history: eight, currentShards: 16, forecast: fc(30 * MiB) })).toMatchObject({ action: 'scale', targetShards: 32 });
    // with 7 used, 3 remain: scale-down allowed
    expect(decideShards({ ...base, history: calls(7, T0 - 10 * HOUR), currentShards: 16, forecast: fc(MiB) })).toMatchObject({ action: 'scale', targetShards: 8 });
  });

  it('needs hysteresis and a fitting mean before scaling down', () => {
    // upper 3.1 MiB/s: 3.875 -> 4 shards with headroom, but 4.34 -> 5 with the 15% hysteresis margin
    const wobble = decideShards({ ...base, currentShards: 5, forecast: fc(3.1 * MiB) });
    expect(wobble).toMatchObject({ action: 'hold', targetShards: 5, requiredShards: 4 });
    expect(wobble.reason).toContain('with 15% hysteresis the upper bound still needs 5 shards');
    expect(decideShards({ ...base, currentShards: 5, forecast: fc(2.7 * MiB) })).toMatchObject({ action: 'scale', targetShards: 4 });
    // a stepped-down target stays above the required count when the margin asks for it
    const kept = decideShards({ ...base, currentShards: 8, forecast: fc(3.1 * MiB) });
    expect(kept).toMatchObject({ action: 'scale', targetShards: 5, requiredShards: 4 });
    // a (malformed) mean above the upper bound also has to fit
    const mean = decideShards({ ...base, currentShards: 8, forecast: fc(MiB, { bytesPerSecMean: 6 * MiB }) });
    expect(mean).toMatchObject({ action: 'hold', requiredShards: 2 });
    expect(mean.reason).toContain('mean forecast still needs 8 shards');
    expect(decideShards({ ...base, currentShards: 5, forecast: fc(3.1 * MiB), limits: { ...CLASSIC, scaleDownHysteresis: 0 } }).targetShards).toBe(4);
  });

  it('holds on an unusable or stale forecast', () => {
    const nan = decideShards({ ...base, currentShards: 4, forecast: fc(Number.NaN) });
    expect(nan).toMatchObject({ action: 'hold', targetShards: 4 });
    expect(nan.reason).toContain('forecast unusable');
    expect(decideShards({ ...base, currentShards: 4, forecast: fc(MiB, { confidence: 1.5 }) }).action).toBe('hold');
    expect(decideShards({ ...base, currentShards: 4, forecast: fc(MiB, { horizonStart: T0 + 2 * HOUR }) }).action).toBe('hold');
    const stale = decideShards({ ...base, now: T0 + 2 * HOUR, currentShards: 2, forecast: fc(30 * MiB) });
    expect(stale).toMatchObject({ action: 'hold', targetShards: 2, requiredShards: 38 });
    expect(stale.reason).toContain('stale');
  });

  it('defaults: a 2 h scale-down cooldown and 50% hysteresis (bench/capacity-sim.ts: the call budget lasts a diurnal week)', () => {
    expect(DEFAULT_CAPACITY_LIMITS).toMatchObject({ scaleDownCooldownMs: 2 * HOUR, scaleDownHysteresis: 0.5, maxCallsPer24h: 10 });
    const history = recordCall(empty, T0 - 90 * MIN, 'up');
    const cooling = decideShards({ now: T0, history, currentShards: 8, forecast: fc(MiB) });
    expect(cooling.reason).toContain('cooldown: last change 90 min ago, cooldown 120 min');
    // upper 2.4 MiB/s: 3 shards with headroom, but 4.2 -> 5 with the 50% margin
    const wobble = decideShards({ now: T0, history: empty, currentShards: 8, forecast: fc(2.4 * MiB) });
    expect(wobble).toMatchObject({ action: 'scale', targetShards: 5, requiredShards: 3 });
  });
});

describe('recordCall / recordDecision', () => {
  it('adds the call, prunes calls older than 24 h, and does not mutate', () => {
    const h: CapacityHistory = { calls: [T0 - DAY_MS - 1, T0 - DAY_MS, T0 - HOUR, T0 - 2 * HOUR] };
    const n = recordCall(h, T0, 'down');
    expect(n.calls).toEqual([T0 - 2 * HOUR, T0 - HOUR, T0]);
    expect(n.lastScaleDownAt).toBe(T0);
    expect(n.lastScaleUpAt).toBeUndefined();
    expect(h.calls).toHaveLength(4);
    const d: CapacityDecision = decideShards({ now: T0, currentShards: 2, forecast: fc(3.4 * MiB), history: empty });
    expect(recordDecision(empty, d, T0)).toEqual({ calls: [T0], lastScaleUpAt: T0 });
    const hold = decideShards({ now: T0, currentShards: 5, forecast: fc(3.4 * MiB), history: empty });
    expect(recordDecision(empty, hold, T0)).toBe(empty);
  });
});

// ---------------------------------------------------------------------------------------------------
// Property-style test: random (seeded) forecast sequences over simulated days, each decision fed back.

interface SeqStats {
  ups: number;
  downs: number;
  doublingLimited: number;
  halvingLimited: number;
  budgetHolds: number;
  reserveHolds: number;
  cooldownHolds: number;
  lowConfidenceHolds: number;
  hysteresisHolds: number;
  fullWindows: number;
  rampsCovered: number;
  coveredOnFirstPlateauTick: number;
}

/** Independent oracle of the sizing rule (same formula, written again here). */
function oracleRequired(f: CapacityForecast, l: CapacityLimits): number {
  const raw = Math.max(f.bytesPerSecUpper / l.perShardBytesPerSec, f.recordsPerSecUpper / l.perShardRecordsPerSec) * (1 + l.headroom);
  const n = Math.ceil(raw - 1e-9 * Math.max(1, raw));
  return Math.min(l.maxShards, Math.max(l.minShards, n));
}

function windowCount(log: number[], now: number): number {
  return log.filter((t) => t > now - DAY_MS && t <= now).length;
}

function runSequence(seed: number, stats: SeqStats): void {
  const rng = prng(seed);
  // Plain checks (not expect) in the hot loop: ~1.5 M decisions; a failure names the seed and state.
  let last: { now: number; current: number; d?: CapacityDecision } = { now: T0, current: 0 };
  const must = (ok: boolean, rule: string): void => {
    if (ok) return;
    const state = `t=${(last.now - T0) / HOUR} h current=${last.current} decision=${JSON.stringify(last.d)}`;
    throw new Error(`seed ${seed}: rule broken: ${rule}; ${state} limits=${JSON.stringify(limits)}`);
  };
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rng() * xs.length)];
  const minShards = pick([2, 2, 2, 3, 4]);
  const limits: CapacityLimits = {
    ...DEFAULT_CAPACITY_LIMITS,
    minShards,
    maxShards: pick([minShards, minShards + 3, 16, 32, 64, 64]),
    headroom: pick([0, 0.1, 0.25, 0.25, 0.5]),
    maxCallsPer24h: pick([10, 10, 10, 4, 1]),
    scaleDownCooldownMs: pick([0, 30 * MIN, 30 * MIN, 2 * HOUR]),
    reserveCallsForScaleUp: pick([2, 2, 0, 1]),
    scaleDownHysteresis: pick([0, 0.15, 0.15, 0.3]),
  };
  const minConfidence = pick([0.6, 0.6, 0.3, 0.9]);
  const tick = pick([5, 10, 15]) * MIN;
  const days = 1 + Math.floor(rng() * 2);
  const recordBytes = 200 + rng() * 1800;
  const perShard = Math.min(limits.perShardBytesPerSec, limits.perShardRecordsPerSec * recordBytes);

  let current = limits.minShards + Math.floor(rng() * (limits.maxShards - limits.minShards + 1));
  let history: CapacityHistory = { calls: [] };
  const log: number[] = []; // every call ever made, never pruned
  let lastChange = -Infinity;
  let level = rng() * 8 * perShard; // mean bytes/s
  let confidence = rng();
  let surge = 0;

  const forecastAt = (now: number, mean: number, width: number, conf: number): CapacityForecast => ({
    horizonStart: now,
    horizonEnd: now + HOUR,
    bytesPerSecMean: mean,
    recordsPerSecMean: mean / recordBytes,
    bytesPerSecUpper: mean * (1 + width),
    recordsPerSecUpper: (mean * (1 + width)) / recordBytes,
    confidence: conf,
  });

  const step = (now: number, f: CapacityForecast): CapacityDecision => {
    const d = decideShards({ now, currentShards: current, forecast: f, history, limits, minConfidence });
    last = { now, current, d };
    const used = windowCount(log, now);
    const required = oracleRequired(f, limits);
    must(d.currentShards === current, 'd.currentShards === current');
    must(d.requiredShards === required, 'd.requiredShards === required');
    must(Number.isInteger(d.targetShards), 'integer target');
    if (d.action === 'hold') {
      must(d.targetShards === current, 'd.targetShards === current');
      if (d.reason.includes('calls left (')) stats.budgetHolds++;
      if (d.reason.includes('kept for scale-up')) stats.reserveHolds++;
      if (d.reason.includes('cooldown')) stats.cooldownHolds++;
      if (d.reason.includes('never scale down')) stats.lowConfidenceHolds++;
      if (d.reason.includes('hysteresis the upper bound') || d.reason.includes('mean forecast still')) stats.hysteresisHolds++;
    } else {
      // UpdateShardCount rules: budget, doubling / halving, floor / ceiling
      must(used < limits.maxCallsPer24h, 'used < limits.maxCallsPer24h');
      must(d.targetShards !== current, 'd.targetShards !== current');
      must(d.targetShards <= current * 2, 'd.targetShards <= current * 2');
      must(d.targetShards >= current / 2, 'd.targetShards >= current / 2');
      must(d.targetShards >= limits.minShards, 'd.targetShards >= limits.minShards');
      must(d.targetShards <= limits.maxShards, 'd.targetShards <= limits.maxShards');
      if (d.targetShards > current) {
        must(d.targetShards <= required, 'd.targetShards <= required'); // never beyond what the forecast needs
        stats.ups++;
        if (d.targetShards < required) stats.doublingLimited++;
      } else {
        // scale-down only with confidence, budget beyond the reserve, after the cooldown
        must(d.targetShards >= required, 'd.targetShards >= required');
        must(f.confidence >= minConfidence, 'f.confidence >= minConfidence');
        must(limits.maxCallsPer24h - used > limits.reserveCallsForScaleUp, 'limits.maxCallsPer24h - used > limits.reserveCallsForScaleUp');
        must(now - lastChange >= limits.scaleDownCooldownMs, 'now - lastChange >= limits.scaleDownCooldownMs');
        stats.downs++;
        if (d.targetShards > required && d.targetShards === Math.ceil(current / 2)) stats.halvingLimited++;
      }
    }
    // progress: whenever the forecast needs more and a call is available, scale up a full step now
    if (required > current && used < limits.maxCallsPer24h) {
      must(d.action === 'scale', 'progress: scale up when needed and a call is available');
      must(d.targetShards === Math.min(required, current * 2), 'd.targetShards === Math.min(required, current * 2)');
    }
    if (d.action === 'scale') {
      history = recordDecision(history, d, now);
      log.push(now);
      lastChange = now;
      current = d.targetShards;
      if (windowCount(log, now) === limits.maxCallsPer24h) stats.fullWindows++;
    }
    return d;
  };

  // Phase 1: random days of traffic: log-space random walk, surges, confidence regimes.
  let now = T0;
  const end = T0 + days * DAY_MS;
  for (; now < end; now += tick) {
    level = Math.max(0, level * Math.exp((rng() - 0.5) * 0.3));
    if (rng() < 0.02) level = rng() * 20 * perShard; // regime change
    if (surge > 0) surge--;
    else if (rng() < 0.01) surge = 1 + Math.floor(rng() * 12);
    if (rng() < 0.1) confidence = rng();
    const mean = level * (surge > 0 ? 4 : 1);
    step(now, forecastAt(now, mean, rng() * 0.8, confidence));
  }

  // Phase 2: a rising forecast (ramp over 2 h), then a plateau at high confidence, long enough for
  // the call budget to allow every doubling from the floor to the ceiling.
  const start = current;
  const target = (start + 1 + rng() * 3 * start) * perShard;
  const ramp = 2 * HOUR;
  const rampStart = now;
  const doublings = Math.ceil(Math.log2(limits.maxShards / limits.minShards));
  const budgetDays = Math.ceil(doublings / limits.maxCallsPer24h);
  const plateau = (budgetDays + 1) * DAY_MS + 2 * HOUR;
  let coveredAt = -1;
  let plateauSteps = 0;
  for (; now < rampStart + ramp + plateau; now += tick) {
    const mean = level + (target - level) * Math.min(1, (now - rampStart) / ramp);
    const f = forecastAt(now, mean, 0.2, 0.95);
    if (now >= rampStart + ramp) plateauSteps++;
    step(now, f);
    if (coveredAt < 0 && now >= rampStart + ramp && current >= oracleRequired(f, limits)) coveredAt = plateauSteps;
  }
  const finalRequired = oracleRequired(forecastAt(now, target, 0.2, 0.95), limits);
  must(current >= finalRequired, 'current >= finalRequired');
  // Coverage comes at the latest after the calls made so far have left the 24 h window, one more
  // window per maxCallsPer24h doublings, plus one tick per doubling.
  must(coveredAt > 0, 'coveredAt > 0');
  must(coveredAt <= budgetDays * Math.ceil(DAY_MS / tick) + doublings + 1, 'coveredAt <= budgetDays * Math.ceil(DAY_MS / tick) + doublings + 1');
  stats.rampsCovered++;
  if (coveredAt === 1) stats.coveredOnFirstPlateauTick++;

  // Audit the whole call log: no rolling 24 h window ever holds more than the quota.
  for (let i = 0; i < log.length; i++) {
    must(windowCount(log, log[i]) <= limits.maxCallsPer24h, 'windowCount(log, log[i]) <= limits.maxCallsPer24h');
  }
}

describe('decideShards property: UpdateShardCount rules over random forecast sequences', () => {
  it('never breaks the rules over 2,000 seeded sequences, and covers a rising forecast', () => {
    const stats: SeqStats = {
      ups: 0,
      downs: 0,
      doublingLimited: 0,
      halvingLimited: 0,
      budgetHolds: 0,
      reserveHolds: 0,
      cooldownHolds: 0,
      lowConfidenceHolds: 0,
      hysteresisHolds: 0,
      fullWindows: 0,
      rampsCovered: 0,
      coveredOnFirstPlateauTick: 0,
    };
    for (let seed = 1; seed <= 2000; seed++) runSequence(seed, stats);
    // The sequences really exercise every rule (otherwise the property would pass vacuously).
    expect(stats.rampsCovered).toBe(2000);
    for (const k of [
      'ups',
      'downs',
      'doublingLimited',
      'halvingLimited',
      'budgetHolds',
      'reserveHolds',
      'cooldownHolds',
      'lowConfidenceHolds',
      'hysteresisHolds',
      'fullWindows',
    ] as const) {
      expect(stats[k], k).toBeGreaterThan(20);
    }
    expect(stats.coveredOnFirstPlateauTick).toBeGreaterThan(1000);
  });
});
