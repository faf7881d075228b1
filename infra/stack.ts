import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Node } from 'constructs';
import { Construct } from 'constructs';
import { parsePartitionRules } from '../functions/core/partition';
import { resourceNames, STREAM_DEFAULTS } from '../functions/core/resources';
import { AlertBus } from './constructs/alert-bus';
import { Buckets } from './constructs/buckets';
import { Capacity } from './constructs/capacity';
import { Feedback } from './constructs/feedback';
import { Remediation } from './constructs/remediation';
import { Dashboard } from './constructs/dashboard';
import { handlerEnvironment } from './constructs/harbinger-function';
import { LogStream } from './constructs/log-stream';
import { LogSubscription } from './constructs/log-subscription';
import { ProfileBuilder } from './constructs/profile-builder';
import { Retraining } from './constructs/retraining';
import { ScenarioRunner } from './constructs/scenario-runner';
import { ScorerFunction } from './constructs/scorer-function';
import { StateTable } from './constructs/state-table';
import { WindowCloser } from './constructs/window-closer';

/** CDK context keys read by {@link harbingerPropsFromContext} (pass with `cdk synth -c key=value`). */
export const CONTEXT_KEYS = {
  prefix: 'harbinger:prefix',
  /** Comma-separated log group names to subscribe. */
  logGroups: 'harbinger:logGroups',
  /** Partition rules as JSON. */
  partitionRules: 'harbinger:partitionRules',
  shardCount: 'harbinger:shardCount',
  parallelizationFactor: 'harbinger:parallelizationFactor',
  /** SageMaker training instance type of the retraining job. */
  trainingInstanceType: 'harbinger:trainingInstanceType',
  /** A model image already in ECR (deploy without Docker). */
  modelImageUri: 'harbinger:modelImageUri',
  /** Memory of the serverless model endpoint, MB. */
  serverlessMemoryMb: 'harbinger:serverlessMemoryMb',
  /** Maximum concurrency of the serverless model endpoint. */
  serverlessMaxConcurrency: 'harbinger:serverlessMaxConcurrency',
  /** `true`: the capacity function only reports (no UpdateShardCount / scorer changes). */
  capacityDryRun: 'harbinger:capacityDryRun',
  /** `false` turns the cdk-nag AwsSolutions checks off in infra/app.ts. */
  nag: 'harbinger:nag',
} as const;

