/**
 * The scenario-run state machine run locally, end to end on the emulators: the very definition the
 * stack deploys, run by aws-local-stepfunctions with every task mapped to the very scenario handler,
 * Wait states overridden and a simulated clock. A short error burst is generated, replayed into the
 * Kinesis emulator (read back with GetRecords and decoded like the scorer does), scored against
 * anomalies pre-written to the anomaly bucket with the real object store, reported, and announced
 * on the local alert sink. A run without replay only generates and stores, and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';
import { LocalAlertSink } from '../../infra/local/alert-sink';
import { localScenarioDeps, runLocalScenarioRun } from '../../infra/local/scenario-runner';
import { SCENARIO_STATES as S } from '../../infra/scenario/definition';
import { ObjectStore } from '../../functions/adapters/object-store';
import { anomalyKey, EVENTS, scenarioRunKeys, type ScenarioRunCompletedDetail } from '../../functions/core/resources';
import { decodeRecord } from '../../functions/core/decode';
import { replayMinute } from '../../functions/scenario/replay';
import type { IncidentLabel } from '../../functions/core/synth/incidents';
import type { LogEvent } from '../../functions/core/types';

const MIN = 60_000;
/** The execution starts at 15:00:20Z on the simulated clock; the run at 15:01Z. */
const START = Date.UTC(2026, 10, 16, 15, 0, 20);
const ANCHOR = Date.UTC(2026, 10, 16, 15, 1);
const PARTITION = 'checkout#us-east-1';
const INPUT = { scenario: 'error-burst', partitions: [PARTITION], startInMinutes: 2, durationMinutes: 3, quietMinutes: 2, magnitude: 0.3, replay: true, seed: 7 };

let stack: LocalStack;
let dataDir: string;

