import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { KEYS, TABLE_SCHEMA } from '../core/resources';
import { stableHash } from '../core/hash';

/** Attributes of one partial, flattened for a single UpdateItem (see core/features partialToAttributes). */
export interface PartialAttributes {
  adds: Record<string, number>;
  firsts: Record<string, string>;
}

/** Outcome of {@link WindowStore.applyContribution}. */
export type ApplyOutcome =
  /** Added (possibly after skipping a part that an earlier try of the same records had added). */
  | 'applied'
  /** Everything had been added before: a retried batch, nothing counted twice. */
  | 'duplicate'
  /** The window was already closed: the events were counted on the item as late (`late_n`). */
  | 'late';

/** One shard's contribution to one window within one batch. */
export interface Contribution {
  partition: string;
  windowStart: number;
  shardId: string;
  /** Lowest and highest Kinesis sequence numbers of the records that contributed. */
  minSeq: string;
  maxSeq: string;
  eventCount: number;
  /**
   * Builds the flattened partial from the contributing records whose sequence number is greater than
   * `afterSeq` (all of them when null). Called again with a higher bound when a retried batch finds
   * part of its records already counted.
   */
  build: (afterSeq: string | null) => PartialAttributes;
}

/** Options for {@link WindowStore}. */
export interface WindowStoreOptions {
  client: DynamoDBDocumentClient;
  table: string;
  /** How long window items live after their window (TTL), seconds. Default 7 days. */
  retentionSec?: number;
}

/** A window still open in the sparse open-windows index. */
export interface OpenWindowRef {
  partition: string;
  windowStart: number;
}

/** Max length of one UpdateExpression we build; DynamoDB's limit is 4 KB. */
const MAX_EXPRESSION = 3400;
/** Kinesis sequence numbers are decimal strings of varying length; pad so string order = numeric order. */
const SEQ_WIDTH = 80;

/** Left-pads a Kinesis sequence number so DynamoDB string comparison orders it numerically. */
export function padSequence(seq: string): string {
  return seq.padStart(SEQ_WIDTH, '0');
}

/** Which open-index shard a partition's windows go to (spreads the sparse index over several keys). */
export function openShardOf(partition: string): string {
  const h = parseInt(stableHash(partition).slice(-4), 16);
  return KEYS.openPk(h % KEYS.openShards);
}

/**
 * DynamoDB access for per-(partition, minute) window items. Every write is idempotent:
 * contributions carry a per-shard high-water mark of Kinesis sequence numbers, so a retried batch
 * is never counted twice; closing is conditional, so two closers never both close a window.
 */
