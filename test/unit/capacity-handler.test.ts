/**
 * The capacity Lambda handler is thin: it validates the scheduled event, runs capacity-run with its
 * ports, and logs and measures the decisions.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CapacityRunReport } from '../../functions/capacity/capacity-run';
import { CapacityEventError, createCapacityHandler, parseCapacityEvent } from '../../functions/capacity/handler';
import { fakePorts, minuteWindows } from './capacity-fakes';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 9);
const context = { functionName: 'harbinger-capacity', awsRequestId: 'test', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

describe('parseCapacityEvent', () => {
  it('accepts the scheduled shape and an empty event; names the bad field otherwise', () => {
    expect(parseCapacityEvent({ time: '2026-11-16T15:00:00Z', dryRun: true })).toEqual({ time: '2026-11-16T15:00:00Z', dryRun: true });
    expect(parseCapacityEvent(null)).toEqual({});
    expect(() => parseCapacityEvent({ dryRun: 'yes' })).toThrow(CapacityEventError);
    expect(() => parseCapacityEvent({ dryRun: 'yes' })).toThrow(/dryRun/);
    expect(() => parseCapacityEvent({ time: 'tomorrow' })).toThrow(/time must be an ISO 8601 date-time/);
  });
});

describe('createCapacityHandler', () => {
  it('runs at the event time with the injected ports; the event dryRun wins', async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const windows = minuteWindows('p#r', T0, T0 + 3 * DAY, (t) => (t % DAY > 12 * 3_600_000 ? 400_000 : 50_000));
    const f = fakePorts({ windows });
    const handler = createCapacityHandler({
      ports: f.ports,
      runOptions: { stream: 'harbinger-logs' },
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Test', serviceName: 'capacity' }),
    });
    const at = T0 + 3 * DAY - 10 * MIN;
    const r = (await handler({ time: new Date(at).toISOString(), dryRun: true }, context)) as CapacityRunReport;
    expect(r.time).toBe(new Date(at).toISOString());
    expect(r.dryRun).toBe(true);
    expect(r.decisions.map((d) => d.setting)).toEqual(['shards', 'scorerMemoryMb', 'parallelizationFactor']);
    expect(f.calls).toEqual([]);
    await expect(handler({ time: 'soon' }, context)).rejects.toThrow(CapacityEventError);
  });
});
