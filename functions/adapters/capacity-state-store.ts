import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CAPACITY_KEYS, TABLE_SCHEMA } from '../core/resources';
import type { CapacityState, CapacityStatePort } from '../capacity/capacity-run';
import { isConditionalFailure } from './window-store';

/** The state would not fit in one DynamoDB item. */
export class CapacityStateTooLargeError extends Error {
  override readonly name = 'CapacityStateTooLargeError';
  constructor(readonly bytes: number) {
    super(
      `capacity state is ${bytes} bytes compressed, over the ${MAX_BODY_BYTES}-byte budget of one DynamoDB item: ` +
        'too many partitions are modelled; lower the forecaster dropAfterMs or the mix maxTemplates.',
    );
  }
}

/** Budget of the compressed body (DynamoDB items are limited to 400 KB). */
const MAX_BODY_BYTES = 350_000;

const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** Options of {@link CapacityStateStore}. */
export interface CapacityStateStoreOptions {
  client: DynamoDBDocumentClient;
  table: string;
  /** The stream the state belongs to (part of the key). */
  stream: string;
}

/**
 * The capacity function's state in the state table: one item per stream (`CAPACITY#<stream>`,
 * `STATE`). The forecaster and the mixes (seasonal arrays: the bulk) are one gzip-compressed JSON
 * binary attribute; the call history and the last decisions stay readable attributes. Every save is
 * conditional on the revision read before, so overlapping runs never both act, and a retried save
 * of the same revision fails harmlessly.
 */
export class CapacityStateStore implements CapacityStatePort {
  constructor(private readonly options: CapacityStateStoreOptions) {}

  private key(): Record<string, string> {
    return { [TABLE_SCHEMA.partitionKey]: CAPACITY_KEYS.pk(this.options.stream), [TABLE_SCHEMA.sortKey]: CAPACITY_KEYS.sk };
  }

  /** The stored state (strongly consistent), or null. */
  async load(): Promise<CapacityState | null> {
    const res = await this.options.client.send(new GetCommand({ TableName: this.options.table, Key: this.key(), ConsistentRead: true }));
    const item = res.Item;
    if (!item) return null;
    const body = JSON.parse(gunzipSync(Buffer.from(item.body as Uint8Array)).toString('utf8')) as Pick<CapacityState, 'forecaster' | 'mixes'>;
    return {
      revision: Number(item.revision),
      lastRunAt: Number(item.lastRunAt),
      forecaster: body.forecaster,
      mixes: body.mixes ?? {},
      shards: (item.shards as CapacityState['shards']) ?? { calls: [] },
      scorer: (item.scorer as CapacityState['scorer']) ?? {},
      lastDecisions: (item.lastDecisions as CapacityState['lastDecisions']) ?? [],
    };
  }

  /**
   * Writes the state if the stored revision is `expectedRevision` (null: no item yet).
   * @returns false when the condition failed (another run saved first)
   * @throws CapacityStateTooLargeError when the compressed state exceeds the item budget
   */
  async save(state: CapacityState, expectedRevision: number | null): Promise<boolean> {
    const body = gzipSync(JSON.stringify({ forecaster: state.forecaster, mixes: state.mixes }));
    if (body.byteLength > MAX_BODY_BYTES) throw new CapacityStateTooLargeError(body.byteLength);
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.table,
          Item: {
            ...this.key(),
            revision: state.revision,
            lastRunAt: state.lastRunAt,
            body,
            // JSON round trip: drops undefined fields whatever the client's marshalling options.
            shards: plain(state.shards),
            scorer: plain(state.scorer),
            lastDecisions: plain(state.lastDecisions),
            updatedAt: new Date(state.lastRunAt).toISOString(),
          },
          ConditionExpression: expectedRevision === null ? 'attribute_not_exists(#pk)' : '#rev = :rev',
          ExpressionAttributeNames: expectedRevision === null ? { '#pk': TABLE_SCHEMA.partitionKey } : { '#rev': 'revision' },
          ExpressionAttributeValues: expectedRevision === null ? undefined : { ':rev': expectedRevision },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalFailure(err)) return false;
      throw err;
    }
  }
}
