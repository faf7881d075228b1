import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ListStreamsCommand,
  ResourceInUseException as KinesisResourceInUseException,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { STREAM_DEFAULTS, TABLE_SCHEMA, type ResourceNames } from '../../functions/core/resources';

/** The clients {@link provision} needs (e.g. from `localClients`). */
export interface ProvisionClients {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  s3: S3Client;
}

/** Options for {@link provision}. */
export interface ProvisionOptions {
  /** Shards of a newly created stream; `STREAM_DEFAULTS.shards` (2) by default, at least 2. An existing stream is left as it is. */
  shards?: number;
  /** Upper bound for waiting until the stream and the table are ACTIVE, 30 s by default. */
  timeoutMs?: number;
  /** Receives one line per resource. */
  log?: (msg: string) => void;
}

/** Provisioning failed: which resource, and why. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  constructor(
    readonly resource: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Error name check that also works across duplicated SDK packages. */
function isNamed(err: unknown, ...names: string[]): boolean {
  return err instanceof Error && names.includes(err.name);
}

async function waitFor<T>(
  resource: string,
  deadline: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 50,
): Promise<T> {
  let last: unknown;
  // Bounded by the deadline and by an attempt cap.
  for (let attempt = 0; attempt < 100_000; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  throw new ProvisionError(resource, `${resource} did not become ACTIVE in time${last ? `: ${(last as Error).message}` : ''}`, {
    cause: last,
  });
}

/** Lists stream names (bounded pagination); avoids provoking errors that kinesis-local logs with stack traces. */
async function streamExists(kinesis: KinesisClient, name: string): Promise<boolean> {
  let start: string | undefined;
  for (let page = 0; page < 100; page++) {
    const out = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: start, Limit: 100 }));
    const names = out.StreamNames ?? [];
    if (names.includes(name)) return true;
    if (!out.HasMoreStreams || names.length === 0) return false;
    start = names[names.length - 1];
  }
  return false;
}

async function provisionStream(kinesis: KinesisClient, name: string, shards: number, deadline: number, log: (m: string) => void): Promise<void> {
  if (await streamExists(kinesis, name)) {
    log(`kinesis stream ${name}: exists`);
  } else {
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      log(`kinesis stream ${name}: created with ${shards} shards`);
    } catch (err) {
      // Lost a race with a concurrent provision: fine.
      if (!(err instanceof KinesisResourceInUseException) && !isNamed(err, 'ResourceInUseException')) {
        throw new ProvisionError(`stream ${name}`, `CreateStream ${name} failed: ${(err as Error).message}`, { cause: err });
      }
      log(`kinesis stream ${name}: exists`);
    }
  }
  const summary = await waitFor(`stream ${name}`, deadline, async () => {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? out.StreamDescriptionSummary : undefined;
  });
  log(`kinesis stream ${name}: ACTIVE, ${summary.OpenShardCount ?? '?'} open shards`);
}

async function provisionTable(dynamodb: DynamoDBClient, name: string, deadline: number, log: (m: string) => void): Promise<void> {
  const idx = TABLE_SCHEMA.openIndex;
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_SCHEMA.sortKey, AttributeType: 'S' },
          { AttributeName: idx.partitionKey, AttributeType: 'S' },
          { AttributeName: idx.sortKey, AttributeType: 'N' },
        ],
        KeySchema: [
          { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: idx.name,
            KeySchema: [
              { AttributeName: idx.partitionKey, KeyType: 'HASH' },
              { AttributeName: idx.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    log(`dynamodb table ${name}: created`);
  } catch (err) {
    if (!(err instanceof ResourceInUseException) && !isNamed(err, 'ResourceInUseException')) {
      throw new ProvisionError(`table ${name}`, `CreateTable ${name} failed: ${(err as Error).message}`, { cause: err });
    }
    log(`dynamodb table ${name}: exists`);
  }
  await waitFor(`table ${name}`, deadline, async () => {
    const out = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    const t = out.Table;
    const indexesActive = (t?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    return t?.TableStatus === 'ACTIVE' && indexesActive ? t : undefined;
  });
  try {
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
      }),
    );
    log(`dynamodb table ${name}: TTL on ${TABLE_SCHEMA.ttlAttribute}`);
  } catch (err) {
    // dynalite has no UpdateTimeToLive; a second enable on real DynamoDB is a ValidationException. Neither matters locally.
    log(`dynamodb table ${name}: TTL not set (${(err as Error).name}: ${(err as Error).message})`);
  }
}

async function provisionBucket(s3: S3Client, bucket: string, log: (m: string) => void): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    log(`s3 bucket ${bucket}: created`);
  } catch (err) {
    if (err instanceof BucketAlreadyOwnedByYou || err instanceof BucketAlreadyExists || isNamed(err, 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists')) {
      log(`s3 bucket ${bucket}: exists`);
    } else {
      throw new ProvisionError(`bucket ${bucket}`, `CreateBucket ${bucket} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    throw new ProvisionError(`bucket ${bucket}`, `bucket ${bucket} not reachable after CreateBucket: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Creates the resources the handlers need, against the emulators (or any endpoint): the Kinesis stream
 * (waits until ACTIVE), the DynamoDB state table exactly per `TABLE_SCHEMA` (pk/sk strings plus the
 * sparse open-windows GSI `openShard` (S) / `windowStart` (N), projection ALL; TTL on `expiresAt` where
 * supported), and the anomaly, synthetic, dataset and model buckets. Idempotent: existing resources are kept
 * as they are (an existing stream is not resharded).
 * @throws ProvisionError naming the resource that failed
 */
export async function provision(clients: ProvisionClients, names: ResourceNames, options: ProvisionOptions = {}): Promise<void> {
  const shards = options.shards ?? STREAM_DEFAULTS.shards;
  if (!Number.isInteger(shards) || shards < 2) {
    throw new ProvisionError(`stream ${names.stream}`, `provision: shards must be an integer >= 2 (cross-shard merging is always exercised), got ${shards}`);
  }
  const log = options.log ?? (() => undefined);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  await Promise.all([
    provisionStream(clients.kinesis, names.stream, shards, deadline, log),
    provisionTable(clients.dynamodb, names.table, deadline, log),
    ...[names.anomalyBucket, names.syntheticBucket, names.datasetBucket, names.modelBucket].map((b) => provisionBucket(clients.s3, b, log)),
  ]);
}
