import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { CAPACITY_ENV, CAPACITY_KEYS, SHADOW_PREFIX } from '../../functions/core/resources';
import { HarbingerFunction } from './harbinger-function';
import { acknowledgeNag, wildcardResourceAcks } from './nag';

/** Dataset prefix the capacity function reads (closed windows' features). */
export const CAPACITY_READ_PREFIX = 'windows/';

/** The DynamoDB actions of functions/adapters/capacity-state-store.ts (one item per stream). */
export const CAPACITY_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem'] as const;

/** The scorer the capacity function sizes. */
export interface CapacityScorerProps {
  /** The scorer function (memory: Get/UpdateFunctionConfiguration). */
  readonly function: lambda.IFunction;
  /** UUID of its Kinesis event source mapping (parallelization factor: Get/UpdateEventSourceMapping). */
  readonly eventSourceMappingId: string;
  /** ARN of that mapping. */
  readonly eventSourceMappingArn: string;
}

/** Properties of {@link Capacity}. */
export interface CapacityProps {
  /** The stream it resizes (DescribeStreamSummary, UpdateShardCount). */
  readonly stream: kinesis.IStream;
  /** The scorer it sizes. */
  readonly scorer: CapacityScorerProps;
  /** State table (its own `CAPACITY#<stream>` item only). */
  readonly table: dynamodb.ITable;
  /** Dataset bucket: reads `windows/`, writes `shadow/`. */
  readonly datasetBucket: s3.IBucket;
  /** Bus for "Capacity Adjusted" events. */
  readonly eventBus: events.IEventBus;
  /** Environment variables, from `handlerEnvironment`. */
  readonly environment: Record<string, string>;
  /**
   * Report only: every scheduled run decides and reports (event, logs, metrics, shadow log) and
   * changes nothing.
   * @default false
   */
  readonly dryRun?: boolean;
  /** How often it runs (also the shadow log's refresh rate). @default Duration.minutes(5) */
  readonly interval?: Duration;
  /** Shard floor. @default - the policy's default (2) */
  readonly minShards?: number;
  /** Shard ceiling. @default - the policy's default (64) */
  readonly maxShards?: number;
  /** @default 1024 (the first run reads 3 days of window features) */
  readonly memorySize?: number;
  /** @default Duration.minutes(4), so a run ends before the next one starts */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Project root for bundling. @default the repository root */
  readonly projectRoot?: string;
}

/**
 * The capacity function: `functions/capacity/handler.ts`, invoked by an EventBridge Scheduler
 * schedule (every 5 minutes) with `{"time": <scheduled time>, "dryRun": <prop>}`. It forecasts the
 * stream's volume, writes the shadow log, resizes the stream (UpdateShardCount, UNIFORM_SCALING)
 * and sizes the scorer (memory, parallelization factor), and emits "Capacity Adjusted".
 *
 * One run at a time (reserved concurrency 1; its state writes are conditional anyway). Failed runs
 * are not retried: the next run, five minutes later, sees the same state.
 *
 * IAM is scoped to exactly what it touches: this stream, this function and its mapping, the
 * table's `CAPACITY#` items (dynamodb:LeadingKeys), `windows/` (read) and `shadow/` (write) of the
 * dataset bucket, PutEvents on the bus.
 */
export class Capacity extends Construct {
  /** The capacity function. */
  public readonly function: nodejs.NodejsFunction;
  /** The schedule that invokes it. */
  public readonly schedule: scheduler.Schedule;
  /** The underlying function construct (role, log group). */
  public readonly handler: HarbingerFunction;

