/**
 * Scorer Lambda: Kinesis event source mapping -> per-(partition, minute) partial aggregates in
 * DynamoDB. Thin: wiring only; the work is in ./scorer.ts and functions/core.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { awsClients, requireEnv } from '../adapters/clients';
import { WindowStore } from '../adapters/window-store';
import { ProfileStore } from '../adapters/profile-store';
import { ObjectStore } from '../adapters/object-store';
import { parsePartitionRules } from '../core/partition';
import { ENV } from '../core/resources';
import { aggregateStage, decodeStage, emptySummary, shardIdOf, type BatchSummary, type DecodedEvent, type ScorerDeps } from './scorer';
import { METRIC_NAMESPACE, METRIC_SERVICES, METRICS } from '../core/metrics';

const M = METRICS.scorer;

/** Options for {@link createScorerHandler}: everything has an env-driven default. */
export interface ScorerHandlerOptions {
  deps?: Partial<ScorerDeps>;
  logger?: Logger;
  metrics?: Metrics;
  /** Called after each batch (the embedded runtime shows progress with it). */
  onBatch?: (summary: BatchSummary) => void;
}

/** Builds the default dependencies from the environment (AWS, or the local emulators via endpoints). */
export function defaultScorerDeps(): ScorerDeps {
  const clients = awsClients();
  const table = requireEnv(ENV.table);
  const quarantineStore = new ObjectStore({ client: clients.s3, bucket: requireEnv(ENV.datasetBucket) });
  const profiles = new ProfileStore({
    client: clients.dynamodb,
    table,
    cacheTtlMs: Number(process.env[ENV.profileCacheTtlSec] ?? 60) * 1000,
  });
  return {
    windows: new WindowStore({ client: clients.dynamodb, table }),
    profileOf: (p) => profiles.getCurrent(p),
    quarantine: async (record: KinesisStreamRecord, reason: string) => {
      const key = `quarantine/${shardIdOf(record)}/${record.kinesis.sequenceNumber}.json`;
      await quarantineStore.putJson(key, { reason, record });
    },
    rules: parsePartitionRules(process.env[ENV.partitionRules]),
    defaultRegion: process.env[ENV.defaultRegion] ?? process.env.AWS_REGION ?? 'us-east-1',
  };
}

/**
 * Creates the scorer handler. The Lambda export uses the defaults; the embedded runtime passes a
 * quieter logger and a progress callback, and otherwise runs exactly this code.
 */
export function createScorerHandler(options: ScorerHandlerOptions = {}) {
  const logger = options.logger ?? new Logger({ serviceName: 'harbinger-scorer' });
  const metrics = options.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICES.scorer });
  let deps: ScorerDeps | undefined;

  const base = async (event: KinesisStreamEvent, _context: Context): Promise<KinesisStreamBatchResponse> => {
    deps ??= { ...defaultScorerDeps(), ...options.deps } as ScorerDeps;
    // Powertools' batch processor guards the per-record stage: an unexpected exception while
    // decoding one record marks that record failed instead of failing the whole batch.
    const summary = emptySummary(event.Records.length);
    const decoded: DecodedEvent[] = [];
    const processor = new BatchProcessor(EventType.KinesisDataStreams);
    processor.register(event.Records, (record: KinesisStreamRecord) => decodeStage(record, deps!, summary, decoded), {
      processInParallel: false,
      throwOnFullBatchFailure: false,
    });
    await processor.process();
    await aggregateStage(decoded, deps, summary);
    const failures = new Set([
      ...processor.response().batchItemFailures.map((f) => f.itemIdentifier),
      ...summary.failedRecords,
    ]);
    metrics.addMetric(M.records, MetricUnit.Count, summary.records);
    metrics.addMetric(M.events, MetricUnit.Count, summary.events);
    metrics.addMetric(M.malformedRecords, MetricUnit.Count, summary.malformed);
    metrics.addMetric(M.lateEvents, MetricUnit.Count, summary.lateEvents);
    metrics.addMetric(M.duplicateContributions, MetricUnit.Count, summary.duplicates);
    metrics.addMetric(M.newTemplateEvents, MetricUnit.Count, summary.newTemplateEvents);
    metrics.addMetric(M.failedRecords, MetricUnit.Count, failures.size);
    if (summary.malformed || summary.lateEvents || failures.size) {
      logger.warn('batch had skipped or failed records', { ...summary, failedRecords: [...failures] });
    } else {
      logger.debug('batch scored', { ...summary });
    }
    options.onBatch?.(summary);
    return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
  };

  return middy(base).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}

/** The Lambda entry point. */
export const handler = createScorerHandler();