/** Properties of {@link HarbingerStack}. */
export interface HarbingerStackProps extends StackProps {
  /**
   * Prefix of every resource name (lowercase letters, digits, hyphens; it is part of bucket names).
   * @default 'harbinger'
   */
  readonly prefix?: string;
  /**
   * Existing log groups to subscribe to the stream.
   * @default - none (producers put records on the stream directly)
   */
  readonly logGroupNames?: string[];
  /** Filter pattern of the subscription filters. @default '' (every event) */
  readonly subscriptionFilterPattern?: string;
  /**
   * Partition rules, a JSON array of `PartitionRule` (functions/core/partition.ts), passed to the
   * handlers as `HARBINGER_PARTITION_RULES`. Validated at synth time with the handlers' own parser.
   * @default - not set: the handlers use DEFAULT_PARTITION_RULES
   */
  readonly partitionRules?: string;
  /**
   * Initial shard count (the capacity function changes it at run time).
   * @default STREAM_DEFAULTS.shards
   */
  readonly shardCount?: number;
  /** Scorer batches processed concurrently per shard. @default 1 */
  readonly parallelizationFactor?: number;
  /** Scorer reserved concurrency. @default - none */
  readonly scorerReservedConcurrency?: number;
  /**
   * Window closer reserved concurrency. Closing is idempotent, but runs that overlap (a slow run still
   * going when the next minute's starts) redo each other's work, so by default only one runs at a time.
   * Pass `null` for no reserved concurrency (the closer then draws on the account's unreserved pool).
   * `0` is accepted and stops the closer (every scheduled invocation is throttled).
   * @default 1
   */
  readonly closerReservedConcurrency?: number | null;
  /**
   * When the profile builder runs (EventBridge Scheduler expression).
   * @default daily at 03:15 UTC
   */
  readonly profileBuilderSchedule?: scheduler.ScheduleExpression;
  /**
   * When the VAE retraining state machine starts (EventBridge Scheduler expression).
   * @default daily at 04:15 UTC
   */
  readonly retrainingSchedule?: scheduler.ScheduleExpression;
  /**
   * SageMaker instance type of the retraining job.
   * @default 'ml.m5.large'
   */
  readonly trainingInstanceType?: string;
  /**
   * The model image, already pushed to ECR (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`).
   * @default - built from models/Dockerfile by `cdk deploy` (needs Docker on the deploying machine)
   */
  readonly modelImageUri?: string;
  /**
   * Memory of the serverless SageMaker endpoint serving the model, MB (1024..6144, steps of 1024).
   * @default 3072
   */
  readonly serverlessMemoryMb?: number;
  /**
   * Maximum concurrent invocations of the serverless SageMaker endpoint (1..200).
   * @default 5
   */
  readonly serverlessMaxConcurrency?: number;
  /** InvokeEndpoint timeout of the window closer, ms (`HARBINGER_MODEL_TIMEOUT_MS`). @default - the handler's default */
  readonly modelTimeoutMs?: number;
  /** Refuse DeleteTable on the state table. @default true */
  readonly tableDeletionProtection?: boolean;
  /** Removal policy of the state table. @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /** Retention of the functions' log groups. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Allowed lateness of events, seconds (`HARBINGER_ALLOWED_LATENESS_SEC`). @default - the handlers' default */
  readonly allowedLatenessSec?: number;
  /** Profile cache lifetime, seconds (`HARBINGER_PROFILE_CACHE_TTL_SEC`). @default - the handlers' default */
  readonly profileCacheTtlSec?: number;
  /**
   * The capacity function only reports what it would change (events, logs, metrics, shadow log).
   * @default false
   */
  readonly capacityDryRun?: boolean;
}

const PREFIX_RE = /^[a-z0-9][a-z0-9-]{0,19}$/;

/**
 * Harbinger on AWS: CloudWatch Logs subscriptions -> Kinesis -> scorer Lambda -> DynamoDB partial
 * window aggregates; every minute the window closer scores closed windows (statistical detectors and
 * the VAE endpoint) and writes anomalies to S3 and alerts to EventBridge; every day the profile
 * builder rebuilds baseline profiles from the window features, and the retraining state machine
 * trains a VAE on SageMaker and promotes it to the endpoint when it beats the champion.
 *
 * Every name, environment variable, key and event source comes from functions/core/resources.ts.
 */
