import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamsCommand,
  UpdateShardCountCommand,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, resourceNames, TABLE_SCHEMA, type ResourceNames } from '../../functions/core/resources';
import { destroyClients, localClients, type LocalClients } from '../../infra/local/clients';
import { startEmulators, type Emulators } from '../../infra/local/emulators';
import { BatchDroppedError, compareSequenceNumbers, KinesisPoller, type KinesisPollerOptions } from '../../infra/local/poller';
import { provision } from '../../infra/local/provision';
import { PayloadTooLargeError, putPayloads } from '../../infra/local/replay';

let emulators: Emulators;
let clients: LocalClients;
let names: ResourceNames;
const pollers: KinesisPoller[] = [];

interface Delivery {
  event: KinesisStreamEvent;
  context: Context;
  shardId: string;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
const shardOf = (eventID: string): string => eventID.slice(0, eventID.indexOf(':'));

/** A poller whose handler records every delivery; `respond` decides the response. */
function capturingPoller(
  streamName: string,
  respond: (event: KinesisStreamEvent, nth: number) => KinesisStreamBatchResponse | void = () => undefined,
  extra: Partial<KinesisPollerOptions> = {},
): { poller: KinesisPoller; deliveries: Delivery[]; errors: Error[] } {
  const deliveries: Delivery[] = [];
  const errors: Error[] = [];
  const poller = new KinesisPoller({
    kinesis: clients.kinesis,
    streamName,
    pollIntervalMs: 50,
    shardSyncIntervalMs: 200,
    retryDelayMs: 10,
    handler: async (event, context) => {
      deliveries.push({ event, context, shardId: shardOf(event.Records[0].eventID) });
      return respond(event, deliveries.length);
    },
    onError: (err) => errors.push(err),
    ...extra,
  });
  pollers.push(poller);
  return { poller, deliveries, errors };
}

async function createStream(name: string, shards = 2): Promise<void> {
  await provision(clients, { ...names, stream: name }, { shards });
}

async function waitActive(stream: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const out = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`stream ${stream} not ACTIVE`);
}

beforeAll(async () => {
  emulators = await startEmulators();
  // Measured on every run; visible with --reporter=verbose or in CI logs.
  console.info(`emulator startup: ${JSON.stringify(emulators.startup)}`);
  clients = localClients(emulators.endpoints);
  names = resourceNames('itest');
  await provision(clients, names);
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
  if (clients) destroyClients(clients);
  await emulators?.stop();
});

