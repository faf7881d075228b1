/**
 * The window closer names the partitions that moved in the same minute on an anomaly's root-cause
 * hints, and reports the highest probability and lowest alert level of the tick (for the
 * MaxAnomalyProbability / MinAlertLevel metrics).
 */
import { describe, expect, it } from 'vitest';
import { closeWindows, type CloserDeps } from '../../functions/window-closer/closer';
import type { Profile } from '../../functions/core/types';
import type { WindowStore } from '../../functions/adapters/window-store';
import type { DetectorStateStore } from '../../functions/adapters/detector-state-store';
import type { ObjectStore } from '../../functions/adapters/object-store';
import { MemObjects, MemStates, MemWindows } from './closer-harness';
import { DAY, MINUTE, T0, trainProfile, type Incident } from './core-fixtures';

const A = 'checkout#eu-west-1';
const B = 'payments#eu-west-1';
const C = 'gateway#eu-west-1';
const START = T0 + 7 * DAY;
const profiles = new Map<string, Profile>([A, B, C].map((p, i) => [p, trainProfile(5, { partition: p }, 11 + i).profile]));
/** A dependency outage: errors in A and B from minute 20 to 25; C stays normal. */
const outage = (m: number): Incident => (m >= 20 && m < 25 ? { errorRate: 0.4 } : {});

describe('closer root-cause hints across partitions', () => {
  it('an anomaly names the other partition that moved in the same minute, not the quiet one', async () => {
    const windows = new MemWindows();
    windows.add(A, START, 30, outage, 1);
    windows.add(B, START, 30, outage, 2);
    windows.add(C, START, 30, () => ({}), 3);
    const deps: CloserDeps = {
      windows: windows as unknown as WindowStore,
      states: new MemStates() as unknown as DetectorStateStore,
      profileOf: async (p) => profiles.get(p) ?? null,
      knownPartitions: async () => [A, B, C],
      anomalies: new MemObjects() as unknown as ObjectStore,
      datasets: new MemObjects() as unknown as ObjectStore,
      alerts: { publish: async () => {} },
      latenessMs: 0,
      earlyWarning: false,
    };
    const quiet = await closeWindows(START + 10 * MINUTE, deps);
    expect(quiet.maxProbability).toBeLessThan(0.95);
    expect(quiet.minAlertLevel).toBe(0.95);
    const s = await closeWindows(START + 22 * MINUTE, deps);
    const a = s.anomalies.find((x) => x.partition === A && x.windowStart === START + 20 * MINUTE);
    expect(a).toBeDefined();
    const hint = a!.rootCauseHints.find((h) => h.startsWith('moved at the same time:'));
    expect(hint).toContain(B);
    expect(hint).not.toContain(C);
    expect(a!.rootCauseHints.length).toBeLessThanOrEqual(6);
    expect(s.maxProbability).toBeGreaterThanOrEqual(0.95);
  });
});
