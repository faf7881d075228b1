/**
 * Dependencies of the scenario function built from the environment the ScenarioRunner construct
 * sets (and the embedded runtime sets on the process): the synthetic and anomaly buckets, the
 * stream, the bus, the allowed lateness; the state table (CURRENT profiles, the generation source),
 * the model endpoint named by the profiles (VAE samples), the dataset bucket and partition rules
 * (the realism check).
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { EventBridgeAlertPublisher } from '../adapters/alert-publisher';
import { awsClients, requireEnv } from '../adapters/clients';
import { SageMakerModelClient } from '../adapters/model-client';
import { ObjectStore } from '../adapters/object-store';
import { ProfileStore } from '../adapters/profile-store';
import { KinesisRecordStream } from '../adapters/record-stream';
import { parsePartitionRules } from '../core/partition';
import { ENV, SCENARIO_ENV } from '../core/resources';
import type { RealismDeps } from './realism';
import type { DirectDeps } from './direct';
import type { ReportDeps } from './report';

/** Everything the steps need. */
export type ScenarioDeps = DirectDeps & ReportDeps;

/** The pipeline's allowed lateness, ms (the window closer's own default: 120 s). */
export function latenessMsFromEnv(): number {
  const sec = Number(process.env[ENV.allowedLatenessSec] ?? 120);
  return (Number.isFinite(sec) && sec >= 0 ? sec : 120) * 1000;
}

/** Timeout of one VAE sample call (up to 48 hours x 60 windows), ms: far more than a score call needs, a serverless endpoint may be cold. */
export const SAMPLE_TIMEOUT_MS = 30_000;

/** The realism check's sources from the environment (HARBINGER_DATASET_BUCKET, HARBINGER_PARTITION_RULES, HARBINGER_DEFAULT_REGION). */
export function realismDepsFromEnv(profiles?: ProfileStore): RealismDeps {
  const bucket = process.env[ENV.datasetBucket];
  return {
    datasets: bucket ? new ObjectStore({ client: awsClients().s3, bucket }) : undefined,
    profiles,
    rules: parsePartitionRules(process.env[ENV.partitionRules]),
    defaultRegion: process.env[ENV.defaultRegion] ?? process.env.AWS_REGION ?? 'us-east-1',
  };
}

/**
 * HARBINGER_SYNTHETIC_BUCKET, HARBINGER_ANOMALY_BUCKET, HARBINGER_STREAM, HARBINGER_EVENT_BUS;
 * HARBINGER_ALLOWED_LATENESS_SEC, HARBINGER_TABLE (profiles: without it every partition comes from
 * the service generator), HARBINGER_DATASET_BUCKET (realism) (optional).
 */
export function scenarioDepsFromEnv(): ScenarioDeps {
  const clients = awsClients();
  const table = process.env[ENV.table];
  const profiles = table ? new ProfileStore({ client: clients.dynamodb, table, cacheTtlMs: 0 }) : undefined;
  return {
    profiles,
    // No endpoint of its own: each profile names the endpoint serving its model.
    model: new SageMakerModelClient({ client: clients.sagemakerRuntime, timeoutMs: SAMPLE_TIMEOUT_MS }),
    realism: realismDepsFromEnv(profiles),
    runs: new ObjectStore({ client: clients.s3, bucket: requireEnv(SCENARIO_ENV.syntheticBucket) }),
    anomalies: new ObjectStore({ client: clients.s3, bucket: requireEnv(ENV.anomalyBucket) }),
    stream: new KinesisRecordStream({ client: new KinesisClient({}), streamName: requireEnv(SCENARIO_ENV.stream) }),
    alerts: new EventBridgeAlertPublisher({ client: clients.eventbridge, busName: requireEnv(ENV.eventBus) }),
    latenessMs: latenessMsFromEnv(),
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
