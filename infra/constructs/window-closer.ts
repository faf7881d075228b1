import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { ENV } from '../../functions/core/resources';
import { HarbingerFunction } from './harbinger-function';
import { acknowledgeNag, wildcardResourceAcks } from './nag';

/** S3 prefix of the proactive thresholds the closer reads from the model bucket (`thresholdsKey`). */
export const CLOSER_THRESHOLDS_PREFIX = 'thresholds/';

/** The VAE model the window closer consults (see {@link WindowCloserProps.model}). */
export interface WindowCloserModelProps {
  /** SageMaker endpoint name, set as `HARBINGER_MODEL_ENDPOINT`. */
  readonly endpointName: string;
  /** ARN of that endpoint (`sagemaker:InvokeEndpoint`). */
  readonly endpointArn: string;
  /** Model bucket, set as `HARBINGER_MODEL_BUCKET`; the closer reads only `thresholds/`. */
  readonly bucket: s3.IBucket;
  /**
   * InvokeEndpoint timeout, ms (`HARBINGER_MODEL_TIMEOUT_MS`).
   * @default - the handler's default
   */
  readonly timeoutMs?: number;
}

/** Properties of {@link WindowCloser}. */
export interface WindowCloserProps {
  /** The state table (open windows are read from its sparse index, then closed). */
  readonly table: dynamodb.ITable;
  /** Anomaly bucket (read and written). */
  readonly anomalyBucket: s3.IBucket;
  /** Dataset bucket (read and written). */
  readonly datasetBucket: s3.IBucket;
  /** Alert bus (PutEvents). */
  readonly eventBus: events.IEventBus;
  /** Environment variables, from `handlerEnvironment`. */
  readonly environment: Record<string, string>;
  /**
   * The VAE model: endpoint to score windows with and bucket of proactive thresholds.
   * @default - none: the closer runs the statistical detectors only
   */
  readonly model?: WindowCloserModelProps;
  /**
   * How often the closer runs.
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;
  /** @default - no reserved concurrency (set 1 to forbid overlapping runs) */
  readonly reservedConcurrentExecutions?: number;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(55), so a run ends before the next one starts */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Project root for bundling. @default the repository root */
  readonly projectRoot?: string;
}

/**
 * The window closer: `functions/window-closer/handler.ts`, invoked every minute by an EventBridge
 * Scheduler schedule. It closes windows past their end plus the allowed lateness, scores them and
 * writes anomalies, alerts and window features.
 *
 * A missed or failed run is not retried for long (60 s event age, 2 retries, no Lambda async retries):
 * the next run picks the same open windows up again, and closing is idempotent.
 */
export class WindowCloser extends Construct {
  /** The window closer function. */
  public readonly function: nodejs.NodejsFunction;
  /** The schedule that invokes it. */
  public readonly schedule: scheduler.Schedule;
  /** The underlying function construct (role, log group). */
  public readonly handler: HarbingerFunction;

  constructor(scope: Construct, id: string, props: WindowCloserProps) {
    super(scope, id);
    this.handler = new HarbingerFunction(this, 'Handler', {
      entry: 'functions/window-closer/handler.ts',
      description: 'Harbinger window closer: closes windows, scores them, writes anomalies, alerts and features',
      serviceName: 'harbinger-window-closer',
      environment: { ...props.environment, ...modelEnvironment(props.model) },
      memorySize: props.memorySize,
      timeout: props.timeout ?? Duration.seconds(55),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.function = this.handler.function;
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler invokes the Harbinger window closer',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    this.schedule = new scheduler.Schedule(this, 'EveryMinute', {
      description: 'Closes Harbinger windows past their end plus allowed lateness',
      schedule: scheduler.ScheduleExpression.rate(props.interval ?? Duration.minutes(1)),
      target: new targets.LambdaInvoke(this.function, {
        role: schedulerRole,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(1),
      }),
    });

    props.table.grantReadWriteData(this.function);
    // Read + put, not grantReadWrite: the closer never deletes objects.
    for (const bucket of [props.anomalyBucket, props.datasetBucket]) {
      bucket.grantRead(this.function);
      bucket.grantPut(this.function);
    }
    props.eventBus.grantPutEventsTo(this.function);
    if (props.model) {
      const { bucket, endpointArn } = props.model;
      this.handler.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'InvokeModel', actions: ['sagemaker:InvokeEndpoint'], resources: [endpointArn] }),
      );
      // Read only, thresholds/ only. ListBucket (no prefix condition) makes a missing thresholds
      // object answer NoSuchKey rather than AccessDenied, as for the profile builder.
      this.handler.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ListModelBucket', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
      );
      this.handler.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadThresholds',
          actions: ['s3:GetObject'],
          resources: [bucket.arnForObjects(`${CLOSER_THRESHOLDS_PREFIX}*`)],
        }),
      );
    }

    acknowledgeNag(
      schedulerRole,
      ...wildcardResourceAcks(
        [this.function],
        ':*',
        (p) => `LambdaInvoke grants lambda:InvokeFunction on ${p} and its qualified ARNs (versions/aliases); the role is assumable only by EventBridge Scheduler of this account and invokes nothing else.`,
      ),
    );
    acknowledgeNag(
      this.handler.role,
      ...wildcardResourceAcks(
        [props.table],
        '/index/*',
        (p) => `The window closer queries the sparse open-windows index of ${p} (TABLE_SCHEMA.openIndex) to find windows to close; grantReadWriteData expresses that as index/*.`,
      ),
      ...wildcardResourceAcks(
        [props.anomalyBucket, props.datasetBucket],
        '/*',
        (p) => `The window closer reads and writes objects keyed by partition and window time in ${p}; object keys are not known at deploy time.`,
      ),
      {
        id: 'AwsSolutions-IAM5[Action::s3:Abort*]',
        reason: 'Part of grantPut: s3:Abort* only matches s3:AbortMultipartUpload, needed to clean up failed multipart uploads of the objects the closer writes.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::s3:GetObject*]',
        reason: 'Part of grantRead on the anomaly and dataset buckets: GetObject plus its version/tagging/ACL variants, used to read back previous window features and anomalies; limited to those two buckets.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]',
        reason: 'Part of grantRead on the anomaly and dataset buckets: bucket-level metadata reads (location, versioning) made by the S3 client; limited to those two buckets.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::s3:List*]',
        reason: 'Part of grantRead on the anomaly and dataset buckets: listing window features by partition/date prefix; limited to those two buckets.',
      },
      ...(props.model
        ? wildcardResourceAcks(
            [props.model.bucket],
            `/${CLOSER_THRESHOLDS_PREFIX}*`,
            (p) => `The window closer reads each partition's proactive thresholds at thresholds/partition=<partition>/<model version>.json in ${p}; versions are published at run time, so only the thresholds/ prefix can be named. Read only (s3:GetObject).`,
          )
        : []),
    );
  }
}

/** The model variables of the closer's environment (none without a model). */
function modelEnvironment(model: WindowCloserModelProps | undefined): Record<string, string> {
  if (!model) return {};
  const env: Record<string, string> = {
    [ENV.modelEndpoint]: model.endpointName,
    [ENV.modelBucket]: model.bucket.bucketName,
  };
  if (model.timeoutMs !== undefined) env[ENV.modelTimeoutMs] = String(model.timeoutMs);
  return env;
}
