/**
 * Remediation rules on the emulators: a volume-surge alert on the local bus runs the capacity
 * function at once (against kinesis-local), once per incident however often the alert comes; the
 * incident's resolution settles the attempt; outcomes are read back from the state table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { LocalAlertSink } from '../../infra/local/alert-sink';
import { createLocalCapacity, type LocalCapacity } from '../../infra/local/capacity';
import { attachLocalRemediation, type LocalRemediation } from '../../infra/local/remediation';
import { EVENTS } from '../../functions/core/resources';
import { handleRemediationEvent, RemediationEventError } from '../../functions/remediation/remediate';

const T = Date.UTC(2026, 10, 16, 15, 0);
const incident = { id: 'surge-1', partition: 'gateway#us-east-1', kind: 'volume_spike', status: 'open', openedAt: T, resolvedAt: undefined as number | undefined };
let stack: LocalStack;
let sink: LocalAlertSink;
let capacity: LocalCapacity;
let remediation: LocalRemediation;
const printed: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack();
  const dir = mkdtempSync(join(tmpdir(), 'harbinger-remediation-'));
  sink = new LocalAlertSink({ file: join(dir, 'alerts.jsonl'), now: () => T });
  capacity = createLocalCapacity({ clients: stack.clients, names: stack.names, publisher: new LocalAlertSink({ file: join(dir, 'capacity.jsonl') }) });
  remediation = attachLocalRemediation({ sink, clients: stack.clients, names: stack.names, capacity, print: (l) => printed.push(l) });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('remediation on the local bus', () => {
  it('a volume surge runs the capacity function now, once per incident', async () => {
    await capacity.tick(T - 60_000); // the scheduled run before the alert
    expect(capacity.reports).toHaveLength(1);
    await sink.publish(EVENTS.anomalyDetected, { kind: 'volume_spike', change: 'opened', partition: incident.partition, incident });
    expect(capacity.reports).toHaveLength(2); // forced run, not due by the schedule
    await sink.publish(EVENTS.anomalyDetected, { kind: 'volume_spike', change: 'escalated', partition: incident.partition, incident });
    expect(capacity.reports).toHaveLength(2); // same incident: no second action
    const attempt = await remediation.store.get('volume-surge-capacity', incident.id);
    expect(attempt).toMatchObject({ status: 'pending', partition: 'gateway#us-east-1', firedAt: T });
    expect(attempt?.actionResult).toMatch(/^capacity run: shards \d+ -> \d+/);
    expect(printed.some((l) => l.includes('REMEDIATION') && l.includes('volume-surge-capacity'))).toBe(true);
  }, 60_000);

  it('other alerts do nothing', async () => {
    await sink.publish(EVENTS.anomalyDetected, { kind: 'error_spike', change: 'opened', incident: { ...incident, id: 'errors-1', kind: 'error_spike' } });
    expect(await remediation.store.get('volume-surge-capacity', 'errors-1')).toBeNull();
  });

  it('the resolution settles the attempt and the success rate follows', async () => {
    await sink.publish(EVENTS.anomalyResolved, { change: 'resolved', incident: { ...incident, status: 'resolved', resolvedAt: T + 7 * 60_000 } });
    expect(await remediation.store.get('volume-surge-capacity', incident.id)).toMatchObject({ status: 'cleared', minutesToClear: 7 });
    const [o] = await remediation.outcomes(T + 60 * 60_000);
    expect(o).toMatchObject({ attempts: 1, cleared: 1, successRate: 1, medianMinutesToClear: 7 });
  });

  it('a failing action is recorded as failed, and an event without an incident is refused', async () => {
    const failing = { run: async () => Promise.reject(new Error('capacity function throttled')) };
    const r = await handleRemediationEvent(
      { source: EVENTS.source, 'detail-type': EVENTS.anomalyDetected, time: new Date(T).toISOString(), detail: { kind: 'volume_spike', change: 'opened', incident: { ...incident, id: 'surge-2' } } },
      { store: remediation.store, actions: failing },
    );
    expect(r.started[0]).toMatchObject({ status: 'action_failed', actionResult: 'Error: capacity function throttled' });
    await expect(
      handleRemediationEvent({ source: EVENTS.source, 'detail-type': EVENTS.anomalyDetected, detail: { kind: 'volume_spike', change: 'opened' } }, { store: remediation.store, actions: failing }),
    ).rejects.toThrow(RemediationEventError);
  });
});
