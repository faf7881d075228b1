/**
 * Capacity Lambda, invoked every 5 minutes by EventBridge Scheduler with
 * `{"time": "<aws.scheduler.scheduled-time>", "dryRun": false}`. Thin: wiring only; the work is in
 * ./capacity-run.ts and functions/core (volume-forecast, shadow-log, capacity, scorer-capacity).
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { EventBridgeAlertPublisher } from '../adapters/alert-publisher';
import { CapacityStateStore } from '../adapters/capacity-state-store';
import { awsClients, requireEnv } from '../adapters/clients';
import { LambdaScorerConfig } from '../adapters/function-config';
import { ObjectStore } from '../adapters/object-store';
import { KinesisStreamCapacity } from '../adapters/stream-capacity';
import { WindowVolumeHistory } from '../adapters/volume-history';
import { CAPACITY_ENV, ENV, SHADOW_LOG_LATEST_KEY } from '../core/resources';
import { METRIC_NAMESPACE, METRIC_SERVICES, METRICS } from '../core/metrics';

const C = METRICS.capacity;
import { runCapacity, type CapacityPorts, type CapacityRunOptions, type CapacityRunReport } from './capacity-run';

/** The scheduled event. `time` (ISO 8601) is the run's time; the embedded runtime passes its simulated clock. */
export interface CapacityEvent {
  /** Report only. Default: `HARBINGER_CAPACITY_DRY_RUN`, else false. */
  dryRun?: boolean;
  time?: string;
}

/** The event is not `{ dryRun?: boolean, time?: string }`. */
export class CapacityEventError extends Error {
  override readonly name = 'CapacityEventError';
}

const EventSchema = z.object({
  dryRun: z.boolean().optional(),
  time: z
    .string()
    .refine((s) => Number.isFinite(Date.parse(s)), { message: 'time must be an ISO 8601 date-time' })
    .optional(),
});

/** Validates the event; an empty or null event is `{}`. */
export function parseCapacityEvent(event: unknown): CapacityEvent {
  const r = EventSchema.safeParse(event ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CapacityEventError(
      `capacity event: ${issue?.path.join('.') || '(root)'}: ${issue?.message}. Expected {"dryRun"?: boolean, "time"?: "<ISO 8601>"}.`,
    );
  }
  return r.data;
}

function numberEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new Error(`Environment variable ${name} must be a number, got "${raw}".`);
  return v;
}

/** Run options from the environment (see CAPACITY_ENV). */
export function capacityOptionsFromEnv(): CapacityRunOptions {
  const latenessSec = numberEnv(ENV.allowedLatenessSec);
  return {
    stream: requireEnv(CAPACITY_ENV.stream),
    limits: { minShards: numberEnv(CAPACITY_ENV.minShards), maxShards: numberEnv(CAPACITY_ENV.maxShards) },
    scorerLimits: { cpuMsPerEvent: numberEnv(CAPACITY_ENV.cpuMsPerEvent) },
    load: { eventsPerRecord: numberEnv(CAPACITY_ENV.eventsPerRecord) },
    horizonMinutes: numberEnv(CAPACITY_ENV.horizonMinutes),
    // Windows are stored once the closer has run past end + allowed lateness: wait that plus 3 min.
    settleMs: latenessSec === undefined ? undefined : (latenessSec + 180) * 1000,
  };
}

/** Ports from the environment: AWS SDK clients (endpoints from the SDK's standard variables). */
export function capacityPortsFromEnv(stream: string): CapacityPorts {
  const clients = awsClients();
  const datasets = new ObjectStore({ client: clients.s3, bucket: requireEnv(ENV.datasetBucket) });
  const fn = process.env[CAPACITY_ENV.scorerFunction];
  const mapping = process.env[CAPACITY_ENV.scorerMapping];
  return {
    stream: new KinesisStreamCapacity({ client: new KinesisClient({}), streamName: stream }),
    scorer: fn && mapping ? new LambdaScorerConfig({ client: new LambdaClient({}), functionName: fn, mappingUuid: mapping }) : null,
    volume: new WindowVolumeHistory({ client: clients.s3, bucket: requireEnv(ENV.datasetBucket) }),
    state: new CapacityStateStore({ client: clients.dynamodb, table: requireEnv(ENV.table), stream }),
    shadow: {
      put: async (key, log) => {
        await datasets.putJson(key, log);
        await datasets.putJson(SHADOW_LOG_LATEST_KEY, log);
      },
    },
    events: new EventBridgeAlertPublisher({ client: clients.eventbridge, busName: requireEnv(ENV.eventBus) }),
  };
}

