/**
 * The window closer's early-warning path with in-memory test doubles for the stores (the patterns of
 * closer-model.test.ts): predictions published as "Log Anomaly Predicted" with a deterministic id,
 * listed in the summary and kept in the detector state; a retried tick re-derives the same id; a
 * forecaster error is counted and never fails the tick.
 */
import { describe, expect, it } from 'vitest';
import { closeWindows, type CloserDeps } from '../../functions/window-closer/closer';
import { EVENTS, predictionKey } from '../../functions/core/resources';
import type { Prediction } from '../../functions/core/early-warning';
import type { Profile } from '../../functions/core/types';
import type { WindowStore } from '../../functions/adapters/window-store';
import { MemObjects, MemStates, MemWindows } from './closer-harness';
import type { DetectorStateStore } from '../../functions/adapters/detector-state-store';
import type { ObjectStore } from '../../functions/adapters/object-store';
import { DAY, MINUTE, T0, trainProfile, type Incident } from './core-fixtures';

const PARTITION = 'checkout#eu-west-1';
const START = T0 + 7 * DAY;
const profile: Profile = trainProfile(5, { partition: PARTITION }, 7).profile;
/** Latency climbs from x1 to x4 over the hour after minute 300. */
const ramp = (m: number): Incident => (m >= 300 ? { latencyFactor: 1 + 3 * Math.min(1, (m - 300) / 60) } : {});

function setup(extra: Partial<CloserDeps> = {}) {
  const windows = new MemWindows();
  const states = new MemStates();
  const published: Array<{ type: string; detail: Record<string, unknown> }> = [];
  const deps: CloserDeps = {
    windows: windows as unknown as WindowStore,
    states: states as unknown as DetectorStateStore,
    profileOf: async (p) => (p === PARTITION ? profile : null),
    knownPartitions: async () => [PARTITION],
    anomalies: new MemObjects() as unknown as ObjectStore,
    datasets: new MemObjects() as unknown as ObjectStore,
    alerts: { publish: async (type, detail) => void published.push({ type, detail: detail as Record<string, unknown> }) },
    latenessMs: 0,
    ...extra,
  };
  windows.add(PARTITION, START, 400, ramp, 8);
  return { windows, states, published, deps };
}

/** Ticks once a minute (each tick closes the previous minute) until `stop` says so or `last` is reached. */
async function tickUntil(deps: CloserDeps, last: number, stop: () => boolean): Promise<number> {
  for (let m = 1; m <= last; m++) {
    await closeWindows(START + m * MINUTE, deps);
    if (stop()) return m;
  }
  return last;
}

const predicted = (published: Array<{ type: string; detail: Record<string, unknown> }>) => published.filter((p) => p.type === EVENTS.anomalyPredicted);

describe('closer early warning', () => {
  it('publishes "Log Anomaly Predicted" once with a deterministic id, lists it in the summary, keeps it in the state', async () => {
    const { states, published, deps } = setup();
    const summaries: Awaited<ReturnType<typeof closeWindows>>[] = [];
    let m = 0;
    for (m = 1; m <= 400; m++) {
      const s = await closeWindows(START + m * MINUTE, deps);
      summaries.push(s);
      if (s.predictions.some((p) => p.change === 'opened')) break;
    }
    const tick = summaries[summaries.length - 1];
    const sent = tick.predictions.find((p) => p.change === 'opened')!;
    expect(sent).toBeDefined();
    expect(m).toBeGreaterThan(300);
    expect(sent).toMatchObject({ partition: PARTITION, direction: 'up' });
    expect(sent.feature.startsWith('latency')).toBe(true);
    expect(sent.probability).toBeGreaterThanOrEqual(0.9);
    expect(sent.message).toContain('forecast to rise above');
    // before the detectors: no latency anomaly yet
    expect(summaries.flatMap((s) => s.anomalies).filter((a) => a.kind === 'latency')).toEqual([]);

    const events = predicted(published);
    expect(events).toHaveLength(1);
    const detail = events[0].detail as unknown as Prediction & { change: string };
    expect(detail).toMatchObject({ id: sent.id, change: 'opened', partition: PARTITION, feature: sent.feature, status: 'open' });
    expect(detail.crossingAt).toBe(sent.crossingAt);

    const saved = states.map.get(PARTITION)!;
    expect(saved.warning?.open[sent.feature]?.id).toBe(sent.id);
    // stored with the anomalies, for scenario reports' lead times
    const stored = (deps.anomalies as unknown as MemObjects).docs.get(predictionKey(PARTITION, detail.issuedAt, sent.id));
    expect(stored).toMatchObject({ id: sent.id, change: 'opened' });
    expect(JSON.stringify(saved.warning).length).toBeLessThan(4000);

    // the same tick again: nothing left to close, nothing re-sent
    const again = await closeWindows(START + m * MINUTE, deps);
    expect(again.windowsScored).toBe(0);
    expect(again.predictions).toEqual([]);
    expect(predicted(published)).toHaveLength(1);

    // later ticks update the open prediction without re-sending it; it then resolves
    const resolvedAt = await tickUntil(deps, 400, () => predicted(published).length > 1);
    const next = predicted(published)[1].detail as unknown as Prediction & { change: string };
    expect(next.id).toBe(sent.id);
    expect(['came_true', 'expired']).toContain(next.change);
    expect(resolvedAt).toBeGreaterThan(m);
    if (next.change === 'came_true') expect(next.resolution!.leadMinutes).toBeGreaterThan(0);
  });

  it('re-derives the same prediction id when a tick is retried after publishing', async () => {
    // a first run finds the tick that opens the prediction
    const first = setup();
    const at = await tickUntil(first.deps, 400, () => predicted(first.published).length > 0);
    const id = predicted(first.published)[0].detail.id;
    // the same windows again; that tick publishes, then fails to save its state, and is retried
    const { states, published, deps } = setup();
    await tickUntil(deps, at - 1, () => false);
    expect(predicted(published)).toEqual([]);
    states.failNext = true;
    await expect(closeWindows(START + at * MINUTE, deps)).rejects.toThrow('DynamoDB unavailable');
    const retry = await closeWindows(START + at * MINUTE, deps);
    expect(retry.predictions.map((p) => p.id)).toEqual([id]);
    expect(predicted(published).map((e) => [e.detail.id, e.detail.change])).toEqual([
      [id, 'opened'],
      [id, 'opened'],
    ]);
  });

  it('counts a forecaster error and goes on scoring', async () => {
    const { states, published, deps } = setup({ earlyWarning: { confidence: 2 } });
    const s = await closeWindows(START + 20 * MINUTE, deps);
    expect(s.windowsScored).toBe(20);
    expect(s.predictionErrors).toBe(20);
    expect(Object.keys(s.predictionErrorReasons)[0]).toMatch(/^early warning: early warning: confidence must be in/);
    expect(s.predictions).toEqual([]);
    expect(predicted(published)).toEqual([]);
    const saved = states.map.get(PARTITION)!;
    expect(saved.lastWindowStart).toBe(START + 19 * MINUTE);
    expect(saved.warning).toBeUndefined();
  });

  it('can be turned off', async () => {
    const { states, deps } = setup({ earlyWarning: false });
    const s = await closeWindows(START + 40 * MINUTE, deps);
    expect(s.windowsScored).toBe(40);
    expect(s.predictionErrors).toBe(0);
    expect(states.map.get(PARTITION)!.warning).toBeUndefined();
  });
});
