import { DescribeStreamSummaryCommand, UpdateShardCountCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { StreamPort, StreamState } from '../capacity/capacity-run';

/** UpdateShardCount was refused because a change is already in progress (ResourceInUseException). */
export class StreamBusyError extends Error {
  override readonly name = 'StreamBusyError';
  constructor(
    readonly streamName: string,
    options?: { cause?: unknown },
  ) {
    super(`stream ${streamName} is being updated (a shard change is in progress); try again on the next run`, options);
  }
}

/** Options of {@link KinesisStreamCapacity}. */
export interface KinesisStreamCapacityOptions {
  client: KinesisClient;
  streamName: string;
  /** Pause between DescribeStreamSummary calls in {@link KinesisStreamCapacity.waitForActive}. Default 250 ms. */
  pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Kinesis stream's capacity API: DescribeStreamSummary and UpdateShardCount (UNIFORM_SCALING).
 * Thin: no policy here (functions/core/capacity.ts decides).
 */
export class KinesisStreamCapacity implements StreamPort {
  constructor(private readonly options: KinesisStreamCapacityOptions) {}

  /** Status, open shard count and capacity mode. */
  async describe(): Promise<StreamState> {
    const out = await this.options.client.send(new DescribeStreamSummaryCommand({ StreamName: this.options.streamName }));
    const s = out.StreamDescriptionSummary;
    return {
      status: s?.StreamStatus ?? 'UNKNOWN',
      openShards: s?.OpenShardCount ?? 0,
      mode: s?.StreamModeDetails?.StreamMode ?? 'PROVISIONED',
    };
  }

  /**
   * UpdateShardCount to `target` with UNIFORM_SCALING.
   * @throws StreamBusyError when the stream is not ACTIVE (ResourceInUseException)
   */
  async updateShardCount(target: number): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateShardCountCommand({ StreamName: this.options.streamName, TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }),
      );
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceInUseException') throw new StreamBusyError(this.options.streamName, { cause: err });
      throw err;
    }
  }

  /** Polls DescribeStreamSummary until the stream is ACTIVE or `timeoutMs` passed; returns the last state. */
  async waitForActive(timeoutMs: number): Promise<StreamState> {
    const deadline = Date.now() + timeoutMs;
    let state = await this.describe();
    while (state.status !== 'ACTIVE' && Date.now() < deadline) {
      await sleep(Math.min(this.options.pollMs ?? 250, Math.max(1, deadline - Date.now())));
      state = await this.describe();
    }
    return state;
  }
}
