/**
 * The capacity function against the emulators (kinesis-local as a child process, dynalite, s3rver;
 * 127.0.0.1 only): three days of stored window features with a daily surge at 12:00 UTC; at 11:55 a
 * dry run reports the scale-up and leaves the stream alone; at 12:00 the real run calls
 * UpdateShardCount ahead of the surge and DescribeStreamSummary / ListShards show the new open shard
 * count. Same handler, same adapters as on AWS; no Lambda service, so the scorer-side decisions are
 * reported as not applied.
 */
import { DescribeStreamSummaryCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { GetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../functions/adapters/object-store';
import { emptyWindowFeatures } from '../../functions/core/features';
import { CAPACITY_KEYS, SHADOW_LOG_LATEST_KEY, windowBatchKey, windowFeaturesKey } from '../../functions/core/resources';
import type { ShadowLog } from '../../functions/core/shadow-log';
import type { WindowFeatures } from '../../functions/core/types';
import { createLocalCapacity, NOT_APPLIED_LOCALLY, type LocalCapacity } from '../../infra/local/capacity';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const D0 = Date.UTC(2026, 10, 12); // first history day, 00:00 UTC
const TODAY = D0 + 3 * DAY;
const PARTITIONS = ['checkout#us-east-1', 'search#eu-west-1'];

let stack: LocalStack;
let capacity: LocalCapacity;
let datasets: ObjectStore;
const printed: string[] = [];
let bootstrapMs = 0;

/** Events/min of one partition: 30,000 normally, 360,000 from 12:00 to 14:00 (12,000 events/s in total). */
const rate = (t: number): number => {
  const h = (t % DAY) / HOUR;
  return h >= 12 && h < 14 ? 360_000 : 30_000;
};

/** A window's features as the closer stores them, with templates and redacted samples like real ones. */
function windowAt(partition: string, t: number): WindowFeatures {
  const w = emptyWindowFeatures(partition, t);
  const n = rate(t);
  w.features.count = n;
  w.features.bytes = n * 180;
  w.features.errorCount = Math.round(n * 0.01);
  w.features.errorRate = 0.01;
  w.features.warnRate = 0.04;
  for (let i = 0; i < 20; i++) {
    w.templates[`tmpl${String(i).padStart(2, '0')}`] = Math.round(n / 2 ** (i + 1));
    w.samples[`tmpl${String(i).padStart(2, '0')}`] = `2026-11-12T12:00:00Z INFO request ${i} served in <*> ms for user <*> path /api/v1/items/<*> status 200 bytes <*>`;
  }
  return w;
}

async function openShards(): Promise<{ summary: number; listed: number; status: string }> {
  const d = await stack.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stack.names.stream }));
  const l = await stack.clients.kinesis.send(new ListShardsCommand({ StreamName: stack.names.stream }));
  const open = (l.Shards ?? []).filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
  return { summary: d.StreamDescriptionSummary?.OpenShardCount ?? -1, listed: open.length, status: d.StreamDescriptionSummary?.StreamStatus ?? '' };
}