export class WindowStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly retentionSec: number;

  constructor(options: WindowStoreOptions) {
    this.client = options.client;
    this.table = options.table;
    this.retentionSec = options.retentionSec ?? 7 * 24 * 3600;
  }

  /**
   * Adds one shard's batch contribution to a window item: normally ONE conditional UpdateItem.
   * Attribute names are spread over {@link GUARD_BUCKETS} fixed buckets, each guarded by a per-shard
   * high-water mark of sequence numbers, so a retried batch (Lambda retries from a failed record, or
   * the whole batch) adds only what was not added before. Very large contributions are split into
   * several UpdateItems along bucket lines (DynamoDB expressions are limited to 4 KB).
   */
  async applyContribution(c: Contribution): Promise<ApplyOutcome> {
    const maxSeq = padSequence(c.maxSeq);
    // Known high-water mark per bucket; undefined = not read yet (first try).
    let known: Array<string | null> | undefined;
    let appliedSomething = false;
    for (let attempt = 0; attempt < 4; attempt++) {
      const builds = new Map<string, PartialAttributes>();
      const buildFor = (after: string | null): PartialAttributes => {
        const k = after ?? '';
        let v = builds.get(k);
        if (!v) builds.set(k, (v = c.build(after === null ? null : after.replace(/^0+(?=\d)/, ''))));
        return v;
      };
      const groups: Array<{ bucket: number; attrs: PartialAttributes; expect: string | null | undefined }> = [];
      for (let b = 0; b < GUARD_BUCKETS; b++) {
        const hwm = known ? known[b] : undefined;
        if (hwm && hwm >= maxSeq) continue;
        const attrs = bucketOnly(buildFor(hwm ?? null), b);
        if (Object.keys(attrs.adds).length + Object.keys(attrs.firsts).length === 0) continue;
        groups.push({ bucket: b, attrs, expect: hwm });
      }
      if (groups.length === 0) return appliedSomething ? 'applied' : 'duplicate';
      let conflict = false;
      for (const call of packGroups(groups)) {
        const ok = await this.update(c, call, maxSeq);
        if (ok) appliedSomething = true;
        else conflict = true;
      }
      if (!conflict) return 'applied';
      const item = await this.read(c.partition, c.windowStart);
      if (item.closedAt !== undefined) {
        await this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: this.key(c.partition, c.windowStart),
            UpdateExpression: 'ADD late_n :n',
            ExpressionAttributeValues: { ':n': c.eventCount },
          }),
        );
        return 'late';
      }
      known = Array.from({ length: GUARD_BUCKETS }, (_, b) => {
        const v = item[guardName(c.shardId, b)];
        return typeof v === 'string' ? v : null;
      });
    }
    throw new Error(
      `Window ${c.partition} ${new Date(c.windowStart).toISOString()}: contribution from ${c.shardId} kept conflicting after 4 tries`,
    );
  }

  private async update(
    c: Contribution,
    groups: Array<{ bucket: number; attrs: PartialAttributes; expect: string | null | undefined }>,
    maxSeq: string,
  ): Promise<boolean> {
    const os = TABLE_SCHEMA.openIndex;
    const names: Record<string, string> = { '#part': 'partition' };
    const values: Record<string, unknown> = {
      ':max': maxSeq,
      ':os': openShardOf(c.partition),
      ':ws': c.windowStart,
      ':p': c.partition,
      ':exp': Math.floor(c.windowStart / 1000) + this.retentionSec,
    };
    const sets = [
      `${os.partitionKey} = if_not_exists(${os.partitionKey}, :os)`,
      `${os.sortKey} = if_not_exists(${os.sortKey}, :ws)`,
      '#part = if_not_exists(#part, :p)',
      `${TABLE_SCHEMA.ttlAttribute} = :exp`,
    ];
    const adds: string[] = [];
    const conditions = ['attribute_not_exists(closedAt)'];
    let k = 0;
    for (const g of groups) {
      const gn = `#g${g.bucket}`;
      names[gn] = guardName(c.shardId, g.bucket);
      sets.push(`${gn} = :max`);
      if (g.expect === undefined) {
        values[':min'] = padSequence(c.minSeq);
        conditions.push(`(attribute_not_exists(${gn}) OR ${gn} < :min)`);
      }
      else if (g.expect === null) conditions.push(`attribute_not_exists(${gn})`);
      else {
        values[`:e${g.bucket}`] = g.expect;
        conditions.push(`${gn} = :e${g.bucket}`);
      }
      for (const [name, value] of Object.entries(g.attrs.adds)) {
        names[`#a${k}`] = name;
        values[`:a${k}`] = value;
        adds.push(`#a${k} :a${k}`);
        k++;
      }
      for (const [name, value] of Object.entries(g.attrs.firsts)) {
        names[`#a${k}`] = name;
        values[`:a${k}`] = value;
        sets.push(`#a${k} = if_not_exists(#a${k}, :a${k})`);
        k++;
      }
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(c.partition, c.windowStart),
          UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalFailure(err)) return false;
      throw err;
    }
  }

  /** Reads a window item (strongly consistent); `{}` when absent. */
  async read(partition: string, windowStart: number): Promise<Record<string, unknown>> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.table, Key: this.key(partition, windowStart), ConsistentRead: true }),
    );
    return res.Item ?? {};
  }

  /** Windows whose start is at or before `cutoff` and that are still open, oldest first. */
  async listClosable(cutoff: number, limit = 1000): Promise<OpenWindowRef[]> {
    const out: OpenWindowRef[] = [];
    for (let s = 0; s < KEYS.openShards && out.length < limit; s++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: TABLE_SCHEMA.openIndex.name,
            KeyConditionExpression: '#os = :os AND #ws <= :cut',
            ExpressionAttributeNames: { '#os': TABLE_SCHEMA.openIndex.partitionKey, '#ws': TABLE_SCHEMA.openIndex.sortKey },
            ExpressionAttributeValues: { ':os': KEYS.openPk(s), ':cut': cutoff },
            ExclusiveStartKey: startKey,
            Limit: Math.min(500, limit - out.length),
          }),
        );
        for (const item of page.Items ?? []) {
          const partition = typeof item.partition === 'string' ? item.partition : String(item.pk).replace(/^WINDOW#/, '');
          out.push({ partition, windowStart: Number(item[TABLE_SCHEMA.openIndex.sortKey]) });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey && out.length < limit);
    }
    return out.sort((a, b) => a.windowStart - b.windowStart || a.partition.localeCompare(b.partition));
  }

  /**
   * Closes a window (removes it from the open index) and returns its final, already-summed
   * attributes; `null` when another closer got there first.
   */
  async close(ref: OpenWindowRef, now: number): Promise<Record<string, unknown> | null> {
    try {
      const res = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(ref.partition, ref.windowStart),
          UpdateExpression: `SET closedAt = :now REMOVE ${TABLE_SCHEMA.openIndex.partitionKey}`,
          ConditionExpression: `attribute_exists(${TABLE_SCHEMA.openIndex.partitionKey}) AND attribute_not_exists(closedAt)`,
          ExpressionAttributeValues: { ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return res.Attributes ?? {};
    } catch (err) {
      if (isConditionalFailure(err)) return null;
      throw err;
    }
  }

  private key(partition: string, windowStart: number): Record<string, string> {
    return { [TABLE_SCHEMA.partitionKey]: KEYS.windowPk(partition), [TABLE_SCHEMA.sortKey]: KEYS.windowSk(windowStart) };
  }
}

