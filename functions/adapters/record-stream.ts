import { DescribeStreamSummaryCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';

/** One record to put: its bytes and partition key. */
export interface StreamRecord {
  data: Uint8Array;
  partitionKey: string;
}

/** What Kinesis answered for one entry of a PutRecords request (same order as the request). */
export interface PutResult {
  ok: boolean;
  /** e.g. `ProvisionedThroughputExceededException`, `InternalFailure`. */
  errorCode?: string;
}

/** Where a scenario replay puts records: a Kinesis stream on AWS, the Kinesis emulator locally. */
export interface RecordStream {
  /** The stream's name. */
  readonly name: string;
  /** One PutRecords call; per-entry results (a rejected entry is not an error, a failed call is). */
  putRecords(records: readonly StreamRecord[]): Promise<PutResult[]>;
  /** Open shards of the stream (DescribeStreamSummary). */
  openShardCount(): Promise<number>;
}

/** Thin wrapper over PutRecords and DescribeStreamSummary. */
export class KinesisRecordStream implements RecordStream {
  constructor(private readonly options: { client: KinesisClient; streamName: string }) {}

  get name(): string {
    return this.options.streamName;
  }

  async putRecords(records: readonly StreamRecord[]): Promise<PutResult[]> {
    const out = await this.options.client.send(
      new PutRecordsCommand({ StreamName: this.options.streamName, Records: records.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })) }),
    );
    const results = out.Records ?? [];
    return records.map((_, i) => {
      const r = results[i];
      return r && !r.ErrorCode && r.SequenceNumber ? { ok: true } : { ok: false, errorCode: r?.ErrorCode ?? 'MissingResult' };
    });
  }

  async openShardCount(): Promise<number> {
    const out = await this.options.client.send(new DescribeStreamSummaryCommand({ StreamName: this.options.streamName }));
    const n = out.StreamDescriptionSummary?.OpenShardCount;
    if (!n || n < 1) throw new Error(`DescribeStreamSummary on ${this.options.streamName} gave no open shard count (status ${out.StreamDescriptionSummary?.StreamStatus ?? 'unknown'}).`);
    return n;
  }
}
