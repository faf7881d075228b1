/** Builds the KinesisStreamRecord the event source mapping would deliver (for handler tests). */
import type { KinesisStreamRecord } from 'aws-lambda';

/**
 * One record of a Kinesis event.
 * @param data - the record's bytes (a subscription payload)
 * @param seq - its sequence number
 * @param shard - its shard id
 * @param arrivalMs - approximate arrival time, epoch ms
 */
export function kinesisRecord(data: Buffer, seq: string, shard = 'shardId-000000000000', arrivalMs = Date.UTC(2026, 10, 16, 10, 0)): KinesisStreamRecord {
  return {
    kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'pk', sequenceNumber: seq, data: data.toString('base64'), approximateArrivalTimestamp: arrivalMs / 1000 },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shard}:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/test',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/harbinger-logs',
  };
}
