import { Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { resourceNames } from '../../functions/core/resources';

/** Properties of {@link Buckets}. */
export interface BucketsProps {
  /** Resource name prefix; bucket names are `resourceNames(prefix, '<account>-<region>')`. */
  readonly prefix: string;
  /**
   * Days after which anomaly records move to S3 Standard-IA.
   * @default 30
   */
  readonly anomalyInfrequentAccessAfterDays?: number;
  /**
   * Days after which anomaly records expire.
   * @default 365
   */
  readonly anomalyExpirationDays?: number;
  /**
   * Days after which synthetic scenario logs expire.
   * @default 30
   */
  readonly syntheticExpirationDays?: number;
  /**
   * Days after which retraining data sets (`training/` in the model bucket) expire.
   * @default 30
   */
  readonly trainingDataExpirationDays?: number;
  /**
   * Days after which non-current versions (all buckets) expire.
   * @default 30
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days after which server access log objects expire.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
}

/**
 * The four data buckets (anomalies, synthetic scenario logs, training datasets, models) and the bucket
 * that receives their server access logs.
 *
 * Every bucket blocks public access, refuses non-TLS requests, is encrypted with S3-managed keys and
 * has lifecycle rules. The data buckets are versioned. Access logging is granted with a bucket policy
 * (scoped by source bucket and account), not an ACL, so the log bucket keeps ACLs disabled.
 */
export class Buckets extends Construct {
  /** Anomaly records (JSON), written by the scorer and the window closer. */
  public readonly anomalyBucket: s3.Bucket;
  /** Synthetic scenario logs and their ground truth. */
  public readonly syntheticBucket: s3.Bucket;
  /** Closed-window features: training data and forecasts. */
  public readonly datasetBucket: s3.Bucket;
  /**
   * Models: retraining data sets (`training/`, expire), SageMaker model artifacts (`artifacts/`) and
   * proactive thresholds (`thresholds/`).
   */
  public readonly modelBucket: s3.Bucket;
  /** Server access logs of the four data buckets. */
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: BucketsProps) {
    super(scope, id);
    // Grant S3 log delivery through a bucket policy instead of the LogDeliveryWrite ACL. Set on this
    // construct (before any child exists) so it holds whatever the app's cdk.json says.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const stack = Stack.of(this);
    const names = resourceNames(props.prefix, `${stack.account}-${stack.region}`);
    const noncurrent = Duration.days(props.noncurrentVersionExpirationDays ?? 30);
    const abortUploads = Duration.days(7);
    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    } satisfies s3.BucketProps;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(props.accessLogExpirationDays ?? 90),
          abortIncompleteMultipartUploadAfter: abortUploads,
        },
      ],
    });

    const dataBucket = (id: string, bucketName: string, lifecycleRules: s3.LifecycleRule[]): s3.Bucket =>
      new s3.Bucket(this, id, {
        ...common,
        bucketName,
        versioned: true,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: `${bucketName}/`,
        lifecycleRules,
      });

    this.anomalyBucket = dataBucket('Anomalies', names.anomalyBucket, [
      {
        id: 'anomalies-tiering-and-expiry',
        transitions: [
          {
            storageClass: s3.StorageClass.INFREQUENT_ACCESS,
            transitionAfter: Duration.days(props.anomalyInfrequentAccessAfterDays ?? 30),
          },
        ],
        expiration: Duration.days(props.anomalyExpirationDays ?? 365),
        noncurrentVersionExpiration: noncurrent,
        abortIncompleteMultipartUploadAfter: abortUploads,
      },
    ]);
    this.syntheticBucket = dataBucket('Synthetic', names.syntheticBucket, [
      {
        id: 'synthetic-expiry',
        expiration: Duration.days(props.syntheticExpirationDays ?? 30),
        noncurrentVersionExpiration: noncurrent,
        abortIncompleteMultipartUploadAfter: abortUploads,
      },
    ]);
    this.datasetBucket = dataBucket('Datasets', names.datasetBucket, [
      {
        id: 'datasets-noncurrent-expiry',
        noncurrentVersionExpiration: noncurrent,
        abortIncompleteMultipartUploadAfter: abortUploads,
      },
    ]);
    this.modelBucket = dataBucket('Models', names.modelBucket, [
      {
        // trainingPrefix() in functions/core/resources.ts: one data set per retraining run.
        id: 'training-data-expiry',
        prefix: 'training/',
        expiration: Duration.days(props.trainingDataExpirationDays ?? 30),
      },
      {
        id: 'models-noncurrent-expiry',
        noncurrentVersionExpiration: noncurrent,
        abortIncompleteMultipartUploadAfter: abortUploads,
      },
    ]);
  }
}
