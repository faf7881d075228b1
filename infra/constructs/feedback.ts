import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HarbingerFunction } from './harbinger-function';
import { acknowledgeNag, wildcardResourceAcks } from './nag';

/** Properties of {@link Feedback}. */
export interface FeedbackProps {
  /** The state table (the CURRENT profile pointer's sensitivity). */
  readonly table: dynamodb.ITable;
  /** Anomaly bucket: stored anomalies are read, labels written next to them under labels/. */
  readonly anomalyBucket: s3.IBucket;
  /** Environment variables, from `handlerEnvironment`. */
  readonly environment: Record<string, string>;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Project root for bundling. @default the repository root */
  readonly projectRoot?: string;
}

/**
 * The feedback function (`functions/feedback/handler.ts`): a person marks an alert a true or false
 * positive by invoking it directly (console "Test", `aws lambda invoke`, or an integration such as a
 * chat bot) with `{"partition", "anomalyId", "verdict", "note"?}`. A false positive raises the
 * partition's alert level by one bounded step on its CURRENT pointer; every label is stored next to
 * its anomaly so the next retraining treats false positives as normal windows.
 */
export class Feedback extends Construct {
  /** The feedback function. */
  public readonly function: nodejs.NodejsFunction;
  /** The underlying function construct (role, log group). */
  public readonly handler: HarbingerFunction;

  constructor(scope: Construct, id: string, props: FeedbackProps) {
    super(scope, id);
    this.handler = new HarbingerFunction(this, 'Handler', {
      entry: 'functions/feedback/handler.ts',
      description: 'Harbinger feedback: labels an anomaly true/false positive; false positives raise the alert level by a bounded step',
      serviceName: 'harbinger-feedback',
      environment: props.environment,
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      projectRoot: props.projectRoot,
    });
    this.function = this.handler.function;
    const allow = (sid: string, actions: string[], resources: string[]): void => {
      this.handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources }));
    };
    // ProfileStore.getCurrent (pointer + version item) and setSensitivity (UpdateItem on the pointer).
    allow('ProfileLevel', ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [props.table.tableArn]);
    // LabelStore: list a partition's anomalies to find the id, read it, read/write its label.
    allow('ListAnomalies', ['s3:ListBucket'], [props.anomalyBucket.bucketArn]);
    allow('ReadAnomalies', ['s3:GetObject'], [props.anomalyBucket.arnForObjects('anomalies/*'), props.anomalyBucket.arnForObjects('labels/*')]);
    allow('WriteLabels', ['s3:PutObject'], [props.anomalyBucket.arnForObjects('labels/*')]);
    acknowledgeNag(
      this.handler.role,
      ...wildcardResourceAcks(
        [props.anomalyBucket],
        '/anomalies/*',
        (p) => `The feedback function reads the labelled anomaly under anomalies/partition=<partition>/date=<day>/ in ${p}; its key is known only at run time. Read only.`,
      ),
      ...wildcardResourceAcks(
        [props.anomalyBucket],
        '/labels/*',
        (p) => `Labels are stored at labels/partition=<partition>/date=<day>/<HHMM>-<id>.json in ${p}, one per labelled anomaly, keyed at run time.`,
      ),
    );
  }
}
