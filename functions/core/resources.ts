/**
 * One definition of every resource name, environment variable and event shape used by both worlds:
 * the CDK stack and the embedded runtime. Pure constants, no SDK.
 */

/** Logical resource names. The stack suffixes bucket names with account and region (global namespace). */
export interface ResourceNames {
  stream: string;
  table: string;
  anomalyBucket: string;
  syntheticBucket: string;
  datasetBucket: string;
  /** Training data sets, SageMaker model artifacts and proactive thresholds. */
  modelBucket: string;
  eventBus: string;
  /** Step Functions retraining state machine. */
  retrainingStateMachine: string;
  /** SageMaker endpoint serving the current champion model. */
  modelEndpoint: string;
}

/**
 * Resource names for a deployment.
 * @param prefix - name prefix, `harbinger` by default
 * @param suffix - appended to bucket names (e.g. `<account>-<region>` on AWS, nothing locally)
 */
export function resourceNames(prefix = 'harbinger', suffix?: string): ResourceNames {
  const bucket = (what: string): string => (suffix ? `${prefix}-${what}-${suffix}` : `${prefix}-${what}`);
  return {
    stream: `${prefix}-logs`,
    table: `${prefix}-state`,
    anomalyBucket: bucket('anomalies'),
    syntheticBucket: bucket('synthetic'),
    datasetBucket: bucket('datasets'),
    modelBucket: bucket('models'),
    eventBus: `${prefix}-bus`,
    retrainingStateMachine: `${prefix}-retraining`,
    modelEndpoint: `${prefix}-vae`,
  };
}

/** Environment variables the handlers read. Set by the CDK stack and by the embedded runtime. */
export const ENV = {
  table: 'HARBINGER_TABLE',
  anomalyBucket: 'HARBINGER_ANOMALY_BUCKET',
  datasetBucket: 'HARBINGER_DATASET_BUCKET',
  eventBus: 'HARBINGER_EVENT_BUS',
  partitionRules: 'HARBINGER_PARTITION_RULES',
  defaultRegion: 'HARBINGER_DEFAULT_REGION',
  allowedLatenessSec: 'HARBINGER_ALLOWED_LATENESS_SEC',
  profileCacheTtlSec: 'HARBINGER_PROFILE_CACHE_TTL_SEC',
  modelBucket: 'HARBINGER_MODEL_BUCKET',
  /** SageMaker endpoint name the closer invokes; unset = statistical detectors only. */
  modelEndpoint: 'HARBINGER_MODEL_ENDPOINT',
  /** InvokeEndpoint timeout, ms (default 3000). */
  modelTimeoutMs: 'HARBINGER_MODEL_TIMEOUT_MS',
} as const;

/** DynamoDB single-table key layout (pk/sk strings). */
export const KEYS = {
  profilePk: (partition: string): string => `PROFILE#${partition}`,
  profileVersionSk: (version: number): string => `V#${String(version).padStart(10, '0')}`,
  currentSk: 'CURRENT',
  windowPk: (partition: string): string => `WINDOW#${partition}`,
  windowSk: (windowStart: number): string => `M#${new Date(windowStart).toISOString()}`,
  statePk: (partition: string): string => `STATE#${partition}`,
  stateSk: 'DETECTORS',
  /** Sparse GSI listing windows still open; sharded to avoid one hot key. */
  openIndex: 'open-windows',
  openShards: 4,
  openPk: (shard: number): string => `OPEN#${shard}`,
} as const;

/** EventBridge source and detail-types. */
export const EVENTS = {
  source: 'harbinger',
  anomalyDetected: 'Log Anomaly Detected',
  anomalyPredicted: 'Log Anomaly Predicted',
  /** An incident (grouped anomalies of one partition and kind) cleared. */
  anomalyResolved: 'Log Anomaly Resolved',
  capacityAdjusted: 'Capacity Adjusted',
  scenarioRunCompleted: 'Scenario Run Completed',
} as const;

/** S3 object key for an anomaly (deterministic, so a retried write overwrites itself). */
export function anomalyKey(partition: string, windowStart: number, id: string): string {
  const d = new Date(windowStart).toISOString();
  return `anomalies/partition=${encodeURIComponent(partition)}/date=${d.slice(0, 10)}/${d.slice(11, 16).replace(':', '')}-${id}.json`;
}