  constructor(scope: Construct, id: string, props: CapacityProps) {
    super(scope, id);
    for (const [k, v] of [['minShards', props.minShards], ['maxShards', props.maxShards]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 2)) throw new Error(`Capacity: ${k} must be an integer >= 2, got ${v}.`);
    }
    const env: Record<string, string> = {
      ...props.environment,
      [CAPACITY_ENV.stream]: props.stream.streamName,
      [CAPACITY_ENV.scorerFunction]: props.scorer.function.functionName,
      [CAPACITY_ENV.scorerMapping]: props.scorer.eventSourceMappingId,
      [CAPACITY_ENV.dryRun]: String(props.dryRun ?? false),
    };
    if (props.minShards !== undefined) env[CAPACITY_ENV.minShards] = String(props.minShards);
    if (props.maxShards !== undefined) env[CAPACITY_ENV.maxShards] = String(props.maxShards);

    this.handler = new HarbingerFunction(this, 'Handler', {
      entry: 'functions/capacity/handler.ts',
      description: 'Harbinger capacity: volume forecast, shadow log, Kinesis shard count and scorer sizing',
      serviceName: 'harbinger-capacity',
      environment: env,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(4),
      reservedConcurrentExecutions: 1,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.function = this.handler.function;
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });

    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler invokes the Harbinger capacity function',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Forecasts Harbinger log volume and adjusts Kinesis shards and scorer sizing',
      schedule: scheduler.ScheduleExpression.rate(props.interval ?? Duration.minutes(5)),
      target: new targets.LambdaInvoke(this.function, {
        role: schedulerRole,
        // The scheduled time makes a retried delivery recognisable (the run is idempotent on it).
        input: scheduler.ScheduleTargetInput.fromObject({ time: scheduler.ContextAttribute.scheduledTime, dryRun: props.dryRun ?? false }),
        retryAttempts: 2,
        maxEventAge: Duration.minutes(5),
      }),
    });

    const role = this.handler.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ResizeStream', actions: ['kinesis:DescribeStreamSummary', 'kinesis:UpdateShardCount'], resources: [props.stream.streamArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SizeScorerMemory',
        actions: ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration'],
        resources: [props.scorer.function.functionArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SizeScorerParallelization',
        actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        resources: [props.scorer.eventSourceMappingArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'CapacityState',
        actions: [...CAPACITY_TABLE_ACTIONS],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [CAPACITY_KEYS.pk('*')] } },
      }),
    );
    // ListBucket without a prefix condition: it is what makes GetObject of a minute without features
    // answer NoSuchKey (read as "no window") rather than AccessDenied, as for the profile builder.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListDatasets', actions: ['s3:ListBucket'], resources: [props.datasetBucket.bucketArn] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadWindows', actions: ['s3:GetObject'], resources: [props.datasetBucket.arnForObjects(`${CAPACITY_READ_PREFIX}*`)] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteShadowLog', actions: ['s3:PutObject'], resources: [props.datasetBucket.arnForObjects(`${SHADOW_PREFIX}*`)] }),
    );
    props.eventBus.grantPutEventsTo(this.function);

    acknowledgeNag(
      schedulerRole,
      ...wildcardResourceAcks(
        [this.function],
        ':*',
        (p) => `LambdaInvoke grants lambda:InvokeFunction on ${p} and its qualified ARNs (versions/aliases); the role is assumable only by EventBridge Scheduler of this account, for the 5-minute capacity run, and invokes nothing else.`,
      ),
    );
    acknowledgeNag(
      role,
      ...wildcardResourceAcks(
        [props.datasetBucket],
        `/${CAPACITY_READ_PREFIX}*`,
        (p) => `The capacity function reads closed windows' features under windows/partition=<partition>/date=<day>/ in ${p} to forecast volume; partitions and minutes are only known at run time. Read only (s3:GetObject).`,
      ),
      ...wildcardResourceAcks(
        [props.datasetBucket],
        `/${SHADOW_PREFIX}*`,
        (p) => `The capacity function writes the shadow log to shadow/latest.json and shadow/date=<day>/<HHMM>.json in ${p}; one key per run time, so only the shadow/ prefix can be named. Write only (s3:PutObject).`,
      ),
    );
  }
}
