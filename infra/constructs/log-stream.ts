import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { STREAM_DEFAULTS } from '../../functions/core/resources';

/** Properties of {@link LogStream}. */
export interface LogStreamProps {
  /** Stream name, normally `resourceNames(prefix).stream`. */
  readonly streamName: string;
  /**
   * Initial number of shards. The capacity function resizes the stream later with UpdateShardCount.
   * @default STREAM_DEFAULTS.shards
   */
  readonly shardCount?: number;
  /**
   * How long records stay readable.
   * @default STREAM_DEFAULTS.retentionHours hours
   */
  readonly retention?: Duration;
  /**
   * What happens to the stream when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The ingestion stream: a provisioned-mode Kinesis Data Stream (so its shard count can be changed with
 * UpdateShardCount), encrypted at rest with the AWS managed key `alias/aws/kinesis`.
 *
 * The AWS managed key is used rather than a customer managed key: it needs no key policy grants for
 * CloudWatch Logs (the subscription role) or the scorer, and it is what cdk-nag AwsSolutions-KDS3 asks for.
 */
export class LogStream extends Construct {
  /** The Kinesis stream. */
  public readonly stream: kinesis.Stream;

  constructor(scope: Construct, id: string, props: LogStreamProps) {
    super(scope, id);
    const shardCount = props.shardCount ?? STREAM_DEFAULTS.shards;
    if (!Number.isInteger(shardCount) || shardCount < 1) {
      throw new Error(`LogStream: shardCount must be a positive integer, got ${shardCount}.`);
    }
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamName: props.streamName,
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount,
      retentionPeriod: props.retention ?? Duration.hours(STREAM_DEFAULTS.retentionHours),
      encryption: kinesis.StreamEncryption.MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