/** Options of {@link createCapacityHandler}. */
export interface CapacityHandlerOptions {
  /** Replaces ports built from the environment (the embedded runtime and tests). */
  ports?: Partial<CapacityPorts>;
  /** Overrides run options read from the environment. */
  runOptions?: Partial<CapacityRunOptions>;
  logger?: Logger;
  metrics?: Metrics;
  /** Clock used when the event has no `time`. */
  now?: () => number;
}

/** Adds one run's metrics. */
function addRunMetrics(metrics: Metrics, r: CapacityRunReport): void {
  const [shards, memory, factor] = r.decisions;
  if (!shards) return;
  metrics.addMetric(C.shardsOpen, MetricUnit.Count, shards.current);
  metrics.addMetric(C.shardsRequired, MetricUnit.Count, shards.required);
  metrics.addMetric(C.shardsTarget, MetricUnit.Count, shards.target);
  metrics.addMetric(C.scorerMemoryTargetMb, MetricUnit.Megabytes, memory.target);
  metrics.addMetric(C.parallelizationFactorTarget, MetricUnit.Count, factor.target);
  if (r.forecast) {
    metrics.addMetric(C.forecastRecordsPerSecUpper, MetricUnit.CountPerSecond, r.forecast.recordsPerSecUpper);
    metrics.addMetric(C.forecastBytesPerSecUpper, MetricUnit.BytesPerSecond, r.forecast.bytesPerSecUpper);
    metrics.addMetric(C.forecastConfidence, MetricUnit.NoUnit, r.forecast.confidence);
  }
  metrics.addMetric(C.changesApplied, MetricUnit.Count, r.decisions.filter((d) => d.outcome === 'applied').length);
  metrics.addMetric(C.changesSkipped, MetricUnit.Count, r.decisions.filter((d) => d.outcome.startsWith('skipped')).length);
  metrics.addMetric(C.applyFailures, MetricUnit.Count, r.decisions.filter((d) => d.outcome.startsWith('failed')).length);
  metrics.addMetric(C.wakingPartitions, MetricUnit.Count, r.shadow?.waking.length ?? 0);
}

/** Creates the capacity handler (the Lambda export uses the environment). */
export function createCapacityHandler(options: CapacityHandlerOptions = {}) {
  const logger = options.logger ?? new Logger({ serviceName: 'harbinger-capacity' });
  const metrics = options.metrics ?? new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICES.capacity });
  let resolved: { ports: CapacityPorts; run: CapacityRunOptions } | undefined;
  const base = async (event: unknown, _context: Context): Promise<CapacityRunReport> => {
    const input = parseCapacityEvent(event);
    if (!resolved) {
      const fromEnv = { ...(process.env[CAPACITY_ENV.stream] ? capacityOptionsFromEnv() : {}), ...options.runOptions } as CapacityRunOptions;
      if (!fromEnv.stream) fromEnv.stream = requireEnv(CAPACITY_ENV.stream);
      const ports = { ...(options.ports && isComplete(options.ports) ? {} : capacityPortsFromEnv(fromEnv.stream)), ...options.ports } as CapacityPorts;
      resolved = { ports, run: fromEnv };
    }
    const now = input.time ? Date.parse(input.time) : (options.now ?? Date.now)();
    const dryRun = input.dryRun ?? process.env[CAPACITY_ENV.dryRun] === 'true';
    const report = await runCapacity({ now, dryRun }, resolved.ports, resolved.run);
    addRunMetrics(metrics, report);
    for (const d of report.decisions) {
      const fields = { setting: d.setting, action: d.action, current: d.current, target: d.target, required: d.required, outcome: d.outcome, reason: d.reason, confidence: d.confidence, dryRun };
      if (d.outcome.startsWith('failed')) logger.error('capacity decision failed', fields);
      else logger.info('capacity decision', fields);
    }
    logger.info('capacity run', { status: report.status, message: report.message, waking: report.shadow?.waking ?? [], shadowLog: report.shadow?.key });
    return report;
  };
  return middy(base).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}

function isComplete(p: Partial<CapacityPorts>): p is CapacityPorts {
  return Boolean(p.stream && p.scorer !== undefined && p.volume && p.state && p.shadow && p.events);
}

/** The Lambda entry point. */
export const handler = createCapacityHandler();
