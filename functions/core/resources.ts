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
  /** CloudWatch dashboard of the deployment. */
  dashboard: string;
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
    dashboard: `${prefix}-overview`,
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
  /** Remediation attempts of one rule, one item per incident. */
  remediationPk: (ruleId: string): string => `REMEDIATION#${ruleId}`,
  remediationSk: (incidentId: string): string => `INCIDENT#${incidentId}`,
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

/**
 * S3 object key (anomaly bucket) of an early warning ("Log Anomaly Predicted"), by the window it was
 * issued after; rewritten with each change of the prediction (idempotent).
 */
export function predictionKey(partition: string, issuedAt: number, predictionId: string): string {
  return anomalyKey(partition, issuedAt, predictionId).replace(/^anomalies\//, 'predictions/');
}

/** Prefix of a partition's stored anomalies (`kind` 'anomalies'), labels ('labels') or early warnings ('predictions') in the anomaly bucket. */
export function partitionPrefix(kind: 'anomalies' | 'labels' | 'predictions', partition: string): string {
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

/** S3 prefix (synthetic bucket) of every scenario run. */
export const SCENARIO_RUNS_PREFIX = 'scenario-runs/';

/**
 * S3 prefix (synthetic bucket) of one scenario run: `spec.json`, `labels.json` (ground truth),
 * `events.jsonl.gz` (the generated log events) and `report.json`.
 */
export function scenarioRunPrefix(runId: string): string {
  return `${SCENARIO_RUNS_PREFIX}${encodeURIComponent(runId)}/`;
}

/** Name of the scenario-run state machine (console-triggered scenario runs, infra/scenario/definition.ts). */
export function scenarioStateMachineName(prefix = 'harbinger'): string {
  return `${prefix}-scenario-runs`;
}

/** Environment variables only the scenario Lambda reads (the shared ones are {@link ENV}). */
export const SCENARIO_ENV = {
  /** Synthetic bucket: scenario runs are stored under {@link scenarioRunPrefix}. */
  syntheticBucket: 'HARBINGER_SYNTHETIC_BUCKET',
  /** Kinesis stream the replay puts records on (the stream the scorer reads). */
  stream: 'HARBINGER_STREAM',
  /** The scenario state machine's name (the direct invoke's "too long, use the state machine" error names it). */
  stateMachine: 'HARBINGER_SCENARIO_STATE_MACHINE',
} as const;

/**
 * S3 keys (synthetic bucket) of one scenario run, all under {@link scenarioRunPrefix}: what the run
 * is (`spec.json`, a valid custom spec; `manifest.json`), its ground truth and events, the replay's
 * per-minute payload chunks and per-request progress markers, and the report with every anomaly's
 * verdict.
 */
export function scenarioRunKeys(runId: string) {
  const prefix = scenarioRunPrefix(runId);
  const minute = (index: number): string => `m${String(index).padStart(5, '0')}`;
  return {
    prefix,
    spec: `${prefix}spec.json`,
    manifest: `${prefix}manifest.json`,
    labels: `${prefix}labels.json`,
    events: `${prefix}events.jsonl.gz`,
    report: `${prefix}report.json`,
    labelledAnomalies: `${prefix}labelled-anomalies.json`,
    /** One minute's subscription payloads and their put plan. */
    chunk: (index: number): string => `${prefix}replay/${minute(index)}.json.gz`,
    /** Prefix of the progress markers of one minute. */
    doneMinutePrefix: (index: number): string => `${prefix}replay/done/${minute(index)}-`,
    /** Marker of one PutRecords request of one minute, written once that request is settled. */
    done: (index: number, request: number): string => `${prefix}replay/done/${minute(index)}-r${String(request).padStart(4, '0')}.json`,
  } as const;
}

/** The detail of a "Scenario Run Completed" event ({@link EVENTS}.scenarioRunCompleted). */
export interface ScenarioRunCompletedDetail {
  runId: string;
  /** Scenario name (library name, or the custom spec's name). */
  name: string;
  /**
   * `reported`: replayed into the stream and scored by the pipeline, report written;
   * `generated`: events, labels and spec stored only (replay off);
   * `replayed`: replayed, no report (direct Lambda invoke).
   */
  status: 'reported' | 'generated' | 'replayed';
  /** Bucket and prefix of the run's objects, and the same as an s3:// URI. */
  bucket: string;
  prefix: string;
  s3Uri: string;
  /** The generated stretch, ISO 8601. */
  start: string;
  end: string;
  partitions: string[];
  incidents: number;
  events: number;
  /** Kinesis records put, and records still rejected after retries (null without replay). */
  recordsPut: number | null;
  recordsFailed: number | null;
  /** Ground-truth scores (null unless `reported`). */
  recall: number | null;
  precision: number | null;
  anomalies: number | null;
  falseAnomalies: number | null;
  meanDelayMin: number | null;
  /** One sentence for humans. */
  message: string;
}

/**
 * Environment variables of the capacity function (the shared ones are {@link ENV}). The Capacity
 * construct sets them; the embedded runtime passes the same values as options.
 */
export const CAPACITY_ENV = {
  /** Kinesis stream whose shard count is managed (the same variable as SCENARIO_ENV.stream). */
  stream: 'HARBINGER_STREAM',
  /** Scorer function name (Get/UpdateFunctionConfiguration); unset = Lambda-side actions only reported. */
  scorerFunction: 'HARBINGER_SCORER_FUNCTION',
  /** UUID of the scorer's Kinesis event source mapping (Get/UpdateEventSourceMapping). */
  scorerMapping: 'HARBINGER_SCORER_MAPPING_UUID',
  /** `true`: every run only reports (an event's own `dryRun` wins). */
  dryRun: 'HARBINGER_CAPACITY_DRY_RUN',
  /** Shard floor and ceiling (defaults in functions/core/capacity.ts). */
  minShards: 'HARBINGER_CAPACITY_MIN_SHARDS',
  maxShards: 'HARBINGER_CAPACITY_MAX_SHARDS',
  /** Log events per Kinesis record (subscription payloads batch events), default 4. */
  eventsPerRecord: 'HARBINGER_CAPACITY_EVENTS_PER_RECORD',
  /** Scorer CPU time per event, ms (the compute model), default 0.05. */
  cpuMsPerEvent: 'HARBINGER_CAPACITY_CPU_MS_PER_EVENT',
  /** How far ahead decisions look, minutes, default 15. */
  horizonMinutes: 'HARBINGER_CAPACITY_HORIZON_MIN',
} as const;

/** State-table key of the capacity function's state for one stream (forecaster, mixes, call history). */
export const CAPACITY_KEYS = {
  pk: (stream: string): string => `CAPACITY#${stream}`,
  sk: 'STATE',
} as const;

/** Dataset-bucket prefix of the shadow log (the capacity function writes only here). */
export const SHADOW_PREFIX = 'shadow/';

/** Dataset-bucket key of the latest shadow log (overwritten by every capacity run). */
export const SHADOW_LOG_LATEST_KEY = `${SHADOW_PREFIX}latest.json`;

/** Dataset-bucket key of the shadow log of one run (kept, so forecasts can be checked against what came). */
export function shadowLogKey(time: number): string {
  const d = new Date(time).toISOString();
  return `${SHADOW_PREFIX}date=${d.slice(0, 10)}/${d.slice(11, 16).replace(':', '')}.json`;
}

/** One capacity setting the capacity function decided on, as carried by a "Capacity Adjusted" event. */
export interface CapacitySettingReport {
  /** `shards` (UpdateShardCount), `scorerMemoryMb` (UpdateFunctionConfiguration), `parallelizationFactor` (UpdateEventSourceMapping). */
  setting: 'shards' | 'scorerMemoryMb' | 'parallelizationFactor';
  action: 'scale' | 'hold';
  current: number;
  target: number;
  /** What the forecast needs (clamped to the floor and ceiling). */
  required: number;
  /**
   * What happened: `applied`; `dry-run` (reported only); `hold`; `skipped: <why>` (e.g. `skipped:
   * stream updating`); `failed: <error>`; `not applied locally: no Lambda service`.
   */
  outcome: string;
  reason: string;
  confidence: number;
}

/** The detail of a "Capacity Adjusted" event ({@link EVENTS}.capacityAdjusted): one per run that decided to change something. */
export interface CapacityAdjustedDetail {
  stream: string;
  /** The run's time (the schedule's time, or the simulated clock), ISO 8601. */
  time: string;
  dryRun: boolean;
  decisions: CapacitySettingReport[];
  /** The forecast the decisions used (whole stream, per second, over the horizon). */
  forecast: {
    horizonStart: string;
    horizonEnd: string;
    recordsPerSecMean: number;
    recordsPerSecUpper: number;
    bytesPerSecMean: number;
    bytesPerSecUpper: number;
    eventsPerSecUpper: number;
    confidence: number;
  } | null;
  /** Partitions about to become active (pre-warming), from the shadow log. */
  waking: string[];
  /** Dataset-bucket key of the shadow log this run wrote. */
  shadowLogKey: string | null;
}

/** Environment variables only the remediation Lambda reads. */
export const REMEDIATION_ENV = {
  /** The capacity function the `capacity-now` action invokes. */
  capacityFunction: 'HARBINGER_CAPACITY_FUNCTION',
} as const;
