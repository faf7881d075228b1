import { GetCommand, PutCommand, UpdateCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KEYS, TABLE_SCHEMA } from '../core/resources';
import { validateProfile } from '../core/profile';
import type { Profile } from '../core/types';
import { isConditionalFailure } from './window-store';

/** Options for {@link ProfileStore}. */
export interface ProfileStoreOptions {
  client: DynamoDBDocumentClient;
  table: string;
  /** How long a loaded CURRENT profile is reused before re-reading, ms. Default 60 s. */
  cacheTtlMs?: number;
  /** Clock, for the cache. */
  now?: () => number;
}

const REGISTRY = { pk: 'REGISTRY', sk: 'PARTITIONS' } as const;

/** A sensitivity that cannot be set (out of range, or no profile to set it on). */
export class SensitivityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SensitivityError';
  }
}

/**
 * Versioned baseline profiles in DynamoDB: one item per version plus a CURRENT pointer per
 * partition that flips atomically (conditional on the version only going up), so scorers pick up a
 * new profile without a redeploy. Loaded profiles are cached in memory with a TTL.
 */
export class ProfileStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly ttl: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, { at: number; profile: Profile | null }>();

  constructor(options: ProfileStoreOptions) {
    this.client = options.client;
    this.table = options.table;
    this.ttl = options.cacheTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The CURRENT profile of a partition (cached), or null when none was published yet. */
  async getCurrent(partition: string): Promise<Profile | null> {
    const hit = this.cache.get(partition);
    if (hit && this.now() - hit.at < this.ttl) return hit.profile;
    const pointer = await this.client.send(
      new GetCommand({ TableName: this.table, Key: this.key(KEYS.profilePk(partition), KEYS.currentSk) }),
    );
    let profile: Profile | null = null;
    if (pointer.Item && typeof pointer.Item.version === 'number') {
      profile = await this.getVersion(partition, pointer.Item.version);
      if (profile && typeof pointer.Item.sensitivity === 'number') profile = { ...profile, sensitivity: pointer.Item.sensitivity };
    }
    this.cache.set(partition, { at: this.now(), profile });
    return profile;
  }

  /**
   * Drops a partition's cached profile (every cached profile without an argument), e.g. after
   * another store instance changed its level: the next read goes to the table.
   */
  forget(partition?: string): void {
    if (partition === undefined) this.cache.clear();
    else this.cache.delete(partition);
  }

  /** One stored version, validated against the profile schema. */
  async getVersion(partition: string, version: number): Promise<Profile | null> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.table, Key: this.key(KEYS.profilePk(partition), KEYS.profileVersionSk(version)) }),
    );
    if (!res.Item) return null;
    return validateProfile(JSON.parse(String(res.Item.body)));
  }

  /**
   * Stores a new profile version and flips CURRENT to it. Idempotent: re-publishing the same version
   * is a no-op; an older version never replaces a newer CURRENT.
   * @returns true when CURRENT now points at this version
   */
  async publish(profile: Profile): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...this.key(KEYS.profilePk(profile.partition), KEYS.profileVersionSk(profile.version)),
            partition: profile.partition,
            version: profile.version,
            builtAt: profile.builtAt,
            body: JSON.stringify(profile),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionalFailure(err)) throw err; // already stored by an earlier try
    }
    let flipped = true;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(KEYS.profilePk(profile.partition), KEYS.currentSk),
          UpdateExpression: 'SET version = :v, publishedAt = :t',
          ConditionExpression: 'attribute_not_exists(version) OR version <= :v',
          ExpressionAttributeValues: { ':v': profile.version, ':t': profile.builtAt },
        }),
      );
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
      flipped = false;
    }
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(REGISTRY.pk, REGISTRY.sk),
        UpdateExpression: 'ADD #parts :p',
        ExpressionAttributeNames: { '#parts': 'partitions' },
        ExpressionAttributeValues: { ':p': new Set([profile.partition]) },
      }),
    );
    this.cache.delete(profile.partition);
    return flipped;
  }

  /**
   * Sets a partition's alert level (P(anomalous) needed to raise; also the two-sided level of the
   * bands read from the proactive thresholds) on its CURRENT pointer. Takes effect at the next
   * profile load (cache TTL), with no retraining and no new profile version.
   * @throws SensitivityError when the level is outside [0.5, 0.9999] or the partition has no profile
   */
  async setSensitivity(partition: string, level: number): Promise<void> {
    if (!Number.isFinite(level) || level < 0.5 || level > 0.9999) {
      throw new SensitivityError(`Sensitivity ${level} is out of range: use a probability in [0.5, 0.9999] (default 0.95; higher = fewer, surer alerts).`);
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(KEYS.profilePk(partition), KEYS.currentSk),
          UpdateExpression: 'SET sensitivity = :s',
          ConditionExpression: 'attribute_exists(version)',
          ExpressionAttributeValues: { ':s': level },
        }),
      );
    } catch (err) {
      if (isConditionalFailure(err)) throw new SensitivityError(`Partition "${partition}" has no published profile: build one first (profile builder or retraining).`);
      throw err;
    }
    this.cache.delete(partition);
  }

  /** The version CURRENT points at, or 0. */
  async currentVersion(partition: string): Promise<number> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.table, Key: this.key(KEYS.profilePk(partition), KEYS.currentSk), ConsistentRead: true }),
    );
    return typeof res.Item?.version === 'number' ? res.Item.version : 0;
  }

  /** Every partition that has a published profile. */
  async partitions(): Promise<string[]> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.table, Key: this.key(REGISTRY.pk, REGISTRY.sk), ConsistentRead: true }),
    );
    const set = res.Item?.partitions as Set<string> | undefined;
    return set ? [...set].sort() : [];
  }

  /** Versions stored for a partition, newest first. */
  async versions(partition: string, limit = 20): Promise<number[]> {
    const res = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': KEYS.profilePk(partition), ':v': 'V#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map((i) => Number(i.version));
  }

  private key(pk: string, sk: string): Record<string, string> {
    return { [TABLE_SCHEMA.partitionKey]: pk, [TABLE_SCHEMA.sortKey]: sk };
  }
}
