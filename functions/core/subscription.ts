import { gzipSync } from 'node:zlib';
import type { LogEvent } from './types';

/** The JSON document CloudWatch Logs delivers to a subscription destination (before gzip). */
export interface SubscriptionMessage {
  messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE';
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: Array<{ id: string; timestamp: number; message: string }>;
}

/** Options for {@link encodeSubscriptionPayload}. */
export interface EncodeOptions {
  owner?: string;
  filterName?: string;
}

/**
 * Encodes events of ONE log stream exactly as a CloudWatch Logs subscription filter delivers them
 * to Kinesis: gzip of the JSON DATA_MESSAGE. Used by the synthetic generator and the replayer, so
 * local and cloud data are byte-compatible.
 * @throws Error when events belong to more than one log group/stream (CloudWatch never mixes them)
 */
export function encodeSubscriptionPayload(events: LogEvent[], options: EncodeOptions = {}): Buffer {
  if (events.length === 0) throw new Error('encodeSubscriptionPayload: no events to encode');
  const { logGroup, logStream } = events[0];
  for (const e of events) {
    if (e.logGroup !== logGroup || e.logStream !== logStream) {
      throw new Error(
        `encodeSubscriptionPayload: events mix log streams (${logGroup}/${logStream} and ${e.logGroup}/${e.logStream}); group them per stream first`,
      );
    }
  }
  const message: SubscriptionMessage = {
    messageType: 'DATA_MESSAGE',
    owner: options.owner ?? '123456789012',
    logGroup,
    logStream,
    subscriptionFilters: [options.filterName ?? 'harbinger'],
    logEvents: events.map((e) => ({ id: e.id, timestamp: e.timestamp, message: e.message })),
  };
  return gzipSync(Buffer.from(JSON.stringify(message)));
}

/** The CONTROL_MESSAGE CloudWatch sends when a subscription is created (the scorer skips it). */
export function encodeControlMessage(): Buffer {
  const message: SubscriptionMessage = {
    messageType: 'CONTROL_MESSAGE',
    owner: 'CloudwatchLogs',
    logGroup: '',
    logStream: '',
    subscriptionFilters: [],
    logEvents: [
      { id: '', timestamp: Date.now(), message: 'CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.' },
    ],
  };
  return gzipSync(Buffer.from(JSON.stringify(message)));
}
