/**
 * Shapes flowing through the retraining state machine (infra/retraining/definition.ts): each step's
 * input (the Lambda `Payload` the definition builds) and output (placed under its own key of the
 * state document). One definition, used by the Lambda handlers and by the local runner.
 */
import type { HoldoutMetrics, PromotionRule } from '../core/evaluation';
import type { ScenarioDataMode, ScenarioWindowCounts } from '../core/scenario-data';

/** Execution input (every field optional). */
export interface RetrainingRequest {
  /** Days of window features to learn from, ending at `now`. Default 14. */
  days?: number;
  /** Reference time (ISO or epoch ms) instead of the execution's start time (deterministic runs). */
  now?: string | number;
  /** Hyperparameter overrides (SageMaker passes every value as a string). */
  hyperParameters?: Record<string, string | number>;
  /** Champion/challenger rule overrides. */
  promotion?: PromotionRule;
  /** Newest share of each partition's windows held out for evaluation. Default 0.15. */
  holdoutShare?: number;
  /** Injected anomalies per normal holdout window. Default 0.1. */
  anomalyShare?: number;
  /** Seed for the injected anomalies. Default 7. */
  seed?: number;
  /** Only these partitions (default: every partition with window features). */
  partitions?: string[];
  /**
   * Windows of partitions during replayed scenario runs' stretches (synthetic traffic): `exclude`
   * (default) leaves them out; `include` keeps the clean stretches for training and puts the
   * labelled incident windows in the holdout as real anomalies (label 1) when they fall in its period.
   */
  scenarioData?: ScenarioDataMode;
}

/** PrepareDataset input: `{ request: $, executionStartTime: $$.Execution.StartTime }`. */
export interface PrepareEvent {
  request?: RetrainingRequest;
  executionStartTime?: string;
}

/** Window counts of a prepared data set. */
export interface PreparedCounts {
  /** Windows found in the period (all partitions used). */
  found: number;
  /** Windows left out because a stored anomaly covers them. */
  excludedAnomalous: number;
  train: number;
  holdoutNormal: number;
  holdoutInjected: number;
}

/** What the `scenarioData` flag did (core/scenario-data). */
export interface PreparedScenarioData extends ScenarioWindowCounts {
  mode: ScenarioDataMode;
  /** Replayed scenario runs overlapping the period. */
  runs: number;
  /** Incident windows placed in the holdout as real labelled anomalies (`include` only). */
  holdoutAnomalies: number;
}

/** PrepareDataset output (`$.prepared`). */
export interface PrepareOutput {
  /** SageMaker training job name and model version, `harbinger-vae-YYYYMMDD-HHMMSS`. */
  jobName: string;
  /** Reference time, epoch ms. */
  now: number;
  days: number;
  /** `s3://<model bucket>/training/<job>/train/` */
  trainS3Uri: string;
  /** `s3://<model bucket>/training/<job>/holdout/` */
  holdoutS3Uri: string;
  /** Partitions in the data set (sorted). */
  partitions: string[];
  /** Partitions left out, with why. */
  skippedPartitions: Array<{ partition: string; reason: string }>;
  windows: PreparedCounts;
  /** Scenario runs' windows: left out, kept, in the holdout. */
  scenarioData: PreparedScenarioData;
  /** SageMaker HyperParameters: defaults merged with the request's overrides, every value a string. */
  hyperParameters: Record<string, string>;
  /** Promotion rule for the evaluate step (`{}` = the defaults). */
  promotion: PromotionRule;
}

/** One FinalMetricDataList entry as DescribeTrainingJob returns it. */
export interface MetricData {
  MetricName?: string;
  Value?: number;
  Timestamp?: string | number | Date;
}

/** The part of DescribeTrainingJob (`$.training`) the later steps read. */
export interface TrainingJobResult {
  TrainingJobName: string;
  TrainingJobStatus: string;
  ModelArtifacts?: { S3ModelArtifacts?: string };
  FinalMetricDataList?: MetricData[];
  FailureReason?: string;
}

/** EvaluateChallenger input. */
export interface EvaluateEvent {
  jobName: string;
  holdoutS3Uri: string;
  partitions: string[];
  promotion?: PromotionRule;
  training: TrainingJobResult;
}

/** EvaluateChallenger output (`$.evaluation`): every field present (null when unknown). */
export interface EvaluateOutput {
  promote: boolean;
  reason: string;
  /** The challenger's version (the job name). */
  modelVersion: string;
  challenger: HoldoutMetrics | null;
  champion: HoldoutMetrics | null;
  championVersion: string | null;
}

/** DeployModel input. */
export interface DeployEvent {
  jobName: string;
  /** `ModelArtifacts.S3ModelArtifacts` of the training job. */
  modelDataUrl: string;
  /** Inference image (the same container serves). */
  image: string;
  /** SageMaker execution role. */
  roleArn: string;
}

/** What DeployModel did to the endpoint. */
export type DeployAction = 'created' | 'updated' | 'unchanged';

/** DeployModel and CheckEndpoint output (`$.deployment`): every field present. */
export interface EndpointDeployment {
  endpointName: string;
  modelName: string;
  endpointConfigName: string;
  modelDataUrl: string;
  action: DeployAction;
  /** SageMaker EndpointStatus (InService, Creating, Updating, Failed, ...). */
  status: string;
  /** Status checks done so far (the definition gives up after MAX_ENDPOINT_CHECKS). */
  checks: number;
  failureReason: string | null;
}

/** CheckEndpoint input. */
export interface EndpointStatusEvent {
  deployment: EndpointDeployment;
}

/** PublishProfiles input. */
export interface PublishEvent {
  jobName: string;
  partitions: string[];
  /** Reference time, epoch ms: thresholds cover the 24 hours from its hour. */
  now: number;
  /** The endpoint serving `jobName` (not needed with `refreshOnly`: the profiles name it). */
  endpointName?: string;
  /**
   * The champion was kept: only recompute its thresholds for the coming hours (same S3 keys its
   * profiles already name), publish no profile version.
   */
  refreshOnly?: boolean;
}

/** What happened to one partition's profile. */
export interface PublishedPartition {
  partition: string;
  /** `published`: a new version with the model; `unchanged`: CURRENT already had it (a retry); `skipped`: no baseline profile. */
  status: 'published' | 'unchanged' | 'skipped' | 'refreshed';
  /** Profile version CURRENT points at afterwards (null when skipped). */
  version: number | null;
  thresholdsKey: string | null;
  note?: string;
}

/** PublishProfiles output (`$.published`). */
export interface PublishOutput {
  modelVersion: string;
  endpointName: string;
  published: PublishedPartition[];
}
