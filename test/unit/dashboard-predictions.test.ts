/** Reading "Log Anomaly Predicted" events for the dashboard: the closer's shape, older shapes, merging. */
import { describe, expect, it } from 'vitest';
import { mergePredictions, predictedCrossingOf } from '../../infra/local/dashboard/predictions';
import { EVENTS } from '../../functions/core/resources';

const T = Date.UTC(2026, 10, 16, 15, 0);
const M = 60_000;
const env = (detail: unknown, minute = 0, type: string = EVENTS.anomalyPredicted) => ({ source: 'harbinger', 'detail-type': type, time: new Date(T + minute * M).toISOString(), detail });

describe('predictedCrossingOf', () => {
  it('reads the closer\'s Prediction with its change', () => {
    const p = predictedCrossingOf(
      env({ id: 'ab12', partition: 'api#eu-west-1', feature: 'count', direction: 'down', kind: 'volume_drop', issuedAt: T, crossingAt: T + 9 * M, probability: 0.95, threshold: 120, forecast: { mean: 100, lower: 80, upper: 130 }, message: 'm', status: 'open', change: 'opened' }, 1),
    );
    expect(p).toEqual({
      id: 'ab12',
      partition: 'api#eu-west-1',
      at: T + 9 * M,
      raisedAt: T,
      updatedAt: T + M,
      status: 'open',
      change: 'opened',
      feature: 'count',
      direction: 'down',
      kind: 'volume_drop',
      probability: 0.95,
      threshold: 120,
      forecast: { mean: 100, lower: 80, upper: 130 },
      message: 'm',
    });
  });

  it('reads older and partial shapes tolerantly', () => {
    expect(predictedCrossingOf(env({ partition: 'a#b', predictedAt: new Date(T + 5 * M).toISOString(), severity: 'high' }))).toMatchObject({ id: `a#b||${T + 5 * M}`, at: T + 5 * M, raisedAt: T, status: 'open', severity: 'high' });
    expect(predictedCrossingOf(env({ partition: 'a#b', crossingAt: T, change: 'expired' }))?.status).toBe('expired');
    expect(predictedCrossingOf(env({ partition: 'a#b', crossingAt: T, change: 'updated' }))?.status).toBe('open');
    expect(predictedCrossingOf(env({ partition: 'a#b', crossingAt: T, change: 'resolved', resolution: { outcome: 'came_true', at: T, leadMinutes: 4 } }))).toMatchObject({ status: 'came_true', resolution: { outcome: 'came_true', leadMinutes: 4 } });
    expect(predictedCrossingOf(env({ partition: 'a#b', crossingAt: T, change: 'resolved' }))?.status).toBe('resolved');
    expect(predictedCrossingOf(env({ partition: 'a#b', crossingAt: T, probability: 'high', direction: 'sideways' }))).not.toHaveProperty('probability');
  });

  it('skips other events and unreadable ones', () => {
    expect(predictedCrossingOf(env({ partition: 'a#b', crossingAt: T }, 0, EVENTS.anomalyDetected))).toBeNull();
    expect(predictedCrossingOf(env({ crossingAt: T }))).toBeNull();
    expect(predictedCrossingOf(env({ partition: 'a#b', crossingAt: 'soon' }))).toBeNull();
    expect(predictedCrossingOf(env(null))).toBeNull();
  });
});

describe('mergePredictions', () => {
  it('keeps one prediction per id in its latest state, by crossing time', () => {
    const opened = predictedCrossingOf(env({ id: 'x', partition: 'a#b', issuedAt: T, crossingAt: T + 20 * M, probability: 0.9, status: 'open', change: 'opened' }, 1))!;
    const other = predictedCrossingOf(env({ id: 'y', partition: 'a#b', issuedAt: T, crossingAt: T + 10 * M, status: 'open', change: 'opened' }, 1))!;
    const cameTrue = predictedCrossingOf(env({ id: 'x', partition: 'a#b', issuedAt: T, crossingAt: T + 15 * M, probability: 0.97, status: 'came_true', change: 'came_true', resolution: { outcome: 'came_true', at: T + 16 * M, by: 'crossing', leadMinutes: 16 } }, 17))!;
    const merged = mergePredictions([opened, other, cameTrue]);
    expect(merged.map((p) => [p.id, p.status, p.at])).toEqual([
      ['y', 'open', T + 10 * M],
      ['x', 'came_true', T + 15 * M],
    ]);
    expect(merged[1]).toMatchObject({ raisedAt: T, updatedAt: T + 17 * M, probability: 0.97, resolution: { by: 'crossing', leadMinutes: 16 } });
  });
});
