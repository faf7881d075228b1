import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KEYS, TABLE_SCHEMA } from '../core/resources';
import type { RemediationAttempt } from '../core/remediation';
import { isConditionalFailure } from './window-store';

/**
 * Remediation attempts in the state table: one item per (rule, incident), so an incident triggers
 * a rule's action at most once however often its alert is re-delivered or escalates.
 */
export class RemediationStore {
  constructor(private readonly options: { client: DynamoDBDocumentClient; table: string }) {}

  private key(ruleId: string, incidentId: string): Record<string, string> {
    return { [TABLE_SCHEMA.partitionKey]: KEYS.remediationPk(ruleId), [TABLE_SCHEMA.sortKey]: KEYS.remediationSk(incidentId) };
  }

  /** Records a new attempt. @returns false when the incident already has an attempt for the rule */
  async start(attempt: RemediationAttempt): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.table,
          Item: { ...this.key(attempt.ruleId, attempt.incidentId), body: JSON.stringify(attempt) },
          ConditionExpression: `attribute_not_exists(${TABLE_SCHEMA.partitionKey})`,
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalFailure(err)) return false;
      throw err;
    }
  }

  /** Stores an attempt's new state (action result, outcome). */
  async update(attempt: RemediationAttempt): Promise<void> {
    await this.options.client.send(
      new PutCommand({ TableName: this.options.table, Item: { ...this.key(attempt.ruleId, attempt.incidentId), body: JSON.stringify(attempt) } }),
    );
  }

  /** One attempt, or null. */
  async get(ruleId: string, incidentId: string): Promise<RemediationAttempt | null> {
    const res = await this.options.client.send(new GetCommand({ TableName: this.options.table, Key: this.key(ruleId, incidentId), ConsistentRead: true }));
    return res.Item ? (JSON.parse(String(res.Item.body)) as RemediationAttempt) : null;
  }

  /** Every attempt of a rule (paginated). */
  async list(ruleId: string): Promise<RemediationAttempt[]> {
    const out: RemediationAttempt[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey },
          ExpressionAttributeValues: { ':pk': KEYS.remediationPk(ruleId) },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) out.push(JSON.parse(String(item.body)) as RemediationAttempt);
      start = res.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.firedAt - b.firedAt);
  }
}