/**
 * S3 object key (anomaly bucket) of the label a person gave an anomaly: the anomaly's key under
 * `labels/` instead of `anomalies/`, so a relabel overwrites it (idempotent).
 */
export function labelKey(partition: string, windowStart: number, anomalyId: string): string {
  return anomalyKey(partition, windowStart, anomalyId).replace(/^anomalies\//, 'labels/');
}

/** Prefix of a partition's stored anomalies (`kind` 'anomalies') or labels ('labels') in the anomaly bucket. */
export function partitionPrefix(kind: 'anomalies' | 'labels', partition: string): string {
  return `${kind}/partition=${encodeURIComponent(partition)}/`;
}

/** S3 object key for a closed window's features (training data). */
export function windowFeaturesKey(partition: string, windowStart: number): string {
  const d = new Date(windowStart).toISOString();
  return `windows/partition=${encodeURIComponent(partition)}/date=${d.slice(0, 10)}/${d.slice(11, 16).replace(':', '')}.json`;
}

/**
 * The state table's key schema, written once: the CDK construct and local provisioning both read it.
 * Single table: profiles (versions + CURRENT pointer), open/closed windows, detector state.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  openIndex: {
    name: KEYS.openIndex,
    partitionKey: 'openShard',
    /** Window start, epoch ms (Number). */
    sortKey: 'windowStart',
  },
  /** TTL attribute (epoch seconds) on window items. */
  ttlAttribute: 'expiresAt',
} as const;

/** Stream settings shared by both worlds. */
export const STREAM_DEFAULTS = {
  /** At least two shards, so the cross-shard merge path is always exercised. */
  shards: 2,
  retentionHours: 24,
} as const;

/** S3 key of a batch of window features (JSON lines, gzip): history imports write these. */
export function windowBatchKey(partition: string, date: string, name: string): string {
  return `windows/partition=${encodeURIComponent(partition)}/date=${date}/batch-${name}.jsonl.gz`;
}

/** S3 prefix of every window-features object of a partition. */
export function windowsPrefix(partition: string): string {
  return `windows/partition=${encodeURIComponent(partition)}/`;
}

/** S3 key of a partition's learned template catalogue and ordered patterns (history imports). */
export function catalogueKey(partition: string): string {
  return `catalogue/partition=${encodeURIComponent(partition)}/catalogue.json`;
}

/** S3 prefix of one retraining run's data set (channels `train/` and `holdout/`). */
export function trainingPrefix(jobName: string): string {
  return `training/${jobName}/`;
}

/** S3 key of a partition's proactive thresholds computed by one model version. */
export function thresholdsKey(partition: string, modelVersion: string): string {
  return `thresholds/partition=${encodeURIComponent(partition)}/${modelVersion}.json`;
}

/**
 * Environment variables of the retraining steps that only the CDK stack sets (the shared ones are
 * {@link ENV}); the Retraining construct sets them, the deploy step reads them.
 */
export const RETRAINING_ENV = {
  /** ARN of the SageMaker execution role passed to CreateModel (deploy step). */
  sagemakerRoleArn: 'HARBINGER_SAGEMAKER_ROLE_ARN',
  /** ECR URI of the model image (training and serving; deploy step). */
  modelImageUri: 'HARBINGER_MODEL_IMAGE_URI',
  /** Memory of the serverless endpoint, MB: 1024..6144 in steps of 1024 (deploy step). */
  serverlessMemoryMb: 'HARBINGER_SERVERLESS_MEMORY_MB',
  /** Maximum concurrent invocations of the serverless endpoint, 1..200 (deploy step). */
  serverlessMaxConcurrency: 'HARBINGER_SERVERLESS_MAX_CONCURRENCY',
} as const;

/** Defaults of the serverless endpoint settings above. */
export const SERVERLESS_DEFAULTS = {
  memoryMb: 3072,
  maxConcurrency: 5,
} as const;

/** Default SageMaker training instance type (`TrainingInstanceType` substitution). */
export const DEFAULT_TRAINING_INSTANCE_TYPE = 'ml.m5.large';

/**
 * S3 prefix (synthetic bucket) of one scenario run: `spec.json`, `labels.json` (ground truth),
 * `events.jsonl.gz` (the generated log events) and `report.json`.
 */
export function scenarioRunPrefix(runId: string): string {
  return `scenario-runs/${encodeURIComponent(runId)}/`;
}
