import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KEYS, TABLE_SCHEMA } from '../core/resources';
import type { AnomalyKind, WindowFeatures } from '../core/types';
import type { Incident } from '../core/incidents';
import type { EarlyWarningState } from '../core/early-warning';
import { isConditionalFailure } from './window-store';

/** Per-partition state the window closer carries from one window to the next. */
export interface DetectorState {
  partition: string;
  /** Start of the last window scored, epoch ms (0 when none). */
  lastWindowStart: number;
  /** Rolling statistics states, by feature. */
  rolling: Record<string, unknown>;
  /** The most recent closed windows, oldest first (bounded). */
  recent: WindowFeatures[];
  /** Open incidents by anomaly kind (alert grouping). */
  incidents: Partial<Record<AnomalyKind, Incident>>;
  /**
   * Early-warning forecasters and open predictions (core/early-warning; a few hundred bytes).
   * Absent in states written before early warning existed; read it through restoreEarlyWarningState.
   */
  warning?: EarlyWarningState;
}

/**
 * Stores {@link DetectorState} in the state table. Writes are conditional on time only moving
 * forward, so a retried closer run never rewinds or double-applies a window.
 */
export class DetectorStateStore {
  constructor(private readonly options: { client: DynamoDBDocumentClient; table: string }) {}

  /** The state of a partition; an empty state when none was stored. */
  async get(partition: string): Promise<DetectorState> {
    const res = await this.options.client.send(
      new GetCommand({ TableName: this.options.table, Key: this.key(partition), ConsistentRead: true }),
    );
    if (!res.Item) return { partition, lastWindowStart: 0, rolling: {}, recent: [], incidents: {} };
    const body = JSON.parse(String(res.Item.body)) as Partial<Omit<DetectorState, 'partition' | 'lastWindowStart'>>;
    return {
      partition,
      lastWindowStart: Number(res.Item.lastWindowStart),
      rolling: body.rolling ?? {},
      recent: body.recent ?? [],
      incidents: body.incidents ?? {},
      ...(body.warning ? { warning: body.warning } : {}),
    };
  }

  /** Saves the state if it is newer than the stored one. @returns false when a newer state was stored already. */
  async put(state: DetectorState): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.table,
          Item: {
            ...this.key(state.partition),
            lastWindowStart: state.lastWindowStart,
            body: JSON.stringify({ rolling: state.rolling, recent: state.recent, incidents: state.incidents, warning: state.warning }),
          },
          ConditionExpression: 'attribute_not_exists(lastWindowStart) OR lastWindowStart < :ws',
          ExpressionAttributeValues: { ':ws': state.lastWindowStart },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalFailure(err)) return false;
      throw err;
    }
  }

  private key(partition: string): Record<string, string> {
    return { [TABLE_SCHEMA.partitionKey]: KEYS.statePk(partition), [TABLE_SCHEMA.sortKey]: KEYS.stateSk };
  }
}
