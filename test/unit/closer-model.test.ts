/**
 * The window closer's model path with in-memory test doubles for the stores and a stub model:
 * phases (close everything, then one model call per tick, then score in order), chunking,
 * fallback on error / malformed body / timeout, and the circuit breaker.
 */
import { describe, expect, it } from 'vitest';
import { closeWindows, CIRCUIT_OPEN_REASON, NOT_CONFIGURED_REASON, type CloserDeps } from '../../functions/window-closer/closer';
import { CircuitBreaker } from '../../functions/core/circuit-breaker';
import { THRESHOLD_QUANTILES, type ModelWindow, type PartitionThresholds, type ScoreResponse } from '../../functions/core/model-contract';
import type { Profile } from '../../functions/core/types';
import type { WindowStore } from '../../functions/adapters/window-store';
import { MemObjects, MemStates, MemWindows } from './closer-harness';
import type { DetectorStateStore } from '../../functions/adapters/detector-state-store';
import type { ObjectStore } from '../../functions/adapters/object-store';
import type { ModelScorer } from '../../functions/adapters/model-client';
import { DAY, MINUTE, T0, trainProfile, type Incident } from './core-fixtures';

const MODELLED = 'checkout#eu-west-1';
const PLAIN = 'search#eu-west-1';
const START = T0 + 2 * DAY;
const INCIDENT: Incident = { errorRate: 0.4, latencyFactor: 6 };

const base = trainProfile(11, { partition: MODELLED }, 2).profile;
const plain = trainProfile(12, { partition: PLAIN }, 2).profile;
const modelled: Profile = { ...base, model: { version: 'vae-test-1' } };

/** Minutes of normal traffic from START, with the incident in minute `incidentAt` (none when -1). */
class ModelWindows extends MemWindows {
  addRun(partition: string, minutes: number, incidentAt = -1, seed = 1): void {
    this.add(partition, START, minutes, (m) => (m === incidentAt ? INCIDENT : {}), seed);
  }
}

type Behaviour = 'ok' | 'fail' | 'malformed' | 'hang' | 'partial';

/** A stub model: anomalous when the error rate is high, else common. */
class StubModel implements ModelScorer {
  readonly calls: ModelWindow[][] = [];
  behaviour: Behaviour = 'ok';
  onCall?: () => void;
  async score(windows: ModelWindow[]): Promise<ScoreResponse> {
    this.calls.push(windows);
    this.onCall?.();
    if (this.behaviour === 'fail') throw new Error('endpoint exploded');
    if (this.behaviour === 'malformed') return { hello: 'world' } as unknown as ScoreResponse;
    if (this.behaviour === 'hang') return new Promise<ScoreResponse>(() => {});
    const list = this.behaviour === 'partial' ? windows.slice(1) : windows;
    return {
      modelVersion: 'vae-test-1',
      scores: list.map((w) => {
        const bad = w.features.errorRate > 0.2;
        return {
          partition: w.partition,
          windowStart: w.windowStart,
          logLikelihood: bad ? -80 : -10,
          pValue: bad ? 1e-5 : 0.5,
          anomalyProbability: bad ? 0.999 : 0,
          contributions: [{ feature: 'errorRate' as const, share: 0.8, observed: w.features.errorRate, expected: 0.01 }],
          knownPartition: true,
        };
      }),
    };
  }
}

function setup(opts: { model?: StubModel | null; profiles?: Profile[]; extra?: Partial<CloserDeps> } = {}) {
  const windows = new ModelWindows();
  const states = new MemStates();
  const anomalies = new MemObjects();
  const datasets = new MemObjects();
  const published: Array<{ type: string; detail: object }> = [];
  const profiles = opts.profiles ?? [modelled, plain];
  const model = opts.model === null ? undefined : (opts.model ?? new StubModel());
  const deps: CloserDeps = {
    windows: windows as unknown as WindowStore,
    states: states as unknown as DetectorStateStore,
    profileOf: async (p) => profiles.find((x) => x.partition === p) ?? null,
    knownPartitions: async () => profiles.map((p) => p.partition),
    anomalies: anomalies as unknown as ObjectStore,
    datasets: datasets as unknown as ObjectStore,
    alerts: { publish: async (type, detail) => void published.push({ type, detail }) },
    latenessMs: 0,
    model,
    ...opts.extra,
  };
  return { windows, states, anomalies, datasets, published, deps, model: model as StubModel | undefined };
}

/** The tick time at which windows [0, minutes) have all passed their end (lateness 0); the cutoff is window minutes-1. */
const tickAfter = (minutes: number): number => START + minutes * MINUTE;