/** Every record on the stream, from the start of each shard (bounded reads). */
async function readStream(kinesis: KinesisClient, stream: string): Promise<Array<{ data: Uint8Array; partitionKey: string; seq: string }>> {
  const out: Array<{ data: Uint8Array; partitionKey: string; seq: string }> = [];
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  for (const shard of shards) {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (let i = 0; i < 200 && iterator; i++) {
      const r = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const rec of r.Records ?? []) out.push({ data: rec.Data!, partitionKey: rec.PartitionKey!, seq: rec.SequenceNumber! });
      if ((r.Records ?? []).length === 0 && (r.MillisBehindLatest ?? 0) === 0) break;
      iterator = r.NextShardIterator;
    }
  }
  return out;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'harbinger-scenario-run-test-'));
  stack = await startLocalStack({ dataDir: join(dataDir, 'emulators'), env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('scenario-run state machine, locally (aws-local-stepfunctions, emulators)', () => {
  it('generates, replays into Kinesis, waits for scoring, reports against the labels and publishes Scenario Run Completed', async () => {
    // What the pipeline would have stored: two anomalies on the incident, one before it, one elsewhere.
    const anomalies = new ObjectStore({ client: stack.clients.s3, bucket: stack.names.anomalyBucket });
    const anomaly = (partition: string, t: number, id: string) =>
      anomalies.putJson(anomalyKey(partition, t, id), { id, partition, windowStart: t, windowEnd: t + MIN, kind: 'error_spike', severity: 'high', probability: 0.99, deviations: [], sampleEvents: [], rootCauseHints: [], detectors: [], profileVersion: 1, modelVersion: 'statistical-v1', detectedAt: t + 3 * MIN });
    await anomaly(PARTITION, ANCHOR + 2 * MIN, 'on-incident-1');
    await anomaly(PARTITION, ANCHOR + 3 * MIN, 'on-incident-2');
    await anomaly(PARTITION, ANCHOR, 'before-incident');
    await anomaly('payments#eu-west-1', ANCHOR + 2 * MIN, 'other-partition');

    const sink = new LocalAlertSink({ file: join(dataDir, 'alerts.jsonl') });
    const entered: string[] = [];
    const r = await runLocalScenarioRun(stack, { input: INPUT, alerts: sink, startTime: START, executionName: 'itest-1', onState: (s) => entered.push(s) });
    if (r.status !== 'SUCCEEDED') console.error(r.error);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.states).toEqual(entered);
    const run = r.run!;
    // 15:01..15:08: the incident 15:03..15:06, 2 quiet minutes after; lead clamped to the run's start.
    expect(run).toMatchObject({ runId: 'error-burst-20261116T150100-itest-1', minutes: 7, start: new Date(ANCHOR).toISOString(), end: new Date(ANCHOR + 7 * MIN).toISOString(), replay: true, stream: { name: stack.names.stream, shardCount: 2 } });
    expect(r.states).toEqual([
      S.generate,
      S.shouldReplay,
      ...Array.from({ length: 7 }, () => [S.waitForMinute, S.replayMinute, S.moreMinutes]).flat(),
      S.waitForScoring,
      S.report,
      S.publish,
      S.completed,
    ]);
    expect(run.cursor).toMatchObject({ done: true, index: 7, recordsPut: run.records, recordsFailed: 0, eventsPut: run.events, requestsSkipped: 0 });
    // The simulated clock went through the minutes and the scoring wait.
    expect(r.endedAt).toBeGreaterThanOrEqual(Date.parse(run.reportAt));

    // The records landed: read back and decoded as the scorer does, they are exactly the stored events.
    const runs = new ObjectStore({ client: stack.clients.s3, bucket: stack.names.syntheticBucket });
    const keys = scenarioRunKeys(run.runId);
    const stored = (await runs.getJsonLines<LogEvent>(keys.events))!;
    expect(stored).toHaveLength(run.events);
    const records = await readStream(stack.clients.kinesis, stack.names.stream);
    expect(records).toHaveLength(run.records);
    const decoded = records.flatMap((rec) => {
      const d = decodeRecord(rec.data, { arrivalTimestamp: 0, sequenceNumber: rec.seq });
      if (d.kind !== 'data') throw new Error('control message on the stream');
      expect(rec.partitionKey).toBe(d.logStream);
      return d.events;
    });
    const byId = (a: LogEvent, b: LogEvent) => (a.id < b.id ? -1 : 1);
    expect(decoded.sort(byId)).toEqual([...stored].sort(byId));
    expect(new Set(records.map((rec) => rec.partitionKey)).size).toBeGreaterThan(1);

    // The S3 objects exist.
    for (const k of [keys.spec, keys.labels, keys.events, keys.manifest, keys.report, keys.labelledAnomalies, ...Array.from({ length: 7 }, (_, i) => keys.chunk(i))]) {
      expect(await runs.getBytes(k), k).not.toBeNull();
    }
    const labels = (await runs.getJson<IncidentLabel[]>(keys.labels))!;
    expect(labels).toEqual([{ partition: PARTITION, start: ANCHOR + 2 * MIN, end: ANCHOR + 5 * MIN, kind: 'error_burst' }]);
    const labelled = (await runs.getJson<Array<{ id: string; verdict: { matched: boolean; incident: number | null } }>>(keys.labelledAnomalies))!;
    expect(labelled.map((a) => [a.id, a.verdict.matched, a.verdict.incident])).toEqual([
      ['before-incident', false, null],
      ['on-incident-1', true, 0],
      ['on-incident-2', true, 0],
    ]);

    // Scenario Run Completed, on the local sink, is also the execution's output.
    const completed = sink.events.filter((e) => e['detail-type'] === EVENTS.scenarioRunCompleted);
    expect(completed).toHaveLength(1);
    const detail = completed[0].detail as ScenarioRunCompletedDetail;
    expect(r.output).toEqual(detail);
    expect(detail).toMatchObject({
      runId: run.runId,
      status: 'reported',
      recall: 1,
      precision: 2 / 3,
      anomalies: 3,
      falseAnomalies: 1,
      recordsPut: run.records,
      recordsFailed: 0,
      prefix: keys.prefix,
      s3Uri: `s3://${stack.names.syntheticBucket}/${keys.prefix}`,
    });

    // A ReplayMinute retried after it had succeeded puts nothing again.
    const clock = { now: ANCHOR };
    const again = await replayMinute({ ...run, cursor: { ...run.cursor, index: 0, done: false, waitUntil: run.start } }, { ...localScenarioDeps(stack, sink, clock), stream: localScenarioDeps(stack, sink, clock).stream! });
    expect(again.requestsSkipped).toBeGreaterThan(0);
    expect(await readStream(stack.clients.kinesis, stack.names.stream)).toHaveLength(run.records);
  }, 180_000);

  it('without replay: generates and stores only, and the completed event says so', async () => {
    const sink = new LocalAlertSink({ file: join(dataDir, 'alerts-2.jsonl') });
    const r = await runLocalScenarioRun(stack, { input: { ...INPUT, replay: false }, alerts: sink, startTime: START, executionName: 'itest-2' });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.states).toEqual([S.generate, S.shouldReplay, S.notReplayed, S.publish, S.completed]);
    expect(r.output).toMatchObject({ status: 'generated', recordsPut: null, recall: null, message: expect.stringMatching(/generated and stored only \(replay was off\)/) });
    const keys = scenarioRunKeys(r.output!.runId);
    const runs = new ObjectStore({ client: stack.clients.s3, bucket: stack.names.syntheticBucket });
    expect((await runs.list(keys.prefix)).map((k) => k.slice(keys.prefix.length)).sort()).toEqual(['events.jsonl.gz', 'labels.json', 'manifest.json', 'spec.json']);
  }, 120_000);

  it('an invalid request fails the execution with ScenarioRunInputError and a message that says what to fix (no retry)', async () => {
    const sink = new LocalAlertSink({ file: join(dataDir, 'alerts-3.jsonl') });
    const r = await runLocalScenarioRun(stack, { input: { scenario: 'error-burst', partitions: ['orders#us-east-1'], replay: true }, alerts: sink, startTime: START });
    expect(r.status).toBe('FAILED');
    expect(r.error).toEqual({ error: 'ScenarioRunInputError', cause: expect.stringMatching(/orders#us-east-1: the generator synthesises only/) });
    expect(r.states).toEqual([S.generate, S.failed]);
    expect(sink.events).toEqual([]);
  }, 60_000);
});