beforeAll(async () => {
  stack = await startLocalStack({ env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
  datasets = new ObjectStore({ client: stack.clients.s3, bucket: stack.names.datasetBucket });
  // History as the demo imports it: one gzip JSON-lines batch per partition and day (today until 11:20)...
  for (const p of PARTITIONS) {
    for (let d = D0; d <= TODAY; d += DAY) {
      const end = d === TODAY ? TODAY + 11 * HOUR + 20 * MIN : d + DAY;
      const list: WindowFeatures[] = [];
      for (let t = d; t < end; t += MIN) list.push(windowAt(p, t));
      await datasets.putJsonLines(windowBatchKey(p, new Date(d).toISOString().slice(0, 10), 'history'), list);
    }
    // ...and the last 40 minutes as the window closer writes them: one object per minute.
    for (let t = TODAY + 11 * HOUR + 20 * MIN; t < TODAY + 12 * HOUR; t += MIN) await datasets.putJson(windowFeaturesKey(p, t), windowAt(p, t));
  }
  capacity = createLocalCapacity({
    clients: stack.clients,
    names: stack.names,
    load: { eventsPerRecord: 4, wireBytesRatio: 1, loadMultiplier: 1 },
    print: (line) => printed.push(line),
    waitForActiveMs: 15_000,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('capacity on the emulators', () => {
  it('dry run at 11:55: reports a scale-up ahead of the 12:00 surge and leaves the stream unchanged', async () => {
    expect(await openShards()).toMatchObject({ summary: 2, listed: 2 });
    const t0 = Date.now();
    const r = (await capacity.tick(TODAY + 11 * HOUR + 55 * MIN, { dryRun: true }))!;
    bootstrapMs = Date.now() - t0;
    expect(r.observed.bootstrapped).toBe(true);
    expect(r.forecast?.recordsPerSecUpper).toBeGreaterThan(2_500);
    expect(r.decisions[0]).toMatchObject({ setting: 'shards', action: 'scale', current: 2, target: 4, outcome: 'dry-run' });
    expect(r.decisions[0].reason).toMatch(/dry run: not applied/);
    expect(await openShards()).toMatchObject({ summary: 2, listed: 2, status: 'ACTIVE' });
  }, 60_000);

  it('real run at 12:00: UpdateShardCount 2 -> 4 (UNIFORM_SCALING), and the stream shows 4 open shards', async () => {
    // Not due yet (5 simulated minutes between runs).
    expect(await capacity.tick(TODAY + 11 * HOUR + 57 * MIN)).toBeNull();
    const r = (await capacity.tick(TODAY + 12 * HOUR))!;
    expect(r.observed.bootstrapped).toBe(false);
    expect(r.decisions[0]).toMatchObject({ action: 'scale', current: 2, target: 4, outcome: 'applied' });
    expect(r.decisions[0].reason).toMatch(/forecast upper [\d,]+ records\/s needs 4 shards \(25% headroom\); scaling up 2 -> 4/);
    expect(r.openShardsAfter).toBe(4);
    expect(await openShards()).toMatchObject({ summary: 4, listed: 4, status: 'ACTIVE' });
    // The Lambda side is decided and reported, never faked.
    for (const d of r.decisions.slice(1)) expect(['hold', NOT_APPLIED_LOCALLY]).toContain(d.outcome);
    expect(printed.some((l) => l.includes('shards 2 -> 4 (applied)'))).toBe(true);
    expect(capacity.events.map((e) => e.detailType)).toEqual(['Capacity Adjusted', 'Capacity Adjusted']);
  }, 60_000);

  it('keeps its state (call recorded) in the state table and the shadow log in the dataset bucket', async () => {
    const doc = DynamoDBDocumentClient.from(stack.clients.dynamodb);
    const item = (await doc.send(new GetCommand({ TableName: stack.names.table, Key: { pk: CAPACITY_KEYS.pk(stack.names.stream), sk: CAPACITY_KEYS.sk } }))).Item!;
    expect(item.revision).toBeGreaterThanOrEqual(2);
    expect(item.shards.calls).toEqual([TODAY + 12 * HOUR]);
    const log = (await datasets.getJson<ShadowLog>(SHADOW_LOG_LATEST_KEY))!;
    expect(log.generatedAt).toBe(new Date(TODAY + 12 * HOUR).toISOString());
    expect(log.partitions.map((p) => p.partition)).toEqual(PARTITIONS);
    expect(log.partitions[0].levels.ERROR).toBeCloseTo(0.01, 2);
    expect(log.partitions[0].templates.top[0].id).toBe('tmpl00');
    const s = capacity.summary();
    expect(s).toMatchObject({ runs: 2, initialShards: 2, finalShards: 4, maxShards: 4 });
    expect(s.changes.map((c) => [c.from, c.to, c.outcome])).toEqual([
      [2, 4, 'dry-run'],
      [2, 4, 'applied'],
    ]);
    console.log(`capacity bootstrap (3 days + today, 2 partitions, batch files + minute objects) took ${bootstrapMs} ms`);
  });
});
