/**
 * The scorer and window-closer handlers against the real emulators through the real SDK clients:
 * cross-shard merging, idempotent retries, malformed records, closing and scoring.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { KinesisPoller } from '../../infra/local/poller';
import { putPayloads } from '../../infra/local/replay';
import { LocalAlertSink } from '../../infra/local/alert-sink';
import { resourceNames } from '../../functions/core/resources';
import { DEFAULT_PARTITION_RULES } from '../../functions/core/partition';
import { learnHistory, profileFromLearned } from '../../functions/core/offline';
import { generateEvents } from '../../functions/core/synth/generator';
import { toSubscriptionPayloads } from '../../functions/core/synth/payloads';
import { DEFAULT_SERVICES } from '../../functions/core/synth/services';
import { awsClients } from '../../functions/adapters/clients';
import { ProfileStore } from '../../functions/adapters/profile-store';
import { WindowStore } from '../../functions/adapters/window-store';
import { ObjectStore } from '../../functions/adapters/object-store';
import { createScorerHandler } from '../../functions/scorer/handler';
import { createWindowCloserHandler } from '../../functions/window-closer/handler';
import type { BatchSummary } from '../../functions/scorer/scorer';
import type { CloseSummary } from '../../functions/window-closer/closer';
import type { LogEvent } from '../../functions/core/types';
import { kinesisRecord } from './kinesis-record';

const MINUTE = 60_000;
const names = resourceNames();
const services = [DEFAULT_SERVICES.find((s) => s.name === 'checkout')!];
const T0 = Date.UTC(2026, 10, 16, 10, 0);
const PARTITION = 'checkout#us-east-1';
const ctx = { functionName: 'test', awsRequestId: 'test', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const quiet = new Logger({ serviceName: 'test', logLevel: 'ERROR' });

let stack: LocalStack;
let clients: LocalStack['clients'];
const summaries: BatchSummary[] = [];
let scorer: ReturnType<typeof createScorerHandler>;

const recordOf = (data: Buffer, seq: string, shard?: string): KinesisStreamRecord => kinesisRecord(data, seq, shard, T0);

async function windowCount(partition: string, windowStart: number): Promise<number> {
  const store = new WindowStore({ client: awsClients().dynamodb, table: names.table });
  const item = await store.read(partition, windowStart);
  return Number(item.n ?? 0);
}

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'harbinger-it-')) });
  clients = stack.clients;
  // A profile learned from one day of history.
  const learned = learnHistory(() => generateEvents({ services, start: T0 - 86_400_000, end: T0, seed: 1 }), {
    rules: DEFAULT_PARTITION_RULES,
    defaultRegion: 'us-east-1',
  });
  const profiles = new ProfileStore({ client: awsClients().dynamodb, table: names.table });
  for (const l of learned.values()) await profiles.publish(profileFromLearned(l, T0));
  scorer = createScorerHandler({ logger: quiet, onBatch: (s) => summaries.push(s) });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('scorer handler on the emulators', () => {
  it('merges one partition-minute arriving on both shards into exactly the sum of its events', async () => {
    const events = [...generateEvents({ services, start: T0, end: T0 + 3 * MINUTE, seed: 2 })];
    const payloads = [...toSubscriptionPayloads(events)];
    // Spread records over both shards on purpose (random partition keys, as a RANDOM distribution would).
    const spread = payloads.map((p, i) => ({ data: p.data, partitionKey: `k${i}` }));
    await putPayloads(clients.kinesis, names.stream, spread);
    const shardsSeen = new Set<string>();
    const poller = new KinesisPoller({
      kinesis: clients.kinesis,
      streamName: names.stream,
      handler: (e, c) => {
        for (const r of e.Records) shardsSeen.add(r.eventID.split(':')[0]);
        return scorer(e, c);
      },
      pollIntervalMs: 50,
    });
    await poller.start();
    await poller.waitUntilIdle({ timeoutMs: 60_000, idleMs: 200 });
    await poller.stop();
    expect(shardsSeen.size).toBe(2);
    for (let m = 0; m < 3; m++) {
      const start = T0 + m * MINUTE;
      const expected = events.filter((e) => e.timestamp >= start && e.timestamp < start + MINUTE && e.logGroup.includes('us-east-1')).length;
      expect(expected).toBeGreaterThan(0);
      expect(await windowCount(PARTITION, start)).toBe(expected);
    }
  });

  it('never counts a retried batch twice, and counts only the new part of an extended retry', async () => {
    const start = T0 + 10 * MINUTE;
    const events = [...generateEvents({ services, start, end: start + MINUTE, seed: 3 })].filter((e) => e.logGroup.includes('us-east-1'));
    const payloads = [...toSubscriptionPayloads(events, { maxEventsPerPayload: 5 })];
    expect(payloads.length).toBeGreaterThan(4);
    const records = payloads.map((p, i) => recordOf(p.data, String(1000 + i).padStart(20, '0')));
    const counts = payloads.map((p) => p.count);
    const firstPart = records.slice(0, 3);
    await scorer({ Records: firstPart } as KinesisStreamEvent, ctx);
    const afterFirst = await windowCount(PARTITION, start);
    expect(afterFirst).toBe(counts[0] + counts[1] + counts[2]);
    // Exact retry: nothing changes.
    await scorer({ Records: firstPart } as KinesisStreamEvent, ctx);
    expect(await windowCount(PARTITION, start)).toBe(afterFirst);
    expect(summaries.at(-1)!.duplicates).toBeGreaterThan(0);
    // Retry from record 1 with more records behind it (what Lambda does after a partial failure).
    await scorer({ Records: records.slice(1) } as KinesisStreamEvent, ctx);
    expect(await windowCount(PARTITION, start)).toBe(counts.reduce((a, b) => a + b, 0));
  });

  it('quarantines and counts a malformed record without failing the batch or losing the others', async () => {
    const start = T0 + 20 * MINUTE;
    const good: LogEvent[] = [{ id: '1', timestamp: start + 1000, message: '{"level":"info","msg":"order placed","latency_ms":12}', logGroup: '/harbinger/us-east-1/checkout', logStream: 's1' }];
    const payload = [...toSubscriptionPayloads(good)][0];
    const bad = recordOf(Buffer.from([0x1f, 0x8b, 0x00, 0x01, 0x02]), '00000000000000009001');
    const res = await scorer({ Records: [bad, recordOf(payload.data, '00000000000000009002')] } as KinesisStreamEvent, ctx);
    expect(res?.batchItemFailures).toEqual([]);
    const s = summaries.at(-1)!;
    expect(s.malformed).toBe(1);
    expect(s.events).toBe(1);
    expect(await windowCount(PARTITION, start)).toBe(1);
    const datasets = new ObjectStore({ client: awsClients().s3, bucket: names.datasetBucket });
    const quarantined = await datasets.list('quarantine/');
    expect(quarantined.some((k) => k.endsWith('00000000000000009001.json'))).toBe(true);
  });
});

describe('window closer on the emulators', () => {
  it('closes windows past lateness once, stores their features, and alerts an error burst', async () => {
    const start = T0 + 30 * MINUTE;
    const incident = { kind: 'error_burst_latency' as const, service: 'checkout', region: 'us-east-1', start: start + 5 * MINUTE, durationMs: 5 * MINUTE };
    const events = [...generateEvents({ services, start, end: start + 13 * MINUTE, seed: 4, incidents: [incident] })];
    const records = [...toSubscriptionPayloads(events)].map((p, i) => recordOf(p.data, String(50_000 + i).padStart(20, '0'), i % 2 ? 'shardId-000000000001' : 'shardId-000000000000'));
    for (let i = 0; i < records.length; i += 100) await scorer({ Records: records.slice(i, i + 100) } as KinesisStreamEvent, ctx);

    const sink = new LocalAlertSink({ file: join(mkdtempSync(join(tmpdir(), 'harbinger-alerts-')), 'alerts.jsonl') });
    const closer = createWindowCloserHandler({ logger: quiet, deps: { alerts: sink, latenessMs: 60_000 } });
    const first = (await closer({ time: new Date(start + 14 * MINUTE).toISOString() }, ctx)) as CloseSummary;
    expect(first.windowsClosed).toBeGreaterThanOrEqual(12);
    // A second tick at the same time finds nothing left to close or score (idempotent).
    const again = (await closer({ time: new Date(start + 14 * MINUTE).toISOString() }, ctx)) as CloseSummary;
    expect(again.windowsClosed).toBe(0);
    expect(again.windowsScored).toBe(0);
    expect(again.anomalies).toEqual([]);
    const alerted = first.anomalies.filter((a) => a.partition === PARTITION && a.windowStart >= incident.start && a.windowStart < incident.start + incident.durationMs);
    expect(alerted.length).toBeGreaterThan(0);
    expect(sink.events.some((e) => e['detail-type'] === 'Log Anomaly Detected')).toBe(true);
    const anomalies = new ObjectStore({ client: awsClients().s3, bucket: names.anomalyBucket });
    const keys = await anomalies.list('anomalies/');
    expect(keys.length).toBe(first.anomalies.length);
    const datasets = new ObjectStore({ client: awsClients().s3, bucket: names.datasetBucket });
    expect((await datasets.list('windows/')).length).toBeGreaterThanOrEqual(12);
    // Late events for a closed window are counted on it, not lost and not reopening it.
    const late: LogEvent[] = [{ id: 'late', timestamp: start + 1000, message: '{"level":"info","msg":"late"}', logGroup: '/harbinger/us-east-1/checkout', logStream: 's9' }];
    await scorer({ Records: [recordOf([...toSubscriptionPayloads(late)][0].data, '00000000000000099999')] } as KinesisStreamEvent, ctx);
    expect(summaries.at(-1)!.lateEvents).toBe(1);
    const item = await new WindowStore({ client: awsClients().dynamodb, table: names.table }).read(PARTITION, start);
    expect(item.late_n).toBe(1);
    expect(item.openShard).toBeUndefined();
  });
});