/** True for DynamoDB's ConditionalCheckFailedException, from the SDK or an emulator. */
export function isConditionalFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ConditionalCheckFailedException')
  );
}

/** Fixed number of guard buckets attribute names are spread over (stable: by name hash). */
export const GUARD_BUCKETS = 4;

/** Guard attribute holding the highest sequence number of `shardId` added to bucket `b`. */
export function guardName(shardId: string, bucket: number): string {
  return `g_${shardId}_${bucket}`;
}

/** Stable bucket of an attribute name. */
export function bucketOf(name: string): number {
  return parseInt(stableHash(name).slice(-2), 16) % GUARD_BUCKETS;
}

/** The attributes that fall in bucket `b`. */
export function bucketOnly(attrs: PartialAttributes, b: number): PartialAttributes {
  const out: PartialAttributes = { adds: {}, firsts: {} };
  for (const [n, v] of Object.entries(attrs.adds)) if (bucketOf(n) === b) out.adds[n] = v;
  for (const [n, v] of Object.entries(attrs.firsts)) if (bucketOf(n) === b) out.firsts[n] = v;
  return out;
}

/** Packs bucket groups into as few UpdateItems as DynamoDB's 4 KB expression limit allows. */
export function packGroups<T extends { attrs: PartialAttributes }>(groups: T[]): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const g of groups) {
    const cost =
      80 +
      Object.values(g.attrs.adds).reduce<number>((n, v) => n + 14 + String(v).length, 0) +
      Object.keys(g.attrs.firsts).length * 40;
    if (current.length && size + cost > MAX_EXPRESSION) {
      calls.push(current);
      current = [];
      size = 0;
    }
    current.push(g);
    size += cost;
  }
  if (current.length) calls.push(current);
  return calls;
}