export class HarbingerStack extends Stack {
  /** Ingestion stream. */
  public readonly logStream: LogStream;
  /** State table. */
  public readonly stateTable: StateTable;
  /** Data and access-log buckets. */
  public readonly buckets: Buckets;
  /** Alert bus, archive and alert log. */
  public readonly alertBus: AlertBus;
  /** Scorer function and its event source mapping. */
  public readonly scorer: ScorerFunction;
  /** Window closer function and its schedule. */
  public readonly windowCloser: WindowCloser;
  /** Profile builder function and its daily schedule. */
  public readonly profileBuilder: ProfileBuilder;
  /** VAE retraining (state machine, step functions, SageMaker role, model image) and serving. */
  public readonly retraining: Retraining;
  /** Log group subscriptions, when log groups were given. */
  public readonly logSubscription?: LogSubscription;
  /** Capacity function: volume forecast, shadow log, shard count and scorer sizing, every 5 minutes. */
  public readonly capacity: Capacity;
  /** Scenario runs from the console: the scenario Lambda and its state machine. */
  public readonly scenarioRunner: ScenarioRunner;
  /** Feedback function: true/false positive labels on anomalies. */
  public readonly feedback: Feedback;
  /** Remediation rules on the bus and the function running their actions. */
  public readonly remediation: Remediation;
  /** CloudWatch dashboard of the deployment. */
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: HarbingerStackProps = {}) {
    super(scope, id, {
      description: 'Harbinger: predictive log anomaly detection (Kinesis, Lambda, DynamoDB, S3, EventBridge, Step Functions, SageMaker)',
      ...props,
    });
    const prefix = props.prefix ?? 'harbinger';
    if (!PREFIX_RE.test(prefix)) {
      throw new Error(`HarbingerStack: prefix "${prefix}" must match ${PREFIX_RE} (it becomes part of S3 bucket names).`);
    }
    const closerReservedConcurrency = checkedReservedConcurrency(props.closerReservedConcurrency);
    const partitionRules = props.partitionRules === undefined ? undefined : checkedPartitionRules(props.partitionRules);
    const names = resourceNames(prefix);

    this.logStream = new LogStream(this, 'LogStream', {
      streamName: names.stream,
      shardCount: props.shardCount ?? STREAM_DEFAULTS.shards,
    });
    this.stateTable = new StateTable(this, 'StateTable', {
      tableName: names.table,
      deletionProtection: props.tableDeletionProtection,
      removalPolicy: props.tableRemovalPolicy,
    });
    this.buckets = new Buckets(this, 'Buckets', { prefix });
    this.alertBus = new AlertBus(this, 'AlertBus', { eventBusName: names.eventBus });

    const environment = handlerEnvironment({
      table: this.stateTable.table,
      anomalyBucket: this.buckets.anomalyBucket,
      datasetBucket: this.buckets.datasetBucket,
      eventBus: this.alertBus.bus,
      partitionRules,
      defaultRegion: this.region,
      allowedLatenessSec: props.allowedLatenessSec,
      profileCacheTtlSec: props.profileCacheTtlSec,
    });

    this.scorer = new ScorerFunction(this, 'Scorer', {
      stream: this.logStream.stream,
      table: this.stateTable.table,
      anomalyBucket: this.buckets.anomalyBucket,
      datasetBucket: this.buckets.datasetBucket,
      eventBus: this.alertBus.bus,
      environment,
      parallelizationFactor: props.parallelizationFactor,
      reservedConcurrentExecutions: props.scorerReservedConcurrency,
      logRetention: props.logRetention,
    });
    this.retraining = new Retraining(this, 'Retraining', {
      prefix,
      table: this.stateTable.table,
      modelBucket: this.buckets.modelBucket,
      datasetBucket: this.buckets.datasetBucket,
      anomalyBucket: this.buckets.anomalyBucket,
      syntheticBucket: this.buckets.syntheticBucket,
      environment,
      schedule: props.retrainingSchedule,
      trainingInstanceType: props.trainingInstanceType,
      modelImageUri: props.modelImageUri,
      serverlessMemoryMb: props.serverlessMemoryMb,
      serverlessMaxConcurrency: props.serverlessMaxConcurrency,
      logRetention: props.logRetention,
    });
    this.windowCloser = new WindowCloser(this, 'WindowCloser', {
      table: this.stateTable.table,
      anomalyBucket: this.buckets.anomalyBucket,
      datasetBucket: this.buckets.datasetBucket,
      eventBus: this.alertBus.bus,
      environment,
      model: {
        endpointName: this.retraining.endpointName,
        endpointArn: this.retraining.endpointArn,
        bucket: this.buckets.modelBucket,
        timeoutMs: props.modelTimeoutMs,
      },
      reservedConcurrentExecutions: closerReservedConcurrency,
      logRetention: props.logRetention,
    });
    this.profileBuilder = new ProfileBuilder(this, 'ProfileBuilder', {
      table: this.stateTable.table,
      datasetBucket: this.buckets.datasetBucket,
      syntheticBucket: this.buckets.syntheticBucket,
      environment,
      schedule: props.profileBuilderSchedule,
      logRetention: props.logRetention,
    });

    this.feedback = new Feedback(this, 'Feedback', {
      table: this.stateTable.table,
      anomalyBucket: this.buckets.anomalyBucket,
      environment,
      logRetention: props.logRetention,
    });

    this.scenarioRunner = new ScenarioRunner(this, 'ScenarioRunner', {
      prefix,
      syntheticBucket: this.buckets.syntheticBucket,
      anomalyBucket: this.buckets.anomalyBucket,
      stream: this.logStream.stream,
      eventBus: this.alertBus.bus,
      table: this.stateTable.table,
      datasetBucket: this.buckets.datasetBucket,
      modelEndpointArn: this.retraining.endpointArn,
      environment,
      logRetention: props.logRetention,
    });

    this.capacity = new Capacity(this, 'Capacity', {
      stream: this.logStream.stream,
      scorer: {
        function: this.scorer.function,
        eventSourceMappingId: this.scorer.eventSource.eventSourceMappingId,
        eventSourceMappingArn: this.scorer.eventSource.eventSourceMappingArn,
      },
      table: this.stateTable.table,
      datasetBucket: this.buckets.datasetBucket,
      eventBus: this.alertBus.bus,
      environment,
      dryRun: props.capacityDryRun,
      logRetention: props.logRetention,
    });

    if (props.logGroupNames && props.logGroupNames.length > 0) {
      this.logSubscription = new LogSubscription(this, 'LogSubscription', {
        logGroupNames: props.logGroupNames,
        stream: this.logStream.stream,
        filterPattern: props.subscriptionFilterPattern,
        filterName: `${prefix}-to-kinesis`,
      });
    }

    const output = (id: string, value: string, description: string): CfnOutput =>
      new CfnOutput(this, id, { value, description });
    output('StreamName', this.logStream.stream.streamName, 'Kinesis stream receiving the logs');
    output('StreamArn', this.logStream.stream.streamArn, 'Kinesis stream ARN');
    output('TableName', this.stateTable.table.tableName, 'DynamoDB state table');
    output('AnomalyBucketName', this.buckets.anomalyBucket.bucketName, 'S3 bucket of anomaly records');
    output('SyntheticBucketName', this.buckets.syntheticBucket.bucketName, 'S3 bucket of synthetic scenario logs');
    output('DatasetBucketName', this.buckets.datasetBucket.bucketName, 'S3 bucket of window features (training data)');
    output('EventBusName', this.alertBus.bus.eventBusName, 'EventBridge bus of Harbinger alerts');
    output('AlertLogGroupName', this.alertBus.alertLogGroup.logGroupName, 'Log group mirroring every Harbinger event');
    output('ScorerFunctionName', this.scorer.function.functionName, 'Scorer Lambda function');
    output('WindowCloserFunctionName', this.windowCloser.function.functionName, 'Window closer Lambda function');
    output('ProfileBuilderFunctionName', this.profileBuilder.function.functionName, 'Profile builder Lambda function (daily; invoke with {"partition": "..."} to rebuild one)');
    output('ModelBucketName', this.buckets.modelBucket.bucketName, 'S3 bucket of retraining data sets, model artifacts and proactive thresholds');
    output('RetrainingStateMachineArn', this.retraining.stateMachine.stateMachineArn, 'Step Functions state machine retraining the VAE (start with {} or {"days": 14})');
    output('FeedbackFunctionName', this.feedback.function.functionName, 'Feedback Lambda: invoke with {"partition": "...", "anomalyId": "...", "verdict": "false_positive"} to label an alert');
    output('ModelEndpointName', this.retraining.endpointName, 'SageMaker endpoint serving the champion VAE (created by the first promotion)');
    this.remediation = new Remediation(this, 'Remediation', {
      eventBus: this.alertBus.bus,
      table: this.stateTable.table,
      capacityFunction: this.capacity.function,
      environment,
      logRetention: props.logRetention,
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: names.dashboard,
      stream: this.logStream.stream,
      scorer: this.scorer.function,
      windowCloser: this.windowCloser.function,
    });

    output('DashboardName', names.dashboard, 'CloudWatch dashboard: ingestion, scoring, anomalies, model, capacity, early warnings, remediation, labels');
    output('ScenarioStateMachineArn', this.scenarioRunner.stateMachine.stateMachineArn, 'Step Functions state machine running synthetic scenarios (start with {"scenario": "error-burst", "partitions": ["checkout#us-east-1"], "replay": true})');
    output('ScenarioFunctionName', this.scenarioRunner.function.functionName, 'Scenario Lambda: invoke directly with the same input for a short run (generate, and replay when it fits the 15 min timeout)');
    output('CapacityFunctionName', this.capacity.function.functionName, 'Capacity Lambda (every 5 min; invoke with {"dryRun": true} to see what it would change)');
    output('ScorerFailureQueueUrl', this.scorer.failureQueue.queueUrl, 'SQS queue of batches the scorer gave up on');
  }
}

