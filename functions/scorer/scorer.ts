/**
 * The scorer's work for one Kinesis batch, independent of middy/Lambda wiring:
 * decode -> partition -> parse/template/patterns -> one guarded UpdateItem per (partition, minute).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { decodeRecord, DecodeError } from '../core/decode';
import { partitionOf, type PartitionRule } from '../core/partition';
import { contextFromProfile, processEvent, windowKey, addProcessed, type PartitionContext, type ProcessedEvent } from '../core/pipeline';
import { emptyPartial, partialToAttributes } from '../core/features';
import type { Profile } from '../core/types';
import type { WindowStore, ApplyOutcome } from '../adapters/window-store';
import { padSequence } from '../adapters/window-store';
import { forEachLimit } from '../core/concurrency';

/** What the scorer needs from the outside world. */
export interface ScorerDeps {
  windows: WindowStore;
  /** CURRENT profile of a partition (cached by the store), null when none yet. */
  profileOf: (partition: string) => Promise<Profile | null>;
  /** Keeps a malformed record's raw bytes so nothing is silently lost (S3 quarantine). */
  quarantine: (record: KinesisStreamRecord, reason: string) => Promise<void>;
  rules: PartitionRule[];
  defaultRegion: string;
  /** Max concurrent UpdateItem calls. Default 8. */
  writeConcurrency?: number;
}

/** What one batch did; logged, turned into metrics, and shown by the local runtime. */
export interface BatchSummary {
  records: number;
  events: number;
  controlMessages: number;
  malformed: number;
  windowsUpdated: number;
  duplicates: number;
  lateEvents: number;
  newTemplateEvents: number;
  failedRecords: string[];
  partitions: string[];
}

/** An event decoded from a record, with where it came from. */
export interface DecodedEvent {
  seq: string;
  shardId: string;
  partition: string;
  event: import('../core/types').LogEvent;
}

/** Per-partition contexts, rebuilt when the partition's profile version changes. Module scope: warm reuse. */
const contexts = new Map<string, { version: number; ctx: PartitionContext }>();

function contextFor(partition: string, profile: Profile | null): PartitionContext {
  const version = profile?.version ?? 0;
  const hit = contexts.get(partition);
  if (hit && hit.version === version) return hit.ctx;
  const ctx = contextFromProfile(profile);
  contexts.set(partition, { version, ctx });
  return ctx;
}

/** The shard id from a Kinesis event record's eventID (`shardId-000000000000:4954...`). */
export function shardIdOf(record: KinesisStreamRecord): string {
  const id = record.eventID ?? '';
  const i = id.indexOf(':');
  return i > 0 ? id.slice(0, i) : 'shardId-unknown';
}

/** A fresh, zeroed batch summary. */
export function emptySummary(records: number): BatchSummary {
  return {
    records,
    events: 0,
    controlMessages: 0,
    malformed: 0,
    windowsUpdated: 0,
    duplicates: 0,
    lateEvents: 0,
    newTemplateEvents: 0,
    failedRecords: [],
    partitions: [],
  };
}

/**
 * Decode stage for one record: appends its events (with their partition) to `out`. A malformed
 * record is quarantined and counted, never thrown; anything else unexpected is thrown so the batch
 * processor marks just this record failed.
 */
export async function decodeStage(
  record: KinesisStreamRecord,
  deps: ScorerDeps,
  summary: BatchSummary,
  out: DecodedEvent[],
): Promise<void> {
  const k = record.kinesis;
  try {
    const d = decodeRecord(k.data, {
      arrivalTimestamp: Math.round(k.approximateArrivalTimestamp * 1000),
      sequenceNumber: k.sequenceNumber,
      partitionKey: k.partitionKey,
    });
    if (d.kind === 'control') {
      summary.controlMessages++;
      return;
    }
    const shardId = shardIdOf(record);
    for (const event of d.events) {
      out.push({ seq: k.sequenceNumber, shardId, partition: partitionOf(event.logGroup, deps.rules, deps.defaultRegion).key, event });
    }
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    summary.malformed++;
    await deps.quarantine(record, err.message);
  }
}

/**
 * Scores one batch of Kinesis records end to end (decode stage + aggregate stage). Malformed records
 * are quarantined and counted, never failed; records whose window write fails are returned in
 * `failedRecords` (ReportBatchItemFailures), and their retry is idempotent thanks to the per-shard
 * sequence guards in {@link WindowStore}.
 */
export async function scoreBatch(records: KinesisStreamRecord[], deps: ScorerDeps): Promise<BatchSummary> {
  const summary = emptySummary(records.length);
  const decoded: DecodedEvent[] = [];
  for (const record of records) await decodeStage(record, deps, summary, decoded);
  return aggregateStage(decoded, deps, summary);
}

/**
 * Aggregate stage: parse, resolve templates against each partition's CURRENT profile, check ordered
 * patterns, and add one contribution per (partition, minute, shard) to DynamoDB.
 */
export async function aggregateStage(decoded: DecodedEvent[], deps: ScorerDeps, summary: BatchSummary): Promise<BatchSummary> {
  summary.events = decoded.length;

  // Profiles for every partition in the batch (cached by the profile store).
  const partitions = [...new Set(decoded.map((d) => d.partition))].sort();
  summary.partitions = partitions;
  const profiles = new Map<string, Profile | null>();
  await Promise.all(partitions.map(async (p) => profiles.set(p, await deps.profileOf(p))));

  // Events are processed in record order (stream order within a shard), so ordered patterns hold.
  const byWindow = new Map<string, Array<{ seq: string; shardId: string; e: ProcessedEvent }>>();
  for (const d of decoded) {
    const e = processEvent(d.event, d.partition, contextFor(d.partition, profiles.get(d.partition) ?? null));
    if (e.match.isNew) summary.newTemplateEvents++;
    const key = `${windowKey(e.partition, e.windowStart)}|${d.shardId}`;
    let list = byWindow.get(key);
    if (!list) byWindow.set(key, (list = []));
    list.push({ seq: d.seq, shardId: d.shardId, e });
  }

  const failed = new Set<string>();
  await forEachLimit([...byWindow.values()], deps.writeConcurrency ?? 8, async (list) => {
    const first = list[0];
    const seqs = list.map((x) => padSequence(x.seq)).sort();
    try {
      const outcome: ApplyOutcome = await deps.windows.applyContribution({
        partition: first.e.partition,
        windowStart: first.e.windowStart,
        shardId: first.shardId,
        minSeq: seqs[0],
        maxSeq: seqs[seqs.length - 1],
        eventCount: list.length,
        build: (afterSeq) => {
          const p = emptyPartial(first.e.partition, first.e.windowStart);
          const bound = afterSeq === null ? null : padSequence(afterSeq);
          for (const x of list) if (bound === null || padSequence(x.seq) > bound) addProcessed(p, x.e);
          return partialToAttributes(p);
        },
      });
      if (outcome === 'applied') summary.windowsUpdated++;
      else if (outcome === 'duplicate') summary.duplicates++;
      else summary.lateEvents += list.length;
    } catch {
      // This window's records are reported as failed; their retry is idempotent (sequence guards).
      for (const x of list) failed.add(x.seq);
    }
  });
  summary.failedRecords = [...failed];
  return summary;
}