describe('emulators', () => {
  it('listen on 127.0.0.1 and start within a few seconds', () => {
    for (const url of Object.values(emulators.endpoints)) expect(new URL(url).hostname).toBe('127.0.0.1');
    // ~1.5 s on an idle 2-CPU machine, ~8 s at load average 11; the bound only catches a hang.
    expect(emulators.startup.totalMs).toBeLessThan(30_000);
    expect(emulators.env).toMatchObject({
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_KINESIS: emulators.endpoints.kinesis,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: emulators.endpoints.s3,
      HARBINGER_LOCAL: '1',
    });
  });

  it('env alone makes default-configured SDK clients reach the emulators (AWS_ENDPOINT_URL_<SERVICE>)', async () => {
    const saved = { ...process.env };
    for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) delete process.env[k];
    Object.assign(process.env, emulators.env);
    // No endpoint, region or credentials in code: all from env. The Kinesis client still needs an
    // HTTP/1.1 handler: its default HTTP/2 (h2c) handler fails ~1 call in 4 against kinesis-local
    // with "Protocol error" (ERR_HTTP2_ERROR), not retried by the SDK.
    const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
    const dynamodb = new DynamoDBClient({});
    const s3 = new S3Client({});
    try {
      expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toContain(names.stream);
      expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toContain(names.table);
      expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(names.anomalyBucket);
      const body = gzipSync(Buffer.from('{"env":true}'));
      await s3.send(new PutObjectCommand({ Bucket: names.datasetBucket, Key: 'env/check.json.gz', Body: body }));
      const got = await s3.send(new GetObjectCommand({ Bucket: names.datasetBucket, Key: 'env/check.json.gz' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    } finally {
      kinesis.destroy();
      dynamodb.destroy();
      s3.destroy();
      process.env = saved;
    }
  });
});

describe('provision', () => {
  it('creates the table exactly per TABLE_SCHEMA and is idempotent', async () => {
    await provision(clients, names); // second run on existing resources
    const table = (await clients.dynamodb.send(new DescribeTableCommand({ TableName: names.table }))).Table!;
    expect(table.KeySchema).toEqual([
      { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ]);
    const gsi = table.GlobalSecondaryIndexes?.find((g) => g.IndexName === TABLE_SCHEMA.openIndex.name);
    expect(gsi?.KeySchema).toEqual([
      { AttributeName: TABLE_SCHEMA.openIndex.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.openIndex.sortKey, KeyType: 'RANGE' },
    ]);
    const types = Object.fromEntries((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
    expect(types).toEqual({ pk: 'S', sk: 'S', openShard: 'S', windowStart: 'N' });
    const shards = await clients.kinesis.send(new ListShardsCommand({ StreamName: names.stream }));
    expect(shards.Shards?.length).toBe(2);
  });

  it('rejects fewer than two shards', async () => {
    await expect(provision(clients, { ...names, stream: 'itest-one' }, { shards: 1 })).rejects.toThrow(/shards must be an integer >= 2/);
  });
});

describe('Kinesis -> poller', () => {
  it('delivers real KinesisStreamEvents from both shards', async () => {
    const stream = 'itest-shape';
    await createStream(stream);
    const { poller, deliveries } = capturingPoller(stream, undefined, { functionName: 'harbinger-scorer' });
    await poller.start();
    const payloads = Array.from({ length: 60 }, (_, i) => ({ data: text(`{"n":${i}}`), partitionKey: `svc-${i}#us-east-1` }));
    const before = Date.now() / 1000;
    const put = await putPayloads(clients.kinesis, stream, payloads);
    expect(put).toEqual({ records: 60, failed: 0 });
    await poller.waitUntilIdle({ timeoutMs: 20_000, idleMs: 300 });

    const records = deliveries.flatMap((d) => d.event.Records);
    expect(records.map((r) => decode(r.kinesis.data)).sort()).toEqual(payloads.map((p) => new TextDecoder().decode(p.data)).sort());
    expect(new Set(deliveries.map((d) => d.shardId))).toEqual(new Set(['shardId-000000000000', 'shardId-000000000001']));

    const arn = (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary!.StreamARN;
    const r = records[0];
    expect(r).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: expect.stringMatching(/^svc-\d+#us-east-1$/),
        sequenceNumber: expect.stringMatching(/^\d+$/),
        data: expect.any(String),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardOf(r.eventID)}:${r.kinesis.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//),
      awsRegion: 'us-east-1',
      eventSourceARN: arn,
    });
    expect(arn).toMatch(/^arn:aws:kinesis:us-east-1:\d{12}:stream\/itest-shape$/);
    // Seconds with a fraction, like Lambda.
    expect(r.kinesis.approximateArrivalTimestamp).toBeGreaterThan(before - 5);
    expect(r.kinesis.approximateArrivalTimestamp).toBeLessThan(Date.now() / 1000 + 5);
    // Per shard, records arrive in sequence order.
    for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
      const seqs = records.filter((x) => shardOf(x.eventID) === shard).map((x) => x.kinesis.sequenceNumber);
      expect([...seqs].sort(compareSequenceNumbers)).toEqual(seqs);
    }

    const ctx = deliveries[0].context;
    expect(ctx.functionName).toBe('harbinger-scorer');
    expect(ctx.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.invokedFunctionArn).toBe(`arn:aws:lambda:us-east-1:${arn!.split(':')[4]}:function:harbinger-scorer`);
    expect(ctx.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(new Set(deliveries.map((d) => d.context.awsRequestId)).size).toBe(deliveries.length);
    expect(poller.stats()).toMatchObject({ records: 60, failures: 0, retries: 0, dropped: 0 });
  });

  it('re-delivers exactly from the lowest batchItemFailure sequence number', async () => {
    const stream = 'itest-partial';
    await createStream(stream);
    // One partition key: all records land on one shard, in order.
    const payloads = Array.from({ length: 10 }, (_, i) => ({ data: text(`rec-${i}`), partitionKey: 'one-key' }));
    await putPayloads(clients.kinesis, stream, payloads);
    let failedSeq = '';
    const { poller, deliveries } = capturingPoller(stream, (event, nth) => {
      if (nth === 1) {
        // Fail records 6 and 4: the lowest (4) is where re-delivery must start.
        failedSeq = event.Records[4].kinesis.sequenceNumber;
        return { batchItemFailures: [{ itemIdentifier: event.Records[6].kinesis.sequenceNumber }, { itemIdentifier: failedSeq }] };
      }
      return { batchItemFailures: [] };
    });
    await poller.start();
    await poller.waitUntilIdle({ timeoutMs: 20_000, idleMs: 300 });

    expect(deliveries.length).toBe(2);
    const first = deliveries[0].event.Records.map((r) => decode(r.kinesis.data));
    const second = deliveries[1].event.Records.map((r) => decode(r.kinesis.data));
    expect(first).toEqual(payloads.map((_, i) => `rec-${i}`));
    expect(second).toEqual(payloads.slice(4).map((_, i) => `rec-${i + 4}`));
    expect(deliveries[1].event.Records[0].kinesis.sequenceNumber).toBe(failedSeq);
    expect(poller.stats()).toMatchObject({ batches: 2, records: 16, failures: 2, retries: 1, dropped: 0 });
  });

  it('retries a throwing batch, and drops a poison record after maxRetries, then moves on', async () => {
    const stream = 'itest-poison';
    await createStream(stream);
    await putPayloads(
      clients.kinesis,
      stream,
      ['ok-0', 'boom-once', 'poison', 'ok-3'].map((s) => ({ data: text(s), partitionKey: 'same' })),
    );
    let thrown = false;
    const seen: string[] = [];
    const { poller, errors } = capturingPoller(
      stream,
      (event) => {
        const data = event.Records.map((r) => decode(r.kinesis.data));
        seen.push(data.join(','));
        if (data.includes('boom-once') && !thrown) {
          thrown = true;
          throw new Error('transient');
        }
        const poison = event.Records.find((r) => decode(r.kinesis.data) === 'poison');
        return poison ? { batchItemFailures: [{ itemIdentifier: poison.kinesis.sequenceNumber }] } : undefined;
      },
      { maxRetries: 2, batchSize: 2 },
    );
    await poller.start();
    // Batch 2 is ['poison','ok-3']: maxRetries 2 -> 3 attempts, then the batch (from 'poison' on) is dropped.
    await poller.waitUntilIdle({ timeoutMs: 20_000, idleMs: 300 });
    expect(seen).toEqual(['ok-0,boom-once', 'ok-0,boom-once', 'poison,ok-3', 'poison,ok-3', 'poison,ok-3']);
    const dropped = errors.filter((e): e is BatchDroppedError => e instanceof BatchDroppedError);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ records: 2, attempts: 3 });
    expect(errors.some((e) => e.name === 'HandlerInvocationError')).toBe(true);
    expect(poller.stats()).toMatchObject({ retries: 3, dropped: 2 });

    // Later records still flow.
    await putPayloads(clients.kinesis, stream, [{ data: text('after'), partitionKey: 'same' }]);
    await poller.waitUntilIdle({ timeoutMs: 20_000, idleMs: 300 });
    expect(seen.at(-1)).toBe('after');
  });

  it('follows UpdateShardCount 2 -> 4: parents drained first, new records from the children', async () => {
    const stream = 'itest-reshard';
    await createStream(stream);
    const { poller, deliveries } = capturingPoller(stream);
    await poller.start();
    const batchA = Array.from({ length: 20 }, (_, i) => ({ data: text(`a-${i}`), partitionKey: `key-${i}` }));
    await putPayloads(clients.kinesis, stream, batchA);
    await poller.waitUntilIdle({ timeoutMs: 20_000, idleMs: 200 });

    await clients.kinesis.send(new UpdateShardCountCommand({ StreamName: stream, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
    await waitActive(stream);
    const open = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    expect(open.StreamDescriptionSummary?.OpenShardCount).toBe(4);

    const batchB = Array.from({ length: 40 }, (_, i) => ({ data: text(`b-${i}`), partitionKey: `key-${i}` }));
    const put = await putPayloads(clients.kinesis, stream, batchB);
    expect(put.failed).toBe(0);
    await poller.waitUntilIdle({ timeoutMs: 20_000, idleMs: 300 });

    const got = deliveries.flatMap((d) => d.event.Records.map((r) => ({ shard: shardOf(r.eventID), data: decode(r.kinesis.data) })));
    expect(got.filter((g) => g.data.startsWith('a-')).length).toBe(20);
    const b = got.filter((g) => g.data.startsWith('b-'));
    expect(b.map((g) => g.data).sort()).toEqual(batchB.map((p) => new TextDecoder().decode(p.data)).sort());
    const childShards = new Set(b.map((g) => g.shard));
    expect([...childShards].every((s) => s !== 'shardId-000000000000' && s !== 'shardId-000000000001')).toBe(true);
    expect(childShards.size).toBeGreaterThanOrEqual(2);

    const status = poller.shardStatus();
    expect(status.filter((s) => s.parents.length === 0).every((s) => s.status === 'finished')).toBe(true);
    expect(status.filter((s) => s.parents.length > 0 && s.status === 'running')).toHaveLength(4);
  });

  it('LATEST skips what was there before start', async () => {
    const stream = 'itest-latest';
    await createStream(stream);
    await putPayloads(clients.kinesis, stream, [{ data: text('old'), partitionKey: 'k' }]);
    const { poller, deliveries } = capturingPoller(stream, undefined, { startingPosition: 'LATEST' });
    await poller.start();
    await putPayloads(clients.kinesis, stream, [{ data: text('new'), partitionKey: 'k' }]);
    await poller.waitUntilIdle({ timeoutMs: 20_000, idleMs: 300 });
    expect(deliveries.flatMap((d) => d.event.Records.map((r) => decode(r.kinesis.data)))).toEqual(['new']);
  });

  it('stop() returns promptly', async () => {
    const { poller } = capturingPoller(names.stream, undefined, { pollIntervalMs: 5_000 });
    await poller.start();
    const t0 = Date.now();
    await poller.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

describe('putPayloads', () => {
  it('chunks at 500 records and reports progress', async () => {
    const stream = 'itest-bulk';
    await createStream(stream);
    const progress: Array<[number, number]> = [];
    const payloads = Array.from({ length: 1_201 }, (_, i) => ({ data: text(`x${i}`), partitionKey: `p${i % 7}` }));
    const out = await putPayloads(clients.kinesis, stream, payloads, { onProgress: (d, t) => progress.push([d, t]) });
    expect(out).toEqual({ records: 1_201, failed: 0 });
    expect(progress).toEqual([
      [500, 1_201],
      [1_000, 1_201],
      [1_201, 1_201],
    ]);
  });

  it('refuses a record over 1 MiB before putting anything', async () => {
    await expect(
      putPayloads(clients.kinesis, names.stream, [{ data: new Uint8Array(1024 * 1024 + 1), partitionKey: 'k' }]),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
  });
});

describe('DynamoDB (dynalite)', () => {
  it('conditional UpdateItem with ADD, guarded by the batch id, counts a batch once', async () => {
    const doc = DynamoDBDocumentClient.from(clients.dynamodb);
    const windowStart = Date.UTC(2026, 0, 1, 12, 0);
    const key = { pk: KEYS.windowPk('checkout#us-east-1'), sk: KEYS.windowSk(windowStart) };
    const add = (batchId: string, count: number) =>
      doc.send(
        new UpdateCommand({
          TableName: names.table,
          Key: key,
          UpdateExpression: 'ADD #count :n, #batches :ids SET #openShard = :shard, #windowStart = :ws',
          ConditionExpression: 'attribute_not_exists(#batches) OR NOT contains(#batches, :id)',
          ExpressionAttributeNames: {
            '#count': 'count',
            '#batches': 'batchIds',
            '#openShard': TABLE_SCHEMA.openIndex.partitionKey,
            '#windowStart': TABLE_SCHEMA.openIndex.sortKey,
          },
          ExpressionAttributeValues: { ':n': count, ':ids': new Set([batchId]), ':id': batchId, ':shard': KEYS.openPk(1), ':ws': windowStart },
          ReturnValues: 'ALL_NEW',
        }),
      );
    await add('shard-0:1', 5);
    const second = await add('shard-1:1', 7);
    expect(second.Attributes?.count).toBe(12);
    await expect(add('shard-0:1', 5)).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    const open = await doc.send(
      new QueryCommand({
        TableName: names.table,
        IndexName: TABLE_SCHEMA.openIndex.name,
        KeyConditionExpression: '#s = :s AND #w <= :w',
        ExpressionAttributeNames: { '#s': TABLE_SCHEMA.openIndex.partitionKey, '#w': TABLE_SCHEMA.openIndex.sortKey },
        ExpressionAttributeValues: { ':s': KEYS.openPk(1), ':w': windowStart },
      }),
    );
    expect(open.Items?.map((i) => i.count)).toEqual([12]);
  });
});

describe('S3 (s3rver)', () => {
  it('round-trips a gzip body byte-exactly (buffer and stream uploads)', async () => {
    const json = JSON.stringify({ events: Array.from({ length: 2_000 }, (_, i) => ({ i, msg: `line ${i} ${'x'.repeat(i % 50)}` })) });
    const gz = gzipSync(Buffer.from(json));
    await clients.s3.send(
      new PutObjectCommand({ Bucket: names.anomalyBucket, Key: 'a/b.json.gz', Body: gz, ContentType: 'application/json', ContentEncoding: 'gzip' }),
    );
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: names.anomalyBucket, Key: 'a/b.json.gz' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.equals(gz)).toBe(true);
    expect(gunzipSync(bytes).toString()).toBe(json);

    // A streamed body is where checksum trailers (aws-chunked) would corrupt the stored object.
    await clients.s3.send(
      new PutObjectCommand({ Bucket: names.datasetBucket, Key: 'stream.gz', Body: Readable.from([gz]), ContentLength: gz.length }),
    );
    const streamed = await clients.s3.send(new GetObjectCommand({ Bucket: names.datasetBucket, Key: 'stream.gz' }));
    expect(Buffer.from(await streamed.Body!.transformToByteArray()).equals(gz)).toBe(true);
  });
});