/**
 * Reads {@link HarbingerStackProps} from CDK context (see {@link CONTEXT_KEYS}). Values given with
 * `-c` arrive as strings; values in cdk.json may already be numbers, arrays or objects.
 */
export function harbingerPropsFromContext(node: Node): HarbingerStackProps {
  const get = (key: string): unknown => node.tryGetContext(key);
  const prefix = get(CONTEXT_KEYS.prefix);
  const logGroups = get(CONTEXT_KEYS.logGroups);
  const rules = get(CONTEXT_KEYS.partitionRules);
  return {
    prefix: typeof prefix === 'string' && prefix !== '' ? prefix : undefined,
    logGroupNames: Array.isArray(logGroups)
      ? logGroups.map(String)
      : typeof logGroups === 'string'
        ? logGroups.split(',').map((s) => s.trim()).filter((s) => s !== '')
        : undefined,
    partitionRules: rules === undefined || rules === '' ? undefined : typeof rules === 'string' ? rules : JSON.stringify(rules),
    shardCount: optionalInt(get(CONTEXT_KEYS.shardCount), CONTEXT_KEYS.shardCount),
    parallelizationFactor: optionalInt(get(CONTEXT_KEYS.parallelizationFactor), CONTEXT_KEYS.parallelizationFactor),
    trainingInstanceType: optionalString(get(CONTEXT_KEYS.trainingInstanceType)),
    modelImageUri: optionalString(get(CONTEXT_KEYS.modelImageUri)),
    serverlessMemoryMb: optionalInt(get(CONTEXT_KEYS.serverlessMemoryMb), CONTEXT_KEYS.serverlessMemoryMb),
    serverlessMaxConcurrency: optionalInt(get(CONTEXT_KEYS.serverlessMaxConcurrency), CONTEXT_KEYS.serverlessMaxConcurrency),
    capacityDryRun: optionalBool(get(CONTEXT_KEYS.capacityDryRun), CONTEXT_KEYS.capacityDryRun),
  };
}

function optionalBool(value: unknown, key: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context ${key} must be true or false, got ${JSON.stringify(value)}.`);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function optionalInt(value: unknown, key: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Context ${key} must be a positive integer, got ${JSON.stringify(value)}.`);
  return n;
}

/** Window closer reserved concurrency: 1 when not given, none for `null`, else a non-negative integer. */
function checkedReservedConcurrency(value: number | null | undefined): number | undefined {
  if (value === undefined) return 1;
  if (value === null) return undefined;
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`HarbingerStack: closerReservedConcurrency must be a non-negative integer or null, got ${value}.`);
  }
  return value;
}

/** Fails the synth on rules the handlers would reject at run time; returns them as compact JSON. */
function checkedPartitionRules(text: string): string {
  try {
    parsePartitionRules(text);
  } catch (e) {
    throw new Error(`HarbingerStack: partitionRules (context ${CONTEXT_KEYS.partitionRules}): ${(e as Error).message}`);
  }
  return JSON.stringify(JSON.parse(text));
}