describe('closer with a model', () => {
  it('closes every partition first, calls the model once per tick, then scores each partition in order', async () => {
    const { windows, states, datasets, deps, model } = setup();
    windows.addRun(MODELLED, 6, 3, 1);
    windows.addRun(PLAIN, 6, -1, 2);
    model!.onCall = () => {
      // Phase 1 is complete for both partitions, and no state was written yet.
      expect(datasets.docs.size).toBe(12);
      expect(states.puts).toBe(0);
    };
    const s = await closeWindows(tickAfter(6), deps);
    expect(s.windowsClosed).toBe(12);
    expect(s.windowsScored).toBe(12);
    expect(model!.calls).toHaveLength(1);
    expect(s.modelCalls).toBe(1);
    expect(model!.calls[0].map((w) => w.partition)).toEqual(Array(6).fill(MODELLED));
    expect(model!.calls[0].map((w) => w.windowStart)).toEqual([0, 1, 2, 3, 4, 5].map((m) => START + m * MINUTE));
    expect(s.modelScored).toBe(6);
    expect(s.modelFallbacks).toBe(0);
    const incident = s.anomalies.find((a) => a.partition === MODELLED && a.windowStart === START + 3 * MINUTE);
    expect(incident).toBeDefined();
    expect(incident!.modelVersion).toBe('vae-test-1');
    expect(incident!.scoring).toEqual({ mode: 'model' });
    expect(incident!.detectors.some((d) => d.name === 'vae')).toBe(true);
    for (const a of s.anomalies.filter((x) => x.partition === PLAIN)) expect(a.scoring).toEqual({ mode: 'statistical' });
    expect(states.map.get(MODELLED)!.lastWindowStart).toBe(START + 5 * MINUTE);
    expect(states.map.get(PLAIN)!.lastWindowStart).toBe(START + 5 * MINUTE);
    expect(states.puts).toBe(2);

    // The same tick again: nothing left, no model call (idempotent).
    const again = await closeWindows(tickAfter(6), deps);
    expect(again.windowsScored).toBe(0);
    expect(again.anomalies).toEqual([]);
    expect(model!.calls).toHaveLength(1);
  });

  it('chunks model calls (at most modelBatchSize windows per call, 500 by default)', async () => {
    const other: Profile = { ...trainProfile(13, { partition: 'cart#eu-west-1' }, 2).profile, model: { version: 'vae-test-1' } };
    const { windows, deps, model } = setup({ profiles: [modelled, other, plain], extra: { modelBatchSize: 4 } });
    windows.addRun(MODELLED, 5, -1, 1);
    windows.addRun('cart#eu-west-1', 5, -1, 3);
    const s = await closeWindows(tickAfter(6), deps);
    expect(model!.calls.map((c) => c.length)).toEqual([4, 4, 2]);
    expect(s.modelScored).toBe(10);
  });

  it('falls back to the statistical detectors when the model fails, and the breaker opens after 3 failures', async () => {
    let wall = 0;
    const breaker = new CircuitBreaker({ clock: () => wall });
    const { windows, deps, model } = setup({ extra: { modelBreaker: breaker } });
    model!.behaviour = 'fail';
    windows.addRun(MODELLED, 6, 3, 1);
    const first = await closeWindows(tickAfter(7), deps);
    expect(first.windowsScored).toBe(6 + 0); // PLAIN has no state yet: nothing to fill
    expect(first.modelFallbacks).toBe(6);
    expect(first.modelScored).toBe(0);
    expect(first.modelFallbackReasons).toEqual({ 'endpoint exploded': 6 });
    const incident = first.anomalies.find((a) => a.windowStart === START + 3 * MINUTE);
    expect(incident).toBeDefined();
    expect(incident!.scoring).toEqual({ mode: 'statistical-fallback', reason: 'endpoint exploded' });
    expect(incident!.modelVersion).toBe('statistical-v1');
    expect(incident!.detectors.some((d) => d.name === 'vae')).toBe(false);

    // Two more failing ticks (one silent minute each) open the circuit.
    await closeWindows(tickAfter(8), deps);
    await closeWindows(tickAfter(9), deps);
    expect(model!.calls).toHaveLength(3);
    expect(breaker.state).toBe('open');
    const refused = await closeWindows(tickAfter(10), deps);
    expect(model!.calls).toHaveLength(3);
    expect(refused.modelCalls).toBe(0);
    expect(refused.windowsScored).toBe(1);
    expect(refused.modelFallbacks).toBe(1);
    expect(refused.modelFallbackReasons).toEqual({ [CIRCUIT_OPEN_REASON]: 1 });

    // After the cool-down one trial goes out; it succeeds and the circuit closes.
    wall += 60_000;
    model!.behaviour = 'ok';
    const trial = await closeWindows(tickAfter(11), deps);
    expect(model!.calls).toHaveLength(4);
    expect(trial.modelScored).toBe(1);
    expect(breaker.state).toBe('closed');
  });

  it('treats a malformed body as a failure', async () => {
    const { windows, deps, model } = setup();
    model!.behaviour = 'malformed';
    windows.addRun(MODELLED, 3, -1, 1);
    const s = await closeWindows(tickAfter(4), deps);
    expect(s.modelFallbacks).toBe(3);
    expect(Object.keys(s.modelFallbackReasons)[0]).toMatch(/malformed model response/);
  });

  it('bounds a hanging model call by the timeout', async () => {
    const { windows, deps, model } = setup({ extra: { modelTimeoutMs: 20 } });
    model!.behaviour = 'hang';
    windows.addRun(MODELLED, 2, -1, 1);
    const t0 = Date.now();
    const s = await closeWindows(tickAfter(3), deps);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(s.windowsScored).toBe(2);
    expect(s.modelFallbacks).toBe(2);
    expect(Object.keys(s.modelFallbackReasons)[0]).toMatch(/timed out/);
  });

  it('falls back per window when the response lacks a window', async () => {
    const { windows, deps, model } = setup();
    model!.behaviour = 'partial';
    windows.addRun(MODELLED, 3, -1, 1);
    const s = await closeWindows(tickAfter(4), deps);
    expect(s.modelScored).toBe(2);
    expect(s.modelFallbacks).toBe(1);
  });

  it('without a model client: modelled profiles fall back, profiles without a model are plain statistical', async () => {
    const { windows, deps } = setup({ model: null });
    windows.addRun(MODELLED, 6, 3, 1);
    windows.addRun(PLAIN, 6, 3, 2);
    const s = await closeWindows(tickAfter(7), deps);
    expect(s.modelCalls).toBe(0);
    expect(s.modelFallbacks).toBe(6);
    expect(s.modelFallbackReasons).toEqual({ [NOT_CONFIGURED_REASON]: 6 });
    const byPartition = (p: string) => s.anomalies.filter((a) => a.partition === p);
    expect(byPartition(MODELLED).length).toBeGreaterThan(0);
    expect(byPartition(PLAIN).length).toBeGreaterThan(0);
    for (const a of byPartition(MODELLED)) expect(a.scoring?.mode).toBe('statistical-fallback');
    for (const a of byPartition(PLAIN)) expect(a.scoring).toEqual({ mode: 'statistical' });
  });

  it('passes the partition thresholds to the model result (bands), and survives a failing thresholds read', async () => {
    const hourStart = Math.floor(START / 3_600_000) * 3_600_000;
    const thresholds: PartitionThresholds = {
      partition: MODELLED,
      modelVersion: 'vae-test-1',
      computedAt: START,
      quantileLevels: THRESHOLD_QUANTILES,
      hours: [{ hourStart, quantiles: { errorRate: THRESHOLD_QUANTILES.map((q) => q / 10) } as PartitionThresholds['hours'][number]['quantiles'] }],
    };
    const asked: string[] = [];
    const ok = setup({ extra: { thresholdsOf: async (p, profile) => (asked.push(`${p}@${profile.model?.version}`), thresholds) } });
    ok.windows.addRun(MODELLED, 6, 3, 1);
    ok.windows.addRun(PLAIN, 6, -1, 2);
    const s = await closeWindows(tickAfter(6), ok.deps);
    expect(asked).toEqual([`${MODELLED}@vae-test-1`]); // once per modelled partition per tick
    const a = s.anomalies.find((x) => x.partition === MODELLED && x.scoring?.mode === 'model');
    expect(a).toBeDefined();
    const dev = a!.deviations.find((d) => d.feature === 'errorRate');
    expect(dev).toBeDefined();
    expect(dev!.band[1]).toBeGreaterThan(dev!.band[0]);

    const failing = setup({ extra: { thresholdsOf: async () => { throw new Error('no bucket'); } } });
    failing.windows.addRun(MODELLED, 6, 3, 1);
    const f = await closeWindows(tickAfter(6), failing.deps);
    expect(f.modelScored).toBe(6);
    expect(f.anomalies.some((x) => x.scoring?.mode === 'model')).toBe(true);
  });
});
