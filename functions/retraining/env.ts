/**
 * Dependencies of the retraining steps built from the environment the CDK stack sets on each step
 * Lambda (and the embedded runtime sets on the process). SageMaker clients are created lazily, with
 * endpoints from the SDK's standard variables (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME locally).
 */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { awsClients, requireEnv } from '../adapters/clients';
import { ObjectStore } from '../adapters/object-store';
import { ProfileStore } from '../adapters/profile-store';
import { ENV, RETRAINING_ENV, SCENARIO_ENV, SERVERLESS_DEFAULTS } from '../core/resources';
import type { DeployDeps } from './deploy';
import type { EndpointStatusDeps } from './endpoint-status';
import type { EvaluateDeps } from './evaluate';
import { sageMakerInvoker } from './model-invoker';
import type { PrepareDeps } from './prepare';
import type { PublishDeps } from './publish';
import { SageMakerHosting } from './sagemaker-hosting';

const store = (bucketEnv: string): ObjectStore => new ObjectStore({ client: awsClients().s3, bucket: requireEnv(bucketEnv) });
const profiles = (): ProfileStore => new ProfileStore({ client: awsClients().dynamodb, table: requireEnv(ENV.table), cacheTtlMs: 0 });

/**
 * PrepareDataset: HARBINGER_DATASET_BUCKET, HARBINGER_ANOMALY_BUCKET, HARBINGER_MODEL_BUCKET;
 * HARBINGER_MODEL_ENDPOINT names the jobs; HARBINGER_SYNTHETIC_BUCKET (optional) holds the scenario
 * runs whose windows the `scenarioData` flag sorts.
 */
export function prepareDepsFromEnv(): PrepareDeps {
  const synthetic = process.env[SCENARIO_ENV.syntheticBucket];
  return {
    datasets: store(ENV.datasetBucket),
    anomalies: store(ENV.anomalyBucket),
    models: store(ENV.modelBucket),
    jobPrefix: process.env[ENV.modelEndpoint] || undefined,
    runs: synthetic ? new ObjectStore({ client: awsClients().s3, bucket: synthetic }) : undefined,
  };
}

/** EvaluateChallenger: HARBINGER_MODEL_BUCKET, HARBINGER_TABLE. */
export function evaluateDepsFromEnv(): EvaluateDeps {
  return { models: store(ENV.modelBucket), profiles: profiles(), invoker: sageMakerInvoker(new SageMakerRuntimeClient({})) };
}

/** A positive integer from the environment, or the default. */
function intEnv(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/**
 * DeployModel: HARBINGER_MODEL_ENDPOINT; HARBINGER_SERVERLESS_MEMORY_MB and
 * HARBINGER_SERVERLESS_MAX_CONCURRENCY (optional, {@link SERVERLESS_DEFAULTS}).
 */
export function deployDepsFromEnv(): DeployDeps {
  const serverless = {
    memorySizeInMB: intEnv(RETRAINING_ENV.serverlessMemoryMb, SERVERLESS_DEFAULTS.memoryMb),
    maxConcurrency: intEnv(RETRAINING_ENV.serverlessMaxConcurrency, SERVERLESS_DEFAULTS.maxConcurrency),
  };
  return { hosting: new SageMakerHosting({ client: new SageMakerClient({}), serverless }), endpointName: requireEnv(ENV.modelEndpoint) };
}

/** CheckEndpoint: no variables. */
export function endpointStatusDepsFromEnv(): EndpointStatusDeps {
  return { hosting: new SageMakerHosting({ client: new SageMakerClient({}) }) };
}

/** PublishProfiles: HARBINGER_MODEL_BUCKET, HARBINGER_TABLE. */
export function publishDepsFromEnv(): PublishDeps {
  return { models: store(ENV.modelBucket), profiles: profiles(), invoker: sageMakerInvoker(new SageMakerRuntimeClient({})) };
}
