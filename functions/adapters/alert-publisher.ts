import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EVENTS } from '../core/resources';

/** Where alerts go: EventBridge on AWS; the embedded runtime's local sink on one machine. */
export interface AlertPublisher {
  /** Publishes one event. `detailType` is one of {@link EVENTS}' detail-types. */
  publish(detailType: string, detail: object): Promise<void>;
}

/** Thrown when EventBridge rejects an entry (PutEvents reports failures per entry, not as an error). */
export class AlertPublishError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'AlertPublishError';
  }
}

/** Publishes to an EventBridge bus with source "harbinger". */
export class EventBridgeAlertPublisher implements AlertPublisher {
  constructor(private readonly options: { client: EventBridgeClient; busName: string }) {}

  async publish(detailType: string, detail: object): Promise<void> {
    const res = await this.options.client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.options.busName, Source: EVENTS.source, DetailType: detailType, Detail: JSON.stringify(detail) }],
      }),
    );
    const failed = res.Entries?.find((e) => e.ErrorCode);
    if (res.FailedEntryCount || failed) {
      throw new AlertPublishError(`EventBridge rejected "${detailType}": ${failed?.ErrorCode} ${failed?.ErrorMessage}`, failed?.ErrorCode);
    }
  }
}
