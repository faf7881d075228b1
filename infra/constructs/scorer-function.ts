import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HarbingerFunction } from './harbinger-function';
import { acknowledgeNag, wildcardResourceAcks } from './nag';

/** Properties of {@link ScorerFunction}. */
export interface ScorerFunctionProps {
  /** The stream the scorer consumes. */
  readonly stream: kinesis.IStream;
  /** The state table (partial window aggregates, profiles). */
  readonly table: dynamodb.ITable;
  /** Anomaly bucket (written). */
  readonly anomalyBucket: s3.IBucket;
  /** Dataset bucket (written). */
  readonly datasetBucket: s3.IBucket;
  /** Alert bus (PutEvents). */
  readonly eventBus: events.IEventBus;
  /** Environment variables, from `handlerEnvironment`. */
  readonly environment: Record<string, string>;
  /**
   * Concurrent batches per shard. Above 1, records of one shard are still ordered per partition key.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /** @default - no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** @default 1024 (the capacity function adjusts it later) */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Project root for bundling. @default the repository root */
  readonly projectRoot?: string;
}

/**
 * The scorer: `functions/scorer/handler.ts` behind a Kinesis event source mapping.
 *
 * The mapping mirrors the AWS Solutions Constructs kinesisstreams-lambda defaults and adds partial
 * batch responses: batches of up to 500 records or 5 s, split in two on a function error, records
 * reported individually (ReportBatchItemFailures), at most 5 retries and 1 hour of age, then the
 * failed batch's metadata goes to an encrypted, TLS-only SQS queue. Starts at LATEST.
 */
export class ScorerFunction extends Construct {
  /** The scorer function. */
  public readonly function: nodejs.NodejsFunction;
  /** On-failure destination of the event source mapping (batch metadata, not records). */
  public readonly failureQueue: sqs.Queue;
  /** The Kinesis event source (its mapping's id and ARN are available after binding). */
  public readonly eventSource: sources.KinesisEventSource;
  /** The underlying function construct (role, log group). */
  public readonly handler: HarbingerFunction;

  constructor(scope: Construct, id: string, props: ScorerFunctionProps) {
    super(scope, id);
    this.handler = new HarbingerFunction(this, 'Handler', {
      entry: 'functions/scorer/handler.ts',
      description: 'Harbinger scorer: decode, parse, template, per-event checks, partial window aggregates',
      serviceName: 'harbinger-scorer',
      environment: props.environment,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.function = this.handler.function;

    this.failureQueue = new sqs.Queue(this, 'FailedBatches', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const source = new sources.KinesisEventSource(props.stream, {
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 500,
      maxBatchingWindow: Duration.seconds(5),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: 5,
      maxRecordAge: Duration.hours(1),
      parallelizationFactor: props.parallelizationFactor ?? 1,
      onFailure: new sources.SqsDlq(this.failureQueue),
    });
    this.function.addEventSource(source); // also grants stream read and queue send
    this.eventSource = source;

    props.table.grantReadWriteData(this.function);
    props.anomalyBucket.grantPut(this.function);
    props.datasetBucket.grantPut(this.function);
    props.eventBus.grantPutEventsTo(this.function);

    acknowledgeNag(
      this.failureQueue,
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue: the on-failure destination of the scorer Kinesis event source mapping (DestinationConfig.OnFailure), which cdk-nag does not recognise as DLQ use (it only follows RedrivePolicy).',
      },
    );
    acknowledgeNag(
      this.handler.role,
      ...wildcardResourceAcks(
        [props.table],
        '/index/*',
        (p) => `grantReadWriteData on ${p} covers its indexes; the scorer maintains the sparse open-windows index attributes on window items.`,
      ),
      ...wildcardResourceAcks(
        [props.anomalyBucket, props.datasetBucket],
        '/*',
        (p) => `The scorer writes objects under keys derived from partition and window (anomalyKey/windowFeaturesKey) in ${p}; object keys are not known at deploy time.`,
      ),
      {
        id: 'AwsSolutions-IAM5[Action::s3:Abort*]',
        reason: 'Part of grantPut: s3:Abort* only matches s3:AbortMultipartUpload, needed to clean up failed multipart uploads of the objects the scorer writes.',
      },
    );
  }
}
